"""The seen-store: every URL a source has led to, with when to fetch it next.

It replaces Scrapy's in-memory duplicate filter (requests carry ``dont_filter=True`` and the
spider asks ``claim`` first), so memory stays flat however many URLs a site has, a killed crawl
resumes from what is on disk, and a monitored page is fetched again once it is due.

Two implementations share this protocol: ``crawlers.frontier.sqlite.SqliteSeenStore`` (one file
under ``LUREWATCH_HOME/crawl/``, the default) and ``crawlers.frontier.redis.RedisSeenStore``
(``LUREWATCH_FRONTIER=redis://...``, shared by several crawl processes).

Times are POSIX seconds (floats). Keys are ``core.urls.canonical_url`` of the URL.
``crawlers.frontier.open_seen_store`` picks one: Redis through
``crawlers.frontier.redis.open_redis_seen_store(redis_url, source) -> SeenStore``.
Kinds: ``listing`` pages (always re-read by a new crawl: the spider claims them with force),
``detail`` pages (one ad each, re-fetched on the source's ``detail_revisit``), ``feed`` and
``sitemap`` files, and ``post`` (an ad found on a listing-like page, e.g. a channel preview,
never fetched on its own: ``fetched(..., next_fetch=math.inf)``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

PageKind = Literal["listing", "detail", "feed", "sitemap", "post"]


@dataclass
class PageState:
    url: str  # canonical
    source: str
    kind: PageKind
    first_seen: float
    last_fetched: float | None  # None: discovered, never fetched
    next_fetch: float  # due at or after this time
    last_listed: float | None  # a listing, feed or sitemap of the source last linked to it
    status: int | None  # HTTP status of the last fetch
    removed: bool  # the ad was found removed; not revisited on schedule any more
    pending: bool  # claimed for fetching and not fetched since (a resumed crawl fetches it)


class SeenStore(Protocol):
    def claim(
        self, url: str, source: str, kind: PageKind, now: float, *, force: bool = False
    ) -> bool:
        """Record ``url`` as known; True when this crawl should fetch it now.

        True for a URL never seen; a known listing, feed or sitemap (read by every crawl); one
        that is due (``next_fetch <= now``); one claimed by an earlier crawl that died before
        fetching it; or any URL when ``force`` (``--revisit``, start URLs) -- but never twice in
        one crawl run, and (Redis) never to two processes.
        """
        ...

    def fetched(
        self, url: str, now: float, status: int, next_fetch: float, kind: PageKind | None = None
    ) -> None:
        """The page was fetched and whatever it held is stored: due again at ``next_fetch``.
        ``kind`` corrects the guess made at claim time (a link thought to be an ad's page that
        turned out to be a listing is read by every crawl from then on)."""
        ...

    def failed(self, url: str, now: float, retry_at: float) -> None:
        """The fetch failed: release the claim; due again at ``retry_at``."""
        ...

    def listed(self, urls: Iterable[str], now: float) -> None:
        """A listing, feed or sitemap linked to these (already claimed or known) URLs now."""
        ...

    def removed(self, url: str, now: float) -> None:
        """The ad behind ``url`` is gone: never due on schedule again, until listed again."""
        ...

    def pending(self, source: str) -> Iterator[str]:
        """URLs claimed by a crawl that ended before fetching them (resume these first)."""
        ...

    def due(self, source: str, now: float) -> Iterator[str]:
        """Known, not removed URLs of ``source`` whose ``next_fetch`` has come."""
        ...

    def known(self, source: str, kind: PageKind | None = None) -> Iterator[str]:
        """Every URL of ``source`` (of ``kind``), removed ones included."""
        ...

    def unlisted(self, source: str, before: float) -> Iterator[str]:
        """Detail URLs of ``source``, not removed, last listed before ``before``."""
        ...

    def walk_complete(self, source: str, started: float) -> None:
        """A crawl that started at ``started`` read every listing of ``source`` (it was not
        cut short): ads missing from it count towards their removal grace."""
        ...

    def last_walk(self, source: str) -> float | None:
        """When the last complete listing walk of ``source`` started."""
        ...

    def counts(self, source: str, now: float) -> dict[str, int]:
        """``known``, ``fetched``, ``due``, ``pending`` and ``removed`` URLs (``status``)."""
        ...

    def flush(self) -> None:
        """Make every write so far durable."""
        ...

    def get(self, url: str) -> PageState | None: ...

    def count(self, source: str | None = None) -> int: ...

    def close(self) -> None: ...
