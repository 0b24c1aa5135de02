"""Evidence of an ad page: turns a Scrapy response into ``core.evidence`` captures.

    capturer = ResponseCapturer.from_crawler(crawler)      # once, in the spider's from_crawler
    ad.captures = capturer.capture(response)               # for every ad (or removal) page
    ad.captures = await capturer.capture_async(response)   # the same, from an async callback

With the ingest worker on (``crawlers.config.ingest_in_worker``), ``capture`` writes nothing:
it returns ``PendingCaptures``, an empty list that carries the fetch, and the worker writes the
files before it stores the ad and sends the captures back (the crawl's own core is the one
that runs out first). The items of one page share one ``PendingCaptures``, as they share the
captures otherwise.

Plain responses are stored as a WARC of the HTTP exchange; rendered responses as a WARC of the
navigation response (or of the DOM when the browser did not keep it), the DOM, and the
screenshot when one was taken. Each fetch also gets a manifest; see docs/evidence.md.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import BaseSettings

from core.ad import Capture
from core.evidence import EvidenceStore, FetchRecord, capture_fetch, settings_digest
from core.settings import Settings
from crawlers.config import ingest_in_worker, lurewatch_settings
from crawlers.downloadermiddlewares.received import RECEIVED_KEY, ReceivedMiddleware
from crawlers.render import rendered_capture

logger = logging.getLogger(__name__)

# The crawler settings that shape what is fetched and how: their values go into every manifest,
# their digest into every WARC, so two captures can be shown to come from the same set-up.
SETTINGS_KEYS = (
    "USER_AGENT",
    "DEFAULT_REQUEST_HEADERS",
    "ROBOTSTXT_OBEY",
    "COOKIES_ENABLED",
    "DOWNLOAD_MAXSIZE",
    "DOWNLOAD_WARNSIZE",
    "DOWNLOAD_TIMEOUT",
    "DEPTH_LIMIT",
    "LUREWATCH_PAGINATION_LIMIT",
    "URLLENGTH_LIMIT",
    "DOWNLOAD_DELAY",
    "RANDOMIZE_DOWNLOAD_DELAY",
    "CONCURRENT_REQUESTS",
    "CONCURRENT_REQUESTS_PER_DOMAIN",
    "AUTOTHROTTLE_ENABLED",
    "AUTOTHROTTLE_TARGET_CONCURRENCY",
    "AUTOTHROTTLE_MAX_DELAY",
    "RETRY_ENABLED",
    "RETRY_TIMES",
    "REDIRECT_ENABLED",
    "REDIRECT_MAX_TIMES",
    "METAREFRESH_ENABLED",
    "HTTPERROR_ALLOWED_CODES",
)
# Rendering: every Playwright and LureWatch render setting the project sets.
SETTINGS_PREFIXES = ("PLAYWRIGHT_", "LUREWATCH_RENDER")
FSYNC_SETTING = "LUREWATCH_EVIDENCE_FSYNC"
RECEIVED_MIDDLEWARE = f"{ReceivedMiddleware.__module__}.{ReceivedMiddleware.__qualname__}"
NO_RECEIVED_NOTE = (
    "headers as the spider saw them: ReceivedMiddleware was off, so a Content-Encoding the"
    " crawler decoded would not show"
)
NO_HTTP_NOTE = "the browser did not keep the page's HTTP response; the WARC holds the rendered DOM"
DOM_DROPPED_NOTE = "the rendered DOM was over the size cap and was not kept"


_pending_keys = itertools.count(1)


class PendingCaptures(list[Capture]):
    """The captures of a fetch whose files the ingest worker writes: empty until it has, and
    carrying the fetch. ``key`` is unique in this process, so the worker writes a page shared
    by several items (channel posts) once, whichever batches they arrive in."""

    def __init__(self, fetch: FetchRecord) -> None:
        super().__init__()
        self.fetch = fetch
        self.key = next(_pending_keys)


class ResponseCapturer:
    def __init__(
        self,
        settings: Settings,
        scrapy_settings: BaseSettings,
        store: EvidenceStore | None = None,
        *,
        deferred: bool = False,
    ) -> None:
        self.deferred = deferred
        # fsync on a thread: a crawl should not wait for the disk on every page.
        self.store = store or EvidenceStore(
            settings.evidence_dir,
            fsync=scrapy_settings.getbool(FSYNC_SETTING, True),
            background_sync=True,
        )
        # Computed once: capture runs for every ad page.
        self.settings = crawler_settings(scrapy_settings)
        self.settings_digest = settings_digest(self.settings)
        self._writers: ThreadPoolExecutor | None = None
        middlewares = scrapy_settings.getwithbase("DOWNLOADER_MIDDLEWARES")
        self.received = middlewares.get(RECEIVED_MIDDLEWARE) is not None
        if not self.received:
            logger.warning("%s is not enabled: %s", RECEIVED_MIDDLEWARE, NO_RECEIVED_NOTE)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        capturer = cls(
            lurewatch_settings(crawler.settings),
            crawler.settings,
            deferred=ingest_in_worker(crawler.settings),
        )
        crawler.signals.connect(capturer.close, signal=signals.spider_closed)
        return capturer

    def close(self) -> None:
        """Wait until every capture is on disk (called when the spider closes)."""
        if self._writers is not None:
            self._writers.shutdown()
        self.store.close()

    def capture(self, response: Response) -> list[Capture]:
        """Store the evidence of one response; manifest first. Raises OSError if it cannot.
        Deferred: the fetch, for the ingest worker to store."""
        if self.deferred:
            return PendingCaptures(self.fetch_record(response))
        return capture_fetch(self.store, self.fetch_record(response))

    async def capture_async(self, response: Response) -> list[Capture]:
        """``capture`` for coroutine callbacks: hashing, compression and writing happen on a
        worker thread, so the crawl goes on meanwhile; the files exist when it returns.
        Deferred: the fetch, for the ingest worker to store, at once."""
        record = self.fetch_record(response)
        if self.deferred:
            return PendingCaptures(record)
        if self._writers is None:
            self._writers = ThreadPoolExecutor(2, thread_name_prefix="evidence-write")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writers, capture_fetch, self.store, record)

    def fetch_record(self, response: Response) -> FetchRecord:
        request: Request | None = response.request
        meta: Mapping[str, Any] = request.meta if request is not None else {}
        received = meta.get(RECEIVED_KEY)
        if not isinstance(received, dict):
            received = None
        redirects = [str(url) for url in meta.get("redirect_urls") or ()]
        common: dict[str, Any] = {
            "requested_url": redirects[0] if redirects else (request or response).url,
            "redirect_urls": redirects,
            "redirect_reasons": [
                r if isinstance(r, int) else str(r) for r in meta.get("redirect_reasons") or ()
            ],
            "fetched_at": datetime.fromtimestamp(received["at"], UTC)
            if received
            else datetime.now(UTC),
            "ip_address": str(response.ip_address) if response.ip_address else None,
            "settings": self.settings,
            "settings_digest": self.settings_digest,
        }
        # Without the received record, the headers are those left after decompression.
        notes = [] if received else [NO_RECEIVED_NOTE]
        sent = _pairs(received["headers"]) if received else _scrapy_headers(response)
        rendered = rendered_capture(response)
        if rendered is None:
            # Scrapy drops the encodings it decodes: mostly none is left.
            left = response.headers.getlist("Content-Encoding")
            now = _tokens(_text(v) for v in left) if left else []
            return FetchRecord(
                final_url=response.url,
                status=response.status,
                headers=sent,
                body=response.body,
                protocol=response.protocol or "HTTP/1.1",
                method=request.method if request is not None else "GET",
                request_headers=_scrapy_headers(request) if request is not None else None,
                removed_content_encodings=_removed(_encodings(sent), now),
                notes=notes,
                **common,
            )
        dom = None if rendered.dom_oversized else rendered.dom
        if rendered.http is not None:
            http = rendered.http
            notes = [DOM_DROPPED_NOTE] if rendered.dom_oversized else []
            return FetchRecord(
                final_url=http.url,
                status=http.status,
                headers=list(http.headers),
                body=http.body,
                # Chromium hands over every body decoded.
                removed_content_encodings=_encodings(http.headers),
                rendered=True,
                page_url=response.url if response.url != http.url else None,
                dom=dom,
                screenshot=rendered.screenshot,
                notes=notes,
                **common,
            )
        return FetchRecord(
            final_url=response.url,
            status=response.status,
            headers=sent,
            body=None,
            rendered=True,
            dom=dom,
            screenshot=rendered.screenshot,
            notes=[*notes, NO_HTTP_NOTE, *([DOM_DROPPED_NOTE] if rendered.dom_oversized else [])],
            **common,
        )


def crawler_settings(scrapy_settings: BaseSettings) -> dict[str, Any]:
    keys = set(SETTINGS_KEYS)
    keys.update(
        k for k in scrapy_settings if isinstance(k, str) and k.startswith(SETTINGS_PREFIXES)
    )
    return {key: _plain(scrapy_settings.get(key)) for key in sorted(keys)}


def _plain(value: Any) -> Any:
    """A JSON value that is the same in every process (no object addresses)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes):
        return _text(value)
    if isinstance(value, BaseSettings):
        return _plain(value.copy_to_dict())
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((_plain(v) for v in value), key=repr)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if callable(value):
        return f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', '')}"
    return f"<{type(value).__name__}>"


def _text(value: bytes | str) -> str:
    # Header bytes round-trip through latin-1 exactly.
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _pairs(headers: Iterable[Any]) -> list[tuple[str, str]]:
    return [(_text(name), _text(value)) for name, value in headers]


def _scrapy_headers(message: Request | Response) -> list[tuple[str, str]]:
    # Scrapy's Headers is a dict of normalised names to lists of values, and its own items()
    # looks every name up again, normalising it once more: half the time taken here. Normalising
    # twice changes only a name with non-ASCII letters (given as str), so only such a name is
    # looked up as items() does, to list exactly what it lists.
    headers = message.headers
    return [
        (_text(name), _text(value))
        for name, values in dict.items(headers)
        for value in (values if name.isascii() else headers.getlist(name))
    ]


def _tokens(values: Iterable[str]) -> list[str]:
    # A browser joins repeated headers with a line break: those are separators too.
    return [t.strip().lower() for v in values for t in _TOKEN_SEPARATORS.split(v) if t.strip()]


_TOKEN_SEPARATORS = re.compile(r"[,\r\n]")


def _encodings(headers: Iterable[tuple[str, str]]) -> list[str]:
    tokens = _tokens(v for n, v in headers if n.lower() == "content-encoding")
    return [t for t in tokens if t != "identity"]


def _removed(sent: list[str], kept: list[str]) -> list[str]:
    # Scrapy decodes from the last encoding applied and keeps the ones it cannot decode.
    return [] if sent == kept else sent[len(kept) :]
