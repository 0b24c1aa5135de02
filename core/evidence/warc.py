"""One gzipped WARC 1.1 file per fetch: warcinfo, request (when observed) and response.

Digests are SHA-256 (base32, as WARC tools expect). Header blocks are written byte for byte as
received (latin-1 round trip), not re-encoded as warcio would for non-ASCII values. Each record is
its own gzip member, as the WARC standard recommends, at a moderate level: this runs per page.
"""

from __future__ import annotations

import zlib
from http import HTTPStatus
from io import BytesIO
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from core.evidence.record import FetchRecord, canonical_json, lurewatch_version

GZIP_LEVEL = 6
WARC_VERSION = "WARC/1.1"
HTTP_PROTOCOLS = ("HTTP/1.0", "HTTP/1.1")
DOM_NOTE = (
    "rendered DOM after scripts ran, serialised by the browser; the browser did not keep the"
    " HTTP response of the page"
)


class _ExactHeaders(StatusAndHeaders):
    def compute_headers_buffer(self, header_filter: Any = None) -> None:
        lines = [self.to_str(header_filter)]
        try:
            self.headers_buff = lines[0].encode("latin-1") + b"\r\n"
        except UnicodeEncodeError:
            # Only headers that did not come off the wire as bytes (a browser's) get here.
            self.headers_buff = lines[0].encode("utf-8") + b"\r\n"


class _GzipMember:
    """A file-like that writes one gzip member per record (warcio's own uses level 9)."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)

    def write(self, data: bytes) -> None:
        self.out.write(self.compressor.compress(data))

    def flush(self) -> None:
        self.out.write(self.compressor.flush())


class _Writer(WARCWriter):
    def __init__(self, out: BinaryIO) -> None:
        super().__init__(out, gzip=False, warc_version=WARC_VERSION)

    @staticmethod
    def _create_digester() -> Digester:
        return Digester("sha256")

    def write_record(self, record: ArcWarcRecord, params: Any = None) -> None:
        # warcio's writer calls flush() once at the end of each record: that ends the member.
        self._write_warc_record(_GzipMember(self.out), record)


def build_warc(fetch: FetchRecord) -> bytes:
    out = BytesIO()
    writer = _Writer(out)
    date = warc_date(fetch)
    info = _warcinfo(writer, fetch, date)
    info_id = info.rec_headers.get_header("WARC-Record-ID")
    writer.write_record(info)
    common = {"WARC-Date": date, "WARC-Warcinfo-ID": info_id}
    if fetch.ip_address:
        common["WARC-IP-Address"] = fetch.ip_address
    if fetch.body is not None:
        response = _response(writer, fetch, common)
        if fetch.request_headers is not None:
            request = _request(writer, fetch, common)
            request.rec_headers.add_header(
                "WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID")
            )
            writer.write_record(request)
        writer.write_record(response)
    elif fetch.dom is not None:
        writer.write_record(_dom_resource(writer, fetch, common))
    return out.getvalue()


def warc_date(fetch: FetchRecord) -> str:
    return fetch.fetched_at_utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _warcinfo(writer: _Writer, fetch: FetchRecord, date: str) -> ArcWarcRecord:
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
    return writer.create_warc_record(
        "",
        "warcinfo",
        payload=BytesIO(body),
        length=len(body),
        warc_headers_dict={"WARC-Date": date, "Content-Type": "application/warc-fields"},
    )


def _response(writer: _Writer, fetch: FetchRecord, common: dict[str, str]) -> ArcWarcRecord:
    assert fetch.body is not None
    protocol = fetch.protocol if fetch.protocol in HTTP_PROTOCOLS else "HTTP/1.1"
    http = _ExactHeaders(
        f"{fetch.status} {_reason(fetch.status)}", _header_lines(fetch.headers), protocol=protocol
    )
    extra = dict(common)
    if fetch.removed_content_encodings:
        # The body is as the crawler kept it: decoded. Content-Encoding above is as sent.
        extra["LureWatch-Body-Transfer-Decoded"] = ", ".join(fetch.removed_content_encodings)
    return writer.create_warc_record(
        fetch.final_url,
        "response",
        payload=BytesIO(fetch.body),
        length=len(fetch.body),
        http_headers=http,
        warc_headers_dict=extra,
    )


def _request(writer: _Writer, fetch: FetchRecord, common: dict[str, str]) -> ArcWarcRecord:
    parts = urlsplit(fetch.final_url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = [("Host", parts.netloc), *(fetch.request_headers or [])]
    http = _ExactHeaders(
        f"{fetch.method} {target} HTTP/1.1", _header_lines(headers), is_http_request=True
    )
    return writer.create_warc_record(
        fetch.final_url, "request", http_headers=http, warc_headers_dict=dict(common)
    )


def _dom_resource(writer: _Writer, fetch: FetchRecord, common: dict[str, str]) -> ArcWarcRecord:
    assert fetch.dom is not None
    extra = {**common, "LureWatch-Note": DOM_NOTE}
    return writer.create_warc_record(
        fetch.page_url or fetch.final_url,
        "resource",
        payload=BytesIO(fetch.dom),
        length=len(fetch.dom),
        warc_content_type="text/html; charset=utf-8",
        warc_headers_dict=extra,
    )


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
        clean = (
            "".join("_" if ch in ":\r\n" or ord(ch) < 33 or ord(ch) == 127 else ch for ch in name)
            or "_"
        )
        for part in value.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            lines.append((clean, part))
    return lines


def _one_line(text: str) -> str:
    return " ".join(text.split())
