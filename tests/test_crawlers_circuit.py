"""The per-site circuit breaker: its bookkeeping on a fake clock, the middleware on a fake crawl,
and a real crawl of a site that answers 500 to everything."""

from __future__ import annotations

import logging
import time
from types import SimpleNamespace
from typing import ClassVar

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import DownloadTimeoutError, IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from core.settings import Settings
from crawlers.downloadermiddlewares.circuit import (
    CircuitBreaker,
    CircuitBreakerMiddleware,
    CircuitOpenError,
)
from crawlers.state.runs import RunLog
from tests.scripted_site import Page, scrapy_crawl, serve


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_the_threshold_of_failures_in_a_row() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=3, cooldown=600, clock=clock)
    assert not breaker.failure("a") and not breaker.failure("a")
    assert not breaker.success("a")  # a success resets the count
    assert not breaker.failure("a") and not breaker.failure("a")
    assert breaker.allows("a")
    assert breaker.failure("a")  # third in a row
    assert breaker.is_open("a") and not breaker.allows("a")
    assert breaker.allows("b") and breaker.open_hosts() == {"a"}


def test_after_the_cooldown_one_result_decides() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=2, cooldown=600, clock=clock)
    breaker.failure("a")
    assert breaker.failure("a")
    # Answers to requests sent before it opened change nothing.
    assert not breaker.failure("a") and not breaker.success("a")
    clock.now += 599
    assert not breaker.allows("a")
    clock.now += 1
    assert breaker.allows("a") and not breaker.is_open("a")  # half-open: try again
    assert breaker.failure("a")  # one failure is enough to open it again
    assert not breaker.allows("a")
    clock.now += 600
    assert breaker.allows("a")
    assert breaker.success("a")  # closed
    assert not breaker.failure("a")  # counting from zero again
    assert breaker.allows("a")


def test_threshold_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        CircuitBreaker(threshold=0, cooldown=1)


class OneSite(Spider):
    name = "one"
    allowed_domains: ClassVar[list[str]] = ["a.example"]


def middleware(**settings: object) -> tuple[CircuitBreakerMiddleware, list[str]]:
    crawler = get_crawler(OneSite, {"LUREWATCH_CIRCUIT_ERRORS": 3, **settings})
    crawler.spider = OneSite()
    crawler.engine = SimpleNamespace(downloader=SimpleNamespace(slots={}))  # type: ignore[assignment]
    mw = CircuitBreakerMiddleware.from_crawler(crawler)
    closed: list[str] = []
    mw.close_spider = lambda: closed.append("circuit_open")  # type: ignore[method-assign]
    return mw, closed


def answer(mw: CircuitBreakerMiddleware, url: str, status: int, **meta: object) -> None:
    request = Request(url, meta=meta)
    mw.process_request(request)
    mw.process_response(request, HtmlResponse(url, status=status, request=request))


def test_middleware_drops_requests_to_an_open_site_and_closes_a_one_site_crawl(
    caplog: pytest.LogCaptureFixture,
) -> None:
    mw, closed = middleware()
    with caplog.at_level(logging.INFO, logger="lurewatch"):
        answer(mw, "http://a.example/1", 500)
        answer(mw, "http://a.example/2", 200)  # resets
        for n in range(3):
            answer(mw, f"http://a.example/{n}", 503)
    assert closed == ["circuit_open"]
    with pytest.raises(CircuitOpenError) as dropped:
        mw.process_request(Request("http://a.example/next"))
    assert isinstance(dropped.value, IgnoreRequest)
    assert mw.stats.get_value("lurewatch/circuit_open") == 1
    assert mw.stats.get_value("lurewatch/circuit_dropped") == 1
    lines = [r.getMessage() for r in caplog.records if "circuit" in r.getMessage()]
    assert len(lines) == 2  # opened; closing the spider
    assert "circuit open for a.example" in lines[0] and "10m" in lines[0]


def test_429_counts_only_when_no_retry_follows() -> None:
    mw, closed = middleware()
    for n in range(5):
        answer(mw, f"http://a.example/{n}", 429, retry_times=1)  # retries to come
    assert mw.breaker.allows("a.example")
    for n in range(3):
        answer(mw, f"http://a.example/{n}", 429, retry_times=2)  # RETRY_TIMES = 2: final
    assert not mw.breaker.allows("a.example") and closed


def test_timeouts_count_and_ignored_requests_do_not() -> None:
    mw, closed = middleware()
    request = Request("http://a.example/")
    for _ in range(5):
        mw.process_exception(request, IgnoreRequest("Forbidden by robots.txt"))
    assert mw.breaker.allows("a.example")
    for _ in range(3):
        mw.process_exception(request, DownloadTimeoutError("took too long"))
    assert not mw.breaker.allows("a.example") and closed


def test_a_crawl_of_several_sites_goes_on_while_one_is_open() -> None:
    mw, closed = middleware()
    mw.crawler.spider.allowed_domains = ["a.example", "b.example"]
    answer(mw, "http://b.example/", 200)
    for n in range(3):
        answer(mw, f"http://a.example/{n}", 500)
    assert not mw.breaker.allows("a.example") and mw.breaker.allows("b.example")
    assert closed == []


def test_off_when_the_threshold_is_zero() -> None:
    from scrapy.exceptions import NotConfigured

    with pytest.raises(NotConfigured):
        CircuitBreakerMiddleware.from_crawler(
            get_crawler(settings_dict={"LUREWATCH_CIRCUIT_ERRORS": 0})
        )


@pytest.mark.slow
def test_a_crawl_of_a_site_that_fails_everything_ends_quickly_with_circuit_open(
    settings: Settings,
) -> None:
    # Each answer takes a moment, as a real server's would.
    with serve(fallback=Page("<h1>oops</h1>", status=500, delay=0.05)) as site:
        urls = ",".join(f"{site.url}/page{n}.html" for n in range(20))
        began = time.monotonic()
        result = scrapy_crawl(
            settings.home_dir,
            urls,
            # A delay above 0 keeps Scrapy to two requests at a time (crawlers/politeness.py).
            {"LUREWATCH_CIRCUIT_ERRORS": 4, "LUREWATCH_RETRY_BACKOFF": 0.1, "DOWNLOAD_DELAY": 0.01},
        )
        seconds = time.monotonic() - began
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Spider closed (circuit_open)" in result.stderr
    assert sum(1 for line in result.stderr.splitlines() if "circuit open for" in line) == 1
    # Four failures and the requests in flight then -- not 20 pages x 3 attempts.
    pages = [path for path in site.paths() if path != "/robots.txt"]
    assert 4 <= len(pages) <= 8, pages
    assert seconds < 60

    runs = RunLog(settings)
    try:
        [run] = runs.recent_runs()
    finally:
        runs.close()
    assert run.state == "circuit_open"
    assert run.stats["circuit_trips"] == 1
