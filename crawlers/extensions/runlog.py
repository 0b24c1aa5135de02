"""Writes each crawl of a source to the run log (``crawlers.state.runs``).

On ``spider_opened`` a run starts: its id goes into the stats as ``lurewatch/run_id`` and onto
``spider.run_id`` (a spider that already has a ``run_id`` keeps it, and the run takes that id).
Failed pages (``crawlers.signals.page_failed``) are recorded as they come; a page that failed
before and now answers 2xx is marked resolved. The run's stats are written every
``LUREWATCH_RUNLOG_INTERVAL`` seconds (what a killed crawl leaves behind) and on
``spider_closed``, with the finish reason.

Switched off with ``LUREWATCH_RUNLOG = False``.
"""

from __future__ import annotations

import logging
from typing import Any, Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.statscollectors import StatsCollector
from scrapy.utils.asyncio import AsyncioLoopingCall, create_looping_call
from sqlalchemy.exc import SQLAlchemyError
from twisted.internet.task import LoopingCall

from core.settings import Settings
from crawlers.config import lurewatch_settings
from crawlers.signals import page_failed
from crawlers.state.failures import page_key
from crawlers.state.runs import RunLog
from crawlers.summary import RUN_ID, SourceSummary

log = logging.getLogger("lurewatch")


def source_name(spider: Spider) -> str:
    source = getattr(spider, "source", None)
    return str(getattr(source, "name", None) or spider.name)


class RunLogExtension:
    def __init__(self, crawler: Crawler, settings: Settings, interval: float) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats: StatsCollector = crawler.stats
        self.settings = settings
        self.interval = interval
        self.runs: RunLog | None = None
        self.run_id: str | None = None
        self.source = ""
        self._unresolved: set[str] = set()  # page keys of this source's unresolved failures
        self._loop: AsyncioLoopingCall | LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("LUREWATCH_RUNLOG", True):
            raise NotConfigured
        interval = crawler.settings.getfloat("LUREWATCH_RUNLOG_INTERVAL", 60.0)
        ext = cls(crawler, lurewatch_settings(crawler.settings), interval)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.page_failed, signal=page_failed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.source = source_name(spider)
        self.runs = RunLog(self.settings)
        own = getattr(spider, "run_id", None)
        self.run_id = self.runs.start_run(self.source, own if isinstance(own, str) else None)
        self.stats.set_value(RUN_ID, self.run_id)
        if hasattr(spider, "run_id"):
            spider.run_id = self.run_id
        self._unresolved = {page_key(p.url) for p in self.runs.failed(self.source)}
        if self.interval > 0:
            self._loop = create_looping_call(self._flush)
            self._loop.start(self.interval, now=False)

    def _summary(self) -> dict[str, Any]:
        return SourceSummary.from_stats(self.stats.get_stats()).run_stats()

    def _flush(self) -> None:
        if self.runs is None or self.run_id is None:
            return
        try:
            self.runs.update_run(self.run_id, self._summary())
        except SQLAlchemyError as exc:  # a busy database must not stop the crawl
            log.warning("run log: could not write the stats of run %s: %s", self.run_id, exc)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self._loop = None
        if self.runs is None or self.run_id is None:
            return
        self.runs.finish_run(self.run_id, self._summary(), reason)
        self.runs.close()
        self.runs = None

    def page_failed(self, url: str, kind: str, reason: str) -> None:
        if self.runs is None or self.run_id is None:
            return
        self.runs.record_failure(self.run_id, self.source, url, kind, reason)
        self._unresolved.add(page_key(url))

    def response_received(self, response: Response, request: Request) -> None:
        if self.runs is None or request.callback is NO_CALLBACK or not self._unresolved:
            return
        if not 200 <= response.status < 300:
            return
        # A redirect's target answered: the URL first asked for is fine too.
        for url in [*request.meta.get("redirect_urls", ()), request.url]:
            key = page_key(url)
            if key in self._unresolved:
                self._unresolved.discard(key)
                self.runs.resolve(self.source, url)
