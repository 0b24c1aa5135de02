"""Link traps: pages that link to ever more pages of their own kind and to no ads, such as an
events calendar whose every day links to the next day, the next month and the whole month.

URLs are grouped by pattern: host and path with every run of digits written ``#``, and the query
keys with their values treated the same (``/calendar?date=#-#-#``, ``/calendar/#/#/#/``). A trap
is a pattern that keeps coming back along a chain of links: a link counts against its pattern
only when the page it is on, or a page on the way there, has that pattern too. One page linking
to many pages of a pattern (an index of regions, a sitemap of ads) is not a trap.

A pattern is *productive* once one of its pages, or a page reached through one, held an ad:
ad pages, listings and their pagination are never limited. An unproductive pattern gets at most
``LUREWATCH_MAX_URLS_PER_PATTERN`` such requests per crawl (default 100, 0: no limit). Links
over that are held back, not dropped at once: a listing whose pagination bar links to 250 pages
has not shown an ad yet when those links are read. They go out as soon as their pattern proves
productive; the ones still held when the crawl runs out of work are dropped, with one log line
per pattern (not per URL), counted in ``lurewatch/trap_dropped``.

DEPTH_LIMIT alone bounds such a trap late: a calendar day linking the 30 days of its month, its
week and month views and the next day reaches over 500 pages within six links.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from core.ad import Ad
from core.urls import url_cache

log = logging.getLogger("lurewatch")

LINEAGE = "lurewatch_lineage"  # request meta: patterns of the pages that led to this one
MAX_LINEAGE = 8
HELD_PER_LIMIT = 10  # links held per pattern, in units of the limit; more are dropped at once
DROPPED = "lurewatch/trap_dropped"
PATTERNS = "lurewatch/trap_patterns"
_DIGITS = re.compile(r"\d+")


@url_cache(maxsize=8192)  # a page's own pattern is asked for each link it has
def url_pattern(url: str) -> str:
    """``http://h/calendar?date=2026-11-22`` -> ``h/calendar?date=#-#-#``."""
    parts = urlsplit(url)
    path = _DIGITS.sub("#", parts.path or "/")
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = sorted({f"{_DIGITS.sub('#', k)}={_DIGITS.sub('#', v)}" for k, v in pairs})
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    return host + path + ("?" + "&".join(query) if query else "")


class LinkTrapMiddleware:
    def __init__(self, crawler: Crawler, limit: int) -> None:
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.limit = limit
        self.productive: set[str] = set()
        self.requested: dict[str, int] = {}  # counted requests sent, by pattern
        self.held: dict[str, list[Request]] = {}
        self.dropped: dict[str, int] = {}  # held links over HELD_PER_LIMIT * limit
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        limit = crawler.settings.getint("LUREWATCH_MAX_URLS_PER_PATTERN", 100)
        if limit <= 0:
            raise NotConfigured("LUREWATCH_MAX_URLS_PER_PATTERN is 0: no limit")
        return cls(crawler, limit)

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        lineage = _lineage(response)
        for output in result:
            yield from self._process(output, lineage)

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        lineage = _lineage(response)
        async for output in result:
            for processed in self._process(output, lineage):
                yield processed

    def spider_idle(self) -> None:
        """Nothing left to fetch: links still held led nowhere useful, and are dropped."""
        for pattern in sorted(self.held.keys() | self.dropped.keys()):
            links = len(self.held.get(pattern, ())) + self.dropped.get(pattern, 0)
            self.stats.inc_value(DROPPED, links)
            self.stats.inc_value(PATTERNS)
            log.warning(
                "skipped links like %s: %d pages of it linked to more of it and to no ad, a link"
                " trap? %d more links not followed (LUREWATCH_MAX_URLS_PER_PATTERN=%d)",
                pattern,
                self.requested.get(pattern, 0),
                links,
                self.limit,
            )
        self.held.clear()
        self.dropped.clear()

    def _process(self, output: Any, lineage: tuple[str, ...]) -> list[Any]:
        """``lineage``: the patterns of the page ``output`` came from and of the pages before."""
        if isinstance(output, Request):
            request = self._admit(output, lineage)
            return [] if request is None else [request]
        if isinstance(output, Ad):
            return [output, *self._mark_productive(lineage)]
        return [output]

    def _admit(self, request: Request, lineage: tuple[str, ...]) -> Request | None:
        request.meta[LINEAGE] = lineage
        pattern = url_pattern(request.url)
        if pattern not in lineage or pattern in self.productive:
            return request
        count = self.requested.get(pattern, 0)
        if count < self.limit:
            self.requested[pattern] = count + 1
            return request
        held = self.held.setdefault(pattern, [])
        if len(held) < HELD_PER_LIMIT * self.limit:
            held.append(request)
        else:
            self.dropped[pattern] = self.dropped.get(pattern, 0) + 1
        return None

    def _mark_productive(self, lineage: tuple[str, ...]) -> list[Request]:
        """Marks ``lineage`` productive; returns the links held back for those patterns."""
        released: list[Request] = []
        for pattern in lineage:
            if pattern not in self.productive:
                self.productive.add(pattern)
                released += self.held.pop(pattern, [])
                self.dropped.pop(pattern, None)
        return released


def _lineage(response: Response) -> tuple[str, ...]:
    """The patterns of ``response``'s page and of the pages that led to it, nearest last."""
    before: tuple[str, ...] = response.meta.get(LINEAGE, ())
    own = url_pattern(response.url)
    if before and before[-1] == own:
        return before
    return (*[p for p in before if p != own], own)[-MAX_LINEAGE:]
