"""Politeness: per-source limits, robots.txt Crawl-delay (also under AutoThrottle), retries that
back off and honour Retry-After. Spacing is measured by the server, not by the crawler."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from itertools import pairwise

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import DownloadTimeoutError
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from core.settings import Settings
from core.sources import Politeness, Source
from crawlers.downloadermiddlewares import backoff
from crawlers.downloadermiddlewares.backoff import BackoffRetryMiddleware, retry_after_seconds
from crawlers.politeness import MIN_DELAY, politeness_settings
from crawlers.state.runs import RunLog
from tests.scripted_site import Page, links, scrapy_crawl, serve


def test_politeness_settings_of_a_source() -> None:
    plain = Source(name="a", start_urls=["http://a.example/"])
    assert politeness_settings(plain) == {}
    slow = plain.model_copy(update={"politeness": Politeness(delay=5, concurrency=1)})
    assert politeness_settings(slow) == {"DOWNLOAD_DELAY": 5.0, "CONCURRENT_REQUESTS_PER_DOMAIN": 1}
    # A delay of 0 would let Scrapy ignore the concurrency limit.
    fast = plain.model_copy(update={"politeness": Politeness(delay=0, concurrency=1)})
    assert politeness_settings(fast)["DOWNLOAD_DELAY"] == MIN_DELAY


def response(status: int, **headers: str) -> HtmlResponse:
    request = Request("http://a.example/page")
    return HtmlResponse(request.url, status=status, headers=headers, request=request)


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert retry_after_seconds(response(429, **{"Retry-After": "120"})) == 120
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert retry_after_seconds(response(503, **{"Retry-After": later}), now=now) == 30
    past = format_datetime(now - timedelta(hours=1), usegmt=True)
    assert retry_after_seconds(response(503, **{"Retry-After": past}), now=now) == 0
    assert retry_after_seconds(response(503, **{"Retry-After": "soon"})) is None
    assert retry_after_seconds(response(503)) is None


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The middleware's sleeps, recorded instead of slept."""
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(backoff, "sleep", fake_sleep)
    return slept


def retry_mw(**settings: object) -> BackoffRetryMiddleware:
    crawler = get_crawler(Spider, {"RETRY_TIMES": 3, **settings})
    crawler.spider = Spider.from_crawler(crawler, name="test")
    return BackoffRetryMiddleware.from_crawler(crawler)


def test_retries_wait_longer_each_time(waits: list[float]) -> None:
    mw = retry_mw(LUREWATCH_RETRY_BACKOFF=1.5, LUREWATCH_RETRY_BACKOFF_MAX=4)
    request = Request("http://a.example/page")
    for _ in range(3):
        retried = asyncio.run(mw.process_response(request, response(500)))
        assert isinstance(retried, Request)
        request = retried
    assert waits == [1.5, 3.0, 4.0]  # capped at the max
    final = asyncio.run(mw.process_response(request, response(500)))
    assert isinstance(final, HtmlResponse) and final.status == 500  # retries used up
    assert waits == [1.5, 3.0, 4.0]

    retried = asyncio.run(
        mw.process_exception(Request("http://a.example/x"), DownloadTimeoutError())
    )
    assert isinstance(retried, Request) and waits[-1] == 1.5
    assert (
        asyncio.run(mw.process_response(Request("http://a.example/ok"), response(200))).status
        == 200
    )


def test_retry_after_is_honoured_up_to_a_limit(waits: list[float]) -> None:
    mw = retry_mw(LUREWATCH_RETRY_BACKOFF=1, LUREWATCH_RETRY_AFTER_MAX=60)
    request = Request("http://a.example/page")
    retried = asyncio.run(mw.process_response(request, response(429, **{"Retry-After": "20"})))
    assert isinstance(retried, Request) and waits == [20]

    too_long = response(503, **{"Retry-After": "3600"})
    assert asyncio.run(mw.process_response(request, too_long)) is too_long  # left for later
    assert waits == [20]
    assert mw.crawler.stats is not None
    assert mw.crawler.stats.get_value("lurewatch/retry_after_too_long") == 1


def gaps(times: list[float]) -> list[float]:
    return [round(b - a, 2) for a, b in pairwise(times)]


@pytest.mark.slow
def test_crawl_delay_of_robots_txt_spaces_requests_even_under_autothrottle(
    settings: Settings,
) -> None:
    pages = [f"/ad{n}.html" for n in range(4)]
    routes = {
        "/robots.txt": Page(
            "User-agent: *\nCrawl-delay: 1\n", headers={"Content-Type": "text/plain"}
        ),
        "/": Page(links(*pages)),
        **{p: Page("<html><body><p>an ad</p></body></html>") for p in pages},
    }
    with serve(routes) as site:
        result = scrapy_crawl(
            settings.home_dir,
            f"{site.url}/",
            # AutoThrottle on, starting fast: it must not go below the site's Crawl-delay.
            {"AUTOTHROTTLE_ENABLED": True, "AUTOTHROTTLE_START_DELAY": 0, "DOWNLOAD_DELAY": 0},
        )
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(site.paths()) == sorted(["/robots.txt", "/", *pages])
    times = [t for t, _ in site.hits]
    assert all(gap >= 0.95 for gap in gaps(times)), gaps(times)
    assert "Crawl-delay 1 s" in result.stderr


@pytest.mark.slow
def test_retries_back_off_and_wait_for_retry_after(settings: Settings) -> None:
    def busy(count: int) -> Page:  # asks to come back in 2 s, then answers
        return Page("busy", status=503, headers={"Retry-After": "2"}) if count == 0 else Page()

    def flaky(count: int) -> Page:  # fails twice, then answers
        return Page("oops", status=500) if count < 2 else Page()

    routes = {
        "/": Page(links("/busy.html", "/flaky.html")),
        "/busy.html": busy,
        "/flaky.html": flaky,
    }
    with serve(routes) as site:
        result = scrapy_crawl(settings.home_dir, f"{site.url}/", {"LUREWATCH_RETRY_BACKOFF": 0.5})
    assert result.returncode == 0, result.stderr[-3000:]
    busy_gaps = gaps(site.times("/busy.html"))
    flaky_gaps = gaps(site.times("/flaky.html"))
    assert len(busy_gaps) == 1 and busy_gaps[0] >= 1.95, busy_gaps
    assert len(flaky_gaps) == 2 and flaky_gaps[0] >= 0.45 and flaky_gaps[1] >= 0.95, flaky_gaps

    runs = RunLog(settings)
    try:
        assert runs.failed() == []  # both answered in the end
    finally:
        runs.close()
