"""Counts what a crawl did under ``lurewatch/`` in Scrapy's stats.

lurewatch/pages_fetched           responses for the spider (robots.txt not counted)
lurewatch/pages_rendered          of which rendered in Chromium
lurewatch/ads_found               ads that passed the pipelines
lurewatch/ads_found/<extraction>  by extractor: jsonld, microdata, selectors, heuristic
lurewatch/ads_dropped             ads a pipeline dropped (no text)
"""

from __future__ import annotations

from typing import Any, Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.statscollectors import StatsCollector


class AdStats:
    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        ext = cls(crawler.stats)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        return ext

    def response_received(self, response: Response, request: Request) -> None:
        # robots.txt and other requests made by middlewares carry NO_CALLBACK.
        if request.callback is NO_CALLBACK:
            return
        self.stats.inc_value("lurewatch/pages_fetched")
        if "playwright" in response.flags:
            self.stats.inc_value("lurewatch/pages_rendered")

    def item_scraped(self, item: Any) -> None:
        self.stats.inc_value("lurewatch/ads_found")
        extraction = getattr(item, "extraction", "") or "unknown"
        self.stats.inc_value(f"lurewatch/ads_found/{extraction}")

    def item_dropped(self, item: Any) -> None:
        self.stats.inc_value("lurewatch/ads_dropped")
