"""Why a request failed, as a short stable kind (for stats and ``status``) and one human line."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as net
from twisted.python.failure import Failure

_NETWORK = {
    "dns": (net.DNSLookupError,),
    "timeout": (net.TimeoutError, net.TCPTimedOutError),
    "connection": (
        net.ConnectionRefusedError,
        net.ConnectionDone,
        net.ConnectionLost,
        net.ConnectError,
    ),
}


def failure_kind(failure: Failure) -> tuple[str, str]:
    """``("http-503", "HTTP 503")``, ``("timeout", "...")``, ... for a failed request."""
    exc: BaseException = failure.value or RuntimeError("unknown failure")
    if isinstance(exc, HttpError):
        status = exc.response.status
        return f"http-{status}", f"HTTP {status}"
    for kind, types in _NETWORK.items():
        if isinstance(exc, types):
            return kind, _line(exc)
    name = type(exc).__name__
    if "Timeout" in name:
        return "timeout", _line(exc)
    if isinstance(exc, IgnoreRequest):
        return "ignored", _line(exc)
    return "other", _line(exc)


def _line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]
