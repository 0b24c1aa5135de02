"""Shows pages fetched and ads found while crawling: a rich bar on a terminal, log lines otherwise.

Switched off with ``LUREWATCH_PROGRESS = False``.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from typing import Any, Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK

from core.progress import Reporter, progress

log = logging.getLogger("lurewatch")


class _SharedDisplay:
    """One display for all crawlers of a process: rich allows a single live display at a time,
    and the runner crawls several sources at once."""

    def __init__(self) -> None:
        self._users = 0
        self._stack = ExitStack()
        self._reporter: Reporter | None = None
        self.pages = 0
        self.ads = 0

    def acquire(self) -> None:
        if self._users == 0:
            self.pages = self.ads = 0
            self._reporter = self._stack.enter_context(progress("pages fetched"))
        self._users += 1

    def release(self) -> None:
        self._users -= 1
        if self._users == 0:
            self._reporter = None
            self._stack.close()
            log.info("crawl done: %d pages fetched, %d ads found", self.pages, self.ads)

    def advance(self, pages: int = 0, ads: int = 0) -> None:
        self.pages += pages
        self.ads += ads
        if self._reporter is not None:
            self._reporter.advance(pages, note=f"({self.ads} ads found)")


_display = _SharedDisplay()


class CrawlProgress:
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("LUREWATCH_PROGRESS", True):
            raise NotConfigured
        ext = cls()
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        return ext

    def __init__(self) -> None:
        self._open = False

    def spider_opened(self) -> None:
        _display.acquire()
        self._open = True

    def spider_closed(self) -> None:
        if self._open:
            self._open = False
            _display.release()

    def response_received(self, response: Response, request: Request) -> None:
        if request.callback is not NO_CALLBACK:
            _display.advance(pages=1)

    def item_scraped(self, item: Any) -> None:
        _display.advance(ads=1)
