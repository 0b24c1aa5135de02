"""The benchmark fixture site: real ads in every markup, served from separate processes."""

from __future__ import annotations

import http.client
from pathlib import Path

import psutil
import pytest
from parsel import Selector

from benchmarks.fixture_site import PER_PAGE, FixtureServer, build_site, listing_path
from crawlers.extract import extract_ad


def test_site_has_listings_of_fifty_and_ads_in_each_markup(tmp_path: Path) -> None:
    site = build_site(tmp_path, ads=PER_PAGE + 7)
    assert (site.ads, site.listing_pages, site.pages) == (57, 2, 59)

    first = Selector(text=(tmp_path / "ads" / "index.html").read_text())
    assert len(first.css("a.ad-link")) == PER_PAGE
    assert first.css('a[rel~="next"]::attr(href)').get() == listing_path(2)
    last = Selector(text=(tmp_path / "ads" / "page" / "2.html").read_text())
    assert len(last.css("a.ad-link")) == 7
    assert last.css('a[rel~="next"]').get() is None
    assert extract_ad(first, "http://127.0.0.1/ads/") is None

    extractions = []
    for href in first.css("a.ad-link::attr(href)").getall()[:6]:
        page = Selector(text=(tmp_path / href.lstrip("/")).read_text())
        # An ad page links nowhere but back to the listing: both spiders follow the same links.
        assert set(page.css("a::attr(href)").getall()) == {"/ads/"}
        fields = extract_ad(page, f"http://127.0.0.1{href}")
        assert fields is not None and fields.text
        extractions.append(fields.extraction)
    assert extractions == ["jsonld", "microdata", "heuristic"] * 2


def _get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_server_serves_pages_from_its_workers_and_stops_them_all(tmp_path: Path) -> None:
    build_site(tmp_path, ads=3)
    server = FixtureServer(tmp_path, workers=2)
    server.start()
    try:
        processes = server.processes()
        assert len(processes) == 2
        status, body = _get(server.port, "/ads/")
        assert status == 200 and b'class="ad-link"' in body
        assert _get(server.port, "/robots.txt")[0] == 200
        assert _get(server.port, "/nothing.html")[0] == 404
        assert server.cpu_seconds() >= 0
    finally:
        server.stop()
    _, alive = psutil.wait_procs(processes, timeout=10)
    assert not alive


def test_build_refuses_an_empty_site(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        build_site(tmp_path, ads=0)
