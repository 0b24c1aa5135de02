"""Short, stable names for why a page could not be fetched (``crawlers.signals.page_failed``).

The kinds are what ``lurewatch status`` groups errors by, so they stay few and never contain
scraped text: ``timeout``, ``dns``, ``connection``, ``http-<status>``, ``circuit-open``,
``other`` (senders may add their own, such as ``too-large`` or ``not-html``).
"""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as twisted_error
from twisted.python.failure import Failure

from core.urls import canonical_url

MAX_REASON_CHARS = 300

_TIMEOUTS: tuple[type[BaseException], ...] = (
    DownloadTimeoutError,
    TimeoutError,
    twisted_error.TimeoutError,
    twisted_error.TCPTimedOutError,
)
_DNS: tuple[type[BaseException], ...] = (CannotResolveHostError, twisted_error.DNSLookupError)
# Failures of the connection to the site (as opposed to a page the site served badly).
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    DownloadConnectionRefusedError,
    DownloadFailedError,
    ResponseDataLossError,
    ConnectionError,
    twisted_error.ConnectError,
    twisted_error.ConnectionLost,
    twisted_error.ConnectionDone,
)


def page_key(url: str) -> str:
    """The canonical form of ``url`` that identifies a page; ``url`` itself if it has none."""
    try:
        return canonical_url(url)
    except ValueError:  # a bad port, say: still one page, named as it was asked for
        return url


def http_kind(status: int) -> str:
    return f"http-{int(status)}"


def _is_playwright_timeout(exc: BaseException) -> bool:
    # Checked by name: importing playwright here would load it for every plain-HTTP crawl.
    cls = type(exc)
    return cls.__module__.startswith("playwright") and "Timeout" in cls.__name__


def is_site_failure(exc: BaseException) -> bool:
    """True for errors that say the site is unwell: timeouts, DNS, refused or broken connections."""
    return isinstance(exc, _TIMEOUTS + _DNS + CONNECTION_ERRORS) or _is_playwright_timeout(exc)


def exception_kind(exc: BaseException) -> str:
    if isinstance(exc, _TIMEOUTS) or _is_playwright_timeout(exc):
        return "timeout"
    if isinstance(exc, _DNS):
        return "dns"
    if isinstance(exc, CONNECTION_ERRORS):
        return "connection"
    return getattr(exc, "failure_kind", None) or "other"


def one_line(text: str, limit: int = MAX_REASON_CHARS) -> str:
    """``text`` on one line, at most ``limit`` characters (reasons can quote scraped input)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def exception_reason(exc: BaseException) -> str:
    message = str(exc) or type(exc).__name__
    return one_line(f"{type(exc).__name__}: {message}")


def failure_kind(failure: Failure) -> tuple[str, str]:
    """``("http-503", "HTTP 503")``, ``("timeout", "...")``, ... for a failed request."""
    exc: BaseException = failure.value or RuntimeError("unknown failure")
    if isinstance(exc, HttpError):
        status = exc.response.status
        return http_kind(status), f"HTTP {status}"
    if isinstance(exc, IgnoreRequest):
        return "ignored", exception_reason(exc)
    return exception_kind(exc), exception_reason(exc)
