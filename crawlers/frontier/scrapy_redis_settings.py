"""Scrapy settings that put one source's crawler on the shared frontier (scrapy-redis)."""

from __future__ import annotations

from typing import Any

from core.settings import Settings
from crawlers.frontier.scheduler import SOURCE_SETTING, queue_key


def frontier_scrapy_settings(settings: Settings, source_name: str) -> dict[str, Any]:
    """Settings of the crawler of ``source_name``: {} without ``settings.frontier``; with it,
    scrapy-redis's scheduler (``SharedScheduler``) on a per-source priority queue, read and
    written as JSON. Apply them per crawler: every crawler's spider is named "ads", so the
    queue key cannot come from scrapy-redis's ``%(spider)s``."""
    if not settings.frontier:
        return {}
    return {
        "SCHEDULER": "crawlers.frontier.scheduler.SharedScheduler",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_KEY": queue_key(source_name),
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_SERIALIZER": "crawlers.frontier.serializer",
        # Nothing to filter: requests are dont_filter=True and the seen-store decides.
        "SCHEDULER_DUPEFILTER_CLASS": "crawlers.frontier.scheduler.NoDupeFilter",
        "DUPEFILTER_CLASS": "crawlers.frontier.scheduler.NoDupeFilter",
        "REDIS_URL": settings.frontier,
        SOURCE_SETTING: source_name,
    }
