"""Which links of a page the spider follows: pages in the crawl's scope, never files or assets.

The scope of a start URL is its host and folder: ``http://h/classifieds/`` covers
``http://h/classifieds/ad/1.html`` but not ``http://h/jobboard/``, so two sources on one host
stay apart; ``https://jobs.example/`` covers the whole host.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

from lxml import etree
from scrapy.http import HtmlResponse
from scrapy.link import Link
from scrapy.linkextractors import IGNORED_EXTENSIONS
from scrapy.utils.misc import rel_has_nofollow
from scrapy.utils.response import get_base_url
from scrapy.utils.url import url_has_any_extension
from w3lib.html import strip_html5_whitespace
from w3lib.url import safe_url_string

from core.urls import url_cache

log = logging.getLogger(__name__)

# Beyond Scrapy's list of binary extensions: feeds, scripts and styles are not pages either.
_ASSET_EXTENSIONS = (*IGNORED_EXTENSIONS, "js", "mjs", "json", "xml", "rss", "atom", "txt", "map")
# From the rel attributes up: libxml2 tests attribute nodes far more cheaply than it evaluates a
# predicate on every element of the page.
_REL_NEXT = etree.XPath(
    '//@rel[contains(concat(" ", normalize-space(.), " "), " next ")]'
    "/parent::*[self::a or self::link]/@href",
    smart_strings=False,
)
_ARROWS = " »›>→.…"
_NEXT_WORDS = frozenset(
    {
        "next",
        "next page",
        "older",
        "more",
        "siguiente",
        "próxima",
        "proxima",
        "suivant",
        "suivante",
        "page suivante",
        "pwochen",
        "seguinte",
        "volgende",
        "volgende pagina",
    }
)
# What Scrapy's LinkExtractor(tags=("a", "area"), attrs=("href",), deny_extensions=...) keeps,
# computed here so that the work done per distinct URL (the same menu on every page) is cached.
_TEXT = etree.XPath("string()", smart_strings=False)
_LINK_SCHEMES = frozenset({"http", "https", "file", "ftp"})
_DENIED_ENDINGS = frozenset("." + ext for ext in _ASSET_EXTENSIONS)


@url_cache(maxsize=4096)  # asked for every link, every request and every redirect
def host_of(url: str) -> str:
    """Host and explicit port, lowercased: ``127.0.0.1:8000``, ``jobs.example``; ``""`` for a
    URL that has no valid host (an unclosed IPv6 address, a port out of range), which no
    scope covers."""
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        return ""
    return f"{host}:{port}" if port else host


class Scope:
    def __init__(self, start_urls: Iterable[str]) -> None:
        self._areas = {(host_of(url), _folder(url)) for url in start_urls}

    @property
    def hosts(self) -> set[str]:
        return {host for host, _ in self._areas}

    def covers(self, url: str) -> bool:
        host, path = host_of(url), urlsplit(url).path or "/"
        return any(host == h and path.startswith(folder) for h, folder in self._areas)


def _folder(url: str) -> str:
    path = urlsplit(url).path or "/"
    return path[: path.rfind("/") + 1]


@url_cache(maxsize=4096)
def is_page_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https"):
        return False
    last = parts.path.rsplit("/", 1)[-1].lower()
    ext = last.rsplit(".", 1)[-1] if "." in last else ""
    return ext not in _ASSET_EXTENSIONS


def extract_links(response: HtmlResponse) -> list[Link]:
    """Every link of ``response`` (extract once, then give the result to the two below): each
    ``<a href>`` and ``<area href>`` made absolute and safe, in page order, the first of each
    URL, without files and assets. The same links as Scrapy's ``LinkExtractor``."""
    base_url, page_url, encoding = get_base_url(response), response.url, response.encoding
    base_origin, page_origin = _origin(base_url), _origin(page_url)
    links: list[Link] = []
    seen: set[str] = set()
    for element in response.selector.root.iter("a", "area"):
        href = element.get("href")
        if href is None:
            continue
        try:
            url = _urljoin(strip_html5_whitespace(href), base_url, base_origin)
        except ValueError:
            continue  # a bogus link, such as an unclosed IPv6 address
        safe = _safe_url(url, encoding)
        if safe is None:
            continue
        url = _urljoin(safe, page_url, page_origin)
        if url in seen:
            continue
        seen.add(url)
        if _followable(url):
            text = _TEXT(element) or ""
            links.append(Link(url, text, nofollow=rel_has_nofollow(element.get("rel"))))
    return links


@url_cache(maxsize=4096)
def _origin(url: str) -> str | None:
    """``scheme://host:port`` of an http(s) URL: all that ``urljoin(url, ...)`` reads of it for
    an absolute path or an absolute URL. None for any other URL."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _urljoin(href: str, base: str, base_origin: str | None) -> str:
    """``urljoin(base, href)``; cached across the pages of a site where only the base's
    origin counts (the site's menu: "/ads/", "https://cdn.example/x")."""
    if base_origin is not None and _needs_only_origin(href):
        return _joined_to_origin(href, base_origin)
    return urljoin(base, href)


@url_cache(maxsize=4096)
def _needs_only_origin(href: str) -> bool:
    """Whether ``urljoin`` reads nothing of an http(s) base but its origin: ``href`` has a host
    or an absolute path. Parsed as urljoin parses it (tabs and newlines dropped, and the same
    ValueError for a bogus host)."""
    parts = urlsplit(href)
    return bool(parts.netloc) or parts.path[:1] == "/"


@url_cache(maxsize=4096)
def _joined_to_origin(href: str, origin: str) -> str:
    return urljoin(origin, href)


@url_cache(maxsize=4096)
def _safe_url(url: str, encoding: str) -> str | None:
    try:
        return safe_url_string(url, encoding=encoding)
    except ValueError:
        log.debug("skipping link with bad URL %r", url)
        return None


@url_cache(maxsize=4096)
def _followable(url: str) -> bool:
    if url.split("://", 1)[0] not in _LINK_SCHEMES:
        return False
    return not url_has_any_extension(url, _DENIED_ENDINGS)


def page_links(response: HtmlResponse, scope: Scope, links: list[Link] | None = None) -> list[str]:
    """Absolute URLs of links on ``response`` to pages in ``scope``, in page order."""
    return [
        link.url
        for link in (extract_links(response) if links is None else links)
        if scope.covers(link.url) and is_page_url(link.url)
    ]


def next_page_links(response: HtmlResponse, links: list[Link] | None = None) -> set[str]:
    """Links to the next page of a listing: ``rel="next"``, or a link that just says so."""
    hrefs: list[str] = _REL_NEXT(response.selector.root)
    found = {url for url in (_joined(response, h) for h in hrefs) if url is not None}
    for link in extract_links(response) if links is None else links:
        if link.text.strip(_ARROWS).strip().lower() in _NEXT_WORDS:
            found.add(link.url)
    return found


def css_links(response: HtmlResponse, css: str, hosts: Iterable[str]) -> list[str]:
    """Links picked by a source's ``ad_links``/``next_page`` selector: on the source's hosts,
    whatever their folder (the selector says they are wanted). It may pick links, elements
    holding links, or ``::attr(href)`` strings."""
    allowed = set(hosts)
    found = []
    for node in response.css(css):
        if isinstance(node.root, str):
            hrefs = [node.root]
        else:
            hrefs = node.xpath("descendant-or-self::*[self::a or self::area]/@href").getall()
        for href in hrefs:
            url = _joined(response, href)
            if url is not None and host_of(url) in allowed and is_page_url(url):
                found.append(url)
    return found


def _joined(response: HtmlResponse, href: str) -> str | None:
    """``href`` made absolute; None for one that is no URL (a hostile page's ``http://[::1``
    must not cost the ad on it)."""
    try:
        return response.urljoin(href.strip())
    except ValueError:
        log.debug("skipping link with bad URL %r", href)
        return None
