"""The baseline of the crawl benchmark: a bare Scrapy spider that only fetches and yields pages.

It walks the fixture site as LureWatch does (a listing page -> its ads and its ``rel="next"``
page) and yields each raw page as ``{"url": ..., "body": ...}``. It runs with LureWatch's own
Scrapy settings (``crawlers.runner.scrapy_settings``: robots.txt, user agent, concurrency, size
caps, download handlers, middlewares) minus only LureWatch's item pipelines and extensions, so
the difference between the two is what LureWatch does with a page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import AsyncCrawlerProcess
from scrapy.http import Response
from scrapy.settings import Settings as ScrapySettings

from core.settings import Settings
from crawlers.runner import scrapy_settings

# The pagination depth rule LureWatch's spider middleware applies to next-page requests; the
# bare spider marks them the same way so both reach the last listing page under DEPTH_LIMIT.
NEXT_PAGE_META = "lurewatch_next_page"
# Components whose class lives in one of these packages are LureWatch's own.
_OWN_PACKAGES = ("core.", "classifiers.", "crawlers.", "index.", "web.", "cli.")


class BareSpider(Spider):
    name = "bare"

    def __init__(self, start_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_url = start_url

    async def start(self) -> AsyncIterator[Request]:
        yield Request(self.start_url, callback=self.parse)

    def parse(self, response: Response) -> Iterator[dict[str, Any] | Request]:
        yield {"url": response.url, "body": response.body}
        for href in response.css("a.ad-link::attr(href)").getall():
            yield response.follow(href, callback=self.parse)
        for href in response.css('a[rel~="next"]::attr(href)').getall():
            yield response.follow(href, callback=self.parse, meta={NEXT_PAGE_META: True})


def _own(path: Any) -> bool:
    name = path if isinstance(path, str) else f"{path.__module__}.{path.__qualname__}"
    return name.startswith(_OWN_PACKAGES)


def bare_scrapy_settings(
    settings: Settings, overrides: dict[str, Any] | None = None
) -> ScrapySettings:
    """LureWatch's Scrapy settings with its own item pipelines and extensions taken out."""
    result = scrapy_settings(settings, overrides)
    for name in ("ITEM_PIPELINES", "EXTENSIONS"):
        components = result.getdict(name)
        kept = {path: order for path, order in components.items() if not _own(path)}
        result.set(name, kept, priority="cmdline")
    return result


def run_bare(settings: Settings, start_url: str, overrides: dict[str, Any] | None = None) -> None:
    """Crawl the fixture site with the bare spider; once per process (Twisted's reactor)."""
    process = AsyncCrawlerProcess(bare_scrapy_settings(settings, overrides))
    process.crawl(BareSpider, start_url=start_url)
    process.start()
