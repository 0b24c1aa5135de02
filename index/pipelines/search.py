from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from core.ad import Ad
from crawlers.config import lurewatch_settings
from index.search import SearchIndex


class SearchIndexPipeline:
    """Adds stored ads to the search index in batches (one tantivy commit per batch)."""

    def __init__(self, crawler: Crawler, batch_size: int) -> None:
        self.crawler = crawler
        self.batch_size = batch_size
        self.settings = lurewatch_settings(crawler.settings)
        self.index: SearchIndex | None = None
        self.pending: list[Ad] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SearchIndexPipeline:
        if not crawler.settings.getbool("LUREWATCH_INDEX", True):
            raise NotConfigured("LUREWATCH_INDEX is off")
        return cls(crawler, crawler.settings.getint("LUREWATCH_INDEX_BATCH", 200))

    def open_spider(self) -> None:
        self.index = SearchIndex(self.settings)

    def process_item(self, item: Ad) -> Ad:
        self.pending.append(item)
        if len(self.pending) >= self.batch_size:
            self._flush()
        return item

    def close_spider(self) -> None:
        self._flush()

    def _flush(self) -> None:
        if not self.pending or self.index is None:
            return
        written = self.index.add(self.pending)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("lurewatch/ads_indexed", written)
        self.pending = []
