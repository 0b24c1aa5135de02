"""Pages the spider must never see: binary data served as text/html, pages over the size cap,
text no decoding makes readable, redirect and meta refresh loops.

Each such page gets ONE warning line, ``skipped <url>: <reason>``, one
``crawlers.signals.page_failed`` (kinds ``not-html``, ``too-large``, ``bad-encoding``,
``redirect-loop``), and a ``PageSkipped`` (an ``IgnoreRequest``), so the spider's callback never
runs and its errback knows the page was already reported. A page whose label lies about its
encoding (Windows-1252 sent as UTF-8, or the reverse) is not skipped but read with the encoding
it really has.

Four middlewares, each in its place among Scrapy's own:

- ``PageGuard`` (545): between the retry middleware (550) and the failed-page reporter (540), so
  it sees bodies after HttpCompression (590) has decoded them, and downloads that Scrapy cancelled
  at DOWNLOAD_MAXSIZE, before the reporter files them as "other".
- ``RedirectLoopGuard`` (650): outside RedirectMiddleware (600), which sees a loop only as
  "max redirections reached" after REDIRECT_MAX_TIMES hops, and reports it to no one.
- ``MetaRefreshLoopGuard`` (585): the same for meta refresh loops, outside
  MetaRefreshMiddleware (580); a page whose refresh points at itself is read as it is.
- ``DecompressionGuard`` in HttpCompression's own place (590): Scrapy's middleware, whose
  refusal of a body that decompresses past DOWNLOAD_MAXSIZE (a gzip bomb) goes straight to the
  spider's errback, past every other middleware; here it is reported as ``too-large`` too.

Scrapy's own lines about the same pages ("... larger than download max size ...", "...
exceeded DOWNLOAD_MAXSIZE ... during decompression", and the warn size line before them) are
left out of the log while a guard runs, as is the retry middleware's
"Gave up retrying" line for download errors, which the spider reports itself. ``LUREWATCH_GUARD
= False`` turns all of this off (for benchmarks against a bare spider).
"""

from __future__ import annotations

import logging
import weakref
from typing import Any, Self
from urllib.parse import urljoin

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse, Response
from scrapy.utils.response import get_meta_refresh
from w3lib.url import safe_url_string

from crawlers.downloadermiddlewares.sniff import (
    MAX_UNREADABLE_SHARE,
    better_encoding,
    binary_kind,
    unreadable_share,
)
from crawlers.signals import page_failed

log = logging.getLogger("lurewatch")

STATS_PREFIX = "lurewatch/skipped/"  # lurewatch/skipped/<kind>: pages a guard skipped
REPAIRED = "lurewatch/encoding_repaired"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class PageSkipped(IgnoreRequest):
    """A page a guard skipped; already logged and reported as ``page_failed``."""

    def __init__(self, url: str, kind: str, reason: str) -> None:
        super().__init__(f"{kind}: {reason}")
        self.url = url
        self.failure_kind = kind
        self.reason = reason


def _enabled(crawler: Crawler) -> bool:
    return crawler.settings.getbool("LUREWATCH_GUARD", True)


class _Guard:
    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        _quiet.install(crawler)

    def skip(self, request: Request, kind: str, reason: str) -> PageSkipped:
        """Log, count and report a skipped page; the caller raises what this returns."""
        # The page asked for, not where its redirects led: that is the page other reports name.
        url = (request.meta.get("redirect_urls") or [request.url])[0]
        log.warning("skipped %s: %s", url, reason)
        self.stats.inc_value(f"{STATS_PREFIX}{kind}")
        self.crawler.signals.send_catch_log(page_failed, url=url, kind=kind, reason=reason)
        return PageSkipped(url, kind, reason)


class PageGuard(_Guard):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not _enabled(crawler):
            raise NotConfigured("LUREWATCH_GUARD is False")
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        # Error pages and redirects are the spider's and the reporter's business (takedowns).
        if not isinstance(response, HtmlResponse) or not 200 <= response.status < 300:
            return response
        maxsize = int(request.meta.get("download_maxsize", self.maxsize))
        if maxsize and len(response.body) > maxsize:
            # Rendered pages: the browser read the DOM, no download limit applied to it.
            reason = f"too large: {len(response.body)} bytes, over DOWNLOAD_MAXSIZE={maxsize}"
            raise self.skip(request, "too-large", reason)
        what = binary_kind(response.body, response.encoding)
        if what is not None:
            raise self.skip(request, "not-html", f"not HTML but {what}, served as text/html")
        if "playwright" not in response.flags:  # a browser already decoded rendered pages
            encoding = better_encoding(response.body, response.encoding)
            if encoding is not None:
                log.debug("%s: labelled %s, read as %s", response.url, response.encoding, encoding)
                self.stats.inc_value(REPAIRED)
                response = response.replace(encoding=encoding)
        share = unreadable_share(response.text)
        if share > MAX_UNREADABLE_SHARE:
            reason = (
                f"unreadable text: {share:.0%} of it control or undecodable characters"
                f" as {response.encoding}"
            )
            raise self.skip(request, "bad-encoding", reason)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        # Scrapy cancels a download at DOWNLOAD_MAXSIZE, from the Content-Length header or
        # once the body grows past it; either way the error says little and is not retried.
        if isinstance(exception, DownloadCancelledError):
            maxsize = int(request.meta.get("download_maxsize", self.maxsize))
            raise self.skip(request, "too-large", f"too large: over DOWNLOAD_MAXSIZE={maxsize}")


class DecompressionGuard(HttpCompressionMiddleware):
    """Scrapy's HttpCompressionMiddleware (it replaces it), with a gzip bomb reported as a
    skipped page. Without the guard (``LUREWATCH_GUARD = False``) it is Scrapy's, unchanged."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler=crawler)
        self.guard = _Guard(crawler) if _enabled(crawler) else None
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("COMPRESSION_ENABLED"):
            raise NotConfigured("COMPRESSION_ENABLED is False")
        return cls(crawler)

    # Without the deprecated spider argument Scrapy's own method still takes.
    def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        try:
            return super().process_response(request, response)
        except IgnoreRequest:
            # Scrapy refuses a response here for one reason only: its body decompressed
            # past DOWNLOAD_MAXSIZE.
            if self.guard is None:
                raise
            maxsize = int(request.meta.get("download_maxsize", self.maxsize))
            reason = (
                f"too large once decompressed: {len(response.body)} bytes that grow past"
                f" DOWNLOAD_MAXSIZE={maxsize}"
            )
            raise self.guard.skip(request, "too-large", reason) from None


class _LoopGuard(_Guard):
    """Skips a page whose redirect (``_redirect_target``) goes back along its own chain."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.max_redirects = crawler.settings.getint("REDIRECT_MAX_TIMES")

    def _redirect_target(self, request: Request, response: Response) -> str | None:
        raise NotImplementedError

    def process_response(self, request: Request, response: Response) -> Response:
        target = self._redirect_target(request, response)
        if target is None:
            return response
        chain = [_defrag(u) for u in (*request.meta.get("redirect_urls", []), request.url)]
        # Back to a page of this chain is a loop, unless the answer sets a cookie: "come back
        # with this cookie" is how some sites start a session. Twice back is a loop anyway.
        seen = chain.count(target)
        if seen >= 2 or (seen and b"Set-Cookie" not in response.headers):
            hops = " -> ".join([*chain[chain.index(target) :], target])
            raise self.skip(request, "redirect-loop", f"redirect loop: {hops}")
        redirects = int(request.meta.get("redirect_times", 0)) + 1
        ttl = request.meta.get("redirect_ttl", self.max_redirects)
        if redirects > self.max_redirects or not ttl:
            reason = f"too many redirects: over REDIRECT_MAX_TIMES={self.max_redirects}"
            raise self.skip(request, "redirect-loop", reason)
        return response


class RedirectLoopGuard(_LoopGuard):
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not _enabled(crawler) or not crawler.settings.getbool("REDIRECT_ENABLED"):
            raise NotConfigured("LUREWATCH_GUARD or REDIRECT_ENABLED is False")
        return cls(crawler)

    def _redirect_target(self, request: Request, response: Response) -> str | None:
        """Where RedirectMiddleware would send ``request`` next, or None if it would not."""
        if response.status not in REDIRECT_STATUSES or b"Location" not in response.headers:
            return None
        meta = request.meta
        spider_statuses = getattr(self.crawler.spider, "handle_httpstatus_list", ())
        if (
            meta.get("dont_redirect")
            or meta.get("handle_httpstatus_all")
            or response.status in meta.get("handle_httpstatus_list", ())
            or response.status in spider_statuses
        ):
            return None
        location = response.headers[b"Location"] or b""
        if location.startswith(b"//"):
            location = request.url.split(":", 1)[0].encode() + b":" + location
        return _defrag(urljoin(request.url, safe_url_string(location)))


class MetaRefreshLoopGuard(_LoopGuard):
    """The same for ``<meta http-equiv="refresh">``, which MetaRefreshMiddleware (580)
    follows like a redirect and, in a loop, gives up on after REDIRECT_MAX_TIMES hops without a
    word. Between it and HttpCompression (590), so it reads the page decoded."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.ignore_tags = crawler.settings.getlist("METAREFRESH_IGNORE_TAGS")
        self.max_delay = crawler.settings.getint("METAREFRESH_MAXDELAY")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not _enabled(crawler) or not crawler.settings.getbool("METAREFRESH_ENABLED"):
            raise NotConfigured("LUREWATCH_GUARD or METAREFRESH_ENABLED is False")
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if self._redirect_target(request, response) == _defrag(request.url):
            # A page that reloads itself ("refresh every 30 s"): read it as it is. Followed,
            # it would be fetched again REDIRECT_MAX_TIMES times and then dropped unread.
            request.meta["dont_redirect"] = True
            return response
        return super().process_response(request, response)

    def _redirect_target(self, request: Request, response: Response) -> str | None:
        """Where MetaRefreshMiddleware would send ``request`` next, or None if it would not."""
        if (
            request.meta.get("dont_redirect")
            or request.method == "HEAD"
            or not isinstance(response, HtmlResponse)
        ):
            return None
        # Read once: MetaRefreshMiddleware gets the same answer from Scrapy's cache.
        delay, url = get_meta_refresh(response, ignore_tags=self.ignore_tags)
        if url is None or delay is None or delay >= self.max_delay:
            return None
        if not url.startswith(("http://", "https://")):
            return None
        return _defrag(url)


def _defrag(url: str) -> str:
    return url.split("#", 1)[0]


class _QuietDuplicates(logging.Filter):
    """Drops Scrapy's log lines about pages a guard reports itself (see the module docstring);
    a record it keeps but demotes is shown only at DEBUG."""

    LOGGERS = (
        "scrapy.core.downloader.handlers.http11",
        "scrapy.core.downloader.handlers._base_streaming",
        "scrapy.downloadermiddlewares.retry",
        "scrapy.downloadermiddlewares.httpcompression",
    )

    def __init__(self) -> None:
        super().__init__()
        # One filter for every crawler of the process, on while any of them runs.
        self._crawlers: weakref.WeakSet[Crawler] = weakref.WeakSet()

    def install(self, crawler: Crawler) -> None:
        if crawler in self._crawlers:
            return
        self._crawlers.add(crawler)
        for name in self.LOGGERS:
            logging.getLogger(name).addFilter(self)  # once: a logger keeps no duplicates
        stopped = weakref.ref(crawler)
        # Held strongly by the signal (weak=False): it must run even if no guard is left.
        crawler.signals.connect(
            lambda: self.uninstall(stopped()), signal=signals.engine_stopped, weak=False
        )

    def uninstall(self, crawler: Crawler | None) -> None:
        if crawler is not None:
            self._crawlers.discard(crawler)
        if not self._crawlers:
            for name in self.LOGGERS:
                logging.getLogger(name).removeFilter(self)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._crawlers:
            return True
        message = str(record.msg)
        if "larger than download max size" in message:
            return False  # PageGuard says "skipped <url>: too large"
        if "during decompression" in message and "DOWNLOAD_MAXSIZE" in message:
            return False  # DecompressionGuard says "skipped <url>: too large once decompressed"
        if "larger than download warn size" in message or (
            message.startswith("Gave up retrying") and _reason_is_exception(record.args)
        ):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


def _reason_is_exception(args: Any) -> bool:
    # The give-up line of a download error (the spider's errback reports it); an HTTP status
    # given up on is a string reason and keeps its line.
    return isinstance(args, dict) and isinstance(args.get("reason"), BaseException)


_quiet = _QuietDuplicates()
