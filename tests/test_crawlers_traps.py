"""Link traps (an endless calendar) are cut off; listings, pagination bars and ads are not."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from core.ad import Ad
from crawlers.spidermiddlewares.traps import LINEAGE, LinkTrapMiddleware, url_pattern

HOST = "http://h.example"


def middleware(limit: int = 3) -> tuple[LinkTrapMiddleware, Crawler]:
    crawler = get_crawler(Spider, {"LUREWATCH_MAX_URLS_PER_PATTERN": limit})
    return LinkTrapMiddleware.from_crawler(crawler), crawler


def page(path: str, came_from: Request | None = None) -> HtmlResponse:
    """The response to ``came_from`` (a request the middleware let through), or a start page."""
    request = came_from or Request(HOST + path)
    return HtmlResponse(request.url, body=b"<html></html>", request=request)


def output(mw: LinkTrapMiddleware, response: HtmlResponse, *found: Any) -> list[Any]:
    return list(mw.process_spider_output(response, found))


def requests(*paths: str) -> list[Request]:
    return [Request(HOST + p) for p in paths]


def ad(path: str) -> Ad:
    return Ad(id=path, url=HOST + path, site="h", title="An ad", text="Work abroad.")


def test_url_patterns_stand_for_runs_of_digits() -> None:
    assert (
        url_pattern("http://h.example/calendar?date=2026-11-22") == "h.example/calendar?date=#-#-#"
    )
    assert (
        url_pattern("http://h.example:8080/calendar/2026/11/22/")
        == "h.example:8080/calendar/#/#/#/"
    )
    assert url_pattern("http://h.example/c?view=week&date=1") == "h.example/c?date=#&view=week"
    assert url_pattern("http://h.example/about") == "h.example/about"


def follow_calendar(mw: LinkTrapMiddleware, days: int) -> list[Request]:
    """Walk a calendar from day 1, each day linking the next; returns the requests sent."""
    sent: list[Request] = []
    response = page("/calendar?day=1")
    for day in range(2, days + 2):
        (request, *_) = output(mw, response, *requests(f"/calendar?day={day}")) or [None]
        if request is None:
            break
        sent.append(request)
        response = page("", came_from=request)
    return sent


def test_a_calendar_is_cut_after_the_limit_with_one_line(caplog: pytest.LogCaptureFixture) -> None:
    mw, crawler = middleware(limit=3)
    sent = follow_calendar(mw, days=50)
    assert [r.url for r in sent] == [f"{HOST}/calendar?day={d}" for d in (2, 3, 4)]
    # More links from the pages already fetched are held, then dropped when the crawl idles.
    response = page("", came_from=sent[-1])
    assert output(mw, response, *requests("/calendar?day=90", "/calendar?day=91")) == []
    with caplog.at_level(logging.WARNING):
        mw.spider_idle()
        mw.spider_idle()  # nothing left to report
    assert [r.getMessage() for r in caplog.records] == [
        "skipped links like h.example/calendar?day=#: 3 pages of it linked to more of it and to"
        " no ad, a link trap? 3 more links not followed (LUREWATCH_MAX_URLS_PER_PATTERN=3)"
    ]
    assert crawler.stats is not None
    assert crawler.stats.get_value("lurewatch/trap_dropped") == 3
    assert crawler.stats.get_value("lurewatch/trap_patterns") == 1


def test_one_page_linking_many_pages_of_a_kind_is_not_a_trap() -> None:
    mw, _ = middleware(limit=3)
    home = page("/")
    regions = requests(*(f"/region/{n}" for n in range(100)))
    assert output(mw, home, *regions) == regions
    assert all(r.meta[LINEAGE] == ("h.example/",) for r in regions)


def test_held_links_go_out_once_their_pattern_leads_to_an_ad() -> None:
    mw, _ = middleware(limit=3)
    # Page 1 of a listing links to every other page (a pagination bar) and to its ads.
    first = page("/jobs?page=1")
    bar = requests(*(f"/jobs?page={n}" for n in range(2, 10)))
    ads = requests("/ad/1", "/ad/2")
    sent = output(mw, first, *bar, *ads)
    assert sent == [*bar[:3], *ads]  # the rest of the bar is held: no ad seen yet
    # The first ad fetched proves the listing productive: the held pages go out with it.
    found = ad("/ad/1")
    assert output(mw, page("", came_from=ads[0]), found) == [found, *bar[3:]]
    assert output(mw, page("", came_from=bar[0]), *requests("/jobs?page=20")) != []
    mw.spider_idle()
    assert mw.held == {}


def test_ads_linking_to_similar_ads_are_never_limited() -> None:
    mw, _ = middleware(limit=2)
    first = requests("/ad/1")[0]
    response = page("", came_from=output(mw, page("/"), first)[0])
    similar = requests(*(f"/ad/{n}" for n in range(2, 30)))
    assert output(mw, response, ad("/ad/1"), *similar)[1:] == similar


def test_start_requests_and_items_pass_untouched() -> None:
    mw, _ = middleware()
    assert not hasattr(mw, "process_start")  # start requests never reach the limit
    item = {"not": "an ad"}
    assert output(mw, page("/"), item) == [item]


def test_async_spider_output_is_limited_the_same_way() -> None:
    mw, _ = middleware(limit=1)
    response = page("/calendar?day=1")

    async def produce(found: Iterable[Any]) -> AsyncIterator[Any]:
        for x in found:
            yield x

    async def run() -> list[Any]:
        result = mw.process_spider_output_async(response, produce(requests("/calendar?day=2")))
        sent = [x async for x in result]
        nxt = page("", came_from=sent[0])
        result = mw.process_spider_output_async(nxt, produce(requests("/calendar?day=3")))
        return sent + [x async for x in result]

    assert [r.url for r in asyncio.run(run())] == [f"{HOST}/calendar?day=2"]


def test_no_limit_with_zero() -> None:
    crawler = get_crawler(Spider, {"LUREWATCH_MAX_URLS_PER_PATTERN": 0})
    with pytest.raises(NotConfigured):
        LinkTrapMiddleware.from_crawler(crawler)
