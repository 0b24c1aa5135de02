"""Where a crawl keeps what it has seen and when to fetch it next (see ``base``)."""

from __future__ import annotations

import uuid

from core.settings import Settings
from crawlers.frontier.base import PageKind, PageState, SeenStore

__all__ = ["PageKind", "PageState", "SeenStore", "new_run_id", "open_seen_store"]


def new_run_id() -> str:
    return uuid.uuid4().hex


def open_seen_store(settings: Settings, source: str, run_id: str) -> SeenStore:
    """The SQLite seen-store under home, or the shared Redis one when ``settings.frontier``
    is set (then ``run_id`` is ignored: the processes of one crawl share a generation)."""
    if settings.frontier:
        from crawlers.frontier.redis import open_redis_seen_store

        return open_redis_seen_store(settings.frontier, source)
    from crawlers.frontier.sqlite import SqliteSeenStore

    return SqliteSeenStore(settings.crawl_dir / "seen.sqlite", run_id)
