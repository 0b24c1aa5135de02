from __future__ import annotations

from typing import TypeVar

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from core.ad import Ad, AdRemoved
from crawlers.config import lurewatch_settings
from index.store import Store

# What the crawlers yield: an ad, or the finding that a stored one is gone.
Item = TypeVar("Item", bound=Ad | AdRemoved)


class StorePipeline:
    """Writes each ad to the case store (a re-crawled ad updates its row, same id, and keeps
    a new version when its content changed) and marks removed ads."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.settings = lurewatch_settings(crawler.settings)
        self.store: Store | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        if not crawler.settings.getbool("LUREWATCH_STORE", True):
            raise NotConfigured("LUREWATCH_STORE is off")
        if crawler.settings.getbool("LUREWATCH_INGEST_WORKER", False):
            # The ingest worker process does this. No message: Scrapy would log it as a
            # warning on every crawl, and nothing is wrong.
            raise NotConfigured
        return cls(crawler)

    def open_spider(self) -> None:
        self.store = Store(self.settings)

    def close_spider(self) -> None:
        if self.store is not None:
            self.store.close()

    def process_item(self, item: Item) -> Item:
        assert self.store is not None, "open_spider was not called"
        if isinstance(item, AdRemoved):
            if self.store.mark_removed(item):
                self._count("lurewatch/ads_removed")
            return item
        self._count(f"lurewatch/ads_{self.store.upsert(item)}")
        return item

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)
