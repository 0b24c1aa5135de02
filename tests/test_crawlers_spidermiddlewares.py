"""DEPTH_LIMIT counts links followed, not the pages of a listing."""

from __future__ import annotations

from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from crawlers.spidermiddlewares.pagination import (
    NEXT_PAGE,
    PAGE_NUMBER,
    PaginationDepthMiddleware,
)
from crawlers.spiders.ads import AdsSpider


def middleware(**settings: object) -> PaginationDepthMiddleware:
    crawler = get_crawler(AdsSpider, {"DEPTH_LIMIT": 1, **settings})
    return build_from_crawler(PaginationDepthMiddleware, crawler)


def page(url: str, depth: int, number: int | None = None) -> HtmlResponse:
    meta: dict[str, object] = {"depth": depth}
    if number is not None:
        meta[PAGE_NUMBER] = number
    return HtmlResponse(url=url, body=b"<html></html>", request=Request(url, meta=meta))


def test_next_pages_keep_depth_and_other_links_go_deeper() -> None:
    mw = middleware()
    listing = page("http://h.example/list/1", depth=1)
    next_page = mw.get_processed_request(
        Request("http://h.example/list/2", meta={NEXT_PAGE: True}), listing
    )
    assert next_page is not None and next_page.meta["depth"] == 1
    assert next_page.meta[PAGE_NUMBER] == 2
    # An ad linked from the same page would be at depth 2 > DEPTH_LIMIT 1: dropped.
    assert mw.get_processed_request(Request("http://h.example/ad/1"), listing) is None


def test_pagination_stops_at_its_own_limit() -> None:
    mw = middleware(LUREWATCH_PAGINATION_LIMIT=3)
    third = page("http://h.example/list/3", depth=0, number=3)
    request = Request("http://h.example/list/4", meta={NEXT_PAGE: True})
    assert mw.get_processed_request(request, third) is None
    assert mw.stats.get_value("lurewatch/pagination_limit_reached") == 1
