"""ResponseCapturer: the evidence of Scrapy responses, plain, decompressed, redirected, rendered."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from core.ad import Capture
from core.evidence import verify
from core.settings import Settings
from crawlers import evidence
from crawlers.config import SETTINGS_KEY
from crawlers.downloadermiddlewares.received import ReceivedMiddleware
from crawlers.evidence import ResponseCapturer
from crawlers.render import RawHttp, RenderedCapture

REPO = Path(__file__).resolve().parent.parent
PAGE = b"<html><head><title>Driver</title></head><body>Drivers wanted abroad</body></html>"
URL = "http://127.0.0.1:8000/ads/7"
PROJECT_MIDDLEWARES = {"crawlers.downloadermiddlewares.received.ReceivedMiddleware": 595}


def crawler_settings(settings: Settings, **extra: Any) -> dict[str, Any]:
    return {SETTINGS_KEY: settings, "DOWNLOADER_MIDDLEWARES": PROJECT_MIDDLEWARES, **extra}


def capturer(settings: Settings, **extra: Any) -> ResponseCapturer:
    return ResponseCapturer.from_crawler(get_crawler(Spider, crawler_settings(settings, **extra)))


def manifest_of(settings: Settings, captures: list[Capture]) -> dict[str, Any]:
    assert captures[0].kind == "manifest"
    return json.loads((settings.evidence_dir / captures[0].path).read_bytes())  # type: ignore[no-any-return]


def warc_of(settings: Settings, captures: list[Capture]) -> list[Any]:
    [warc] = [c for c in captures if c.kind == "warc"]
    with (settings.evidence_dir / warc.path).open("rb") as fh:
        return [
            (r.rec_type, r.rec_headers, r.http_headers, r.raw_stream.read())
            for r in ArchiveIterator(fh, check_digests="raise")
        ]


def through_downloader(settings: Settings, request: Request, response: Response) -> Response:
    """What a spider gets: the response after the received and decompression middlewares."""
    crawler = get_crawler(Spider, crawler_settings(settings))
    compression = HttpCompressionMiddleware.from_crawler(crawler)
    received = ReceivedMiddleware()
    received.process_request(request)
    compression.process_request(request)
    response = received.process_response(request, response)
    result = compression.process_response(request, response)
    assert isinstance(result, Response)
    return result


def test_plain_response_is_stored_as_a_warc_and_manifest(settings: Settings) -> None:
    request = Request(URL, headers={"User-Agent": "LureWatch-test"})
    response = HtmlResponse(
        URL,
        body=PAGE,
        headers={"Content-Type": "text/html", "Server": "fixture"},
        request=request,
        ip_address=None,
    )
    captures = capturer(settings).capture(response)
    assert [c.kind for c in captures] == ["manifest", "warc"]
    manifest = manifest_of(settings, captures)
    assert manifest["final_url"] == URL
    assert manifest["requested_url"] == URL
    assert manifest["redirect_chain"] == []
    assert manifest["body_sha256"] == hashlib.sha256(PAGE).hexdigest()
    assert manifest["body_transfer_decoded"] is False
    assert ["Server", "fixture"] in manifest["response_headers"]
    records = warc_of(settings, captures)
    assert [r[0] for r in records] == ["warcinfo", "request", "response"]
    assert records[1][2].get_header("User-Agent") == "LureWatch-test"
    assert records[2][3] == PAGE
    assert verify(settings.evidence_dir).ok


def test_decompressed_redirected_response_keeps_headers_as_sent(settings: Settings) -> None:
    request = Request(
        URL,
        meta={
            "redirect_urls": ["http://127.0.0.1:8000/a/7", "http://127.0.0.1:8000/b/7"],
            "redirect_reasons": [301, 302],
        },
    )
    sent = Response(
        URL,
        body=gzip.compress(PAGE),
        headers={"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"},
        request=request,
    )
    response = through_downloader(settings, request, sent)
    assert "Content-Encoding" not in response.headers  # what Scrapy hands the spider
    assert response.body == PAGE

    captures = capturer(settings).capture(response)
    manifest = manifest_of(settings, captures)
    assert manifest["requested_url"] == "http://127.0.0.1:8000/a/7"
    assert manifest["redirect_chain"] == [
        "http://127.0.0.1:8000/a/7",
        "http://127.0.0.1:8000/b/7",
        URL,
    ]
    assert manifest["redirect_reasons"] == [301, 302]
    assert manifest["body_transfer_decoded"] is True
    assert manifest["removed_content_encodings"] == ["gzip"]
    assert ["Content-Encoding", "gzip"] in manifest["response_headers"]
    assert manifest["body_sha256"] == hashlib.sha256(PAGE).hexdigest()
    response_record = warc_of(settings, captures)[-1]
    assert response_record[1].get_header("WARC-Target-URI") == URL
    assert response_record[1].get_header("LureWatch-Body-Transfer-Decoded") == "gzip"
    assert response_record[2].get_header("Content-Encoding") == "gzip"
    assert response_record[3] == PAGE
    # Accept-Encoding is what the decompression middleware asked the server for.
    assert warc_of(settings, captures)[1][2].get_header("Accept-Encoding")


def test_capture_async_writes_on_a_worker_thread(settings: Settings) -> None:
    capture = capturer(settings)
    response = HtmlResponse(URL, body=PAGE, request=Request(URL))
    captures = asyncio.run(capture.capture_async(response))
    assert [c.kind for c in captures] == ["manifest", "warc"]
    capture.close()
    report = verify(settings.evidence_dir)
    assert report.ok
    assert len(report.checks) == 2


def test_without_the_received_middleware_the_manifest_says_so(settings: Settings) -> None:
    crawler = get_crawler(Spider, {SETTINGS_KEY: settings})
    capture = ResponseCapturer.from_crawler(crawler)
    response = HtmlResponse(URL, body=PAGE, request=Request(URL))
    manifest = manifest_of(settings, capture.capture(response))
    assert manifest["notes"] == [evidence.NO_RECEIVED_NOTE]


def test_settings_digest_follows_the_settings_that_shape_a_fetch(settings: Settings) -> None:
    one = capturer(settings, USER_AGENT="LureWatch/0.1", PLAYWRIGHT_MAX_CONTEXTS=2)
    same = capturer(settings, USER_AGENT="LureWatch/0.1", PLAYWRIGHT_MAX_CONTEXTS=2)
    other_agent = capturer(settings, USER_AGENT="LureWatch/0.2", PLAYWRIGHT_MAX_CONTEXTS=2)
    other_unrelated = capturer(
        settings, USER_AGENT="LureWatch/0.1", PLAYWRIGHT_MAX_CONTEXTS=2, LOG_LEVEL="DEBUG"
    )
    assert one.settings_digest == same.settings_digest == other_unrelated.settings_digest
    assert one.settings_digest != other_agent.settings_digest
    manifest = manifest_of(
        settings, one.capture(HtmlResponse(URL, body=PAGE, request=Request(URL)))
    )
    keys = manifest["crawler_settings_keys"]
    for key in (
        "USER_AGENT",
        "ROBOTSTXT_OBEY",
        "DOWNLOAD_MAXSIZE",
        "DEPTH_LIMIT",
        "DOWNLOAD_DELAY",
        "CONCURRENT_REQUESTS_PER_DOMAIN",
        "PLAYWRIGHT_MAX_CONTEXTS",
    ):
        assert key in keys
    assert manifest["crawler_settings"]["USER_AGENT"] == "LureWatch/0.1"
    assert manifest["crawler_settings_digest"] == one.settings_digest


def test_rendered_response_without_http_keeps_the_dom(settings: Settings) -> None:
    dom = b"<html><body><div id=ad>Rendered lure</div></body></html>"
    response = HtmlResponse(URL, body=dom, flags=["playwright"], request=Request(URL))
    captures = capturer(settings).capture(response)
    assert [c.kind for c in captures] == ["manifest", "warc", "dom"]
    assert (settings.evidence_dir / captures[2].path).read_bytes() == dom
    manifest = manifest_of(settings, captures)
    assert manifest["rendered"] is True
    assert manifest["body_sha256"] is None
    assert evidence.NO_HTTP_NOTE in manifest["notes"]
    records = warc_of(settings, captures)
    assert [r[0] for r in records] == ["warcinfo", "resource"]
    assert records[1][3] == dom


def test_rendered_response_with_http_and_screenshot(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = b"<html><body><script>render()</script></body></html>"
    dom = b"<html><body><div>Rendered lure</div></body></html>"
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    http = RawHttp(
        url=URL,
        status=200,
        headers=[("content-type", "text/html"), ("content-encoding", "br")],
        body=raw,
    )
    monkeypatch.setattr(
        evidence, "rendered_capture", lambda r: RenderedCapture(dom=dom, screenshot=png, http=http)
    )
    response = HtmlResponse(
        URL + "#loaded", body=dom, flags=["playwright"], request=Request(URL + "#loaded")
    )
    captures = capturer(settings).capture(response)
    assert [c.kind for c in captures] == ["manifest", "warc", "dom", "screenshot"]
    manifest = manifest_of(settings, captures)
    assert manifest["final_url"] == URL
    assert manifest["page_url"] == URL + "#loaded"
    assert manifest["body_sha256"] == hashlib.sha256(raw).hexdigest()
    assert manifest["body_transfer_decoded"] is True  # the browser decoded the br body
    assert manifest["request_recorded"] is False
    assert {f["kind"] for f in manifest["files"]} == {"warc", "dom", "screenshot"}
    records = warc_of(settings, captures)
    assert [r[0] for r in records] == ["warcinfo", "response"]
    assert records[1][3] == raw
    assert (settings.evidence_dir / captures[3].path).read_bytes() == png
    assert verify(settings.evidence_dir / captures[0].path).ok


def test_oversized_dom_is_not_kept(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        evidence,
        "rendered_capture",
        lambda r: RenderedCapture(dom=b"", screenshot=None, http=None, dom_oversized=True),
    )
    response = HtmlResponse(URL, body=b"", flags=["playwright"], request=Request(URL))
    captures = capturer(settings).capture(response)
    assert [c.kind for c in captures] == ["manifest", "warc"]
    assert evidence.DOM_DROPPED_NOTE in manifest_of(settings, captures)["notes"]


# --- a real crawl: the project's middleware order, a real server, redirect and gzip ---------


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/old":
            self.send_response(301)
            self.send_header("Location", "/ad")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = gzip.compress(PAGE)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Fixture", "one")
        self.send_header("X-Fixture", "two")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def gzip_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


CRAWL = textwrap.dedent(
    """
    import json, sys
    from scrapy import Spider
    from scrapy.crawler import CrawlerProcess
    from core.settings import Settings
    from crawlers import settings as project
    from crawlers.config import SETTINGS_KEY
    from crawlers.evidence import ResponseCapturer

    class Capture(Spider):
        name = "capture"
        start_urls = [sys.argv[1]]

        @classmethod
        def from_crawler(cls, crawler, *args, **kwargs):
            spider = super().from_crawler(crawler, *args, **kwargs)
            spider.capturer = ResponseCapturer.from_crawler(crawler)
            return spider

        async def parse(self, response):
            plain = self.capturer.capture(response)
            threaded = await self.capturer.capture_async(response)
            print(json.dumps([[c.__dict__ for c in plain], [c.__dict__ for c in threaded]]))

    process = CrawlerProcess({
        SETTINGS_KEY: Settings(),
        "DOWNLOADER_MIDDLEWARES": project.DOWNLOADER_MIDDLEWARES,
        "ROBOTSTXT_OBEY": False,
        "USER_AGENT": project.USER_AGENT,
        "LOG_LEVEL": "ERROR",
        "TELNETCONSOLE_ENABLED": False,
    })
    process.crawl(Capture)
    process.start()
    """
)


@pytest.mark.slow
def test_a_real_crawl_records_the_encoding_and_redirect(
    settings: Settings, gzip_server: str
) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", CRAWL, f"{gzip_server}/old"],
        cwd=REPO,
        env={"LUREWATCH_HOME": str(settings.home_dir), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    plain, threaded = json.loads(proc.stdout.strip().splitlines()[-1])
    captures = [Capture(**c) for c in plain]
    assert [c["kind"] for c in threaded] == ["manifest", "warc"]
    assert (
        manifest_of(settings, [Capture(**c) for c in threaded])["body_sha256"]
        == hashlib.sha256(PAGE).hexdigest()
    )
    manifest = manifest_of(settings, captures)
    assert manifest["requested_url"] == f"{gzip_server}/old"
    assert manifest["final_url"] == f"{gzip_server}/ad"
    assert manifest["redirect_reasons"] == [301]
    assert manifest["body_transfer_decoded"] is True
    assert ["Content-Encoding", "gzip"] in manifest["response_headers"]
    assert ["X-Fixture", "one"] in manifest["response_headers"]
    assert ["X-Fixture", "two"] in manifest["response_headers"]
    assert manifest["ip_address"] == "127.0.0.1"
    assert manifest["notes"] == []
    records = warc_of(settings, captures)
    assert records[-1][3] == PAGE
    assert records[1][2].get_header("User-Agent").startswith("LureWatch/")
    assert verify(settings.evidence_dir).ok


def test_fetch_record_reads_every_header_value_as_scrapy_lists_it(settings: Settings) -> None:
    request = Request(URL, headers={"user-agent": "LureWatch-test", "X-Multi": ["a", "b"]})
    request.headers.appendlist("Accept", "text/html")
    request.headers.appendlist("accept", b"*/*")
    response = HtmlResponse(
        URL,
        body=PAGE,
        headers={
            "Set-Cookie": ["a=1", "b=2"],
            "x-\u00e9t\u00e9": "caf\u00e9".encode(),
            "Content-Encoding": ["identity", "x-custom, gzip"],
        },
        request=request,
    )
    record = ResponseCapturer(settings, get_crawler(Spider).settings).fetch_record(response)

    def pairs(message: Request | Response) -> list[tuple[str, str]]:
        return [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, values in message.headers.items()
            for value in values
        ]

    assert record.request_headers == pairs(request)
    assert ("Accept", "*/*") in record.request_headers
    assert record.headers == pairs(response)
    assert ("Set-Cookie", "b=2") in record.headers
    # Without the received record the headers are those left: nothing shows as removed.
    assert record.removed_content_encodings == []
    assert record.notes == [evidence.NO_RECEIVED_NOTE]
