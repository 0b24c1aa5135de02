from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections import Counter
from typing import Any, ClassVar, TypeVar

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import BaseSettings
from scrapy.utils.conf import build_component_list
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.misc import load_object

from core.ad import Ad, AdRemoved
from core.settings import Settings
from crawlers.config import lurewatch_settings
from crawlers.evidence import FSYNC_SETTING
from index.ingest import Steps, apply_changes
from index.worker import WorkerClient, WorkerError, outcomes_of

# What the crawlers yield: an ad, or the finding that a stored one is gone.
Item = TypeVar("Item", bound=Ad | AdRemoved)
log = logging.getLogger("lurewatch.ingest")


def steps_from(crawler: Crawler) -> Steps:
    s = crawler.settings
    return Steps(
        classify=s.getbool("LUREWATCH_CLASSIFY", True),
        store=s.getbool("LUREWATCH_STORE", True),
        index=s.getbool("LUREWATCH_INDEX", True),
        index_batch=s.getint("LUREWATCH_INDEX_BATCH", Steps.index_batch),
        index_seconds=s.getfloat("LUREWATCH_INDEX_SECONDS", Steps.index_seconds),
        evidence_fsync=s.getbool(FSYNC_SETTING, True),
    )


# The pipelines the worker stands in for: they switch themselves off when it is on.
_REPLACED = frozenset(
    (
        "crawlers.pipelines.classify.ClassifyPipeline",
        "index.pipelines.store.StorePipeline",
        "index.pipelines.search.SearchIndexPipeline",
    )
)


def scored_items_wanted(settings: BaseSettings) -> bool:
    """Whether anything in the crawl process reads an item's scores after this pipeline: a
    feed export, a later item pipeline, or ``LUREWATCH_SCORED_ITEMS`` (for code of one's own
    on ``item_scraped``). Otherwise the worker sends back only the evidence captures: reading
    every ad's scores, indicators and entities back is work for the crawl process, the busier
    of the two, for nothing (the case store has them)."""
    if settings.getbool("LUREWATCH_SCORED_ITEMS", False) or settings.getdict("FEEDS"):
        return True
    names = [_name(p) for p in build_component_list(settings.getwithbase("ITEM_PIPELINES"))]
    own = _name(IngestWorkerPipeline)
    later = names[names.index(own) + 1 :] if own in names else []
    return any(name not in _REPLACED for name in later)


def _name(path: Any) -> str:
    target = load_object(path) if isinstance(path, str) else path
    return f"{target.__module__}.{target.__qualname__}"


class _Shared:
    """One worker per crawl process and home, shared by the crawlers (one per source) of
    that process; replies are routed back to the crawler that sent the batch."""

    lock = threading.Lock()
    clients: ClassVar[dict[tuple[str, Steps], tuple[WorkerClient, int]]] = {}
    # (worker, batch id) -> the pipeline that sent it: batch ids are per worker.
    routes: ClassVar[dict[tuple[int, int], IngestWorkerPipeline]] = {}


class IngestWorkerPipeline:
    """Sends ads to the ingest worker process in small batches and finishes each item when
    the worker has written its evidence, scored, stored and indexed it (so ``item_scraped``,
    which marks the page fetched, still means "stored"). Replaces the classify, store and
    search-index pipelines when ``LUREWATCH_INGEST_WORKER`` is on; they switch themselves off
    then, and the spider leaves the evidence to the worker (``crawlers.evidence``)."""

    def __init__(
        self, crawler: Crawler, settings: Settings, steps: Steps, batch: int, wait: float
    ) -> None:
        self.crawler, self.settings, self.steps = crawler, settings, steps
        self.batch, self.wait = batch, wait
        self.client: WorkerClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: list[tuple[Any, asyncio.Future[None]]] = []
        self._sent: dict[int, list[tuple[Any, asyncio.Future[None]]]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._failed: str | None = None
        self.scored_back = scored_items_wanted(crawler.settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IngestWorkerPipeline:
        if not crawler.settings.getbool("LUREWATCH_INGEST_WORKER", False):
            raise NotConfigured("LUREWATCH_INGEST_WORKER is off: ads are ingested in-process")
        steps = steps_from(crawler)
        if not steps.any():
            raise NotConfigured("classify, store and index are all off")
        pipeline = cls(
            crawler,
            lurewatch_settings(crawler.settings),
            steps,
            batch=max(1, crawler.settings.getint("LUREWATCH_CLASSIFY_BATCH", 32)),
            wait=max(0.0, crawler.settings.getfloat("LUREWATCH_CLASSIFY_WAIT", 0.02)),
        )
        return pipeline

    @property
    def _key(self) -> tuple[str, Steps]:
        return (str(self.settings.home_dir), self.steps)

    async def open_spider(self) -> None:
        self._loop = asyncio.get_running_loop()
        # In a thread: starting the worker waits for its model (a first run trains one).
        self.client = await asyncio.to_thread(self._acquire)

    def _acquire(self) -> WorkerClient:
        with _Shared.lock:
            entry = _Shared.clients.get(self._key)
            if entry is None:
                client = WorkerClient(self.settings, self.steps)
                client.start(functools.partial(_dispatch, id(client)))
                entry = (client, 0)
            _Shared.clients[self._key] = (entry[0], entry[1] + 1)
            return entry[0]

    async def close_spider(self) -> None:
        self._send_batch()
        pending = [done for batch in self._sent.values() for _, done in batch]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        client = self.client
        if client is None:
            return
        with _Shared.lock:
            entry = _Shared.clients[self._key]
            last = entry[1] == 1
            if last:
                del _Shared.clients[self._key]
            else:
                _Shared.clients[self._key] = (entry[0], entry[1] - 1)
        if last:
            await asyncio.to_thread(client.close)
            self._count("lurewatch/ads_indexed", client.indexed)
            if self.crawler.stats is not None:
                self.crawler.stats.set_value(
                    "lurewatch/ingest_worker_cpu_seconds", round(client.cpu_seconds, 3)
                )

    async def process_item(self, item: Item) -> Item:
        if self._failed is not None:
            raise WorkerError(self._failed)
        assert self._loop is not None, "open_spider starts the worker"
        done: asyncio.Future[None] = self._loop.create_future()
        self._waiting.append((item, done))
        if len(self._waiting) >= self.batch:
            self._send_batch()
        elif self._timer is None:
            self._timer = self._loop.call_later(self.wait, self._send_batch)
        await done
        return item

    def _send_batch(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._waiting = self._waiting, []
        if not batch or self.client is None:
            return
        try:
            batch_id = self.client.send([item for item, _ in batch], scored_back=self.scored_back)
        except WorkerError as exc:
            self._fail_all(str(exc), batch)
            return
        self._sent[batch_id] = batch
        _Shared.routes[(id(self.client), batch_id)] = self

    def _reply(self, message: dict[str, Any]) -> None:
        """On the event loop: a batch came back."""
        batch = self._sent.pop(message["id"], [])
        if message["op"] == "failed":
            self._fail_all(f"ingest failed: {message.get('message')}", batch, stop=False)
            return
        # Counted for the batch, then added to the stats once per key: each call on Scrapy's
        # stats collector goes through its attribute hooks.
        counts: Counter[str] = Counter()
        for (item, done), outcome in zip(batch, outcomes_of(message), strict=True):
            # The captures of the evidence the worker wrote, and the scores if asked for.
            apply_changes(item, outcome.changed)
            if isinstance(item, Ad) and outcome.scored:
                counts["lurewatch/ads_classified"] += 1
                if outcome.flagged:
                    counts["lurewatch/ads_flagged"] += 1
            if outcome.stored == "removed":
                counts["lurewatch/ads_removed"] += 1
            elif outcome.stored and outcome.stored != "not_removed":
                counts[f"lurewatch/ads_{outcome.stored}"] += 1
            if not done.done():
                done.set_result(None)
        for key, value in counts.items():
            self._count(key, value)

    def _died(self, reason: str) -> None:
        """On the event loop: the worker is gone. Items in flight fail (their pages are not
        marked fetched, so the next crawl fetches them again) and the crawl stops: pages it
        fetched now could not be stored."""
        self._fail_all(reason, [x for batch in self._sent.values() for x in batch])
        self._sent.clear()

    def _fail_all(
        self, reason: str, batch: list[tuple[Any, asyncio.Future[None]]], stop: bool = True
    ) -> None:
        for _, done in batch:
            if not done.done():
                done.set_exception(WorkerError(reason))
        if stop and self._failed is None:
            self._failed = reason
            log.error("%s: stopping the crawl", reason)
            if self.crawler.engine is not None:
                deferred_from_coro(
                    self.crawler.engine.close_spider_async(reason="ingest_worker_failed")
                )

    def _count(self, key: str, value: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, value)


def _dispatch(worker: int, message: dict[str, Any]) -> None:
    """From a worker's reader thread: hand a reply to the pipeline that sent the batch, on its
    loop; a worker's death to every pipeline with a batch there."""
    if message["op"] in ("done", "failed"):
        owner = _Shared.routes.pop((worker, message["id"]), None)
        if owner is not None and owner._loop is not None:
            owner._loop.call_soon_threadsafe(owner._reply, message)
    elif message["op"] == "died":
        keys = [key for key in list(_Shared.routes) if key[0] == worker]
        owners = {id(o): o for o in (_Shared.routes.pop(key) for key in keys)}
        for owner in owners.values():
            if owner._loop is not None:
                owner._loop.call_soon_threadsafe(owner._died, message["message"])
