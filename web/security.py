"""Response headers, CSRF tokens and the few checks on values that come back from the browser."""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Mapping
from urllib.parse import urlsplit

from markupsafe import Markup
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No inline script or style anywhere, nothing from another origin: an ad's text that slips
# through escaping still cannot run.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


class SecurityHeadersMiddleware:
    """Adds the headers above to every HTTP response, and ``no-store`` to all but static files
    (ads and search results must not linger in a shared machine's cache)."""

    def __init__(self, app: ASGIApp, static_prefix: str = "/static/") -> None:
        self.app = app
        self.static_prefix = static_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = str(scope.get("path", "")).startswith(self.static_prefix)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if not cacheable:
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


CSRF_FIELD = "csrf_token"
_CSRF_KEY = "csrf"


def csrf_token(session: dict[str, object]) -> str:
    """The session's CSRF token, created on first use."""
    token = session.get(_CSRF_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[_CSRF_KEY] = token
    return token


def csrf_ok(session: Mapping[str, object], submitted: str | None) -> bool:
    expected = session.get(_CSRF_KEY)
    if not isinstance(expected, str) or not expected or not submitted:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())


def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` when it is a path on this site, else ``default``: the login form's "next"
    must never send anyone to another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(c) < 0x20 for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def is_web_url(url: str) -> bool:
    """Only http(s) URLs become links: a scraped ``javascript:`` URL stays text."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


_MARK_TAG = re.compile(r"(</?mark>)")


def safe_highlight(fragment: str) -> Markup:
    """The search index hands back escaped text with ``<mark>`` tags. Trust only those tags:
    any other angle bracket is escaped again, so a fault upstream shows as text, never markup."""
    pieces = _MARK_TAG.split(fragment)
    out = []
    for i, piece in enumerate(pieces):
        if i % 2:
            out.append(piece)
        else:
            out.append(piece.replace("<", "&lt;").replace(">", "&gt;"))
    return Markup("".join(out))  # noqa: S704 - only <mark> survives, see above
