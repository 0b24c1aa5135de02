"""The JSON manifest of a fetch, and ``capture_fetch``, which stores everything a fetch left."""

from __future__ import annotations

import hashlib
from typing import Any

from core.ad import Capture
from core.evidence.record import FetchRecord, canonical_json, lurewatch_version, settings_json
from core.evidence.store import EvidenceStore
from core.evidence.warc import write_warc

SCHEMA = "lurewatch.capture-manifest/1"
MANIFEST_EXT = "manifest.json"
EXTENSIONS = {"warc": "warc.gz", "dom": "html", "screenshot": "png"}
MAX_HEADERS = 100
MAX_HEADER_CHARS = 8 * 1024
_SETTINGS_FIELD = b'"crawler_settings":'


def capture_fetch(store: EvidenceStore, fetch: FetchRecord) -> list[Capture]:
    """Store the WARC, DOM and screenshot of a fetch, then its manifest; manifest first."""
    settings = settings_json(fetch.settings)  # for the warcinfo record and the manifest
    warc = write_warc(fetch, settings=settings)
    files = [store.put(warc.data, "warc", EXTENSIONS["warc"])]
    if fetch.dom is not None:
        files.append(store.put(fetch.dom, "dom", EXTENSIONS["dom"]))
    if fetch.screenshot is not None:
        files.append(store.put(fetch.screenshot, "screenshot", EXTENSIONS["screenshot"]))
    document = build_manifest(fetch, files, body_sha256=warc.body_sha256)
    manifest = store.put(_manifest_json(document, settings), "manifest", MANIFEST_EXT)
    return [manifest, *files]


def _manifest_json(document: dict[str, Any], settings: bytes) -> bytes:
    """``canonical_json(document)``, given ``settings``: that of ``document["crawler_settings"]``.

    The settings are about 40% of the manifest, and the same in every manifest of a crawl:
    ``settings_json`` writes them at a fraction of the cost. The rest is written as before,
    with ``null`` in their place, which is then replaced: ``canonical_json`` writes a nested
    value as it writes it alone, and UTF-8 encodes character by character, so the result is the
    same bytes. The first ``"crawler_settings":`` in the text is the key of this document: in a
    string a quote is escaped (``\\"``), so the sequence is a key wherever it occurs, and keys
    are sorted, so no key at this level but the ``body_*`` ones (whose values hold no object)
    comes before it.
    """
    rest = canonical_json({**document, "crawler_settings": None})
    at = rest.index(_SETTINGS_FIELD + b"null") + len(_SETTINGS_FIELD)
    return b"".join((rest[:at], settings, rest[at + 4 :]))


def build_manifest(
    fetch: FetchRecord, files: list[Capture], *, body_sha256: str | None = None
) -> dict[str, Any]:
    """``body_sha256``: the body's hex SHA-256 when the caller has it already (the WARC's)."""
    headers, truncated = _capped_headers(fetch.headers)
    body = fetch.body
    if body is not None and body_sha256 is None:
        body_sha256 = hashlib.sha256(body).hexdigest()
    return {
        "schema": SCHEMA,
        "requested_url": fetch.requested_url,
        "final_url": fetch.final_url,
        "page_url": fetch.page_url,
        "redirect_chain": [*fetch.redirect_urls, fetch.final_url] if fetch.redirect_urls else [],
        "redirect_reasons": list(fetch.redirect_reasons),
        "http_status": fetch.status,
        "protocol": fetch.protocol,
        "ip_address": fetch.ip_address,
        "response_headers": [[name, value] for name, value in headers],
        "response_headers_truncated": truncated,
        "fetched_at": fetch.fetched_at_utc.isoformat(),
        "body_sha256": None if body is None else body_sha256,
        "body_size": None if body is None else len(body),
        "body_transfer_decoded": fetch.body_transfer_decoded,
        "removed_content_encodings": list(fetch.removed_content_encodings),
        "request_recorded": fetch.request_headers is not None,
        "rendered": fetch.rendered,
        "lurewatch_version": lurewatch_version(),
        "crawler_settings_digest": fetch.settings_digest,
        "crawler_settings_keys": sorted(fetch.settings),
        "crawler_settings": fetch.settings,
        "notes": list(fetch.notes),
        "files": [
            {"kind": c.kind, "sha256": c.sha256, "path": c.path, "size": c.size} for c in files
        ],
    }


def _capped_headers(headers: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], bool]:
    # The WARC keeps every header; the manifest is for reading, so a hostile server cannot
    # make it huge.
    kept = headers[:MAX_HEADERS]
    truncated = len(headers) > MAX_HEADERS or any(
        len(name) > MAX_HEADER_CHARS or len(value) > MAX_HEADER_CHARS for name, value in kept
    )
    return [(name[:MAX_HEADER_CHARS], value[:MAX_HEADER_CHARS]) for name, value in kept], truncated
