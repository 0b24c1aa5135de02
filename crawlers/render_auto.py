"""``render: auto``: from one plain fetch of a site's start page, do its ads need JavaScript?

The HTML is enough when it already holds an ad (JSON-LD, microdata, the source's selectors or
plain prose: ``crawlers.extract.extract_ad``) or links to pages in the crawl's scope. It needs
a browser when it is a JavaScript shell: an application root with nothing in it, a
``<noscript>`` asking for JavaScript, or next to no visible text while scripts are loaded.
Rendering costs a hundred times a plain fetch, so when nothing points either way: plain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urldefrag

from lxml import etree
from scrapy.http import HtmlResponse

from core.sources import Selectors
from crawlers.extract import extract_ad
from crawlers.links import Scope, css_links, is_page_url

MIN_CONTENT_LINKS = 3  # links to other pages in scope, outside navigation: a listing
SHELL_TEXT_CHARS = 200  # less visible text than this (scripts loaded): a shell
EMPTY_ROOT_CHARS = 40  # an app root with at most "Loading..." in it is empty

# Where single-page-app frameworks mount: React/CRA, Next, Nuxt, Vue, Svelte, Angular, Ember.
_APP_ROOTS = (
    "//*[@id='app' or @id='root' or @id='__next' or @id='__nuxt' or @id='svelte'"
    " or @id='app-root' or @id='main-app' or @id='react-root' or @id='ember-app'"
    " or @data-reactroot or @ng-app or @data-ng-app or @ng-version]"
    " | //app-root"
)
_CONTENT_LINKS = (
    "//a[@href][not(ancestor::nav or ancestor::header or ancestor::footer or ancestor::aside"
    " or ancestor::noscript)]/@href"
)
_VISIBLE_TEXT = (
    ".//text()[not(ancestor::script or ancestor::style or ancestor::noscript"
    " or ancestor::template or ancestor::svg)]"
)
_ENABLE_JS = re.compile(r"javascript|\bjs\b", re.IGNORECASE)


@dataclass(frozen=True)
class RenderDecision:
    render: bool
    reason: str  # one line for the crawl log: why this site is or is not rendered


def needs_rendering(response: HtmlResponse, selectors: Selectors | None = None) -> bool:
    return decide_rendering(response, selectors).render


def decide_rendering(response: HtmlResponse, selectors: Selectors | None = None) -> RenderDecision:
    fields = extract_ad(response.selector, response.url, selectors)
    if fields is not None:
        return RenderDecision(False, f"an ad is in the HTML ({fields.extraction})")
    links = _content_links(response, selectors)
    if len(links) >= MIN_CONTENT_LINKS:
        return RenderDecision(False, f"links to {len(links)} pages in scope are in the HTML")
    shell = _javascript_shell(response)
    if shell is not None:
        return RenderDecision(True, shell)
    if links:
        return RenderDecision(False, f"links to {len(links)} pages in scope are in the HTML")
    return RenderDecision(False, "no sign that the page needs JavaScript")


def _content_links(response: HtmlResponse, selectors: Selectors | None) -> set[str]:
    own = urldefrag(response.url)[0]
    scope = Scope([response.url])
    if selectors is not None and selectors.ad_links:
        found = css_links(response, selectors.ad_links, scope.hosts)
    else:
        found = [
            response.urljoin(href.strip())
            for href in response.xpath(_CONTENT_LINKS).getall()
            if not href.strip().startswith(("#", "javascript:", "mailto:", "tel:"))
        ]
        found = [url for url in found if scope.covers(url) and is_page_url(url)]
    return {urldefrag(url)[0] for url in found} - {own}


def _javascript_shell(response: HtmlResponse) -> str | None:
    """Why the page looks like a JavaScript shell, or None."""
    for root in response.xpath(_APP_ROOTS):
        if len(_visible_text(root.root)) <= EMPTY_ROOT_CHARS:
            name = root.attrib.get("id") or root.root.tag
            return f"the application root {name!r} is empty"
    for noscript in response.xpath("//body//noscript"):
        if _ENABLE_JS.search(" ".join(noscript.xpath(".//text()").getall())):
            return "a <noscript> asks for JavaScript"
    scripts = response.xpath("//script[@src]")
    body = response.xpath("//body")
    text = _visible_text(body[0].root) if body else ""
    if scripts and len(text) < SHELL_TEXT_CHARS:
        return f"{len(text)} characters of text and {len(scripts)} scripts"
    return None


def _visible_text(node: etree._Element) -> str:
    texts = node.xpath(_VISIBLE_TEXT)
    return " ".join(" ".join(str(t) for t in texts).split())
