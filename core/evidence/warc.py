"""One gzipped WARC 1.1 file per fetch: warcinfo, request (when observed) and response.

Digests are SHA-256 (base32, as WARC tools expect). Header blocks are written byte for byte as
received (latin-1 round trip), not re-encoded as warcio would for non-ASCII values.

This runs for every ad page, so the records are written here, not by warcio's writer (which
copied the fields into its own objects and looked each one up again: about 20 us a page). A
record is the version line, one line per field, a blank line, the block, and CRLF CRLF (WARC
1.1, section 4); the fields, their order and their encoding (UTF-8) are those warcio's writer
wrote, so the files are byte for byte those it made (``tests/test_core_evidence_bytes.py``
checks them against files it made), and warcio and ``lurewatch verify`` read them as before.
The payload digest is the SHA-256 of the body, which the manifest records too
(``WarcFile.body_sha256``) without hashing it again.

The warcinfo record is the same for every fetch of a crawl but its date and record ID: the rest
(LureWatch version, crawler settings and their digest, notes) is made and hashed once per
distinct value (``_warcinfo_tail``), keyed by those values themselves.

Each record is its own gzip member, as the WARC standard recommends, at zlib level 3. On ad
pages of about 20 KB, level 3 takes about 65 us a page less CPU than level 6 (a quarter of the
time to build the WARC) for files about 4% larger; level 9, warcio's default, takes about
110 us more than level 6 for files 0.1% smaller. Every gzip reader reads every level.
"""

from __future__ import annotations

import hashlib
import os
import re
import zlib
from dataclasses import dataclass
from functools import lru_cache
from http import HTTPStatus
from urllib.parse import urlsplit

from core.evidence.record import FetchRecord, lurewatch_version, settings_json

GZIP_LEVEL = 3
WARC_VERSION = "WARC/1.1"
HTTP_PROTOCOLS = ("HTTP/1.0", "HTTP/1.1")
DOM_NOTE = (
    "rendered DOM after scripts ran, serialised by the browser; the browser did not keep the"
    " HTTP response of the page"
)
CONFORMS_TO = "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
_BAD_NAME_CHARS = re.compile(r"[\x00-\x20:\x7f]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_GZIP_WBITS = zlib.MAX_WBITS + 16  # a gzip header and trailer around the deflate stream
_END = b"\r\n\r\n"  # after every record's block


@dataclass(frozen=True)
class WarcFile:
    data: bytes  # the gzipped WARC
    body_sha256: str | None  # hex SHA-256 of the response body, None without one


def build_warc(fetch: FetchRecord) -> bytes:
    return write_warc(fetch).data


def write_warc(fetch: FetchRecord, *, settings: bytes | None = None) -> WarcFile:
    """``settings``: ``settings_json(fetch.settings)``, when the caller has it already."""
    date = warc_date(fetch)
    ids = _record_ids(3)
    info_id = ids[0]
    if settings is None:
        settings = settings_json(fetch.settings)
    tail = _warcinfo_tail(lurewatch_version(), fetch.settings_digest, settings, tuple(fetch.notes))
    members = [
        _member(
            f"WARC-Date: {date}\r\nContent-Type: application/warc-fields\r\n"
            f"WARC-Type: warcinfo\r\nWARC-Record-ID: {info_id}\r\n",
            tail,
        )
    ]
    common = f"WARC-Date: {date}\r\nWARC-Warcinfo-ID: {info_id}\r\n"
    if fetch.ip_address:
        common += f"WARC-IP-Address: {fetch.ip_address}\r\n"
    body_sha256 = None
    if fetch.body is not None:
        body_hash = hashlib.sha256(fetch.body)
        body_sha256 = body_hash.hexdigest()
        if fetch.request_headers is not None:
            members.append(_request(fetch, common, ids[2], concurrent_to=ids[1]))
        members.append(_response(fetch, common, ids[1], _digest(body_hash.digest())))
    elif fetch.dom is not None:
        members.append(_dom_resource(fetch, common, ids[1]))
    return WarcFile(b"".join(members), body_sha256)


def warc_date(fetch: FetchRecord) -> str:
    return fetch.fetched_at_utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _member(fields: str, *rest: bytes) -> bytes:
    """A record, gzipped as a member of its own: the version line, ``fields`` (header lines,
    each ending in CRLF), then ``rest``: any further lines, the blank line, the block, CRLF CRLF.
    """
    record = b"".join((f"{WARC_VERSION}\r\n{fields}".encode(), *rest))
    return zlib.compress(record, GZIP_LEVEL, _GZIP_WBITS)


@lru_cache(maxsize=64)
def _warcinfo_tail(version: str, digest: str, settings: bytes, notes: tuple[str, ...]) -> bytes:
    """The warcinfo record after its WARC-Record-ID line: digest, length, block, end.

    Keyed by the values themselves (the settings as their canonical JSON), so a hit is the
    record those values make; a crawl has one or a few.
    """
    fields = [
        ("software", f"LureWatch/{version}"),
        ("format", "WARC File Format 1.1"),
        ("conformsTo", CONFORMS_TO),
        ("lurewatch-version", version),
        ("crawler-settings-digest", f"sha256:{digest}"),
    ]
    head = "".join(f"{name}: {value}\r\n" for name, value in fields).encode()
    notes_text = "".join(f"description: {_one_line(note)}\r\n" for note in notes).encode()
    # The settings' canonical JSON goes in as it is: it is UTF-8 already, any lone surrogate
    # replaced, so encoding its text again (as these fields once were) gives the same bytes.
    block = b"".join((head, b"crawler-settings: ", settings, b"\r\n", notes_text))
    header = (
        f"WARC-Block-Digest: {_digest(hashlib.sha256(block).digest())}\r\n"
        f"Content-Length: {len(block)}\r\n\r\n"
    )
    return b"".join((header.encode(), block, _END))


def _response(fetch: FetchRecord, common: str, record_id: str, payload_digest: str) -> bytes:
    body = fetch.body
    assert body is not None
    protocol = fetch.protocol if fetch.protocol in HTTP_PROTOCOLS else "HTTP/1.1"
    http = _header_block(
        protocol, f"{fetch.status} {_reason(fetch.status)}", _header_lines(fetch.headers)
    )
    block = hashlib.sha256(http)
    block.update(body)
    decoded = ""
    if fetch.removed_content_encodings:
        # The body is as the crawler kept it: decoded. Content-Encoding above is as sent.
        # One line whatever a server sent: a line break would end the field, and what
        # followed it would read as fields of the record.
        encodings = _one_line(", ".join(fetch.removed_content_encodings))
        decoded = f"LureWatch-Body-Transfer-Decoded: {encodings}\r\n"
    fields = (
        f"{common}{decoded}WARC-Type: response\r\nWARC-Record-ID: {record_id}\r\n"
        f"WARC-Target-URI: {fetch.final_url}\r\nWARC-Payload-Digest: {payload_digest}\r\n"
        f"WARC-Block-Digest: {_digest(block.digest())}\r\n"
        "Content-Type: application/http; msgtype=response\r\n"
        f"Content-Length: {len(http) + len(body)}\r\n\r\n"
    )
    return _member(fields, http, body, _END)


def _request(fetch: FetchRecord, common: str, record_id: str, concurrent_to: str) -> bytes:
    parts = urlsplit(fetch.final_url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = _header_lines([("Host", parts.netloc), *(fetch.request_headers or [])])
    http = _header_block(fetch.method, f"{target} HTTP/1.1", lines)
    fields = (
        f"{common}WARC-Type: request\r\nWARC-Record-ID: {record_id}\r\n"
        f"WARC-Target-URI: {fetch.final_url}\r\n"
        f"WARC-Payload-Digest: {_EMPTY_DIGEST}\r\n"  # no request body is kept
        f"WARC-Concurrent-To: {concurrent_to}\r\n"
        f"WARC-Block-Digest: {_digest(hashlib.sha256(http).digest())}\r\n"
        "Content-Type: application/http; msgtype=request\r\n"
        f"Content-Length: {len(http)}\r\n\r\n"
    )
    return _member(fields, http, _END)


def _dom_resource(fetch: FetchRecord, common: str, record_id: str) -> bytes:
    dom = fetch.dom
    assert dom is not None
    digest = _digest(hashlib.sha256(dom).digest())
    fields = (
        f"{common}LureWatch-Note: {DOM_NOTE}\r\nWARC-Type: resource\r\n"
        f"WARC-Record-ID: {record_id}\r\nWARC-Target-URI: {fetch.page_url or fetch.final_url}\r\n"
        f"WARC-Payload-Digest: {digest}\r\n"  # no HTTP headers: the block is the payload
        f"WARC-Block-Digest: {digest}\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(dom)}\r\n\r\n"
    )
    return _member(fields, dom, _END)


def _record_ids(count: int) -> list[str]:
    """Random (version 4) UUIDs as WARC record IDs, as ``uuid.UUID(bytes=..., version=4)``
    writes them, without making the objects."""
    random = bytearray(os.urandom(16 * count))
    ids = []
    for n in range(0, 16 * count, 16):
        random[n + 6] = random[n + 6] & 0x0F | 0x40  # version 4
        random[n + 8] = random[n + 8] & 0x3F | 0x80  # the RFC 4122 variant
        h = random[n : n + 16].hex()
        ids.append(f"<urn:uuid:{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}>")
    return ids


_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_B32_PAIRS = [a + b for a in _B32 for b in _B32]
_B32_SHIFTS = range(250, -10, -10)


def _digest(sha256: bytes) -> str:
    """``sha256:`` and the base32 of a SHA-256 digest, as ``base64.b32encode`` writes it.

    In one go (its 256 bits and 4 zero bits are 26 pairs of base32 letters), not five bytes at
    a time: Python's own takes twice as long, and this runs three times a page.
    """
    bits = int.from_bytes(sha256, "big") << 4
    return "sha256:" + "".join([_B32_PAIRS[(bits >> s) & 1023] for s in _B32_SHIFTS]) + "===="


_EMPTY_DIGEST = _digest(hashlib.sha256(b"").digest())


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
