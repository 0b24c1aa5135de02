"""The one spider: walks a site's listings, feeds and sitemaps, and yields the ads it finds.

    scrapy crawl ads -a source=NAME            # a source from config/sources.yml
    scrapy crawl ads -a urls=URL1,URL2         # any site, no configuration
    ... -a render=1                            # render pages in Chromium (JavaScript-only sites)
    ... -a max_pages=N                         # request at most N pages
    ... -a revisit=1                           # re-fetch every known page now

Crawls are incremental. Every URL goes through the seen-store (``crawlers.frontier``) before it
is requested: listing pages are read again by every crawl, an ad's own page only when it is new
or due again (``detail_revisit``), so a monitored site costs its listings plus what changed.
A page counts as fetched only once what it held is stored (``item_scraped``), so a crawl killed
at any point resumes with nothing lost: ``start`` first yields what the last crawl left pending.

Ads leave as ``core.ad.Ad``; an ad found gone (404/410, or missing from every listing for longer
than the source's ``removal_grace``) as ``core.ad.AdRemoved``.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from functools import cache
from typing import Any, Self
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response, TextResponse
from twisted.python.failure import Failure

from core.ad import Ad, AdRemoved, Capture, utc_now_iso
from core.longlived import freeze_long_lived
from core.settings import Settings
from core.sources import Source, find_source, load_sources
from core.urls import ad_id, canonical_url
from crawlers.config import lurewatch_settings
from crawlers.evidence import ResponseCapturer
from crawlers.extensions.rendermemory import Renderer
from crawlers.extract import AdFields, extract_ad
from crawlers.extract.posts import PostPage, extract_posts
from crawlers.feeds import feed_links, parse_feed, parse_sitemap
from crawlers.frontier import PageKind, SeenStore, new_run_id, open_seen_store
from crawlers.generic import site_name
from crawlers.links import (
    Scope,
    css_links,
    extract_links,
    host_of,
    is_page_url,
    next_page_links,
    page_links,
)
from crawlers.render import render_meta, require_chromium
from crawlers.signals import StoredPage, page_failed, stored_pages
from crawlers.spidermiddlewares.claims import UNCLAIMED
from crawlers.spidermiddlewares.pagination import NEXT_PAGE
from crawlers.spiders.arguments import (
    SpiderArgumentError,
    check_selectors,
    flag,
    positive_int,
    url_list,
)
from crawlers.state.failures import failure_kind

KEY = "lurewatch_key"  # canonical URL the seen-store knows the request by
KIND = "lurewatch_kind"  # PageKind the request was claimed as
UNLISTED_SINCE = "lurewatch_unlisted_since"  # set when re-checking an ad gone from listings
GONE = (404, 410)
MAX_ROBOTS_SITEMAPS = 100
# Pending pages of a stopped crawl looked up in the case store at a time.
RESUME_CHUNK = 500
# Detail pages go first: they hold the ads, and listings only grow the queue.
PRIORITY: dict[str, int] = {"detail": 10, "feed": 5, "sitemap": 5, "listing": 0}


class AdsSpider(Spider):
    name = "ads"

    def __init__(
        self,
        source: Source | str | None = None,
        urls: str | list[str] | None = None,
        render: str | bool | None = None,
        max_pages: str | int | None = None,
        revisit: str | bool | None = None,
        retry_urls: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (source is None) == (urls is None):
            raise SpiderArgumentError("give either -a source=NAME or -a urls=URL1,URL2 (not both)")
        self._source_arg = source
        self._urls = url_list(urls) if urls is not None else None
        self._render_arg = flag("render", render)
        self._max_pages_arg = positive_int("max_pages", max_pages)
        self.revisit = flag("revisit", revisit)
        self.retry_urls = list(retry_urls or [])
        self._seen: SeenStore | None = None
        self.run_id = new_run_id()
        self.started = time.time()
        # Items on their way through the pipelines -> the page they came from: the page counts
        # as fetched once they are stored (or dropped).
        self._inflight: dict[int, tuple[str, int, float, PageKind]] = {}
        self._walk_complete = True
        self._posts_seen: set[str] = set()  # posts yielded by this crawl (a post is on one page)
        self.capturer: ResponseCapturer | None = None
        self.renderer: Renderer | None = None  # rotates browser contexts (bounded memory)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._configure(lurewatch_settings(crawler.settings))
        spider.capturer = ResponseCapturer.from_crawler(crawler)
        spider.renderer = Renderer.from_crawler(crawler)
        for handler, signal in (
            (spider._item_done, signals.item_scraped),
            (spider._item_done, signals.item_dropped),
            (spider._item_done, signals.item_error),
            (spider._robots_parsed, signals.robots_parsed),
        ):
            crawler.signals.connect(handler, signal=signal)
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
        self.settings_obj = settings
        self.source = source
        # None: `render: auto`, decided by the first page (crawlers.render_auto).
        self.render: bool | None = True if self._render_arg else _render_mode(source.render)
        if self.render is not False:
            require_chromium(settings)
        self.max_pages = self._max_pages_arg or source.max_pages
        self.max_page_bytes = settings.max_page_bytes
        self.scope = Scope(source.start_urls)
        # Hostnames without ports: Scrapy's offsite filter also drops redirects to other sites.
        self.allowed_domains = sorted({urlsplit(u).hostname or "" for u in source.start_urls})
        self._requested = 0
        self._budget_logged = False

    # -- the seen-store ------------------------------------------------------------------------

    @property
    def seen(self) -> SeenStore:
        if self._seen is None:
            self._seen = open_seen_store(self.settings_obj, self.source.name, self.run_id)
        return self._seen

    def closed(self, reason: str) -> None:
        if self._seen is None:
            return
        if reason == "finished" and self._walk_complete:
            self._seen.walk_complete(self.source.name, self.started)
        self._seen.close()
        self._seen = None

    # -- where a crawl starts ------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Request | AdRemoved]:
        _freeze_loaded_objects()
        now = time.time()
        for item in self._sweep_unlisted(now):
            yield item
        for url in self.source.start_urls:
            request = self._request(url, "listing", force=True)
            if request is not None:
                yield request
        for url in self.source.feeds:
            request = self._request(url, "feed", force=True)
            if request is not None:
                yield request
        for url in self.source.sitemaps:
            request = self._request(url, "sitemap", force=True)
            if request is not None:
                yield request
        for url in self.retry_urls:
            request = self._request(url, self._known_kind(url), force=True)
            if request is not None:
                yield request
        resumed = self._not_stored(self.seen.pending(self.source.name), now)
        rest: Iterable[str] = self.seen.known(self.source.name) if self.revisit else ()
        for url in _chain(resumed, rest, self.seen.due(self.source.name, now)):
            kind = self._known_kind(url)
            if kind == "post":
                continue  # posts are read from their channel pages, never fetched alone
            request = self._request(url, kind, force=self.revisit)
            if request is not None:
                yield request

    def _not_stored(self, pending: Iterable[str], now: float) -> Iterator[str]:
        """The pages a stopped crawl had claimed, less those whose ad the case store got after
        the page was last marked: that crawl died between storing the ad and marking its page
        (the ingest worker stores a batch, then replies). Those are marked now, not fetched
        and stored again."""
        marked = 0
        for chunk in _batches(pending, RESUME_CHUNK):
            stored = self._stored_pages(chunk)
            for url in chunk:
                page = stored.get(url)
                if page is not None and self._mark_stored(url, page, now):
                    marked += 1
                else:
                    yield url
        if marked:
            self.logger.info(
                "%d pages of the stopped crawl were already stored: marked fetched, not fetched"
                " again",
                marked,
            )
            self.crawler.stats.inc_value("lurewatch/resumed_already_stored", marked)

    def _stored_pages(self, urls: list[str]) -> dict[str, StoredPage]:
        found: dict[str, StoredPage] = {}
        # A receiver that fails is logged by Scrapy; its pages are then fetched again.
        for _, response in self.crawler.signals.send_catch_log(signal=stored_pages, urls=urls):
            if isinstance(response, dict):
                found.update(response)
        return found

    def _mark_stored(self, url: str, page: StoredPage, now: float) -> bool:
        state = self.seen.get(url)
        if state is None:
            return False
        # Stored after the page was last marked (both clocks are this machine's; the store
        # keeps whole seconds, so a doubt falls on the side of fetching again).
        last = -math.inf if state.last_fetched is None else state.last_fetched
        if page.removed_at is not None and page.removed_at > last:
            self.seen.removed(url, now)
            return True
        if page.last_stored > last:
            revisit = math.inf if state.kind == "post" else self.source.detail_revisit
            self.seen.fetched(url, now, page.status, page.last_stored + revisit, state.kind)
            return True
        return False

    def _sweep_unlisted(self, now: float) -> Iterator[Request | AdRemoved]:
        """Ads missing from the last complete listing walk for longer than the grace period:
        posts are removed at once; ad pages are fetched first, to capture what they show now."""
        last_walk = self.seen.last_walk(self.source.name)
        if last_walk is None:
            return
        before = min(last_walk, now - self.source.removal_grace)
        for url in list(self.seen.unlisted(self.source.name, before)):
            state = self.seen.get(url)
            if state is None:
                continue
            since = state.last_listed or state.first_seen
            if state.kind == "post":
                removal = self._removed(url, f"not listed since {_iso(since)}", None, [])
                self._defer(removal, url, 0, math.inf, "post")
                yield removal
                continue
            request = self._request(url, "detail", force=True)
            if request is not None:
                request.meta[UNLISTED_SINCE] = since
                yield request

    # -- pages -------------------------------------------------------------------------------

    def parse(self, response: Response) -> Iterator[Ad | AdRemoved | Request]:
        try:
            yield from self._read(response)
        finally:
            _drop_selector(response)

    def _read(self, response: Response) -> Iterator[Ad | AdRemoved | Request]:
        kind: PageKind = response.meta.get(KIND, "listing")
        key = response.meta.get(KEY) or canonical_url(response.url)
        now = time.time()
        if response.status in GONE:
            yield from self._gone(response, key, kind, now)
            return
        if kind in ("feed", "sitemap"):
            yield from self._parse_feed(response, key, kind, now)
            return
        if not isinstance(response, HtmlResponse):
            self._skip(response, key, "not-html", f"not an HTML page ({_content_type(response)})")
            return
        if len(response.body) > self.max_page_bytes:
            # Rendered pages bypass DOWNLOAD_MAXSIZE: their DOM is read from the browser.
            self._skip(response, key, "too-large", f"page over {self.max_page_bytes} bytes")
            return
        if self.render is None:
            yield from self._decide_render(response, key)
            if self.render:
                return
        posts = extract_posts(response.selector, response.url)
        if posts is not None:
            yield from self._posts(response, key, posts, now)
            return
        fields = extract_ad(response.selector, response.url, self.source.selectors)
        links, next_pages = self._links(response)
        if fields is None:
            # A listing (or an index page): its links count as listed, and it is read again
            # by every crawl. Feeds it announces are followed too.
            self._mark_listed(links, now)
            self.seen.fetched(key, now, response.status, now + self.source.revisit, "listing")
            for url in feed_links(response.selector, response.url):
                if host_of(url) in self.scope.hosts:
                    yield self._follow(url, "feed")
        elif response.meta.get(UNLISTED_SINCE) is not None:
            # Still served, but gone from every listing for longer than the grace period: the
            # removal carries the capture of what the page shows now. (Not the ad as well: the
            # pipelines may deliver the two in either order, and an ad stored after its removal
            # reads as reappeared.)
            since = _iso(response.meta[UNLISTED_SINCE])
            captures = self._capture(response)
            removal = self._removed(key, f"not listed since {since}", response.status, captures)
            self._defer(removal, key, response.status, math.inf, "detail")
            yield removal
        else:
            ad = self._ad(response, fields)
            self._defer(ad, key, response.status, now + self.source.detail_revisit, "detail")
            yield ad
        followed: dict[str, str] = {}
        for url in links:
            followed.setdefault(canonical_url(url), url)
        for url in followed.values():
            is_next = url in next_pages
            yield self._follow(url, "listing" if is_next else "detail", next_page=is_next)

    def _gone(
        self, response: Response, key: str, kind: PageKind, now: float
    ) -> Iterator[AdRemoved]:
        state = self.seen.get(key)
        if kind == "detail" and state is not None and state.last_fetched is not None:
            removal = self._removed(
                key, f"http {response.status}", response.status, self._capture(response)
            )
            self._defer(removal, key, response.status, math.inf, "detail")
            yield removal
            return
        if kind == "listing":
            self._walk_complete = False
        self._report(response.url, f"http-{response.status}", f"HTTP {response.status}")
        self.seen.failed(key, now, now + self.source.detail_revisit)

    def _posts(
        self, response: HtmlResponse, key: str, page: PostPage, now: float
    ) -> Iterator[Ad | Request]:
        """A page of posts (a public channel preview, a public page): one ad per post."""
        self.seen.fetched(key, now, response.status, now + self.source.revisit, "listing")
        if page.login_wall:
            self.logger.warning("skipped %s: asks to log in, nothing public to read", response.url)
            self._report(response.url, "login-wall", "the page asks to log in")
            return
        captures = self._capture(response) if page.posts else []
        for post in page.posts:
            yield from self._post(response, post.url, post.fields, captures, now)
        # After the claims, so that new posts are listed too (and removed ones live again).
        self.seen.listed([post.url for post in page.posts], now)
        if page.older_page and host_of(page.older_page) in self.scope.hosts:
            yield self._follow(page.older_page, "listing", next_page=True)

    def _post(
        self,
        response: Response,
        url: str,
        fields: AdFields,
        captures: list[Capture],
        now: float,
    ) -> Iterator[Ad]:
        post_key = canonical_url(url)
        if post_key in self._posts_seen:
            return
        self._posts_seen.add(post_key)
        # Recorded so that a post gone from its channel counts as removed after the grace period.
        self.seen.claim(post_key, self.source.name, "post", now)
        ad = self._ad(response, fields, url=url, captures=captures)
        self._defer(ad, post_key, response.status, math.inf, "post")
        yield ad

    def _parse_feed(
        self, response: Response, key: str, kind: PageKind, now: float
    ) -> Iterator[Ad | Request]:
        """Sitemaps lead to pages; feeds to pages on the site, or hold the ads themselves."""
        self.seen.fetched(key, now, response.status, now + self.source.revisit, kind)
        pages: list[str] = []
        if kind == "sitemap":
            sitemap = parse_sitemap(response.body, response.url)
            if sitemap is None:
                self._skip(response, key, "bad-sitemap", "not a readable sitemap")
                return
            if sitemap.truncated:
                self.logger.warning("sitemap %s cut short: %s", response.url, sitemap.note)
            for child in sitemap.sitemaps:
                if host_of(child.loc) in self.scope.hosts:
                    yield self._follow(child.loc, "sitemap")
            pages = [u.loc for u in sitemap.urls]
        else:
            feed = parse_feed(response.body, response.url)
            if feed is None:
                self._skip(response, key, "bad-feed", "not a readable RSS/Atom feed")
                return
            captures: list[Capture] = []
            for entry in feed.entries:
                if entry.url and self.scope.covers(entry.url):
                    pages.append(entry.url)  # fetched: its own page is the better evidence
                elif entry.url.startswith(("http://", "https://")) and entry.fields.text:
                    captures = captures or self._capture(response)
                    yield from self._post(response, entry.url, entry.fields, captures, now)
        pages = [u for u in pages if self.scope.covers(u) and is_page_url(u)]
        self._mark_listed(pages, now)
        for url in dict.fromkeys(pages):
            yield self._follow(url, "detail")

    def _robots_parsed(self, robotparser: Any, request: Request) -> None:
        """robots.txt may name sitemaps: Scrapy's robots middleware has read it already."""
        parsed = getattr(robotparser, "rp", None)  # the Protego parser inside Scrapy's wrapper
        sitemaps = list(getattr(parsed, "sitemaps", None) or [])[:MAX_ROBOTS_SITEMAPS]
        for url in sitemaps:
            if isinstance(url, str) and host_of(url) in self.scope.hosts:
                follow = self._request(url, "sitemap")
                if follow is not None and self.crawler.engine is not None:
                    self.crawler.engine.crawl(follow)

    def _decide_render(self, response: HtmlResponse, key: str) -> Iterator[Request]:
        from crawlers.render_auto import decide_rendering

        decision = decide_rendering(response, self.source.selectors)
        self.render = decision.render
        self.logger.info(
            "render: auto -> %s for %s (%s)",
            "Chromium" if self.render else "plain HTTP",
            self.source.name,
            decision.reason,
        )
        if self.render:
            require_chromium(self.settings_obj)
            kind: PageKind = response.meta.get(KIND, "listing")
            yield self._build(response.url, key, kind, next_page=False)

    def _skip(self, response: Response, key: str, kind: str, reason: str) -> None:
        self.logger.warning("skipped %s: %s", response.url, reason)
        self._report(response.url, kind, reason)
        now = time.time()
        self.seen.failed(key, now, now + self.source.detail_revisit)

    def _report(self, url: str, kind: str, reason: str) -> None:
        if getattr(self, "crawler", None) is not None:
            self.crawler.signals.send_catch_log(page_failed, url=url, kind=kind, reason=reason)

    def errback(self, failure: Failure) -> None:
        request: Request = failure.request  # type: ignore[attr-defined]
        key = request.meta.get(KEY) or canonical_url(request.url)
        kind: PageKind = request.meta.get(KIND, "detail")
        now = time.time()
        if kind == "listing":
            self._walk_complete = False
        error_kind, reason = failure_kind(failure)
        if isinstance(failure.value, IgnoreRequest):
            # robots.txt, the guard or the circuit breaker: they said why already.
            self.logger.debug("not fetched %s: %s", request.url, reason)
        else:
            self.logger.warning("failed %s: %s", request.url, reason)
            self._report(request.url, error_kind, reason)
        self.seen.failed(key, now, now + min(self.source.revisit, self.source.detail_revisit))

    def _links(self, response: HtmlResponse) -> tuple[list[str], set[str]]:
        """Links to follow in page order, and which of them lead to a listing's next page."""
        selectors = self.source.selectors
        if selectors is not None and (selectors.ad_links or selectors.next_page):
            links = [
                url
                for css in (selectors.ad_links, selectors.next_page)
                if css
                for url in css_links(response, css, self.scope.hosts)
            ]
            if selectors.next_page:
                return links, set(css_links(response, selectors.next_page, self.scope.hosts))
            return links, next_page_links(response)
        found = extract_links(response)  # once: the link extractor is a crawl's hot path
        return page_links(response, self.scope, found), next_page_links(response, found)

    def _mark_listed(self, urls: Iterable[str], now: float) -> None:
        self.seen.listed([u for u in urls if is_page_url(u)], now)

    # -- requests ------------------------------------------------------------------------------

    def _request(self, url: str, kind: PageKind, *, force: bool = False) -> Request | None:
        """A request to start from, claimed now (``start`` output passes no depth limits)."""
        request = self._build(url, canonical_url(url), kind, next_page=False)
        return request if self.claim(request, force=force) else None

    def _follow(self, url: str, kind: PageKind, *, next_page: bool = False) -> Request:
        """A link found on a page. It is claimed only once it has passed the depth and trap
        limits (``crawlers.spidermiddlewares.claims``): a link those drop must not be left
        pending for the next crawl to fetch past them."""
        request = self._build(url, canonical_url(url), kind, next_page=next_page)
        request.meta[UNCLAIMED] = True
        return request

    def claim(self, request: Request, *, force: bool = False) -> bool:
        """Whether to send ``request``: within the page budget, and new or due in the
        seen-store (which records it as claimed by this crawl)."""
        request.meta.pop(UNCLAIMED, None)
        if self.max_pages is not None and self._requested >= self.max_pages:
            self._walk_complete = False
            if not self._budget_logged:
                self._budget_logged = True
                self.logger.info("max_pages=%d reached: no more pages requested", self.max_pages)
            return False
        key = request.meta[KEY]
        kind = request.meta[KIND]
        if not self.seen.claim(key, self.source.name, kind, time.time(), force=force):
            return False
        self._requested += 1
        return True

    def _build(self, url: str, key: str, kind: PageKind, *, next_page: bool) -> Request:
        meta: dict[str, Any] = {}
        if self.render and kind in ("listing", "detail"):
            # Pages expected to hold an ad render as evidence: images load, full-page screenshot.
            evidence = kind == "detail"
            meta = self.renderer.meta(evidence=evidence) if self.renderer else render_meta(evidence)
        meta.update({KEY: key, KIND: kind})
        if kind == "detail":
            meta["handle_httpstatus_list"] = list(GONE)
        if next_page:
            meta[NEXT_PAGE] = True
        # dont_filter: the seen-store is the duplicate filter (on disk, with expiry).
        return Request(
            url,
            callback=self.parse,
            errback=self.errback,
            meta=meta,
            priority=PRIORITY.get(kind, 0),
            dont_filter=True,
        )

    def _known_kind(self, url: str) -> PageKind:
        state = self.seen.get(url)
        return "detail" if state is None else state.kind

    # -- items ---------------------------------------------------------------------------------

    def _defer(self, item: Any, key: str, status: int, next_fetch: float, kind: PageKind) -> None:
        self._inflight[id(item)] = (key, status, next_fetch, kind)

    def _item_done(self, item: Any, **_: Any) -> None:
        done = self._inflight.pop(id(item), None)
        if done is None:
            return
        key, status, next_fetch, kind = done
        if isinstance(item, AdRemoved):
            self.seen.removed(key, time.time())
        else:
            self.seen.fetched(key, time.time(), status, next_fetch, kind)

    def _capture(self, response: Response) -> list[Capture]:
        return [] if self.capturer is None else self.capturer.capture(response)

    def _ad(
        self,
        response: Response,
        fields: AdFields,
        *,
        url: str | None = None,
        captures: list[Capture] | None = None,
    ) -> Ad:
        url = url or response.url
        return Ad(
            id=ad_id(url),
            url=canonical_url(url),
            site=self.site or site_name(url),
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
            captures=self._capture(response) if captures is None else captures,
        )

    def _removed(
        self, url: str, reason: str, status: int | None, captures: list[Capture]
    ) -> AdRemoved:
        self.logger.info("ad removed: %s (%s)", url, reason)
        return AdRemoved(
            id=ad_id(url),
            url=canonical_url(url),
            site=self.site or site_name(url),
            removed_at=utc_now_iso(),
            reason=reason,
            http_status=status,
            captures=captures,
        )


def _drop_selector(response: Response) -> None:
    # Scrapy keeps a page's selector on the response, and the selector points back at the
    # response: a cycle that only the garbage collector's full passes free. Every page read,
    # its body and its parsed tree stayed in memory until the next one (hundreds of pages
    # at a time), and those passes had all of them to walk. Dropped once the page is read, the
    # page goes as soon as nothing else holds it.
    if isinstance(response, TextResponse):
        response._cached_selector = None


@cache  # once per process: a process runs one crawl (Scrapy's reactor cannot restart)
def _freeze_loaded_objects() -> None:
    # Modules, settings, pipelines and middlewares are all loaded when the first spider
    # starts. Unfrozen, full collections walked them (about 200,000 objects) every hundred
    # pages or so: together a fifth of the crawl process's CPU.
    freeze_long_lived()


def _render_mode(value: bool | str) -> bool | None:
    return None if value == "auto" else bool(value)


def _batches(urls: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for url in urls:
        batch.append(url)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _chain(*iterables: Iterable[str]) -> Iterator[str]:
    for iterable in iterables:
        yield from iterable


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=0).isoformat()


def _content_type(response: Response) -> str:
    value = response.headers.get(b"Content-Type") or b"no content type"
    return value.decode("latin-1")[:80]
