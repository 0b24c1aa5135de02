"""The hostile-page guards on hand-built responses: binary served as text/html, pages over the
size cap, unreadable and mislabelled text, redirect loops; one log line and one page_failed each.
Whole crawls of a hostile site are in test_crawlers_hostile.py."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError, NotConfigured
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.utils.test import get_crawler

from crawlers.downloadermiddlewares.guard import PageGuard, PageSkipped, RedirectLoopGuard
from crawlers.downloadermiddlewares.sniff import better_encoding, binary_kind
from crawlers.signals import page_failed
from tests.sites.hostile import ad_page, png_bytes, zip_bytes

URL = "http://h.example/ad/1.html"
HTML_UTF8 = {"Content-Type": "text/html; charset=utf-8"}
PAGE = ad_page("Cleaners wanted", "<p>Office cleaning in Zürich, paid monthly.</p>")


class Reports:
    def __init__(self, crawler: Crawler) -> None:
        self.sent: list[dict[str, str]] = []
        crawler.signals.connect(self.receive, signal=page_failed)

    def receive(self, url: str, kind: str, reason: str) -> None:
        self.sent.append({"url": url, "kind": kind, "reason": reason})


@pytest.fixture
def crawler() -> Iterator[Crawler]:
    settings = {"DOWNLOAD_MAXSIZE": 10_000, "REDIRECT_MAX_TIMES": 5, "MEMUSAGE_ENABLED": False}
    crawler = get_crawler(Spider, settings)
    yield crawler
    # What the engine does when the crawl ends: the guards take their log filter away.
    crawler.signals.send_catch_log(signals.engine_stopped)


def page_guard(crawler: Crawler) -> tuple[PageGuard, Reports]:
    return PageGuard.from_crawler(crawler), Reports(crawler)


def html(body: bytes, status: int = 200, headers: dict[str, Any] | None = None) -> HtmlResponse:
    return HtmlResponse(URL, status=status, body=body, headers=headers or HTML_UTF8)


def skipped(
    guard: PageGuard | RedirectLoopGuard, request: Request, response: Response
) -> PageSkipped:
    with pytest.raises(PageSkipped) as raised:
        guard.process_response(request, response)
    return raised.value


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (png_bytes(), "a PNG image"),
        (zip_bytes(), "a ZIP archive"),
        (b"GIF89a\x01\x00", "a GIF image"),
        (b"%PDF-1.7\n", "a PDF document"),
        (b"\x1f\x8b\x08\x00", "gzip data"),
        (b"<html>\x00\x01\x02 random", "binary data (NUL bytes)"),
    ],
)
def test_binary_served_as_html_is_skipped_with_one_line_and_one_report(
    crawler: Crawler, caplog: pytest.LogCaptureFixture, body: bytes, what: str
) -> None:
    guard, reports = page_guard(crawler)
    with caplog.at_level(logging.INFO):
        error = skipped(guard, Request(URL), html(body))
    assert error.failure_kind == "not-html" and error.url == URL
    assert reports.sent == [
        {"url": URL, "kind": "not-html", "reason": f"not HTML but {what}, served as text/html"}
    ]
    assert [r.getMessage() for r in caplog.records] == [
        f"skipped {URL}: {reports.sent[0]['reason']}"
    ]
    assert crawler.stats is not None
    assert crawler.stats.get_value("lurewatch/skipped/not-html") == 1


def test_html_and_utf16_pages_pass(crawler: Crawler) -> None:
    guard, reports = page_guard(crawler)
    plain = html(PAGE.encode("utf-8"))
    assert guard.process_response(Request(URL), plain) is plain
    utf16 = html(PAGE.encode("utf-16"), headers={"Content-Type": "text/html"})
    passed = guard.process_response(Request(URL), utf16)
    assert isinstance(passed, HtmlResponse) and "Zürich" in passed.text
    assert reports.sent == []


def test_error_pages_and_other_types_are_left_to_the_spider(crawler: Crawler) -> None:
    guard, reports = page_guard(crawler)
    gone = html(png_bytes(), status=404)  # a takedown the spider records, whatever its body
    assert guard.process_response(Request(URL), gone) is gone
    feed = TextResponse(URL, body=b"\x1f\x8b\x08\x00", headers={"Content-Type": "text/xml"})
    assert guard.process_response(Request(URL), feed) is feed
    image = Response(URL, body=png_bytes(), headers={"Content-Type": "image/png"})
    assert guard.process_response(Request(URL), image) is image
    assert reports.sent == []


def test_rendered_page_over_the_size_cap_is_skipped(crawler: Crawler) -> None:
    guard, reports = page_guard(crawler)
    big = HtmlResponse(URL, body=b"<p>" + b"x" * 20_000, encoding="utf-8", flags=["playwright"])
    error = skipped(guard, Request(URL), big)
    assert error.failure_kind == "too-large"
    assert reports.sent[0]["reason"] == "too large: 20003 bytes, over DOWNLOAD_MAXSIZE=10000"
    # A request's own download_maxsize wins, as in Scrapy; 0 means no cap.
    unlimited = Request(URL, meta={"download_maxsize": 0})
    assert guard.process_response(unlimited, big) is big


def test_download_cancelled_at_the_size_cap_is_one_skip(crawler: Crawler) -> None:
    guard, reports = page_guard(crawler)
    with pytest.raises(PageSkipped) as raised:
        guard.process_exception(Request(URL), DownloadCancelledError(""))
    assert raised.value.failure_kind == "too-large"
    assert reports.sent == [
        {"url": URL, "kind": "too-large", "reason": "too large: over DOWNLOAD_MAXSIZE=10000"}
    ]
    # Timeouts and other failures are the retry middleware's, then the reporter's.
    guard.process_exception(Request(URL), DownloadTimeoutError("slow"))
    assert len(reports.sent) == 1


def test_windows_1252_labelled_utf8_is_read_as_windows_1252(crawler: Crawler) -> None:
    guard, _ = page_guard(crawler)
    body = ad_page("Café Européen", "<p>“Waiters” wanted: €1.900</p>").encode("cp1252")
    read = guard.process_response(Request(URL), html(body))
    assert isinstance(read, HtmlResponse) and read.encoding == "cp1252"
    assert "“Waiters” wanted: €1.900" in read.text and "<title>Café Européen" in read.text
    assert read.body == body  # evidence keeps the bytes as sent


def test_utf8_labelled_latin1_is_read_as_utf8(crawler: Crawler) -> None:
    guard, _ = page_guard(crawler)
    latin1 = {"Content-Type": "text/html; charset=iso-8859-1"}
    read = guard.process_response(Request(URL), html(PAGE.encode("utf-8"), headers=latin1))
    assert isinstance(read, HtmlResponse) and "Zürich" in read.text


def test_a_few_broken_bytes_in_utf8_stay_replacement_characters(crawler: Crawler) -> None:
    guard, _ = page_guard(crawler)
    body = PAGE.encode("utf-8").replace(b"cleaning", b"clean\xff\xfe\xc3(ing")
    read = guard.process_response(Request(URL), html(body))
    assert isinstance(read, HtmlResponse) and read.encoding == "utf-8"
    assert "Zürich" in read.text and "clean\ufffd\ufffd\ufffd(ing" in read.text


def test_unreadable_text_is_skipped_as_bad_encoding(crawler: Crawler) -> None:
    guard, reports = page_guard(crawler)
    body = b"<html><body><p>" + bytes(range(1, 9)) * 200 + b"readable words</p></body></html>"
    error = skipped(guard, Request(URL), html(body))
    assert error.failure_kind == "bad-encoding"
    assert reports.sent[0]["reason"].startswith("unreadable text: ")


def test_sniffing_functions_on_their_own() -> None:
    assert binary_kind(b"\xff\xfe<\x00h\x00", "utf-16-le") is None
    assert binary_kind(b"<\x00h\x00", "utf-16") is None  # declared wide, no BOM
    assert binary_kind(b"<!DOCTYPE html>", "utf-8") is None
    assert better_encoding(b"plain ascii", "utf-8") is None
    assert better_encoding("Caf\u00e9".encode("cp1252"), "utf-8") == "cp1252"
    assert better_encoding("Caf\u00e9".encode(), "cp1252") == "utf-8"
    assert better_encoding("Caf\u00e9".encode("cp1252"), "cp1252") is None
    assert better_encoding("\u0420\u0430".encode("koi8-r"), "shift_jis") is None


def redirect(location: str, **headers: str) -> Response:
    return Response(URL, status=302, headers={"Location": location, **headers})


def test_self_redirect_is_a_loop(crawler: Crawler) -> None:
    guard = RedirectLoopGuard.from_crawler(crawler)
    reports = Reports(crawler)
    error = skipped(guard, Request(URL), redirect("/ad/1.html#top"))
    assert error.failure_kind == "redirect-loop"
    assert reports.sent[0]["reason"] == f"redirect loop: {URL} -> {URL}"


def test_a_to_b_to_a_is_reported_under_the_page_asked_for(crawler: Crawler) -> None:
    guard = RedirectLoopGuard.from_crawler(crawler)
    reports = Reports(crawler)
    a, b = "http://h.example/a", "http://h.example/b"
    at_b = Request(b, meta={"redirect_urls": [a], "redirect_times": 1})
    skipped(guard, at_b, Response(b, status=301, headers={"Location": a}))
    assert reports.sent[0]["url"] == a
    assert reports.sent[0]["reason"] == f"redirect loop: {a} -> {b} -> {a}"


def test_redirects_that_are_not_loops_pass(crawler: Crawler) -> None:
    guard = RedirectLoopGuard.from_crawler(crawler)
    onward = redirect("/ad/2.html")
    assert guard.process_response(Request(URL), onward) is onward
    # "Come back with this cookie": once is how sessions start, twice is a loop.
    cookie = redirect(URL, **{"Set-Cookie": "session=1"})
    assert guard.process_response(Request(URL), cookie) is cookie
    again = Request(URL, meta={"redirect_urls": [URL], "redirect_times": 1})
    skipped(guard, again, cookie)
    # Redirects the request asked not to follow are the caller's.
    assert guard.process_response(Request(URL, meta={"dont_redirect": True}), redirect(URL))
    handled = Request(URL, meta={"handle_httpstatus_list": [302]})
    assert guard.process_response(handled, redirect(URL))


def test_too_many_redirects_without_a_loop(crawler: Crawler) -> None:
    guard = RedirectLoopGuard.from_crawler(crawler)
    reports = Reports(crawler)
    chain = [f"http://h.example/{n}" for n in range(5)]
    fifth = Request(chain[-1], meta={"redirect_urls": chain[:-1], "redirect_times": 5})
    skipped(guard, fifth, Response(chain[-1], status=302, headers={"Location": "/next"}))
    assert reports.sent == [
        {
            "url": chain[0],
            "kind": "redirect-loop",
            "reason": "too many redirects: over REDIRECT_MAX_TIMES=5",
        }
    ]


def test_scrapy_lines_about_guarded_pages_are_left_out(
    crawler: Crawler, caplog: pytest.LogCaptureFixture
) -> None:
    _guard, _ = page_guard(crawler)  # held: signal receivers are weak references
    http11 = logging.getLogger("scrapy.core.downloader.handlers.http11")
    retry = logging.getLogger("scrapy.downloadermiddlewares.retry")
    with caplog.at_level(logging.INFO):
        http11.warning("Received 20000 bytes which is larger than download max size (10000)")
        http11.warning("Received 6000 bytes which is larger than download warn size (5000)")
        retry.error("Gave up retrying %(request)s: %(reason)s", {"request": 1, "reason": OSError()})
        retry.error(
            "Gave up retrying %(request)s: %(reason)s", {"request": 1, "reason": "HTTP 503"}
        )
    shown = [(r.levelname, r.getMessage()) for r in caplog.records if r.levelno >= logging.INFO]
    assert shown == [("ERROR", "Gave up retrying 1: HTTP 503")]
    # Once the crawl is over, Scrapy's lines are its own again.
    crawler.signals.send_catch_log(signals.engine_stopped)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        http11.warning("Received 20000 bytes which is larger than download max size (10000)")
    assert len(caplog.records) == 1


def test_guards_are_off_with_lurewatch_guard_false() -> None:
    crawler = get_crawler(Spider, {"LUREWATCH_GUARD": False})
    with pytest.raises(NotConfigured):
        PageGuard.from_crawler(crawler)
    with pytest.raises(NotConfigured):
        RedirectLoopGuard.from_crawler(crawler)
