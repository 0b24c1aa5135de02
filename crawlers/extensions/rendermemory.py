"""Bounded browser memory on long rendered crawls: Chromium contexts recycled after N pages.

scrapy-playwright keeps a browser context until the crawl ends, and a context grows with every
page it renders (memory cache, service workers, leaked script heaps). The ``Renderer`` names the
context of each rendered request when it reaches the downloader (``render-0``, ``render-1``,
...), moves on to a new name after ``LUREWATCH_RENDER_RECYCLE_PAGES`` pages, and closes the old
context once its last page has left the downloader, whatever became of it (response, error,
timeout). Names are given at the downloader, not when the spider builds the request, so a
request dropped on the way (robots.txt, offsite, duplicates) never holds a context open.

At most ``PLAYWRIGHT_MAX_CONTEXTS`` names are in use at once (the new one and those still
draining), so scrapy-playwright never waits for a free context slot: it would wait holding its
context lock, and the draining context's pages could then never be created. Open pages are
capped at ``PLAYWRIGHT_MAX_CONTEXTS`` x ``PLAYWRIGHT_MAX_PAGES_PER_CONTEXT``.

Stats: ``lurewatch/render_seconds`` (time Chromium spent loading and capturing pages, from
scrapy-playwright's ``download_latency``) and ``lurewatch/render_contexts_recycled``;
``lurewatch/pages_rendered`` is counted by ``crawlers.extensions.adstats``.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Self
from weakref import WeakKeyDictionary

from playwright.async_api import BrowserContext
from playwright.async_api import Error as PlaywrightError
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

from crawlers.config import lurewatch_settings
from crawlers.render import (
    CONTEXT_ASSIGNED_KEY,
    CONTEXT_OBJECT_KEY,
    RENDER_MODE_KEY,
    render_meta,
)

logger = logging.getLogger(__name__)

RECYCLE_PAGES_SETTING = "LUREWATCH_RENDER_RECYCLE_PAGES"
DEFAULT_RECYCLE_PAGES = 200
CONTEXT_PREFIX = "render-"


@dataclass
class _Context:
    name: str
    assigned: int = 0  # requests given this context
    in_flight: int = 0  # of which not yet out of the downloader
    retired: bool = False  # no more requests: close once in_flight is 0
    objects: list[BrowserContext] = field(default_factory=list)


_renderers: WeakKeyDictionary[Crawler, Renderer] = WeakKeyDictionary()


@dataclass(frozen=True)
class _Limits:
    recycle_pages: int  # 0: never recycle
    max_contexts: int | None
    max_bytes: int


class Renderer:
    """One per crawler: ``Renderer.from_crawler(crawler)`` returns the same object each time.

    The spider builds rendered requests with ``Request(url, meta=renderer.meta(evidence))``.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._contexts: dict[str, _Context] = {}
        self._current: _Context | None = None
        self._next_number = 0
        self._closing: set[asyncio.Task[None]] = set()
        self._render_seconds = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        existing = _renderers.get(crawler)
        if existing is not None:
            return existing  # type: ignore[return-value]
        renderer = cls(crawler)
        connect = crawler.signals.connect
        connect(renderer.request_reached_downloader, signals.request_reached_downloader)
        connect(renderer.request_left_downloader, signals.request_left_downloader)
        connect(renderer.response_downloaded, signals.response_downloaded)
        connect(renderer.spider_closed, signals.spider_closed)
        _renderers[crawler] = renderer
        return renderer

    # Read when first used, not in from_crawler: a spider's from_crawler runs before Scrapy
    # applies add-ons to the settings and creates the stats.
    @property
    def stats(self) -> StatsCollector:
        return self.crawler.stats

    @cached_property
    def limits(self) -> _Limits:
        settings = self.crawler.settings
        recycle_pages = max(settings.getint(RECYCLE_PAGES_SETTING, DEFAULT_RECYCLE_PAGES), 0)
        max_contexts = settings.getint("PLAYWRIGHT_MAX_CONTEXTS") or None
        if recycle_pages and max_contexts == 1:
            logger.warning(
                "%s needs PLAYWRIGHT_MAX_CONTEXTS of 2 or more (one context in use, one"
                " closing): contexts are not recycled",
                RECYCLE_PAGES_SETTING,
            )
            recycle_pages = 0
        return _Limits(
            recycle_pages=recycle_pages,
            max_contexts=max_contexts,
            max_bytes=lurewatch_settings(settings).max_page_bytes,
        )

    def meta(self, evidence: bool = False) -> dict[str, Any]:
        """Meta of a request to render: plain (text only, fast) or evidence (images loaded, a
        full-page screenshot taken) for pages expected to hold an ad."""
        return render_meta(evidence, max_bytes=self.limits.max_bytes)

    def request_reached_downloader(self, request: Request) -> None:
        if not request.meta.get("playwright") or RENDER_MODE_KEY not in request.meta:
            return
        context = self._context_for_next_page()
        context.assigned += 1
        context.in_flight += 1
        request.meta["playwright_context"] = context.name
        request.meta[CONTEXT_ASSIGNED_KEY] = context.name

    def request_left_downloader(self, request: Request) -> None:
        # Popped: a retry copies the meta, and must get a context of its own.
        name = request.meta.pop(CONTEXT_ASSIGNED_KEY, None)
        browser_context = request.meta.pop(CONTEXT_OBJECT_KEY, None)
        context = self._contexts.get(name) if isinstance(name, str) else None
        if context is None:
            return
        if isinstance(browser_context, BrowserContext) and browser_context not in context.objects:
            context.objects.append(browser_context)
        context.in_flight -= 1
        if context.retired and context.in_flight == 0:
            self._close(context)

    def response_downloaded(self, response: Response, request: Request) -> None:
        latency = request.meta.get("download_latency")
        if "playwright" in response.flags and isinstance(latency, int | float):
            # Summed here: StatsCollector.inc_value is for integers.
            self._render_seconds += float(latency)
            self.stats.set_value("lurewatch/render_seconds", round(self._render_seconds, 3))

    async def spider_closed(self) -> None:
        # Before scrapy-playwright closes the browser (at engine_stopped) and the stats are dumped.
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def _context_for_next_page(self) -> _Context:
        limits, current = self.limits, self._current
        if current is None:
            current = self._current = self._new_context()
        elif (
            limits.recycle_pages
            and current.assigned >= limits.recycle_pages
            and (limits.max_contexts is None or len(self._contexts) < limits.max_contexts)
        ):
            # Otherwise the current context takes a few pages more, until an old one has closed.
            current.retired = True
            if current.in_flight == 0:
                self._close(current)
            current = self._current = self._new_context()
        return current

    def _new_context(self) -> _Context:
        context = _Context(name=f"{CONTEXT_PREFIX}{self._next_number}")
        self._next_number += 1
        self._contexts[context.name] = context
        return context

    def _close(self, context: _Context) -> None:
        task = asyncio.ensure_future(self._close_context(context))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _close_context(self, context: _Context) -> None:
        try:
            objects = list(context.objects)
            objects += [c for c in self._handler_context(context.name) if c not in objects]
            for browser_context in objects:
                with suppress(PlaywrightError):  # already closed (browser restarted, shutdown)
                    await browser_context.close()
            if objects:
                self.stats.inc_value("lurewatch/render_contexts_recycled")
                logger.debug(
                    "browser context %s closed after %d pages", context.name, context.assigned
                )
        finally:
            self._contexts.pop(context.name, None)

    def _handler_context(self, name: str) -> list[BrowserContext]:
        """The context scrapy-playwright has open under ``name``, found through its handler: in
        case no page reported it, or the browser restarted and the name was opened again."""
        found: list[BrowserContext] = []
        with suppress(AttributeError, TypeError):
            handlers = self.crawler.engine.downloader.handlers._handlers
            for handler in handlers.values():
                wrapper = getattr(handler, "context_wrappers", {}).get(name)
                if wrapper is not None and wrapper.context not in found:
                    found.append(wrapper.context)
        return found
