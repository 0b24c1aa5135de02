"""A circuit breaker per site: stop asking a host that keeps failing, try again later.

After ``LUREWATCH_CIRCUIT_ERRORS`` (default 10, 0: off) failed fetches in a row from one host
(download slot) -- timeouts, DNS or connection errors, HTTP 5xx, and 429 once retries are used up
-- the host's circuit opens: for ``LUREWATCH_CIRCUIT_COOLDOWN`` (default ``10m``) its requests
are dropped (``CircuitOpenError``, counted as ``lurewatch/circuit_dropped``). Then requests may
go again ("half-open"): the first success closes the circuit, the first failure opens it again.
Any success resets the count. Each opening counts in ``lurewatch/circuit_open`` and logs one
line; so does each closing.

When every host of the crawl is open at once (a one-site crawl whose site is down), the spider
is closed with the finish reason ``circuit_open``: the run ends cleanly and the next scheduled run
tries again.

It sits just inside the retry middleware, so it sees every attempt: a dead site trips the breaker
after a few pages instead of after every page has been retried.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.httpobj import urlparse_cached

from core.durations import format_duration, parse_duration
from crawlers.state.failures import is_site_failure

log = logging.getLogger("lurewatch")

FINISH_REASON = "circuit_open"
TRIPS = "lurewatch/circuit_open"
DROPPED = "lurewatch/circuit_dropped"


class CircuitOpenError(IgnoreRequest):
    """A request not sent because its host's circuit is open."""

    failure_kind = "circuit-open"


@dataclass
class _Host:
    failures: int = 0  # in a row
    open_until: float | None = None  # open while the clock is before this
    half_open: bool = False  # the cooldown is over: the next result decides


class CircuitBreaker:
    """The bookkeeping, with an injectable clock (seconds, monotonic)."""

    def __init__(
        self, threshold: int, cooldown: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if threshold < 1:
            raise ValueError(f"threshold must be at least 1, got {threshold}")
        self.threshold = threshold
        self.cooldown = cooldown
        self.clock = clock
        self._hosts: dict[str, _Host] = {}

    def is_open(self, key: str) -> bool:
        host = self._hosts.get(key)
        return host is not None and host.open_until is not None and self.clock() < host.open_until

    def allows(self, key: str) -> bool:
        """May a request go to ``key`` now? Ends the cooldown once it is over."""
        host = self._hosts.get(key)
        if host is None or host.open_until is None:
            return True
        if self.clock() < host.open_until:
            return False
        host.open_until, host.half_open = None, True
        return True

    def failure(self, key: str) -> bool:
        """Count a failure; True when it opened the circuit."""
        host = self._hosts.setdefault(key, _Host())
        if host.open_until is not None:
            return False  # a request sent before the circuit opened: already counted in
        host.failures += 1
        if host.half_open or host.failures >= self.threshold:
            host.open_until = self.clock() + self.cooldown
            host.failures, host.half_open = 0, False
            return True
        return False

    def success(self, key: str) -> bool:
        """Count a success; True when it closed a circuit that had opened."""
        host = self._hosts.get(key)
        if host is None or host.open_until is not None:
            return False  # late answers while open do not close it: only a new try does
        closed = host.half_open
        host.failures, host.half_open = 0, False
        return closed

    def open_hosts(self) -> set[str]:
        return {key for key in self._hosts if self.is_open(key)}


def _covers(open_hosts: Iterable[str], domain: str) -> bool:
    return any(h == domain or h.endswith("." + domain) for h in open_hosts)


class CircuitBreakerMiddleware:
    def __init__(self, crawler: Crawler, breaker: CircuitBreaker) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.breaker = breaker
        self.retry_times = crawler.settings.getint("RETRY_TIMES")
        self.retry_enabled = crawler.settings.getbool("RETRY_ENABLED")
        self._hosts: set[str] = set()  # every host this crawl asked
        self._closing = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        threshold = crawler.settings.getint("LUREWATCH_CIRCUIT_ERRORS", 10)
        if threshold <= 0:
            raise NotConfigured
        cooldown = parse_duration(crawler.settings.get("LUREWATCH_CIRCUIT_COOLDOWN", 600))
        return cls(crawler, CircuitBreaker(threshold, cooldown))

    @staticmethod
    def host_key(request: Request) -> str:
        # The downloader's slot key (crawlers never set CONCURRENT_REQUESTS_PER_IP).
        slot = request.meta.get("download_slot")
        return str(slot) if slot is not None else urlparse_cached(request).hostname or ""

    def process_request(self, request: Request) -> None:
        key = self.host_key(request)
        self._hosts.add(key)
        if not self.breaker.allows(key):
            self.stats.inc_value(DROPPED)
            raise CircuitOpenError(f"circuit open for {key}: not fetched")

    def process_response(self, request: Request, response: Response) -> Response:
        key = self.host_key(request)
        if response.status >= 500 or (response.status == 429 and self._final(request)):
            self._failed(key, f"HTTP {response.status}")
        elif self.breaker.success(key):
            log.info("circuit closed for %s: it answers again", key)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if is_site_failure(exception):
            self._failed(self.host_key(request), type(exception).__name__)

    def _final(self, request: Request) -> bool:
        """No retry will follow this attempt."""
        if not self.retry_enabled or request.meta.get("dont_retry"):
            return True
        allowed = request.meta.get("max_retry_times", self.retry_times)
        return int(request.meta.get("retry_times", 0)) >= int(allowed)

    def _failed(self, key: str, what: str) -> None:
        if not self.breaker.failure(key):
            return
        self.stats.inc_value(TRIPS)
        self._drop_queued(key)
        log.warning(
            "circuit open for %s after repeated failures (last: %s): no requests to it for %s",
            key,
            what,
            format_duration(self.breaker.cooldown),
        )
        self._close_if_all_open()

    def _drop_queued(self, key: str) -> None:
        """Fail the requests to ``key`` already waiting in the downloader: they passed
        ``process_request`` before the circuit opened, and would be sent once a slot is free."""
        slot = self.crawler.engine.downloader.slots.get(key)
        if slot is None:
            return
        while slot.queue:
            _request, queued = slot.queue.popleft()
            self.stats.inc_value(DROPPED)
            queued.errback(CircuitOpenError(f"circuit open for {key}: not fetched"))

    def _close_if_all_open(self) -> None:
        open_hosts = self.breaker.open_hosts()
        spider = self.crawler.spider
        domains = [d for d in getattr(spider, "allowed_domains", None) or [] if d]
        if self._closing or not self._hosts <= open_hosts:
            return
        if not all(_covers(open_hosts, d) for d in domains):
            return
        self._closing = True
        log.warning("every site of this crawl has its circuit open: closing the spider")
        self.close_spider()

    def close_spider(self) -> None:
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=FINISH_REASON))
