"""Answers the spider's ``crawlers.signals.stored_pages`` from the case store: which pages a
stopped crawl had claimed already have their ad stored (a Scrapy extension, in EXTENSIONS).

The crawl process opens the store only for this, when a crawl resumes; with the ingest worker
on, the worker has it open too (SQLite and PostgreSQL both take readers beside a writer).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from core.settings import Settings
from core.urls import ad_id
from crawlers.config import lurewatch_settings
from crawlers.signals import StoredPage, stored_pages
from index.store import Store


class StoredPagesLookup:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: Store | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("LUREWATCH_STORE", True):
            raise NotConfigured("LUREWATCH_STORE is off: no case store to look in")
        ext = cls(lurewatch_settings(crawler.settings))
        crawler.signals.connect(ext.stored_pages, signal=stored_pages)
        crawler.signals.connect(ext.close, signal=signals.spider_closed)
        return ext

    def stored_pages(self, urls: list[str]) -> dict[str, StoredPage]:
        if self._store is None:
            self._store = Store(self.settings)
        ids = {ad_id(url): url for url in urls}
        found = {}
        for id_, stored in self._store.get_many(ids).items():
            found[ids[id_]] = StoredPage(
                last_stored=_seconds(stored.last_seen),
                status=stored.ad.http_status,
                removed_at=None if stored.removed_at is None else _seconds(stored.removed_at),
            )
        return found

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def _seconds(iso: str) -> float:
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is None:  # the store writes UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
