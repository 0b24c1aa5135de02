"""The one spider: walks a site's listing and detail pages and yields the ads it finds.

    scrapy crawl ads -a source=NAME            # a source from config/sources.yml
    scrapy crawl ads -a urls=URL1,URL2         # any site, no configuration
    ... -a render=1                            # render pages in Chromium (JavaScript-only sites)
    ... -a max_pages=N                         # request at most N pages

``crawlers.runner`` passes a ``core.sources.Source`` object as ``source`` instead of a name.
Links are followed within the folder of a start URL on its host (``crawlers.links.Scope``), or,
for sources with ``ad_links``/``next_page`` selectors, wherever those selectors point on the host.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from typing import Any, Self
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Response

from core.ad import Ad, utc_now_iso
from core.settings import Settings
from core.sources import Source, find_source, load_sources
from core.urls import ad_id, canonical_url
from crawlers.config import lurewatch_settings
from crawlers.extract import AdFields, extract_ad
from crawlers.generic import site_name
from crawlers.links import Scope, css_links, next_page_links, page_links
from crawlers.render import render_meta, require_chromium
from crawlers.spidermiddlewares.pagination import NEXT_PAGE
from crawlers.spiders.arguments import (
    SpiderArgumentError,
    check_selectors,
    flag,
    positive_int,
    url_list,
)


class AdsSpider(Spider):
    name = "ads"

    def __init__(
        self,
        source: Source | str | None = None,
        urls: str | list[str] | None = None,
        render: str | bool | None = None,
        max_pages: str | int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (source is None) == (urls is None):
            raise SpiderArgumentError("give either -a source=NAME or -a urls=URL1,URL2 (not both)")
        self._source_arg = source
        self._urls = url_list(urls) if urls is not None else None
        self._render_arg = flag("render", render)
        self._max_pages_arg = positive_int("max_pages", max_pages)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._configure(lurewatch_settings(crawler.settings))
        return spider

    def _configure(self, settings: Settings) -> None:
        if self._urls is not None:
            # Generic mode: every ad is named after its own host, as `lurewatch crawl URL` does.
            source = Source(name=site_name(self._urls[0]), start_urls=self._urls)
            self.site: str | None = None
        elif isinstance(self._source_arg, Source):
            source = self._source_arg
            self.site = source.name
        else:
            source = find_source(load_sources(settings.sources_file), str(self._source_arg))
            self.site = source.name
        check_selectors(source)
        self.source = source
        self.render = self._render_arg or source.render
        if self.render:
            require_chromium(settings)
        self.max_pages = self._max_pages_arg or source.max_pages
        self.max_page_bytes = settings.max_page_bytes
        self.scope = Scope(source.start_urls)
        # Hostnames without ports: Scrapy's offsite filter also drops redirects to other sites.
        self.allowed_domains = sorted({urlsplit(u).hostname or "" for u in source.start_urls})
        self._seen: set[str] = set()
        self._requested = 0
        self._budget_logged = False

    async def start(self) -> AsyncIterator[Request]:
        for url in self.source.start_urls:
            request = self._request(url)
            if request is not None:
                yield request

    def parse(self, response: Response) -> Iterator[Ad | Request]:
        if not isinstance(response, HtmlResponse):
            self.logger.debug("not HTML, skipped: %s", response.url)
            return
        if len(response.body) > self.max_page_bytes:
            # Rendered pages bypass DOWNLOAD_MAXSIZE: their DOM is read from the browser.
            self.logger.warning(
                "page over %d bytes, skipped: %s", self.max_page_bytes, response.url
            )
            return
        fields = extract_ad(response.selector, response.url, self.source.selectors)
        if fields is not None:
            yield self._ad(response, fields)
        next_pages = self._next_pages(response)
        for url in self._links(response):
            request = self._request(url, next_page=url in next_pages)
            if request is not None:
                yield request

    def _links(self, response: HtmlResponse) -> list[str]:
        selectors = self.source.selectors
        if selectors is not None and (selectors.ad_links or selectors.next_page):
            return [
                url
                for css in (selectors.ad_links, selectors.next_page)
                if css
                for url in css_links(response, css, self.scope.hosts)
            ]
        return page_links(response, self.scope)

    def _next_pages(self, response: HtmlResponse) -> set[str]:
        selectors = self.source.selectors
        if selectors is not None and selectors.next_page:
            return set(css_links(response, selectors.next_page, self.scope.hosts))
        return next_page_links(response)

    def _request(self, url: str, next_page: bool = False) -> Request | None:
        key = canonical_url(url)
        if key in self._seen:
            return None
        if self.max_pages is not None and self._requested >= self.max_pages:
            if not self._budget_logged:
                self._budget_logged = True
                self.logger.info("max_pages=%d reached: no more pages requested", self.max_pages)
            return None
        self._seen.add(key)
        self._requested += 1
        meta = render_meta() if self.render else {}
        if next_page:
            meta[NEXT_PAGE] = True
        return Request(url, callback=self.parse, meta=meta)

    def _ad(self, response: HtmlResponse, fields: AdFields) -> Ad:
        return Ad(
            id=ad_id(response.url),
            url=canonical_url(response.url),
            site=self.site or site_name(response.url),
            title=fields.title,
            text=fields.text,
            extraction=fields.extraction,
            employer=fields.employer,
            location=fields.location,
            salary=fields.salary,
            date_posted=fields.date_posted,
            fetched_at=utc_now_iso(),
            http_status=response.status,
            rendered="playwright" in response.flags,
            body_sha256=hashlib.sha256(response.body).hexdigest(),
            structured=fields.structured,
        )
