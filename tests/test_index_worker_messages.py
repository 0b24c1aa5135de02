"""What crosses the pipe between the crawl process and the ingest worker."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.evidence.wire import Blobs
from index.worker import WorkerError, decode, encode, frame

MESSAGE: dict[str, Any] = {
    "op": "batch",
    "id": 7,
    "items": [
        {
            "kind": "ad",
            "data": {
                "title": "Chicas para Europa \u2014 vuelo pagado",
                "text": "broken \ud83d half of an emoji, RTL \u202e, nul \x00 kept",
                "score": 0.8125,
                "salary": 10**30,  # past 64 bits: scraped numbers can be anything
                "tags": ("a", "b"),
                "nothing": None,
                "flag": True,
            },
        }
    ],
}


def test_a_message_comes_back_as_it_was_sent() -> None:
    back = decode(encode(MESSAGE))
    assert back == json.loads(json.dumps(MESSAGE))  # what JSON carried: tuples as lists
    assert back["items"][0]["data"]["text"] == MESSAGE["items"][0]["data"]["text"]


def test_ordinary_messages_are_not_json() -> None:
    small = {"op": "done", "id": 1, "results": [{"ok": True, "text": "caf\u00e9 \ud800"}]}
    data = encode(small)
    assert not data.startswith(b"{")
    assert decode(data) == small


@pytest.mark.parametrize(
    "data",
    [b"\xc1", b"\x92\x01", encode({"op": "close"}) + b"x", b"\xd9\x05ab", b"{not json"],
)
def test_a_garbled_message_is_refused_with_a_reason(data: bytes) -> None:
    with pytest.raises(WorkerError, match="unreadable message"):
        decode(data)


def test_a_frame_carries_the_fetches_bytes_after_the_message() -> None:
    blobs = Blobs()
    where = blobs.add(b"<html>\x00\xff</html>")
    data = frame({"op": "batch", "where": where}, blobs)
    assert data.endswith(b"<html>\x00\xff</html>")
    assert frame({"op": "close"}, Blobs()) == encode({"op": "close"})
