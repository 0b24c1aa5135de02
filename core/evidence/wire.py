"""A ``FetchRecord`` sent to another process: its fields as JSON, its bytes (body, DOM,
screenshot) apart, as they are, in one blob (base64 in JSON cost the crawl as much as writing
the files). The crawler settings, the same for every fetch of a crawl, go once per digest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.evidence.record import FetchRecord

BLOB_FIELDS = ("body", "dom", "screenshot")


class WireError(ValueError):
    pass


class Blobs:
    """The bytes of a message's fetches, one after another."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, data: bytes) -> list[int]:
        self.parts.append(data)
        self.size += len(data)
        return [self.size - len(data), len(data)]


def fetch_to_wire(fetch: FetchRecord, blobs: Blobs, settings_sent: set[str]) -> dict[str, Any]:
    """``settings_sent``: the digests whose settings the other side has had (updated here)."""
    data: dict[str, Any] = {
        "requested_url": fetch.requested_url,
        "final_url": fetch.final_url,
        "status": fetch.status,
        "headers": fetch.headers,
        "fetched_at": fetch.fetched_at_utc.isoformat(),
        "redirect_urls": fetch.redirect_urls,
        "redirect_reasons": fetch.redirect_reasons,
        "protocol": fetch.protocol,
        "method": fetch.method,
        "request_headers": fetch.request_headers,
        "removed_content_encodings": fetch.removed_content_encodings,
        "ip_address": fetch.ip_address,
        "rendered": fetch.rendered,
        "page_url": fetch.page_url,
        "settings_digest": fetch.settings_digest,
        "notes": fetch.notes,
    }
    for name in BLOB_FIELDS:
        value = getattr(fetch, name)
        data[name] = None if value is None else blobs.add(value)
    if fetch.settings_digest not in settings_sent:
        data["settings"] = fetch.settings
        settings_sent.add(fetch.settings_digest)
    return data


def fetch_from_wire(
    data: dict[str, Any], blob: memoryview, settings_seen: dict[str, dict[str, Any]]
) -> FetchRecord:
    """``settings_seen``: the settings received so far by digest (updated here)."""
    try:
        digest = str(data["settings_digest"])
        if "settings" in data:
            settings_seen[digest] = dict(data["settings"])
        settings = settings_seen.get(digest)
        if settings is None:
            raise WireError(f"a fetch names crawler settings {digest[:12]} never sent")
        return FetchRecord(
            requested_url=str(data["requested_url"]),
            final_url=str(data["final_url"]),
            status=int(data["status"]),
            headers=_pairs(data["headers"]),
            fetched_at=datetime.fromisoformat(data["fetched_at"]),
            redirect_reasons=[_reason(r) for r in data["redirect_reasons"]],
            protocol=str(data["protocol"]),
            method=str(data["method"]),
            request_headers=None
            if data["request_headers"] is None
            else _pairs(data["request_headers"]),
            ip_address=None if data["ip_address"] is None else str(data["ip_address"]),
            rendered=bool(data["rendered"]),
            page_url=None if data["page_url"] is None else str(data["page_url"]),
            settings_digest=digest,
            settings=settings,
            redirect_urls=_texts(data["redirect_urls"]),
            removed_content_encodings=_texts(data["removed_content_encodings"]),
            notes=_texts(data["notes"]),
            body=_blob(data["body"], blob),
            dom=_blob(data["dom"], blob),
            screenshot=_blob(data["screenshot"], blob),
        )
    except WireError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise WireError(f"a malformed fetch: {type(exc).__name__}: {exc}") from exc


def _texts(values: list[Any]) -> list[str]:
    return [str(value) for value in values]


def _reason(value: Any) -> int | str:
    return value if isinstance(value, int) else str(value)


def _pairs(values: list[Any]) -> list[tuple[str, str]]:
    return [(str(name), str(value)) for name, value in values]


def _blob(where: list[int] | None, blob: memoryview) -> bytes | None:
    if where is None:
        return None
    start, length = int(where[0]), int(where[1])
    if start < 0 or length < 0 or start + length > len(blob):
        raise WireError(f"a fetch's bytes at {start}+{length} lie outside the {len(blob)} sent")
    return bytes(blob[start : start + length])
