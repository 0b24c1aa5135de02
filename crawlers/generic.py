"""Crawling a site that has no entry in ``config/sources.yml``: its name comes from its host."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

from core.sources import MAX_NAME_CHARS, Source

_NOT_NAME = re.compile(r"[^a-z0-9_-]+")


def site_name(url: str) -> str:
    """A source name for a host: ``https://www.Jobs.example:8080/x`` -> ``jobs-example-8080``."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    if not host:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    port = parts.port
    default = (parts.scheme == "http" and port == 80) or (parts.scheme == "https" and port == 443)
    name = host if port is None or default else f"{host}-{port}"
    name = _NOT_NAME.sub("-", name).strip("-_") or "site"
    if len(name) > MAX_NAME_CHARS:
        # Hostnames run to 253 characters; the cut name keeps a digest so it stays unique.
        digest = hashlib.sha256(name.encode()).hexdigest()[:12]
        name = f"{name[: MAX_NAME_CHARS - 13].rstrip('-_')}-{digest}"
    return name


def generic_source(url: str, render: bool = False) -> Source:
    """A source for ``lurewatch crawl URL``: start at ``url``, stay on its host."""
    return Source(name=site_name(url), start_urls=[url.strip()], render=render)
