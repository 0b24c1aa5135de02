"""The shared request queue: scrapy-redis's scheduler, fitted to LureWatch's frontier.

What it changes in ``scrapy_redis.scheduler.Scheduler`` (0.9.1):

- Built from the crawler's own settings with a JSON serializer (never pickle) and a duplicate
  filter that keeps nothing: every request is ``dont_filter=True`` and the seen-store decides.
  (scrapy-redis would otherwise build Scrapy's ``RFPDupeFilter`` through its deprecated
  ``from_settings``, and keep a fingerprint per URL in Redis for ever.)
- Stats without the ``spider`` argument Scrapy 2.19 deprecates.
- One queue per source, tied to the source's crawl generation (``crawlers.frontier.redis``):
  the first process of a new generation empties what a dead generation left in it, because the
  seen-store holds those URLs as pending and the spider resumes them; processes of one
  generation keep the queue when one of them is killed.
- A process with an empty queue stays open while other processes of its generation still
  fetch pages (their links may refill the queue), at most ``LUREWATCH_FRONTIER_IDLE_TIMEOUT``
  seconds without progress; then the crawl ends when the queue is empty.
- A queue entry that fails to decode is logged and skipped.
"""

from __future__ import annotations

import importlib
import logging
import time
from typing import Any, Self

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.dupefilters import BaseDupeFilter
from scrapy.utils.misc import load_object
from scrapy_redis.scheduler import Scheduler

from crawlers.frontier import serializer
from crawlers.frontier.redis import (
    GENERATION_TTL,
    Generation,
    connect,
    join_generation,
    redacted,
    source_key,
)

logger = logging.getLogger(__name__)

SOURCE_SETTING = "LUREWATCH_FRONTIER_SOURCE"
IDLE_TIMEOUT_SETTING = "LUREWATCH_FRONTIER_IDLE_TIMEOUT"
POLL_SETTING = "LUREWATCH_FRONTIER_POLL"

# The queue's generation is checked and the queue emptied in one step, so two processes of a new
# generation that start together cannot both empty it (the second would drop the first's work).
_ADOPT = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], ARGV[1])
  return 1
end
return 0
"""


def queue_key(source: str) -> str:
    """The source's queue key as scrapy-redis wants it (it %-formats it with the spider name)."""
    return source_key(source, "requests").replace("%", "%%")


class NoDupeFilter(BaseDupeFilter):
    """Remembers nothing: the seen-store is the duplicate filter."""

    @classmethod
    def from_spider(cls, spider: Spider) -> Self:
        return cls()

    def clear(self) -> None:
        pass


class SharedScheduler(Scheduler):
    def __init__(
        self,
        *args: Any,
        source: str,
        redis_url: str,
        idle_timeout: float,
        poll: float,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.source = source
        self.redis_url = redis_url
        self.idle_timeout = idle_timeout
        self.poll = poll
        self.crawler: Crawler | None = None
        self.generation: Generation | None = None
        self._others: int = 0
        self._progress_at = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        source = settings.get(SOURCE_SETTING)
        redis_url = settings.get("REDIS_URL")
        if not source or not redis_url:
            raise ValueError(
                f"{cls.__name__} needs REDIS_URL and {SOURCE_SETTING}: take the settings from"
                " crawlers.frontier.scrapy_redis_settings.frontier_scrapy_settings()"
            )
        serializer_module = settings.get("SCHEDULER_SERIALIZER") or serializer
        if isinstance(serializer_module, str):
            serializer_module = importlib.import_module(serializer_module)
        if serializer_module is not serializer:
            # Anything else (pickle, scrapy-redis's default) would run code from the queue.
            raise ValueError(
                f"{cls.__name__} only reads and writes JSON: SCHEDULER_SERIALIZER must be"
                f" {serializer.__name__!r}"
            )
        scheduler = cls(
            server=connect(redis_url, decode=False),
            persist=True,
            queue_key=settings.get("SCHEDULER_QUEUE_KEY") or queue_key(source),
            queue_cls=settings.get("SCHEDULER_QUEUE_CLASS") or "scrapy_redis.queue.PriorityQueue",
            dupefilter=NoDupeFilter(),
            serializer=serializer_module,
            source=source,
            redis_url=redis_url,
            idle_timeout=settings.getfloat(IDLE_TIMEOUT_SETTING, 30.0),
            poll=settings.getfloat(POLL_SETTING, 1.0),
        )
        scheduler.stats = crawler.stats
        scheduler.crawler = crawler
        return scheduler

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.generation = join_generation(self.server, self.source, ttl=GENERATION_TTL)
        self.generation.keep_alive()
        key = self.queue_key % {"spider": spider.name}
        adopt = self.server.register_script(_ADOPT)
        fresh = adopt(keys=[key, f"{key}:generation"], args=[self.generation.id])
        self.queue = load_object(self.queue_cls)(
            server=self.server, spider=spider, key=key, serializer=self.serializer
        )
        logger.info(
            "%s crawl generation %s of %s on %s (%d requests queued)",
            "started" if fresh else "joined",
            self.generation.id,
            self.source,
            redacted(self.redis_url),
            len(self.queue),
        )
        # An idle process asks the queue again every ``poll`` seconds instead of Scrapy's 5:
        # work another process adds should not wait. (Engine internals: no public setting.)
        try:
            engine = self.crawler.engine if self.crawler is not None else None
        except RuntimeError:  # not crawling (a scheduler opened on its own)
            engine = None
        if engine is not None and hasattr(engine, "_SLOT_HEARTBEAT_INTERVAL"):
            engine._SLOT_HEARTBEAT_INTERVAL = self.poll

    def close(self, reason: str) -> None:
        if self.generation is not None:
            self.generation.leave()
        self.server.close()

    def enqueue_request(self, request: Request) -> bool:
        try:
            self.queue.push(request)
        except ValueError as exc:
            logger.error("cannot queue %s in the shared frontier: %s", request.url, exc)
            return False
        self._count("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        while True:
            try:
                request: Request | None = self.queue.pop()
            except ValueError as exc:  # a payload that does not decode, or names no method
                logger.error("skipped an entry of the shared queue of %s: %s", self.source, exc)
                self._count("lurewatch/frontier/bad_entries")
                continue
            if request is not None:
                self._count("scheduler/dequeued/redis")
            return request

    def has_pending_requests(self) -> bool:
        if len(self) > 0:
            self._progress_at = time.monotonic()
            return True
        return self._others_working()

    def _others_working(self) -> bool:
        """Whether other processes of this generation still fetch pages that may add to the
        queue (and have made progress within ``idle_timeout``)."""
        if self.generation is None or not self.generation.alive:
            return False
        inflight = self.generation.inflight()
        now = time.monotonic()
        if inflight != self._others:
            self._others, self._progress_at = inflight, now
        return inflight > 0 and now - self._progress_at < self.idle_timeout

    def _count(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)
