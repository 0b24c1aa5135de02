"""A fetch sent to the ingest worker arrives as it was, its bytes untouched."""

from __future__ import annotations

import json

import pytest

from core.evidence.record import FetchRecord
from core.evidence.wire import Blobs, WireError, fetch_from_wire, fetch_to_wire
from tests.test_core_evidence import fetch


def across(records: list[FetchRecord]) -> list[FetchRecord]:
    """Through JSON and one blob, as a batch crosses the pipe."""
    blobs, sent = Blobs(), set[str]()
    wire = json.dumps([fetch_to_wire(r, blobs, sent) for r in records])
    blob = memoryview(b"".join(blobs.parts))
    seen: dict[str, dict[str, object]] = {}
    return [fetch_from_wire(data, blob, seen) for data in json.loads(wire)]


def test_fetches_cross_unchanged_bytes_and_all() -> None:
    plain = fetch()
    rendered = fetch(
        body=None,
        rendered=True,
        page_url="http://127.0.0.1:8000/ads/42#photos",
        dom="<html><body>caf\u00e9 \U0001f600</body></html>".encode(),
        screenshot=bytes(range(256)) * 4,
        notes=["the browser did not keep the page's HTTP response"],
        request_headers=None,
    )
    empty_body = fetch(body=b"", ip_address=None, redirect_urls=[], redirect_reasons=[])
    assert across([plain, rendered, empty_body]) == [plain, rendered, empty_body]


def test_the_crawler_settings_go_once_per_digest() -> None:
    blobs, sent = Blobs(), set[str]()
    first = fetch_to_wire(fetch(), blobs, sent)
    second = fetch_to_wire(fetch(), blobs, sent)
    assert "settings" in first and "settings" not in second
    seen: dict[str, dict[str, object]] = {}
    blob = memoryview(b"".join(blobs.parts))
    fetch_from_wire(first, blob, seen)
    assert fetch_from_wire(second, blob, seen).settings == fetch().settings
    with pytest.raises(WireError, match="never sent"):
        fetch_from_wire(second, blob, {})


def test_a_malformed_fetch_is_refused_with_a_clear_error() -> None:
    blobs, sent = Blobs(), set[str]()
    data = fetch_to_wire(fetch(), blobs, sent)
    blob = memoryview(b"".join(blobs.parts))
    with pytest.raises(WireError, match="outside"):
        fetch_from_wire({**data, "body": [0, len(blob) + 1]}, blob, {})
    with pytest.raises(WireError, match="malformed fetch: KeyError"):
        fetch_from_wire({k: v for k, v in data.items() if k != "final_url"}, blob, {})
    with pytest.raises(WireError, match="malformed fetch"):
        fetch_from_wire({**data, "status": "two hundred"}, blob, {})
