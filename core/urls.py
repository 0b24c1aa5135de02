"""Canonical URLs and the stable ad id derived from them."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Parameters that change per visit or per campaign, never per ad. Exact names (plus utm_*):
# a prefix such as "ref" would also drop "refno", which may be the ad's own id.
_TRACKING = {"fbclid", "gclid", "mc_cid", "mc_eid", "ref", "sessionid", "sid", "phpsessid",
             "jsessionid"}  # fmt: skip


# Scrapy's URLLENGTH_LIMIT: a longer URL is never requested, and a hostile page can hold hrefs
# of megabytes, which no cache may keep.
MAX_CACHED_URL_CHARS = 2083
_F = TypeVar("_F", bound=Callable[..., Any])


def url_cache(maxsize: int) -> Callable[[_F], _F]:
    """``lru_cache`` for functions of a URL (first argument) asked for again and again in a
    crawl (the same menu links on every page), bounded in entries and in size: URLs longer
    than ``MAX_CACHED_URL_CHARS`` are computed every time, never kept."""

    def decorate(function: _F) -> _F:
        cached = functools.lru_cache(maxsize=maxsize)(function)

        @functools.wraps(function)
        def call(url: str, *args: Any) -> Any:
            if len(url) > MAX_CACHED_URL_CHARS:
                return function(url, *args)
            return cached(url, *args)

        return cast(_F, call)

    return decorate


# A crawl canonicalises one URL several times (the link, its request, the claim, the fetch, the
# ad): the cache makes the repeats free.
@url_cache(maxsize=8192)
def canonical_url(url: str) -> str:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING and not k.lower().startswith("utm_")
    )
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def ad_id(url: str) -> str:
    return hashlib.sha256(canonical_url(url).encode()).hexdigest()[:20]
