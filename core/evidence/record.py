"""What one fetch left behind, in plain types: the crawler fills it, ``core.evidence`` stores it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any


@dataclass
class FetchRecord:
    """One fetched page as it was received.

    ``headers`` are the response headers as the server sent them (name, value), one pair per
    value, in the order received, with Content-Encoding as sent even when the crawler decoded
    the body (``removed_content_encodings`` then names what it removed). ``body`` is the HTTP
    body the crawler kept, None when there is none (a rendered page whose browser did not keep
    the navigation response): the rendered ``dom`` then stands in for it.
    """

    requested_url: str
    final_url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes | None
    fetched_at: datetime
    redirect_urls: list[str] = field(default_factory=list)  # before final_url, oldest first
    redirect_reasons: list[int | str] = field(default_factory=list)
    protocol: str = "HTTP/1.1"
    method: str = "GET"
    request_headers: list[tuple[str, str]] | None = None  # None: the request was not observed
    removed_content_encodings: list[str] = field(default_factory=list)
    ip_address: str | None = None
    rendered: bool = False
    page_url: str | None = None  # the browser's URL after scripts ran, when it differs
    dom: bytes | None = None
    screenshot: bytes | None = None
    settings_digest: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def body_transfer_decoded(self) -> bool:
        return bool(self.removed_content_encodings)

    @property
    def fetched_at_utc(self) -> datetime:
        when = self.fetched_at
        if when.tzinfo is None:
            return when.replace(tzinfo=UTC)
        return when.astimezone(UTC)


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same value always gives the same bytes (and hash)."""
    text = json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )
    # A lone surrogate (from broken scraped text) cannot be UTF-8; replace it, deterministically.
    return text.encode("utf-8", errors="replace")


def settings_digest(values: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(values)).hexdigest()


@cache
def lurewatch_version() -> str:
    try:
        return version("lurewatch")
    except PackageNotFoundError:
        return "unknown"
