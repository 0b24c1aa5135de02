"""Retries with exponential backoff and Retry-After (Scrapy's RetryMiddleware retries at once).

Before retry number n it waits ``LUREWATCH_RETRY_BACKOFF * 2**(n-1)`` seconds (1 s, 2 s, 4 s...
by default), at most ``LUREWATCH_RETRY_BACKOFF_MAX``; and for 429 and 503 at least as long as the
response's ``Retry-After`` asks (seconds or an HTTP date). A site asking to wait longer than
``LUREWATCH_RETRY_AFTER_MAX`` is not retried in this run: the page counts as failed and a later
run (or ``--retry-failed``) fetches it.

The wait is an asynchronous sleep of this one request: other requests, to this site and others,
go on meanwhile. It takes Scrapy's place in ``DOWNLOADER_MIDDLEWARES`` with Scrapy's RETRY_*
settings (RETRY_TIMES, RETRY_HTTP_CODES, RETRY_EXCEPTIONS).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import sleep
from scrapy.utils.response import response_status_message

log = logging.getLogger("lurewatch")

RETRY_AFTER_STATUSES = frozenset({429, 503})
WAITED = "lurewatch/retry_wait_seconds"
TOO_LONG = "lurewatch/retry_after_too_long"


def retry_after_seconds(response: Response, now: datetime | None = None) -> float | None:
    """The wait a response's ``Retry-After`` header asks for; None without a usable one."""
    raw = response.headers.get(b"Retry-After")
    if not raw:
        return None
    value = raw.decode("latin-1").strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("LUREWATCH_RETRY_BACKOFF", 1.0)
        self.backoff_max = settings.getfloat("LUREWATCH_RETRY_BACKOFF_MAX", 30.0)
        self.retry_after_max = settings.getfloat("LUREWATCH_RETRY_AFTER_MAX", 60.0)

    def backoff(self, retry_times: int) -> float:
        """Seconds to wait before retry number ``retry_times`` (1, 2, ...)."""
        if self.backoff_base <= 0:
            return 0.0
        return min(self.backoff_max, self.backoff_base * 2 ** max(0, retry_times - 1))

    # Scrapy awaits coroutine middleware methods; the parent's are plain functions.
    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry_after = None
        if response.status in RETRY_AFTER_STATUSES:
            retry_after = retry_after_seconds(response)
        if retry_after is not None and retry_after > self.retry_after_max:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value(TOO_LONG)
            log.warning(
                "%s asks to wait %.0f s (Retry-After), over LUREWATCH_RETRY_AFTER_MAX=%.0f s:"
                " not retried in this run",
                request.url,
                retry_after,
                self.retry_after_max,
            )
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        await self._wait(retry, retry_after)
        return retry

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        retry = super().process_exception(request, exception)
        if isinstance(retry, Request):
            await self._wait(retry, None)
        return retry

    async def _wait(self, retry: Request, retry_after: float | None) -> None:
        seconds = max(self.backoff(int(retry.meta.get("retry_times", 1))), retry_after or 0.0)
        if seconds <= 0:
            return
        stats = self.crawler.stats
        assert stats is not None
        stats.set_value(WAITED, round(float(stats.get_value(WAITED, 0.0)) + seconds, 3))
        await sleep(seconds)
