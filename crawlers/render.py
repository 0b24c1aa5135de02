"""Rendering JavaScript-only pages in Chromium through scrapy-playwright."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playwright.async_api import Request as PlaywrightRequest
from scrapy.http import Response

from core.settings import Settings

# Nothing an ad's text depends on; skipping them keeps rendering fast and fetches less.
BLOCKED_RESOURCE_TYPES = frozenset({"image", "font", "media"})


class ChromiumMissingError(RuntimeError):
    pass


def should_abort_request(request: PlaywrightRequest) -> bool:
    """``PLAYWRIGHT_ABORT_REQUEST``: drop images, fonts and media a rendered page asks for."""
    return request.resource_type in BLOCKED_RESOURCE_TYPES


def require_chromium(settings: Settings) -> None:
    if not settings.chromium_path.exists():
        raise ChromiumMissingError(
            f"rendering needs Chromium but {settings.chromium_path} does not exist: install it"
            " with `apt-get install chromium`, or set LUREWATCH_CHROMIUM_PATH to its binary"
        )


def render_meta() -> dict[str, Any]:
    """Request meta that renders a page and hands back its DOM once the network is idle.

    The page is never handed to the spider (no ``playwright_include_page``), so the handler
    closes it as soon as the DOM is read: nothing to leak when a callback fails.
    """
    return {
        "playwright": True,
        "playwright_page_goto_kwargs": {"wait_until": "networkidle"},
    }


@dataclass
class RawHttp:
    """The HTTP response Chromium received for the page's own URL (before any script ran)."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class RenderedCapture:
    dom: bytes  # the rendered DOM, UTF-8 (what the spider parsed)
    screenshot: bytes | None  # full-page PNG, when the request asked for evidence
    http: RawHttp | None  # the navigation response, when Chromium kept it


def rendered_capture(response: Response) -> RenderedCapture | None:
    """What a rendered response holds beyond Scrapy's own fields; None for plain HTTP responses."""
    if "playwright" not in response.flags:
        return None
    return RenderedCapture(dom=response.body, screenshot=None, http=None)
