"""Running crawls from Python (``lurewatch crawl``): one crawler per source, all at once.

Scrapy runs on a Twisted reactor that cannot be restarted once stopped, so ``run_crawl`` can be
called only once per process. Call it from a fresh process (a CLI command, a worker, a
subprocess in tests) for each crawl.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy.crawler import AsyncCrawlerProcess, Crawler
from scrapy.settings import Settings as ScrapySettings

from core.longlived import freeze_long_lived
from core.settings import Settings
from core.sources import Source
from crawlers.config import SETTINGS_KEY, scrapy_settings_from
from crawlers.frontier.scrapy_redis_settings import frontier_scrapy_settings
from crawlers.generic import generic_source
from crawlers.politeness import politeness_settings
from crawlers.render import require_chromium
from crawlers.spiders.ads import AdsSpider
from crawlers.summary import CrawlSummary, SourceSummary

__all__ = ["CrawlSummary", "SourceSummary", "generic_source", "run_crawl", "scrapy_settings"]

_ran = False


def scrapy_settings(settings: Settings, overrides: dict[str, Any] | None = None) -> ScrapySettings:
    """The project's Scrapy settings with ``settings`` put in (``LUREWATCH_SETTINGS``) and the
    values derived from it, then ``overrides`` on top."""
    result = ScrapySettings()
    result.setmodule("crawlers.settings", priority="project")
    result.setdict(scrapy_settings_from(settings), priority="project")
    result.set(SETTINGS_KEY, settings, priority="project")
    if overrides:
        result.setdict(overrides, priority="cmdline")
    return result


def source_settings(settings: Settings, source: Source) -> dict[str, Any]:
    """Scrapy settings of one source's crawler on top of the process's: its politeness limits
    and, with a shared frontier, its own request queue."""
    return {**politeness_settings(source), **frontier_scrapy_settings(settings, source.name)}


def run_crawl(
    settings: Settings,
    sources: list[Source],
    *,
    max_pages: int | None = None,
    revisit: bool = False,
    retry_urls: dict[str, list[str]] | None = None,
    scrapy_overrides: dict[str, Any] | None = None,
) -> CrawlSummary:
    """Crawl ``sources`` concurrently and block until all are done.

    ``max_pages`` caps the pages requested per source (over the source's own ``max_pages``);
    ``revisit`` re-fetches every known page of the sources now, whatever its schedule;
    ``retry_urls`` (source name -> URLs) are fetched again now (``--retry-failed``);
    ``scrapy_overrides`` are Scrapy settings on top of the project's (``{"LUREWATCH_CLASSIFY":
    False}``, ``FEEDS``, ...). Only one call per process: Scrapy's reactor cannot restart.
    """
    global _ran
    if _ran:
        raise RuntimeError(
            "run_crawl() was already called in this process and Scrapy's reactor cannot restart:"
            " run each crawl in a new process"
        )
    if not sources:
        raise ValueError("run_crawl() needs at least one source")
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise ValueError(f"source names must be unique in one crawl, got {names}")
    if max_pages is not None and max_pages < 1:
        raise ValueError(f"max_pages must be at least 1, got {max_pages}")
    if any(s.render for s in sources):
        require_chromium(settings)
    if settings.frontier:
        from crawlers.frontier.redis import connect

        connect(settings.frontier).close()  # an unreachable frontier: one clear error, now
    _ran = True

    # A caller that set up logging (the CLI) keeps its handlers; otherwise Scrapy installs its own.
    overrides = {"LOG_INSTALL_ROOT_HANDLER": not logging.getLogger().handlers}
    overrides.update(scrapy_overrides or {})
    process = AsyncCrawlerProcess(scrapy_settings(settings, overrides))
    started: list[tuple[Source, Crawler, Any]] = []
    for source in sources:
        crawler = process.create_crawler(AdsSpider)
        # Settings stay open until crawl() applies them: the source's own go on top.
        crawler.settings.setdict(source_settings(settings, source), priority="spider")
        task = process.crawl(
            crawler,
            source=source,
            max_pages=max_pages,
            revisit=revisit,
            retry_urls=(retry_urls or {}).get(source.name, []),
        )
        started.append((source, crawler, task))
    # Nearly all the process keeps is loaded now (Scrapy, lxml, the pipelines' modules): the
    # full collection that freezing needs runs here, before the crawl, and the spider's start
    # freezes only what opening the crawl added (crawlers.spiders.ads).
    freeze_long_lived()

    began = time.monotonic()
    process.start()
    seconds = time.monotonic() - began

    per_source: dict[str, SourceSummary] = {}
    for source, crawler, task in started:
        summary = SourceSummary.from_stats(crawler.stats.get_stats() if crawler.stats else {})
        failure = task.exception() if task.done() and not task.cancelled() else None
        if failure is not None:
            summary.failure = f"{type(failure).__name__}: {failure}"
            summary.errors += 1
        per_source[source.name] = summary
    return CrawlSummary.of(per_source, seconds)
