from __future__ import annotations

from typing import TypeVar

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from core.ad import Ad, AdRemoved
from crawlers.config import lurewatch_settings
from index.search import SearchIndex
from index.store import Store, StoredAd

# What the crawlers yield: an ad, or the finding that a stored one is gone.
Item = TypeVar("Item", bound=Ad | AdRemoved)


class SearchIndexPipeline:
    """Indexes stored ads in batches (one tantivy commit per batch).

    With the store on, each batch is read back from the store, so the index holds what the
    store holds: first and last seen, and ``removed_at`` for ads marked removed. Without the
    store, ads are indexed as they come and removals are ignored (nothing to index them from).
    """

    def __init__(self, crawler: Crawler, batch_size: int, use_store: bool) -> None:
        self.crawler = crawler
        self.batch_size = batch_size
        self.use_store = use_store
        self.settings = lurewatch_settings(crawler.settings)
        self.index: SearchIndex | None = None
        self.store: Store | None = None
        # Ids to index, in order, with the ad when it came as one: an ad seen twice in one
        # batch (or found removed) is indexed once.
        self.pending: dict[str, Ad | None] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SearchIndexPipeline:
        if not crawler.settings.getbool("LUREWATCH_INDEX", True):
            raise NotConfigured("LUREWATCH_INDEX is off")
        if crawler.settings.getbool("LUREWATCH_INGEST_WORKER", False):
            # The ingest worker process does this. No message: Scrapy would log it as a
            # warning on every crawl, and nothing is wrong.
            raise NotConfigured
        return cls(
            crawler,
            crawler.settings.getint("LUREWATCH_INDEX_BATCH", 200),
            crawler.settings.getbool("LUREWATCH_STORE", True),
        )

    def open_spider(self) -> None:
        self.index = SearchIndex(self.settings)
        if self.use_store:
            self.store = Store(self.settings)

    def process_item(self, item: Item) -> Item:
        if isinstance(item, Ad):
            self.pending[item.id] = item
        elif self.store is not None:
            self.pending.setdefault(item.id, None)
        if len(self.pending) >= self.batch_size:
            self._flush()
        return item

    def close_spider(self) -> None:
        self._flush()
        if self.store is not None:
            self.store.close()

    def _flush(self) -> None:
        if not self.pending or self.index is None:
            return
        docs: list[Ad | StoredAd] = []
        if self.store is not None:
            stored = self.store.get_many(self.pending)
            docs.extend(stored[ad_id] for ad_id in self.pending if ad_id in stored)
        else:
            docs.extend(ad for ad in self.pending.values() if ad is not None)
        written = self.index.add(docs)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("lurewatch/ads_indexed", written)
        self.pending = {}
