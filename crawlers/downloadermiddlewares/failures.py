"""Reports every page whose download finally failed as ``crawlers.signals.page_failed``.

It sits just outside the retry middleware, so it sees what is left once retries are used up:
an exception (timeout, DNS, refused connection) or an HTTP error status. The spider may report
the same page again from its errback; receivers keep one report per page and run.

404 and 410 are not failures here: they are how a site says an ad was taken down, and the spider
records them as removals.
"""

from __future__ import annotations

from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK

from crawlers.signals import page_failed
from crawlers.state.failures import exception_kind, exception_reason, http_kind

NOT_FAILURES = frozenset({404, 410})


class FailedPageReporter:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("LUREWATCH_REPORT_FAILURES", True):
            raise NotConfigured
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status >= 400 and response.status not in NOT_FAILURES:
            self._report(request, http_kind(response.status), f"HTTP {response.status}")
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        # IgnoreRequest: robots.txt, the circuit breaker or a guard decided; not a failure.
        if not isinstance(exception, IgnoreRequest):
            self._report(request, exception_kind(exception), exception_reason(exception))

    def _report(self, request: Request, kind: str, reason: str) -> None:
        if request.callback is NO_CALLBACK:  # robots.txt and other middleware requests
            return
        self.crawler.signals.send_catch_log(page_failed, url=request.url, kind=kind, reason=reason)
