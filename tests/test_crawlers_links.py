"""Which links the spider may follow, and the names of sites crawled without configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.link import Link
from scrapy.linkextractors import LinkExtractor

from crawlers.generic import generic_source, site_name
from crawlers.links import _ASSET_EXTENSIONS, Scope, extract_links, is_page_url, next_page_links

PAGES = Path(__file__).resolve().parent / "pages"
# Every kind of href a hostile or sloppy page has. None of these URLs is ever fetched.
ODD_LINKS = """<html><head><base href="/sub/dir/"></head><body> <a href="http://[::1">bad IPv6</a>
<a href="  rel/page.html ">one</a> <a href="/abs">two <b>bold</b></a> <a href="">empty</a>
<a href="mailto:x@h.example">mail</a>
<a href="javascript:go()">js</a> <a href="ftp://h.example/x.html">ftp</a>
<a href="file:///etc/x">file</a> <a href="doc.PDF">pdf</a> <a href="x.tar.gz">tgz</a>
<A HREF="/UP">upper</A> <area href="/area" alt="map"> <a href="/abs">dup</a>
<a rel="NoFollow" href="/nf">nf</a> <a href="/café x?q=é&a=b#frag">utf</a>
<a href="//other.example/p">proto</a> <a href="?page=2">query</a> <a href="#top">fragment</a>
<a href="http://h.example:99999/x">port</a> <a href="HTTP://H.EXAMPLE/Y">caps</a>
<a href="/a/../b/./c">dots</a> <a href="http://café.example/">idn</a>
<svg><a href="/svg-a">svg</a></svg> <a>no href</a> <link href="/link"> <a href="/app.js">script</a>
<a href="/p;params?x=1">params</a> <a href="http://h.example/%zz">percent</a>
<a href="\t\n/ws\t">whitespace</a></body></html>"""


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


def _links(links: list[Link]) -> list[tuple[str, str, bool]]:
    return [(link.url, link.text, link.nofollow) for link in links]


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1", "cp1252"])
def test_links_are_the_ones_scrapys_link_extractor_finds(encoding: str) -> None:
    scrapy_extractor = LinkExtractor(
        deny_extensions=_ASSET_EXTENSIONS, tags=("a", "area"), attrs=("href",)
    )
    pages = [(f"http://h.example/pages/{p.name}", p.read_bytes()) for p in PAGES.glob("*.html")]
    pages.append(("http://h.example/list/1?x=1", ODD_LINKS.encode(encoding, "replace")))
    for url, body in pages:
        response = HtmlResponse(url=url, body=body, encoding=encoding, request=Request(url))
        expected = _links(scrapy_extractor.extract_links(response))
        assert _links(extract_links(response)) == expected, url
    odd = _links(extract_links(response))
    assert ("http://h.example/abs", "two bold", False) in odd
    assert ("http://h.example/nf", "nf", True) in odd
    assert not any(u.endswith((".PDF", ".js", ".tar.gz")) or "IPv6" in t for u, t, _ in odd)


# hrefs whose joining depends on more or less of the base URL than they seem to.
TRICKY_HREFS = [
    "/\t/x",
    "//\t",
    "//",
    "///x",
    "//?q",
    "//\t?q",
    "//#f",
    "http:///x",
    "http:rel",
    "https:/abs",
    "HTTPS://H.EXAMPLE/Z",
    "\x01/x",
    "/x\x7f",
    "/",
    "/?q=1",
    "/#f",
    "",
    "..",
    "//other.example",
    "//other.example:8080/p?q#f",
    "http://h.example/a?",
    "http://h.example/a#",
    "https://h.example/b;p?q",
]


@pytest.mark.parametrize(
    "base", ["", "/sub/dir/", "https://other.example/base/", "//cdn.example/x/"]
)
def test_links_are_scrapys_whatever_the_page_url_and_base(base: str) -> None:
    scrapy_extractor = LinkExtractor(
        deny_extensions=_ASSET_EXTENSIONS, tags=("a", "area"), attrs=("href",)
    )
    head = f'<head><base href="{base}"></head>' if base else ""
    anchors = "".join(f'<a href="{h}">{i}</a>' for i, h in enumerate(TRICKY_HREFS))
    body = f"<html>{head}<body>{anchors}</body></html>".encode()
    # One after the other, so that what is cached for one page is asked again by the next.
    for url in [
        "http://h.example/list/1?x=1",
        "https://h.example/a/b/c.html",
        "http://h.example:8080/",
        "https://h.example/a/b/",
        "http://127.0.0.1:8000/ads/",
    ]:
        response = HtmlResponse(url=url, body=body, encoding="utf-8", request=Request(url))
        expected = _links(scrapy_extractor.extract_links(response))
        assert _links(extract_links(response)) == expected, url


def test_next_page_rel_is_a_whole_word_of_rel() -> None:
    rels = ["\tnext\n", "NEXT", "next\u00a0", "nextnext", "nofollow  next", "prev"]
    anchors = "".join(f'<a rel="{rel}" href="/list/{i}">{i}</a>' for i, rel in enumerate(rels))
    html = (
        f'<html><head><link rel=" next" href="/list/head"></head><body>{anchors}'
        '<area rel="next" href="/list/area"><a rel="next">no href</a></body></html>'
    )
    url = "http://h.example/list/1"
    response = HtmlResponse(url=url, body=html.encode(), encoding="utf-8", request=Request(url))
    expected = {f"http://h.example/list/{n}" for n in ("head", 0, 4)}
    assert next_page_links(response) == expected


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
