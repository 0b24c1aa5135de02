"""What one fetch left behind, in plain types: the crawler fills it, ``core.evidence`` stores it."""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import orjson


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


# orjson writes the same bytes as ``canonical_json`` for most values, but not all (floats in
# exponent form, NaN, enums, UUIDs...). With these options it refuses subclasses of str, int,
# dict and list, dataclasses and datetimes, instead of writing them its own way.
_ORJSON_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
)
_PROVEN_MAX = 16  # a crawl has one set of settings; a test run a few
# orjson's bytes for settings that canonical_json wrote the same -> (a copy of those settings
# as they were then, those bytes).
_proven: dict[bytes, tuple[Any, bytes]] = {}


def settings_json(settings: dict[str, Any]) -> bytes:
    """``canonical_json(settings)``, cheaply for settings it has written before.

    Every fetch of a crawl carries the same crawler settings, for its warcinfo record and its
    manifest, and ``canonical_json`` takes about 8 us for them; orjson about 0.5 us, but its
    bytes are not always the same. So orjson writes them, and its bytes are used when
    ``canonical_json`` once wrote the same bytes for settings equal (``==``) to these: equal
    values that ``canonical_json`` writes differently (True and 1, 1 and 1.0, 0.0 and -0.0)
    orjson writes differently too, and what orjson writes alike but ``canonical_json`` refuses
    (NaN and None, an enum and its value, a UUID and its text) is never equal. Anything else
    (settings orjson refuses, or writes otherwise) is written by ``canonical_json`` each time.
    The copy is taken when they are checked: settings changed in place later are checked anew.
    """
    try:
        fast = orjson.dumps(settings, option=_ORJSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError too: orjson refuses them
        return canonical_json(settings)
    proven = _proven.get(fast)
    if proven is not None and proven[0] == settings:
        return proven[1]  # the bytes object checked: its hash (a cache key for the WARC) is kept
    exact = canonical_json(settings)
    if exact == fast:
        if len(_proven) >= _PROVEN_MAX:
            _proven.clear()
        _proven[exact] = (copy.deepcopy(settings), exact)
    return exact


@cache
def lurewatch_version() -> str:
    try:
        return version("lurewatch")
    except PackageNotFoundError:
        return "unknown"
