"""Scores each ad with LureWatch's classifier and records what made it a lure."""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Self, TypeVar

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from core.ad import Ad, AdRemoved
from core.settings import Settings
from crawlers.config import lurewatch_settings

if TYPE_CHECKING:
    from classifiers import LureClassifier

# What the crawlers yield: an ad, or the finding that a stored one is gone.
Item = TypeVar("Item", bound=Ad | AdRemoved)

# Crawlers of one process (one per source) share one classifier: loading it may train a model
# on first use, which must happen once, not once per source at the same time.
_lock = threading.Lock()
_loaded: dict[tuple[str, str], LureClassifier] = {}


def shared_classifier(settings: Settings) -> LureClassifier:
    # Imported here: the classifier pulls in spaCy and scikit-learn, which a crawl with
    # LUREWATCH_CLASSIFY=False (or `scrapy list`) should not pay for.
    from classifiers import load_classifier

    key = (str(settings.home_dir), str(settings.indicators_file))
    with _lock:
        if key not in _loaded:
            _loaded[key] = load_classifier(settings)
        return _loaded[key]


class ClassifyPipeline:
    def __init__(self, settings: Settings, stats: StatsCollector) -> None:
        self.settings = settings
        self.stats = stats
        self.classifier: LureClassifier | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("LUREWATCH_CLASSIFY", True):
            raise NotConfigured("LUREWATCH_CLASSIFY is False: ads are not scored")
        assert crawler.stats is not None
        return cls(lurewatch_settings(crawler.settings), crawler.stats)

    async def open_spider(self) -> None:
        # In a thread: a first load may train for seconds, and other crawls share the loop.
        self.classifier = await asyncio.to_thread(shared_classifier, self.settings)

    def process_item(self, item: Item) -> Item:
        if isinstance(item, AdRemoved):
            return item  # a removal has no text to score
        assert self.classifier is not None, "open_spider loads the classifier"
        item.apply(self.classifier.classify(item.text, title=item.title, lang=item.lang or None))
        self.stats.inc_value("lurewatch/ads_classified")
        if item.flagged:
            self.stats.inc_value("lurewatch/ads_flagged")
        return item
