"""Rendering in Chromium: what is blocked in which mode, evidence screenshots and raw HTTP,
context recycling, and ``render: auto``. Browser crawls run in a subprocess (Scrapy's reactor
cannot restart)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import pickle
import struct
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Error as PlaywrightError
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from core.settings import Settings
from core.sources import Selectors
from crawlers.config import SETTINGS_KEY
from crawlers.extensions.rendermemory import Renderer
from crawlers.render import (
    RENDER_MODE_KEY,
    RenderedCapture,
    prepare_page,
    render_meta,
    rendered_capture,
    should_abort_request,
)
from crawlers.render_auto import decide_rendering, needs_rendering
from demosites.catalogue import load_catalogue
from demosites.routes import Routes
from tests.sites.serving import serve_in_thread

REPO = Path(__file__).resolve().parent.parent
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# -- which requests a page may make -----------------------------------------------------------


class FakeFrame:
    def __init__(self, page: FakePage | None) -> None:
        self._page = page

    @property
    def page(self) -> FakePage:
        if self._page is None:
            raise PlaywrightError("Service Worker requests do not have an associated frame.")
        return self._page


class FakePage:
    def __init__(self) -> None:
        self.main_frame = FakeFrame(self)
        self.context = object()
        self.listeners: dict[str, Any] = {}

    def on(self, event: str, handler: Any) -> None:
        self.listeners[event] = handler


@dataclass
class FakeRequest:
    url: str
    resource_type: str
    frame: FakeFrame
    navigation: bool = False

    def is_navigation_request(self) -> bool:
        return self.navigation


def page_in_mode(evidence: bool) -> FakePage:
    page = FakePage()
    request = Request("https://jobs.example/ad/1", meta=render_meta(evidence))
    asyncio.run(prepare_page(page, request))  # type: ignore[arg-type]
    return page


def aborted(page: FakePage, url: str, resource_type: str, *, navigation: bool = False) -> bool:
    frame = page.main_frame if navigation else FakeFrame(page)
    request = FakeRequest(url, resource_type, frame, navigation)
    return should_abort_request(request)  # type: ignore[arg-type]


@pytest.mark.parametrize("evidence", [False, True])
def test_text_scripts_and_data_load_in_both_modes(evidence: bool) -> None:
    page = page_in_mode(evidence)
    for kind in ("script", "stylesheet", "xhr", "fetch", "document"):
        assert not aborted(page, f"https://jobs.example/x.{kind}", kind)


def test_plain_pages_skip_images_fonts_and_media() -> None:
    page = page_in_mode(evidence=False)
    for kind in ("image", "font", "media"):
        assert aborted(page, "https://jobs.example/photo", kind)


def test_evidence_pages_load_images_fonts_and_media() -> None:
    page = page_in_mode(evidence=True)
    for kind in ("image", "font", "media"):
        assert not aborted(page, "https://jobs.example/photo", kind)


# The URLs below only go to the request-blocking decision (``should_abort_request`` on a fake
# request): no browser runs and nothing is fetched.
@pytest.mark.parametrize("evidence", [False, True])
def test_trackers_are_blocked_in_both_modes(evidence: bool) -> None:
    page = page_in_mode(evidence)
    assert aborted(page, "https://www.google-analytics.com/g/collect?v=2", "xhr")
    assert aborted(page, "https://region1.analytics.google.com.doubleclick.net/x", "script")
    assert aborted(page, "https://connect.facebook.net/en_US/fbevents.js", "script")
    assert aborted(page, "https://jobs.example/log", "ping")  # navigator.sendBeacon
    assert not aborted(page, "https://notgoogle-analytics.com.jobs.example/app.js", "script")


def test_the_page_itself_is_never_blocked() -> None:
    # Only the blocking decision sees this URL, on a fake request: nothing is fetched.
    page = page_in_mode(evidence=False)
    assert not aborted(page, "https://www.googletagmanager.com/", "document", navigation=True)


def test_requests_of_unknown_pages_are_treated_as_plain() -> None:
    stranger = FakePage()  # never prepared: not a page LureWatch renders as evidence
    assert aborted(stranger, "https://jobs.example/photo.jpg", "image")
    service_worker = FakeRequest("https://jobs.example/p.png", "image", FakeFrame(None))
    assert should_abort_request(service_worker)  # type: ignore[arg-type]


# -- request meta ------------------------------------------------------------------------------


def test_render_meta_shapes() -> None:
    plain, evidence = render_meta(), render_meta(evidence=True)
    for meta in (plain, evidence):
        assert meta["playwright"] is True
        assert meta["playwright_page_init_callback"] == "crawlers.render.prepare_page"
        assert "playwright_include_page" not in meta  # the handler closes every page itself
        # Settles itself: a page that polls forever must not hang the navigation.
        assert meta["playwright_page_goto_kwargs"]["wait_until"] != "networkidle"
    assert plain[RENDER_MODE_KEY] == "plain" and evidence[RENDER_MODE_KEY] == "evidence"
    (plain_capture,) = plain["playwright_page_methods"].values()
    (evidence_capture,) = evidence["playwright_page_methods"].values()
    assert plain_capture.kwargs["evidence"] is False
    assert evidence_capture.kwargs["evidence"] is True
    # Each request gets its own PageMethod objects: their results are per page.
    assert render_meta()["playwright_page_methods"] is not plain["playwright_page_methods"]


def test_render_meta_survives_a_disk_queue() -> None:
    meta = pickle.loads(pickle.dumps(render_meta(evidence=True, max_bytes=1234)))
    (capture,) = meta["playwright_page_methods"].values()
    assert capture.kwargs == {"evidence": True, "max_bytes": 1234}


def test_plain_http_responses_have_no_rendered_capture() -> None:
    response = HtmlResponse("https://jobs.example/", body=b"<html></html>")
    assert rendered_capture(response) is None


def test_a_rendered_response_without_capture_still_has_its_dom() -> None:
    response = HtmlResponse("https://jobs.example/", body=b"<p>x</p>", flags=["playwright"])
    assert rendered_capture(response) == RenderedCapture(b"<p>x</p>", None, None)


# -- context recycling, without a browser ------------------------------------------------------


def renderer_for(recycle: int, max_contexts: int = 2, max_bytes: int = 4096) -> Renderer:
    crawler = get_crawler(
        settings_dict={
            "LUREWATCH_RENDER_RECYCLE_PAGES": recycle,
            "PLAYWRIGHT_MAX_CONTEXTS": max_contexts,
            SETTINGS_KEY: Settings(max_page_bytes=max_bytes),
        }
    )
    return Renderer.from_crawler(crawler)


def test_renderer_is_one_per_crawler_and_uses_the_page_size_cap() -> None:
    renderer = renderer_for(recycle=3, max_bytes=4096)
    assert Renderer.from_crawler(renderer.crawler) is renderer
    assert renderer.limits.recycle_pages == 3
    (capture,) = renderer.meta(evidence=True)["playwright_page_methods"].values()
    assert capture.kwargs == {"evidence": True, "max_bytes": 4096}


def test_contexts_rotate_and_never_exceed_the_cap() -> None:
    async def scenario() -> list[str]:
        renderer = renderer_for(recycle=2, max_contexts=2)
        requests = [Request(f"https://jobs.example/{i}", meta=renderer.meta()) for i in range(7)]
        names = []
        for request in requests[:4]:
            renderer.request_reached_downloader(request)
            names.append(request.meta["playwright_context"])
        # render-0 is full but still has pages in flight, and a third context would be over
        # PLAYWRIGHT_MAX_CONTEXTS: the fifth page goes to render-1 instead of waiting.
        renderer.request_reached_downloader(requests[4])
        names.append(requests[4].meta["playwright_context"])
        for request in requests[:2]:  # render-0 drains and is closed
            renderer.request_left_downloader(request)
        await renderer.spider_closed()  # waits for the closing
        for request in requests[5:]:
            renderer.request_reached_downloader(request)
            names.append(request.meta["playwright_context"])
        return names

    names = asyncio.run(scenario())
    assert names == [
        "render-0",
        "render-0",
        "render-1",
        "render-1",
        "render-1",
        "render-2",
        "render-2",
    ]


def test_requests_that_are_not_rendered_are_left_alone() -> None:
    renderer = renderer_for(recycle=2)
    plain_http = Request("https://jobs.example/")
    renderer.request_reached_downloader(plain_http)
    assert "playwright_context" not in plain_http.meta


# -- render: auto ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_routes() -> Routes:
    return Routes(load_catalogue())


def demo_page(routes: Routes, path: str) -> HtmlResponse:
    served = routes.resolve(path)
    assert served.status == 200
    return HtmlResponse(
        "http://127.0.0.1:8631" + path,
        body=served.body,
        headers={"Content-Type": served.content_type},
    )


def html_page(markup: str, url: str = "https://jobs.example/board/") -> HtmlResponse:
    return HtmlResponse(url, body=markup.encode(), encoding="utf-8")


def test_the_static_demo_site_needs_no_browser(demo_routes: Routes) -> None:
    listing = demo_page(demo_routes, "/classifieds/")
    assert not needs_rendering(listing)
    assert "links to" in decide_rendering(listing).reason
    ad = next(a for a in load_catalogue() if a.site == "classifieds" and not a.private)
    assert not needs_rendering(demo_page(demo_routes, ad.path))


def test_the_javascript_demo_site_needs_a_browser(demo_routes: Routes) -> None:
    assert needs_rendering(demo_page(demo_routes, "/jobboard/"))
    assert needs_rendering(demo_page(demo_routes, "/jobboard/ad.html?id=1"))


SHELLS = {
    "react": '<html><body><div id="root"></div><script src="/static/js/main.3f2a.js"></script>'
    "</body></html>",
    "next": '<html><body><div id="__next"><div class="spinner">Loading…</div></div>'
    '<script src="/_next/static/chunks/main.js"></script></body></html>',
    "angular": "<html><body><app-root></app-root><script src=runtime.js></script>"
    "<script src=main.js></script></body></html>",
    "noscript": '<html><body><header><a href="/board/">Jobs</a></header>'
    "<div class=page></div><noscript>Please enable JavaScript to view the jobs.</noscript>"
    '<script src="/bundle.js"></script></body></html>',
    "tiny": '<html><body><h1>Jobs</h1><div class="list"></div><script src="/b.js"></script>'
    "</body></html>",
}


@pytest.mark.parametrize("name", sorted(SHELLS))
def test_javascript_shells_need_a_browser(name: str) -> None:
    assert needs_rendering(html_page(SHELLS[name]))


PROSE = " ".join(["Cleaners wanted for the new harbour hotel, good pay and lodging."] * 6)
NORMAL = {
    # A server-rendered app root with content in it is not a shell.
    "filled app root": f'<html><body><div id="app"><h1>Cleaners wanted</h1><p>{PROSE}</p>'
    '</div><script src="/app.js"></script></body></html>',
    # A listing that uses scripts for extras but links to its ads in the HTML.
    "listing with scripts": '<html><body><nav><a href="/board/about">About</a></nav><ul>'
    + "".join(f'<li><a href="/board/ad/{i}">Job {i}</a></li>' for i in range(8))
    + '</ul><script src="/analytics.js"></script></body></html>',
    # Google Tag Manager's <noscript> holds an iframe, not a request to enable JavaScript.
    "tag manager noscript": '<html><body><noscript><iframe src="https://www.googletagmanager'
    f'.com/ns.html"></iframe></noscript><h1>Cook needed</h1><p>{PROSE}</p></body></html>',
    "plain text page": "<html><body><h1>Board closed</h1><p>See you soon.</p></body></html>",
}


@pytest.mark.parametrize("name", sorted(NORMAL))
def test_pages_with_their_content_in_the_html_need_no_browser(name: str) -> None:
    assert not needs_rendering(html_page(NORMAL[name]))


def test_source_selectors_count_as_links_to_ads() -> None:
    markup = (
        '<html><body><div id="root"></div><div class="x">'
        + "".join(f'<span class="job"><a href="/board/ad/{i}">Job</a></span>' for i in range(3))
        + '</div><script src="/b.js"></script></body></html>'
    )
    # The empty #root alone would mean JavaScript; the source's selector finds the ads.
    assert not needs_rendering(html_page(markup), Selectors(ad_links=".job a"))


# -- in Chromium -------------------------------------------------------------------------------

APP_JS = b"""document.getElementById("app").textContent =
  "Dancers wanted abroad, travel paid, send photos on WhatsApp.";"""


def shell(image: str, extra: str = "") -> bytes:
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Job</title></head><body>'
        f'<main id="app"></main><img src="{image}" alt="logo">'
        f'<script src="/app.js"></script>{extra}</body></html>'
    ).encode()


TALL_JS = b"""document.getElementById("app").style.height = "60000px";"""
BIG_JS = b"""document.getElementById("app").textContent = "x".repeat(200000);"""
# 1x1 transparent PNG
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


@dataclass
class LocalSite:
    url: str = ""
    requests: list[str] = field(default_factory=list)
    pages: dict[str, tuple[str, bytes]] = field(default_factory=dict)


@pytest.fixture
def local_site() -> Iterator[LocalSite]:
    site = LocalSite()
    site.pages = {
        "/app.js": ("text/javascript", APP_JS),
        "/tall.js": ("text/javascript", TALL_JS),
        "/big.js": ("text/javascript", BIG_JS),
        "/evidence.html": ("text/html; charset=utf-8", shell("/img/evidence.png")),
        "/plain.html": ("text/html; charset=utf-8", shell("/img/plain.png")),
        "/tall.html": (
            "text/html; charset=utf-8",
            shell("/img/tall.png", '<script src="/tall.js"></script>'),
        ),
        "/big.html": (
            "text/html; charset=utf-8",
            shell("/img/big.png", '<script src="/big.js"></script>'),
        ),
    }
    for i in range(10):
        site.pages[f"/page/{i}.html"] = ("text/html; charset=utf-8", shell("/img/p.png"))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.requests.append(self.path)
            if self.path.startswith("/img/"):
                content_type, body = "image/png", PIXEL
            elif self.path in site.pages:
                content_type, body = site.pages[self.path]
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Fixture", "render")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with serve_in_thread(Handler) as url:
        site.url = url
        yield site


# A crawl of given URLs, each plain or evidence, through the project's settings and the
# Renderer; it writes one JSON line per rendered page and the crawl's stats last.
CRAWL = r"""
import base64, json, sys
from scrapy import Request, Spider
from scrapy.crawler import AsyncCrawlerProcess
from scrapy.settings import Settings as ScrapySettings
from core.settings import Settings
from crawlers.config import SETTINGS_KEY, scrapy_settings_from
from crawlers.extensions.rendermemory import Renderer
from crawlers.render import rendered_capture

config = json.loads(sys.argv[1])
out = open(config["out"], "w")

class RenderSpider(Spider):
    name = "render-test"

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.renderer = Renderer.from_crawler(crawler)
        return spider

    async def start(self):
        for url, evidence in config["pages"]:
            yield Request(url, meta=self.renderer.meta(evidence), dont_filter=True)

    def parse(self, response):
        capture = rendered_capture(response)
        http = capture.http
        out.write(json.dumps({
            "url": response.url,
            "dom": capture.dom.decode(),
            "dom_oversized": capture.dom_oversized,
            "screenshot": capture.screenshot and base64.b64encode(capture.screenshot).decode(),
            "http": None if http is None else {
                "url": http.url, "status": http.status, "headers": http.headers,
                "body": http.body.decode(),
            },
        }) + "\n")
        out.flush()
        if "fail" in response.url or response.url.endswith(("/3.html", "/7.html")):
            raise ValueError("this callback fails on purpose")

settings = Settings()
scrapy_settings = ScrapySettings()
scrapy_settings.setmodule("crawlers.settings", priority="project")
scrapy_settings.setdict(scrapy_settings_from(settings), priority="project")
scrapy_settings.set(SETTINGS_KEY, settings, priority="project")
scrapy_settings.setdict(config["settings"], priority="cmdline")
process = AsyncCrawlerProcess(scrapy_settings)
crawler = process.create_crawler(RenderSpider)
process.crawl(crawler)
process.start()
out.write(json.dumps({"stats": crawler.stats.get_stats()}, default=str) + "\n")
"""

CRAWL_SETTINGS = {
    "SPIDER_MODULES": [],  # the spider is the script's own
    "ROBOTSTXT_OBEY": False,
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "ITEM_PIPELINES": {},
    "LUREWATCH_PROGRESS": False,
    "LOG_LEVEL": "INFO",
}


def render_crawl(
    tmp_path: Path,
    pages: list[tuple[str, bool]],
    env: dict[str, str] | None = None,
    **settings: Any,
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    out = tmp_path / "rendered.jsonl"
    config = {"out": str(out), "pages": pages, "settings": {**CRAWL_SETTINGS, **settings}}
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", CRAWL, json.dumps(config)],
        cwd=tmp_path,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("LUREWATCH_")},
            "PYTHONPATH": str(REPO),
            "LUREWATCH_HOME": str(tmp_path / "home"),
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    stats = lines.pop()["stats"]
    return {line["url"].split("/", 3)[3]: line for line in lines}, stats


def png_size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])
    return width, height


@pytest.mark.slow
@pytest.mark.browser
def test_evidence_pages_are_screenshotted_with_images_and_plain_pages_skip_them(
    local_site: LocalSite, tmp_path: Path
) -> None:
    pages = [
        (local_site.url + "/evidence.html", True),
        (local_site.url + "/plain.html", False),
        (local_site.url + "/tall.html", True),
        (local_site.url + "/big.html", False),
    ]
    rendered, stats = render_crawl(
        tmp_path, pages, env={"LUREWATCH_MAX_PAGE_BYTES": "50000"}, CONCURRENT_REQUESTS=2
    )

    evidence, plain = rendered["evidence.html"], rendered["plain.html"]
    assert "Dancers wanted abroad" in evidence["dom"]  # the script ran
    png = base64.b64decode(evidence["screenshot"])
    assert png.startswith(PNG_MAGIC)
    assert "/img/evidence.png" in local_site.requests  # the image was loaded for the screenshot
    assert plain["screenshot"] is None
    assert "Dancers wanted abroad" in plain["dom"]
    assert "/img/plain.png" not in local_site.requests  # blocked in the browser
    assert stats["playwright/request_count/aborted"] >= 1

    # The HTTP response as Chromium received it, before any script ran.
    for name, record in (("evidence.html", evidence), ("plain.html", plain)):
        http = record["http"]
        assert http["status"] == 200 and http["url"] == f"{local_site.url}/{name}"
        assert http["body"] == local_site.pages["/" + name][1].decode()
        assert "Dancers wanted" not in http["body"]
        assert ["X-Fixture", "render"] in http["headers"] or ["x-fixture", "render"] in http[
            "headers"
        ]

    # A page taller than the cap is cut at 20,000 px.
    tall = base64.b64decode(rendered["tall.html"]["screenshot"])
    assert tall.startswith(PNG_MAGIC)
    assert png_size(tall)[1] == 20_000

    # A DOM over LUREWATCH_MAX_PAGE_BYTES is dropped in the browser, the raw HTML is kept.
    big = rendered["big.html"]
    assert big["dom_oversized"] is True and big["dom"] == ""
    assert big["http"]["body"] == local_site.pages["/big.html"][1].decode()

    assert stats["lurewatch/pages_rendered"] == 4
    assert stats["lurewatch/render_seconds"] > 0
    assert stats["playwright/page_count"] == stats["playwright/page_count/closed"] == 4


@pytest.mark.slow
@pytest.mark.browser
def test_contexts_are_recycled_and_no_page_leaks_when_callbacks_fail(
    local_site: LocalSite, tmp_path: Path
) -> None:
    pages = [(f"{local_site.url}/page/{i}.html", i % 4 == 0) for i in range(10)]
    rendered, stats = render_crawl(
        tmp_path, pages, LUREWATCH_RENDER_RECYCLE_PAGES=3, CONCURRENT_REQUESTS=2
    )
    assert len(rendered) == 10
    assert stats["spider_exceptions/ValueError"] == 2  # callbacks of pages 3 and 7 failed
    assert stats["playwright/page_count"] == stats["playwright/page_count/closed"] == 10
    opened = stats["playwright/context_count"]
    # 10 pages, a new context at least every 3 pages or so; all but the last closed by the
    # Renderer (the last one at shutdown), never more than two open at once.
    assert opened >= 3
    assert stats["lurewatch/render_contexts_recycled"] == opened - 1
    assert stats["playwright/context_count/max_concurrent"] <= 2
