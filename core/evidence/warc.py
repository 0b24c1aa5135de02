"""One gzipped WARC 1.1 file per fetch: warcinfo, request (when observed) and response.

Digests are SHA-256 (base32, as WARC tools expect). Header blocks are written byte for byte as
received (latin-1 round trip), not re-encoded as warcio would for non-ASCII values.

This runs for every ad page, so it does warcio's per-record work once, itself: the header blocks
are built and hashed here, and the records reach warcio's writer with their IDs and digests
already set (warcio would hash each payload twice, look headers up one by one, and make a
writer, with a hostname lookup, per file). The records are byte for byte those warcio's record
builder makes of the same fetch, record IDs aside. The payload digest is the SHA-256 of the
body, which the manifest records too (``WarcFile.body_sha256``) without hashing it again.

Each record is its own gzip member, as the WARC standard recommends, at zlib level 3. On ad
pages of about 20 KB, level 3 takes about 65 us a page less CPU than level 6 (a quarter of the
time to build the WARC) for files about 4% larger; level 9, warcio's default, takes about
110 us more than level 6 for files 0.1% smaller. Every gzip reader reads every level.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import uuid
import zlib
from dataclasses import dataclass
from functools import cache, lru_cache
from http import HTTPStatus
from io import BytesIO
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from core.evidence.record import FetchRecord, canonical_json, lurewatch_version

GZIP_LEVEL = 3
WARC_VERSION = "WARC/1.1"
HTTP_PROTOCOLS = ("HTTP/1.0", "HTTP/1.1")
DOM_NOTE = (
    "rendered DOM after scripts ran, serialised by the browser; the browser did not keep the"
    " HTTP response of the page"
)
_BAD_NAME_CHARS = re.compile(r"[\x00-\x20:\x7f]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class WarcFile:
    data: bytes  # the gzipped WARC
    body_sha256: str | None  # hex SHA-256 of the response body, None without one


class _Headers(StatusAndHeaders):
    headers_buff: bytes | None

    def __init__(self, protocol: str, statusline: str, headers: list[tuple[str, str]]) -> None:
        # Not warcio's __init__: the pairs are str already, it would convert each one again.
        self.protocol = protocol
        self.statusline = statusline
        self.headers = headers
        self.total_len = 0
        self.headers_buff = None


class _HttpHeaders(_Headers):
    """An HTTP header block whose bytes (``headers_buff``) are made once, here."""

    def __init__(self, protocol: str, statusline: str, headers: list[tuple[str, str]]) -> None:
        super().__init__(protocol, statusline, headers)
        self.block = _header_block(protocol, statusline, headers)
        self.headers_buff = self.block

    def compute_headers_buffer(self, header_filter: Any = None) -> None:
        pass  # made in __init__, and already hashed into the record's block digest


class _GzipMember:
    """A file-like that writes one gzip member per record (warcio's own uses level 9)."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.parts.append(data)

    def flush(self) -> None:
        # warcio's writer calls flush() once at the end of each record: that ends the member.
        self.out.write(zlib.compress(b"".join(self.parts), GZIP_LEVEL, zlib.MAX_WBITS + 16))
        self.parts = []


class _Writer(WARCWriter):
    """warcio's record writer, made once: it keeps no state between records."""

    def __init__(self) -> None:
        super().__init__(None, gzip=False, warc_version=WARC_VERSION)

    def write_to(self, out: BinaryIO, record: ArcWarcRecord) -> None:
        self._write_warc_record(_GzipMember(out), record)

    def ensure_digest(
        self, record: ArcWarcRecord, block: bool = True, payload: bool = True
    ) -> None:
        pass  # every record comes with both digests (``_record``): nothing to hash again


@cache
def _writer() -> _Writer:
    return _Writer()


def build_warc(fetch: FetchRecord) -> bytes:
    return write_warc(fetch).data


def write_warc(fetch: FetchRecord) -> WarcFile:
    out = BytesIO()
    writer = _writer()
    date = warc_date(fetch)
    ids = _record_ids(3)
    info_id = ids[0]
    writer.write_to(out, _warcinfo(fetch, date, info_id))
    common = [("WARC-Date", date), ("WARC-Warcinfo-ID", info_id)]
    if fetch.ip_address:
        common.append(("WARC-IP-Address", fetch.ip_address))
    body_sha256 = None
    if fetch.body is not None:
        body_hash = hashlib.sha256(fetch.body)
        body_sha256 = body_hash.hexdigest()
        response = _response(fetch, common, ids[1], _digest(body_hash))
        if fetch.request_headers is not None:
            writer.write_to(out, _request(fetch, common, ids[2], concurrent_to=ids[1]))
        writer.write_to(out, response)
    elif fetch.dom is not None:
        writer.write_to(out, _dom_resource(fetch, common, ids[1]))
    return WarcFile(out.getvalue(), body_sha256)


def warc_date(fetch: FetchRecord) -> str:
    return fetch.fetched_at_utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _warcinfo(fetch: FetchRecord, date: str, record_id: str) -> ArcWarcRecord:
    version = lurewatch_version()
    fields = [
        ("software", f"LureWatch/{version}"),
        ("format", "WARC File Format 1.1"),
        (
            "conformsTo",
            "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        ),
        ("lurewatch-version", version),
        ("crawler-settings-digest", f"sha256:{fetch.settings_digest}"),
        ("crawler-settings", canonical_json(fetch.settings).decode("utf-8")),
    ]
    fields += [("description", _one_line(note)) for note in fetch.notes]
    body = "".join(f"{name}: {value}\r\n" for name, value in fields).encode("utf-8")
    content_type = "application/warc-fields"
    headers = [
        ("WARC-Date", date),
        ("Content-Type", content_type),
        ("WARC-Type", "warcinfo"),
        ("WARC-Record-ID", record_id),
        ("WARC-Block-Digest", _digest(hashlib.sha256(body))),
    ]
    return _record("warcinfo", headers, body, None, content_type)


def _response(
    fetch: FetchRecord, common: list[tuple[str, str]], record_id: str, payload_digest: str
) -> ArcWarcRecord:
    assert fetch.body is not None
    protocol = fetch.protocol if fetch.protocol in HTTP_PROTOCOLS else "HTTP/1.1"
    http = _HttpHeaders(
        protocol, f"{fetch.status} {_reason(fetch.status)}", _header_lines(fetch.headers)
    )
    block = hashlib.sha256(http.block)
    block.update(fetch.body)
    headers = list(common)
    if fetch.removed_content_encodings:
        # The body is as the crawler kept it: decoded. Content-Encoding above is as sent.
        headers.append(
            ("LureWatch-Body-Transfer-Decoded", ", ".join(fetch.removed_content_encodings))
        )
    headers += [
        ("WARC-Type", "response"),
        ("WARC-Record-ID", record_id),
        ("WARC-Target-URI", fetch.final_url),
        ("WARC-Payload-Digest", payload_digest),
        ("WARC-Block-Digest", _digest(block)),
    ]
    return _record("response", headers, fetch.body, http, "application/http; msgtype=response")


def _request(
    fetch: FetchRecord, common: list[tuple[str, str]], record_id: str, concurrent_to: str
) -> ArcWarcRecord:
    parts = urlsplit(fetch.final_url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = _header_lines([("Host", parts.netloc), *(fetch.request_headers or [])])
    http = _HttpHeaders(fetch.method, f"{target} HTTP/1.1", lines)
    headers = [
        *common,
        ("WARC-Type", "request"),
        ("WARC-Record-ID", record_id),
        ("WARC-Target-URI", fetch.final_url),
        ("WARC-Payload-Digest", _EMPTY_DIGEST),  # no request body is kept
        ("WARC-Concurrent-To", concurrent_to),
        ("WARC-Block-Digest", _digest(hashlib.sha256(http.block))),
    ]
    return _record("request", headers, b"", http, "application/http; msgtype=request")


def _dom_resource(
    fetch: FetchRecord, common: list[tuple[str, str]], record_id: str
) -> ArcWarcRecord:
    assert fetch.dom is not None
    digest = _digest(hashlib.sha256(fetch.dom))
    headers = [
        *common,
        ("LureWatch-Note", DOM_NOTE),
        ("WARC-Type", "resource"),
        ("WARC-Record-ID", record_id),
        ("WARC-Target-URI", fetch.page_url or fetch.final_url),
        ("WARC-Payload-Digest", digest),  # no HTTP headers: the block is the payload
        ("WARC-Block-Digest", digest),
    ]
    return _record("resource", headers, fetch.dom, None, "text/html; charset=utf-8")


def _record(
    rec_type: str,
    headers: list[tuple[str, str]],
    payload: bytes,
    http: _HttpHeaders | None,
    content_type: str,
) -> ArcWarcRecord:
    """A record warcio's writer takes as it is: digests set, lengths known.

    ``headers`` end with the digests; Content-Type and Content-Length follow, where warcio's
    writer puts them (it sets them again, to the same values, and finds them at once).
    """
    if all(name != "Content-Type" for name, _ in headers):
        headers.append(("Content-Type", content_type))
    length = len(payload) + (len(http.block) if http is not None else 0)
    headers.append(("Content-Length", str(length)))
    record = ArcWarcRecord(
        "warc",
        rec_type,
        _Headers(WARC_VERSION, "", headers),
        BytesIO(payload),
        http,
        content_type,
        len(payload),
    )
    record.payload_length = len(payload)
    return record


def _record_ids(count: int) -> list[str]:
    random = os.urandom(16 * count)
    return [
        f"<urn:uuid:{uuid.UUID(bytes=random[n * 16 : n * 16 + 16], version=4)}>"
        for n in range(count)
    ]


def _digest(hash_: Any) -> str:
    return "sha256:" + base64.b32encode(hash_.digest()).decode("ascii")


_EMPTY_DIGEST = _digest(hashlib.sha256(b""))


def _header_block(protocol: str, statusline: str, headers: list[tuple[str, str]]) -> bytes:
    text = (
        f"{protocol} {statusline}\r\n"
        + "".join(f"{name}: {value}\r\n" for name, value in headers)
        + "\r\n"
    )
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        # Only headers that did not come off the wire as bytes (a browser's) get here.
        return text.encode("utf-8")


@lru_cache(maxsize=1024)
def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _header_lines(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Header pairs that cannot break the record: a line break inside a value (browsers join
    repeated headers with one) becomes a repeated header, names lose separators."""
    lines = []
    for name, value in headers:
        clean = _BAD_NAME_CHARS.sub("_", name) or "_"
        if "\r" in value or "\n" in value:
            lines += [(clean, part) for part in _LINE_BREAK.split(value)]
        else:
            lines.append((clean, value))
    return lines


def _one_line(text: str) -> str:
    return " ".join(text.split())
