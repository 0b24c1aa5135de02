"""Honours the ``Crawl-delay`` of robots.txt, which Scrapy reads but does not apply.

When Scrapy's RobotsTxtMiddleware has parsed a site's robots.txt (``robots_parsed``), the delay
it gives our user agent becomes the least time between two requests to that site: the downloader
slot's delay is raised to it (never lowered below ``DOWNLOAD_DELAY``), without Scrapy's random
jitter that could halve it, and slots made later for the site start there too.

AutoThrottle lowers a slot's delay when the site answers fast, down to ``DOWNLOAD_DELAY`` only. So
after every download this middleware raises the slot back to its floor: its ``response_downloaded``
handler is connected after AutoThrottle's (extensions are built before the downloader), so it has
the last word before the slot sends its next request. A Crawl-delay over
``LUREWATCH_CRAWL_DELAY_MAX`` (default 60 s) is applied as that maximum, with one warning line.

Off with ``ROBOTSTXT_OBEY = False`` or ``LUREWATCH_CRAWL_DELAY = False``.
"""

from __future__ import annotations

import logging
from typing import Any, Self

from scrapy import Request, signals
from scrapy.core.downloader import Downloader
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

log = logging.getLogger("lurewatch")

CRAWL_DELAY_STAT = "lurewatch/crawl_delay_sites"


class CrawlDelayMiddleware:
    def __init__(self, crawler: Crawler, max_delay: float) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.user_agent = str(settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT"))
        self.download_delay = settings.getfloat("DOWNLOAD_DELAY")
        self.max_delay = max_delay
        self.floors: dict[str, float] = {}  # slot key -> least seconds between requests
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(self.response_downloaded, signal=signals.response_downloaded)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("ROBOTSTXT_OBEY") or not settings.getbool(
            "LUREWATCH_CRAWL_DELAY", True
        ):
            raise NotConfigured
        return cls(crawler, settings.getfloat("LUREWATCH_CRAWL_DELAY_MAX", 60.0))

    @property
    def downloader(self) -> Downloader:
        return self.crawler.engine.downloader

    def robots_parsed(self, robotparser: Any, request: Request) -> None:
        crawl_delay = getattr(robotparser, "crawl_delay", None)
        delay = crawl_delay(self.user_agent) if callable(crawl_delay) else None
        if not delay or delay <= self.download_delay:
            return
        key = self.downloader.get_slot_key(request)
        if delay > self.max_delay:
            log.warning(
                "robots.txt of %s asks Crawl-delay %.0f s; using LUREWATCH_CRAWL_DELAY_MAX=%.0f s",
                key,
                delay,
                self.max_delay,
            )
            delay = self.max_delay
        self.set_floor(key, float(delay))
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(CRAWL_DELAY_STAT)
        log.info("robots.txt of %s: Crawl-delay %g s between requests", key, delay)

    def set_floor(self, key: str, delay: float) -> None:
        floor = max(delay, self.download_delay)
        self.floors[key] = floor
        # A slot idle for a minute is dropped and made anew from these per-slot settings.
        per_slot = self.downloader.per_slot_settings.setdefault(key, {})
        per_slot["delay"] = max(floor, float(per_slot.get("delay", 0.0)))
        per_slot["jitter"] = 0.0
        slot = self.downloader.slots.get(key)
        if slot is not None:
            slot.delay = max(slot.delay, floor)
            slot.jitter = 0.0

    def response_downloaded(self, response: Response, request: Request) -> None:
        key = request.meta.get("download_slot")
        if key is None:
            return
        floor = self.floors.get(key, self.download_delay)
        slot = self.downloader.slots.get(key)
        if slot is not None and slot.delay < floor:
            slot.delay = floor
