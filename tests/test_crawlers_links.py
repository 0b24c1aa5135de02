"""Which links the spider may follow, and the names of sites crawled without configuration."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse

from crawlers.generic import generic_source, site_name
from crawlers.links import Scope, is_page_url, next_page_links


@pytest.mark.parametrize(
    ("url", "covered"),
    [
        ("http://127.0.0.1:8000/classifieds/ad/1.html", True),
        ("http://127.0.0.1:8000/classifieds/", True),
        ("http://127.0.0.1:8000/jobboard/ad.html?id=1", False),  # another board on the host
        ("http://127.0.0.1:8000/", False),
        ("http://127.0.0.1:8001/classifieds/ad/1.html", False),  # another port
        ("http://jobs.example/anything/at/all", True),
        ("https://jobs.example/", True),
        ("http://www.jobs.example/", False),
    ],
)
def test_scope_is_host_and_folder_of_start_urls(url: str, covered: bool) -> None:
    scope = Scope(["http://127.0.0.1:8000/classifieds/", "https://jobs.example/index.html"])
    assert scope.covers(url) is covered
    assert scope.hosts == {"127.0.0.1:8000", "jobs.example"}


@pytest.mark.parametrize(
    ("url", "page"),
    [
        ("http://h.example/ads/1.html", True),
        ("http://h.example/ads/1", True),
        ("http://h.example/ads/?page=2", True),
        ("http://h.example/img/a.JPG", False),
        ("http://h.example/docs/terms.pdf", False),
        ("http://h.example/static/app.js", False),
        ("http://h.example/feed.xml", False),
        ("ftp://h.example/ads/1.html", False),
    ],
)
def test_only_page_urls_are_followed(url: str, page: bool) -> None:
    assert is_page_url(url) is page


def test_next_page_links_by_rel_or_wording() -> None:
    html = b"""<html><head><link rel="next" href="/list/2"></head><body>
      <a rel="prev" href="/list/0">Previous</a> <a href="/list/3">Next &raquo;</a>
      <a href="/list/4">Siguiente</a> <a rel="nofollow next" href="/list/5">5</a>
      <a href="/ads/9.html">Next generation nurses wanted</a></body></html>"""
    url = "http://h.example/list/1"
    response = HtmlResponse(url=url, body=html, request=Request(url))
    assert next_page_links(response) == {f"http://h.example/list/{n}" for n in (2, 3, 4, 5)}


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("http://127.0.0.1:8765/", "127-0-0-1-8765"),
        ("https://www.Jobs.Example/board?x=1", "jobs-example"),
        ("https://jobs.example:443/", "jobs-example"),
        ("http://[::1]:8000/", "1-8000"),
    ],
)
def test_site_name_comes_from_the_host(url: str, name: str) -> None:
    assert site_name(url) == name


def test_a_very_long_host_gets_a_short_distinct_name() -> None:
    # Never fetched: only the name is computed.
    labels = ".".join(["a" * 60] * 4)  # a 243-character hostname
    first, second = site_name(f"http://{labels}x/"), site_name(f"http://{labels}y/")
    assert len(first) <= 200 and len(second) <= 200
    assert first != second
    assert generic_source(f"http://{labels}x/").name == first


def test_generic_source_is_a_valid_source() -> None:
    source = generic_source(" http://127.0.0.1:8765/jobs/ ", render=True)
    assert source.name == "127-0-0-1-8765"
    assert source.start_urls == ["http://127.0.0.1:8765/jobs/"]
    assert source.render is True and source.selectors is None
    with pytest.raises(ValueError, match="not an absolute"):
        generic_source("/relative/path")
