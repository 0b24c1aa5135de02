"""Rendering JavaScript-only pages in Chromium through scrapy-playwright.

A rendered request carries ``render_meta(evidence)``. Its page goes through three steps inside
scrapy-playwright's download handler:

1. ``prepare_page`` (``playwright_page_init_callback``) notes whether the page is an evidence
   page and starts keeping the main frame's document responses;
2. ``should_abort_request`` (``PLAYWRIGHT_ABORT_REQUEST``) drops trackers on every page, and
   images, fonts and media on plain pages only: an evidence screenshot must show what a visitor
   saw;
3. ``capture_page`` (a callable ``PageMethod``) lets the page settle, reads the navigation
   response as Chromium received it, caps the DOM and takes the screenshot of evidence pages.

``rendered_capture(response)`` hands the spider what step 3 kept. Pages are never given to the
spider (no ``playwright_include_page``): the handler closes each page before the callback runs,
so a failing callback leaks nothing. Context recycling is ``crawlers.extensions.rendermemory``.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import FloatRect, Page
from playwright.async_api import Request as PlaywrightRequest
from playwright.async_api import Response as PlaywrightResponse
from scrapy import Request
from scrapy.http import Response
from scrapy_playwright.page import PageMethod

from core.settings import Settings

logger = logging.getLogger(__name__)

# Nothing an ad's text depends on; skipping them keeps rendering fast and fetches less.
BLOCKED_RESOURCE_TYPES = frozenset({"image", "font", "media"})
# Requests that only report on the visitor (navigator.sendBeacon, <a ping>, CSP reports).
TRACKER_RESOURCE_TYPES = frozenset({"ping", "cspreport"})
# Analytics and ad-tech hosts (and their subdomains): blocked on every page, evidence or not.
TRACKER_HOSTS = frozenset(
    {
        "google-analytics.com",
        "googletagmanager.com",
        "googletagservices.com",
        "googlesyndication.com",
        "googleadservices.com",
        "doubleclick.net",
        "adservice.google.com",
        "connect.facebook.net",
        "facebook.net",
        "hotjar.com",
        "clarity.ms",
        "mc.yandex.ru",
        "scorecardresearch.com",
        "quantserve.com",
        "criteo.com",
        "criteo.net",
        "taboola.com",
        "outbrain.com",
        "adnxs.com",
        "amazon-adsystem.com",
        "bat.bing.com",
        "analytics.tiktok.com",
        "segment.io",
        "cdn.segment.com",
        "mixpanel.com",
        "nr-data.net",
        "matomo.cloud",
        "plausible.io",
    }
)

RENDER_MODE_KEY = "lurewatch_render"  # request meta: "plain" or "evidence"
CAPTURE_METHOD_KEY = "lurewatch_capture"  # key of capture_page in playwright_page_methods
# Set by crawlers.extensions.rendermemory when it assigns the request a context; prepare_page
# then puts the page's BrowserContext under CONTEXT_OBJECT_KEY so it can be closed later.
CONTEXT_ASSIGNED_KEY = "lurewatch_render_context"
CONTEXT_OBJECT_KEY = "_lurewatch_browser_context"

DEFAULT_MAX_BYTES = Settings.model_fields["max_page_bytes"].default
SCREENSHOT_MAX_HEIGHT = 20_000  # px: an endless page cannot make an endless image
SCREENSHOT_MAX_WIDTH = 4_000
SCREENSHOT_MAX_BYTES = 20 * 1024 * 1024
SETTLE_MS = 10_000  # after DOMContentLoaded: wait this long at most for load and network idle
NETWORK_IDLE_MIN_MS = 500

RenderMode = Literal["plain", "evidence"]


class ChromiumMissingError(RuntimeError):
    pass


def require_chromium(settings: Settings) -> None:
    if not settings.chromium_path.exists():
        raise ChromiumMissingError(
            f"rendering needs Chromium but {settings.chromium_path} does not exist: install it"
            " with `apt-get install chromium`, or set LUREWATCH_CHROMIUM_PATH to its binary"
        )


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
    # The DOM was over the size cap and was dropped in the browser (``dom`` is then empty).
    dom_oversized: bool = False


@dataclass
class _PageState:
    mode: RenderMode
    documents: list[PlaywrightResponse] = field(default_factory=list)


@dataclass
class _PageResult:
    """What ``capture_page`` leaves in its PageMethod's ``result``."""

    http: RawHttp | None
    screenshot: bytes | None
    dom_oversized: bool


# Pages being rendered, by the Playwright page object (one object per page, kept by Playwright
# while the page lives): the abort function sees only a request and finds its page's mode here.
_PAGES: WeakKeyDictionary[Page, _PageState] = WeakKeyDictionary()


def render_meta(evidence: bool = False, *, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """Request meta that renders a page in Chromium.

    Plain rendering blocks images, fonts, media and trackers. Evidence rendering (for pages
    expected to hold an ad) loads everything but trackers and takes a full-page PNG screenshot
    of at most ``SCREENSHOT_MAX_HEIGHT`` pixels. Either way the page settles (load, then network
    idle, at most ``SETTLE_MS``), and the navigation response and a DOM of at most ``max_bytes``
    are kept: read them with ``rendered_capture(response)``.

    Everything in it pickles (strings, a module-level function), so a disk queue can hold it.
    """
    mode: RenderMode = "evidence" if evidence else "plain"
    return {
        "playwright": True,
        # crawlers.extensions.rendermemory replaces the name to recycle contexts.
        "playwright_context": "render",
        # Not "networkidle": a page that polls forever would never finish loading.
        "playwright_page_goto_kwargs": {"wait_until": "domcontentloaded"},
        "playwright_page_init_callback": "crawlers.render.prepare_page",
        "playwright_page_methods": {
            CAPTURE_METHOD_KEY: PageMethod(capture_page, evidence=evidence, max_bytes=max_bytes)
        },
        RENDER_MODE_KEY: mode,
    }


def is_tracker(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    parts = host.split(".")
    return any(".".join(parts[i:]) in TRACKER_HOSTS for i in range(len(parts) - 1))


def _page_of(request: PlaywrightRequest) -> Page | None:
    try:
        return request.frame.page
    except PlaywrightError:  # service-worker requests, detached frames
        return None


def should_abort_request(request: PlaywrightRequest) -> bool:
    """``PLAYWRIGHT_ABORT_REQUEST``: drop trackers always, and images, fonts and media unless
    the page is being rendered as evidence."""
    page = _page_of(request)
    if page is not None and request.is_navigation_request() and request.frame == page.main_frame:
        return False  # the page itself, whatever its host
    if request.resource_type in TRACKER_RESOURCE_TYPES or is_tracker(request.url):
        return True
    if request.resource_type not in BLOCKED_RESOURCE_TYPES:
        return False
    state = _PAGES.get(page) if page is not None else None
    return state is None or state.mode != "evidence"


async def prepare_page(page: Page, request: Request) -> None:
    """``playwright_page_init_callback``: runs before the page navigates."""
    state = _PageState(
        mode="evidence" if request.meta.get(RENDER_MODE_KEY) == "evidence" else "plain"
    )
    _PAGES[page] = state

    def keep_document(response: PlaywrightResponse) -> None:
        with suppress(PlaywrightError):
            if response.request.resource_type == "document" and response.frame == page.main_frame:
                state.documents.append(response)

    page.on("response", keep_document)
    if request.meta.get(CONTEXT_ASSIGNED_KEY):
        request.meta[CONTEXT_OBJECT_KEY] = page.context


async def capture_page(page: Page, *, evidence: bool, max_bytes: int) -> _PageResult:
    """The ``PageMethod`` of rendered requests (see the module docstring)."""
    await _settle(page)
    state = _PAGES.pop(page, None)
    http = await _raw_http(state, max_bytes) if state is not None else None
    units = await page.evaluate(
        "() => document.documentElement ? document.documentElement.outerHTML.length : 0"
    )
    # UTF-8 takes at least one byte per UTF-16 unit: over the cap in units is over it in bytes.
    if isinstance(units, int) and units > max_bytes:
        logger.warning("rendered DOM over %d bytes, dropped: %s", max_bytes, page.url)
        # Emptied in the browser, so the handler never copies the whole DOM into this process.
        await page.evaluate("() => document.documentElement.replaceChildren()")
        return _PageResult(http=http, screenshot=None, dom_oversized=True)
    screenshot = await _screenshot(page) if evidence else None
    return _PageResult(http=http, screenshot=screenshot, dom_oversized=False)


async def _settle(page: Page) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_MS / 1000
    for state in ("load", "networkidle"):
        left_ms = max((deadline - loop.time()) * 1000, NETWORK_IDLE_MIN_MS)
        try:
            await page.wait_for_load_state(state, timeout=left_ms)
        except PlaywrightError:  # timeouts: render what is there
            return


async def _raw_http(state: _PageState, max_bytes: int) -> RawHttp | None:
    final = [r for r in state.documents if r.request.redirected_to is None]
    if not final:
        return None
    response = final[-1]
    try:
        headers = [(h["name"], h["value"]) for h in await response.headers_array()]
        length = next((v for k, v in headers if k.lower() == "content-length"), "")
        if length.strip().isdigit() and int(length) > max_bytes:
            logger.warning("HTTP body over %d bytes, not kept: %s", max_bytes, response.url)
            return None
        body = await response.body()
    except PlaywrightError as exc:  # evicted from Chromium's buffers, or the page went away
        logger.info("navigation response of %s not kept: %s", response.url, exc.message)
        return None
    if len(body) > max_bytes:
        logger.warning("HTTP body over %d bytes, not kept: %s", max_bytes, response.url)
        return None
    return RawHttp(url=response.url, status=response.status, headers=headers, body=body)


async def _screenshot(page: Page) -> bytes | None:
    # full_page with a clip: Playwright trims the clip to the page, so short pages stay short.
    clip = FloatRect(x=0, y=0, width=SCREENSHOT_MAX_WIDTH, height=SCREENSHOT_MAX_HEIGHT)
    try:
        png = await page.screenshot(full_page=True, type="png", clip=clip)
    except PlaywrightError as exc:
        logger.warning("screenshot of %s failed: %s", page.url, exc.message)
        return None
    if len(png) > SCREENSHOT_MAX_BYTES:
        logger.warning("screenshot over %d bytes, not kept: %s", SCREENSHOT_MAX_BYTES, page.url)
        return None
    return png


def rendered_capture(response: Response) -> RenderedCapture | None:
    """What a rendered response holds beyond Scrapy's own fields; None for plain HTTP responses."""
    if "playwright" not in response.flags:
        return None
    result = None
    request = response.request
    methods = request.meta.get("playwright_page_methods") if request is not None else None
    if isinstance(methods, dict):
        method = methods.get(CAPTURE_METHOD_KEY)
        if isinstance(method, PageMethod) and isinstance(method.result, _PageResult):
            result = method.result
    if result is None:
        return RenderedCapture(dom=response.body, screenshot=None, http=None)
    return RenderedCapture(
        dom=b"" if result.dom_oversized else response.body,
        screenshot=result.screenshot,
        http=result.http,
        dom_oversized=result.dom_oversized,
    )
