"""Counts failed pages by kind: ``lurewatch/errors/<kind>`` in Scrapy's stats.

Listens to ``crawlers.signals.page_failed``. A page reported twice (by the downloader and again
by the spider's errback) counts once, under the kind it was first reported with.
"""

from __future__ import annotations

from typing import Self

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from crawlers.signals import page_failed
from crawlers.state.failures import page_key
from crawlers.summary import ERRORS_PREFIX


class ErrorStats:
    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        self._counted: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        ext = cls(crawler.stats)
        crawler.signals.connect(ext.page_failed, signal=page_failed)
        return ext

    def page_failed(self, url: str, kind: str, reason: str) -> None:
        key = page_key(url)
        if key in self._counted:
            return
        self._counted.add(key)
        self.stats.inc_value(f"{ERRORS_PREFIX}{kind}")
