"""The ads spider on saved responses: what it yields, what it follows, how it refuses bad input."""

from __future__ import annotations

import gc
import hashlib
import weakref
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from core.ad import Ad
from core.settings import Settings
from core.sources import Selectors, Source, SourceError, dump_sources, load_sources
from crawlers.render import RENDER_MODE_KEY, ChromiumMissingError
from crawlers.spidermiddlewares.claims import UNCLAIMED
from crawlers.spidermiddlewares.pagination import NEXT_PAGE
from crawlers.spiders.ads import AdsSpider
from crawlers.spiders.arguments import SpiderArgumentError

PAGES = Path(__file__).resolve().parent / "pages"
BASE = "http://127.0.0.1:8000"


def make_spider(settings: Settings, **arguments: Any) -> AdsSpider:
    crawler = get_crawler(AdsSpider, {"LUREWATCH_SETTINGS": settings})
    return AdsSpider.from_crawler(crawler, **arguments)


def response(url: str, name: str | None = None, body: bytes | None = None) -> HtmlResponse:
    if body is None:
        body = (PAGES / (name or "")).read_bytes()
    return HtmlResponse(url=url, body=body, encoding="utf-8", request=Request(url))


def output(spider: AdsSpider, resp: Response) -> tuple[list[Ad], list[Request]]:
    """What ``parse`` yields, with links claimed as the claims middleware would."""
    results = [
        r
        for r in spider.parse(resp)
        if not isinstance(r, Request) or not r.meta.get(UNCLAIMED) or spider.claim(r)
    ]
    return (
        [r for r in results if isinstance(r, Ad)],
        [r for r in results if isinstance(r, Request)],
    )


async def start_urls(spider: AdsSpider) -> list[str]:
    """The pages a crawl starts from (robots.txt, read for its sitemaps, left out)."""
    return [
        request.url
        async for request in spider.start()
        if isinstance(request, Request) and not request.url.endswith("/robots.txt")
    ]


def test_spider_yields_an_ad_with_page_facts(settings: Settings) -> None:
    spider = make_spider(settings, urls=f"{BASE}/")
    body = (PAGES / "plain_detail.html").read_bytes()
    ads, _ = output(spider, response(f"{BASE}/ads/9.html?utm_source=mail&b=2&a=1", body=body))
    assert len(ads) == 1
    ad = ads[0]
    assert ad.url == f"{BASE}/ads/9.html?a=1&b=2"
    assert len(ad.id) == 20
    assert ad.site == "127-0-0-1-8000"
    assert ad.title == "Models wanted for promotional work in Panama"
    assert ad.extraction == "heuristic"
    assert ad.body_sha256 == hashlib.sha256(body).hexdigest()
    assert ad.http_status == 200 and ad.rendered is False
    assert ad.fetched_at.endswith("+00:00")


def test_a_page_read_is_freed_without_waiting_for_the_garbage_collector(
    settings: Settings,
) -> None:
    # Scrapy's cached selector points back at its response: left in place, every page and its
    # parsed tree stayed in memory until a full collection.
    spider = make_spider(settings, urls=f"{BASE}/")
    page = response(f"{BASE}/ads/9.html", "plain_detail.html")
    ads, _ = output(spider, page)
    assert len(ads) == 1
    gone = weakref.ref(page)
    gc.disable()
    try:
        del page
        assert gone() is None
    finally:
        gc.enable()


def test_an_ad_page_with_broken_links_still_gives_its_ad(tmp_path: Path) -> None:
    # A hostile page must not hide its ad behind one bogus href (none of these is fetched).
    bad = (
        '<link rel="next" href="http://[::1"><a rel="next" href="http://127.0.0.1:99999/p">n</a>'
        '<a class="ad" href="http://[::1">x</a><a class="ad" href="http://127.0.0.1:99999/ad">y</a>'
        '<a class="more" href=":x">more</a><a class="ad" href="/ad/2">good</a>'
    )
    body = (PAGES / "plain_detail.html").read_bytes().replace(b"</body>", bad.encode() + b"</body>")
    sources_file = tmp_path / "sources.yml"
    source = Source(
        name="hostile",
        start_urls=[f"{BASE}/"],
        selectors=Selectors(ad_links="a.ad", next_page="a.more", text="body"),
    )
    dump_sources([source], sources_file)
    configured = make_spider(Settings(home=tmp_path, sources_file=sources_file), source="hostile")
    generic = make_spider(Settings(home=tmp_path / "generic"), urls=f"{BASE}/")
    for spider in (configured, generic):
        ads, requests = output(spider, response(f"{BASE}/ads/9.html", body=body))
        assert len(ads) == 1
        assert "[::1" not in " ".join(r.url for r in requests)
        assert ":99999" not in " ".join(r.url for r in requests)
        assert f"{BASE}/ad/2" in [r.url for r in requests]


def test_spider_follows_pages_in_scope_only(settings: Settings) -> None:
    spider = make_spider(settings, urls=f"{BASE}/jobs/")
    ads, requests = output(spider, response(f"{BASE}/jobs/", "listing.html"))
    assert ads == []
    # /ads/ is outside the start URL's folder /jobs/; the next page is inside it.
    assert [r.url for r in requests] == [f"{BASE}/jobs/page2.html"]
    assert requests[0].meta[NEXT_PAGE] is True


def test_spider_follows_links_once_and_skips_assets(settings: Settings) -> None:
    spider = make_spider(settings, urls=f"{BASE}/")
    html = b"""<html><body><h1>Links</h1>
      <a href="/a.html">A</a> <a href="/a.html#top">A again</a> <a href="/a.html?utm_source=x">A</a>
      <a href="/logo.png">logo</a> <a href="/cv.pdf">CV</a> <a href="/app.js">js</a>
      <a href="/feed.xml">feed</a> <a href="mailto:x@example.invalid">mail</a>
      <a href="javascript:void(0)">js</a> <a href="http://localhost:8000/b.html">other host</a>
      <a href="http://127.0.0.1:9/b.html">other port</a> <a href="/b/">B</a></body></html>"""
    _, requests = output(spider, response(f"{BASE}/", body=html))
    assert [r.url for r in requests] == [f"{BASE}/a.html", f"{BASE}/b/"]
    assert all(NEXT_PAGE not in r.meta and "playwright" not in r.meta for r in requests)


def test_spider_max_pages_caps_requests(settings: Settings) -> None:
    spider = make_spider(settings, urls=f"{BASE}/", max_pages="2")
    html = b'<html><body><a href="/1.html">1</a><a href="/2.html">2</a><a href="/3.html">3</a>'
    assert spider.max_pages == 2
    assert len(_run(start_urls(spider))) == 1
    _, requests = output(spider, response(f"{BASE}/", body=html))
    assert [r.url for r in requests] == [f"{BASE}/1.html"]


def test_spider_skips_non_html_and_oversized_pages(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, max_page_bytes=1_000)
    spider = make_spider(settings, urls=f"{BASE}/")
    pdf = Response(url=f"{BASE}/x.pdf", body=b"%PDF-1.4", request=Request(f"{BASE}/x.pdf"))
    assert list(spider.parse(pdf)) == []
    big = (PAGES / "plain_detail.html").read_bytes()
    assert len(big) > 1_000
    assert list(spider.parse(response(f"{BASE}/ads/1.html", body=big))) == []


def test_spider_render_requests_render_ads_as_evidence(settings: Settings) -> None:
    spider = make_spider(settings, urls=f"{BASE}/", render="1")
    _, requests = output(spider, response(f"{BASE}/jobs/", "listing.html"))
    modes = {request.meta[RENDER_MODE_KEY] for request in requests}
    assert modes == {"plain", "evidence"}
    for request in requests:
        assert request.meta["playwright"] is True
        # The page is never handed to the callback: the handler closes it after reading it.
        assert "playwright_include_page" not in request.meta
        # Listings render plain (images blocked); pages expected to hold an ad as evidence.
        expected = "plain" if request.meta.get(NEXT_PAGE) else "evidence"
        assert request.meta[RENDER_MODE_KEY] == expected


def test_spider_render_without_chromium_says_how_to_install_it(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, chromium_path=tmp_path / "no-chromium")
    with pytest.raises(ChromiumMissingError, match="apt-get install chromium"):
        make_spider(settings, urls=f"{BASE}/", render="yes")


def test_spider_reads_a_named_source(tmp_path: Path) -> None:
    sources_file = tmp_path / "sources.yml"
    source = Source(
        name="harbour",
        start_urls=[f"{BASE}/list/"],
        max_pages=5,
        selectors=Selectors(ad_links="a.ad", next_page="a.more", text=".body"),
    )
    dump_sources([source], sources_file)
    spider = make_spider(Settings(home=tmp_path, sources_file=sources_file), source="harbour")
    assert spider.source == source and spider.site == "harbour" and spider.max_pages == 5
    assert _run(start_urls(spider)) == [f"{BASE}/list/"]
    html = b"""<html><body><a class="ad" href="/ad/1">one</a><a href="/list/other.html">x</a>
      <a class="more" href="/list/?page=2">more</a></body></html>"""
    _, requests = output(spider, response(f"{BASE}/list/", body=html))
    # Only the configured links, even outside the start folder.
    assert [r.url for r in requests] == [f"{BASE}/ad/1", f"{BASE}/list/?page=2"]
    assert requests[1].meta.get(NEXT_PAGE) is True and NEXT_PAGE not in requests[0].meta
    with pytest.raises(SourceError, match="no source named 'nope'"):
        make_spider(Settings(home=tmp_path, sources_file=sources_file), source="nope")


def test_a_source_name_longer_than_the_store_keeps_is_refused(tmp_path: Path) -> None:
    sources_file = tmp_path / "sources.yml"
    sources_file.write_text(
        f"sources:\n  - name: {'n' * 201}\n    start_urls: ['{BASE}/list/']\n", encoding="utf-8"
    )
    with pytest.raises(SourceError, match="at most 200 characters"):
        load_sources(sources_file)


def test_spider_takes_a_source_object(settings: Settings) -> None:
    source = Source(name="direct", start_urls=[f"{BASE}/a/", f"{BASE}/b/"], render=False)
    spider = make_spider(settings, source=source, max_pages=7)
    assert spider.site == "direct" and spider.max_pages == 7
    assert _run(start_urls(spider)) == [f"{BASE}/a/", f"{BASE}/b/"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "either -a source=NAME or -a urls="),
        ({"source": "x", "urls": f"{BASE}/"}, "not both"),
        ({"urls": " , "}, "at least one URL"),
        ({"urls": "ftp://127.0.0.1/"}, "not an http"),
        ({"urls": f"{BASE}/", "max_pages": "0"}, "at least 1"),
        ({"urls": f"{BASE}/", "max_pages": "ten"}, "at least 1"),
        ({"urls": f"{BASE}/", "render": "maybe"}, "render= must be 1 or 0"),
    ],
)
def test_spider_refuses_bad_arguments(
    settings: Settings, arguments: dict[str, str], message: str
) -> None:
    with pytest.raises(SpiderArgumentError, match=message):
        make_spider(settings, **arguments)


def test_spider_refuses_invalid_css_in_a_source(settings: Settings) -> None:
    source = Source(name="bad", start_urls=[f"{BASE}/"], selectors=Selectors(text="div[["))
    with pytest.raises(SpiderArgumentError, match=r"selectors.text is not valid CSS"):
        make_spider(settings, source=source)


def _run(coroutine: Any) -> Any:
    import asyncio

    return asyncio.run(coroutine)
