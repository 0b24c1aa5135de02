"""A source's own politeness limits as Scrapy settings for its crawler.

``config/sources.yml`` may slow a site down (``politeness: {delay: 5, concurrency: 1}``); the
runner puts these on top of the project settings of that source's crawler. robots.txt's
Crawl-delay still wins when it is longer (``crawlers.downloadermiddlewares.crawldelay``), and
AutoThrottle never goes below ``DOWNLOAD_DELAY`` (that middleware also holds the floor
when ``AUTOTHROTTLE_MAX_DELAY`` is shorter than a site's delay).
"""

from __future__ import annotations

from typing import Any

from core.sources import Source

# Scrapy 2.19 on the asyncio reactor sends every queued request of a site at once when its delay
# is 0 (the downloader counts a request as transferring only once its task has started), which
# ignores CONCURRENT_REQUESTS_PER_DOMAIN. Any delay above 0 keeps the limit.
MIN_DELAY = 0.01


def politeness_settings(source: Source) -> dict[str, Any]:
    """Scrapy settings for ``source``'s crawler; empty when the source sets no limits."""
    limits = source.politeness
    result: dict[str, Any] = {}
    if limits.delay is not None:
        result["DOWNLOAD_DELAY"] = max(MIN_DELAY, float(limits.delay))
    if limits.concurrency is not None:
        result["CONCURRENT_REQUESTS_PER_DOMAIN"] = limits.concurrency
    return result
