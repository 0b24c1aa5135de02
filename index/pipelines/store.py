from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from core.ad import Ad
from crawlers.config import lurewatch_settings
from index.store import Store


class StorePipeline:
    """Writes each ad to the case store; a re-crawled ad updates its row (same id)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.settings = lurewatch_settings(crawler.settings)
        self.store: Store | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        if not crawler.settings.getbool("LUREWATCH_STORE", True):
            raise NotConfigured("LUREWATCH_STORE is off")
        return cls(crawler)

    def open_spider(self) -> None:
        self.store = Store(self.settings)

    def close_spider(self) -> None:
        if self.store is not None:
            self.store.close()

    def process_item(self, item: Ad) -> Ad:
        assert self.store is not None, "open_spider was not called"
        outcome = self.store.upsert(item)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"lurewatch/ads_{outcome}")
        return item
