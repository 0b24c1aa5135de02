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
            _loaded[key] = load_classifier(settings).warm_in_background()
        return _loaded[key]


class ClassifyPipeline:
    """Scores ads in small batches: ads that arrive together (several pages finish at once)
    are scored with one ``classify_many`` call, since the model's cost is mostly per call.
    An ad waits at most ``LUREWATCH_CLASSIFY_WAIT`` seconds for others to join its batch."""

    def __init__(
        self, settings: Settings, stats: StatsCollector, batch: int = 32, wait: float = 0.02
    ) -> None:
        self.settings = settings
        self.stats = stats
        self.batch, self.wait = batch, wait
        self.classifier: LureClassifier | None = None
        self._waiting: list[tuple[Ad, asyncio.Future[None]]] = []
        self._timer: asyncio.TimerHandle | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("LUREWATCH_CLASSIFY", True):
            raise NotConfigured("LUREWATCH_CLASSIFY is False: ads are not scored")
        if crawler.settings.getbool("LUREWATCH_INGEST_WORKER", False):
            # The ingest worker process does this. No message: Scrapy would log it as a
            # warning on every crawl, and nothing is wrong.
            raise NotConfigured
        assert crawler.stats is not None
        return cls(
            lurewatch_settings(crawler.settings),
            crawler.stats,
            batch=max(1, crawler.settings.getint("LUREWATCH_CLASSIFY_BATCH", 32)),
            wait=max(0.0, crawler.settings.getfloat("LUREWATCH_CLASSIFY_WAIT", 0.02)),
        )

    async def open_spider(self) -> None:
        # In a thread: a first load may train for seconds, and other crawls share the loop.
        self.classifier = await asyncio.to_thread(shared_classifier, self.settings)

    async def process_item(self, item: Item) -> Item:
        if isinstance(item, AdRemoved):
            return item  # a removal has no text to score
        assert self.classifier is not None, "open_spider loads the classifier"
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._waiting.append((item, done))
        if len(self._waiting) >= self.batch:
            self._score()
        elif self._timer is None:
            self._timer = loop.call_later(self.wait, self._score)
        await done
        self.stats.inc_value("lurewatch/ads_classified")
        if item.flagged:
            self.stats.inc_value("lurewatch/ads_flagged")
        return item

    def _score(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._waiting = self._waiting, []
        if not batch:
            return
        assert self.classifier is not None
        from classifiers import AdText  # loaded with the classifier, in open_spider

        try:
            results = self.classifier.classify_many([AdText.of(ad) for ad, _ in batch])
        except Exception as exc:  # every ad of the batch fails the same way, with the cause
            for _, done in batch:
                if not done.done():
                    done.set_exception(exc)
            return
        for (ad, done), result in zip(batch, results, strict=True):
            ad.apply(result)
            if not done.done():
                done.set_result(None)
