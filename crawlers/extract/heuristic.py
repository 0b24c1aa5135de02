"""Ads on plain pages, with no structured data: a main heading over a block of prose.

A page is an ad when it has a main heading and enough prose that is not links, and does not
look like a listing (headings that are links, or repeated cards that start with a link).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml import etree
from parsel import Selector

from crawlers.extract.dom import node_text, tag_of
from crawlers.extract.fields import AdFields

MIN_PROSE_CHARS = 150  # prose outside links, link lists and page furniture
MIN_BLOCK_CHARS = 60  # at least one paragraph-sized run of it
MAX_LINK_SHARE = 0.5  # more of the text in links than this: an index page
MIN_LINKED_HEADINGS = 2
MIN_CARDS = 2
CARD_TITLE_CHARS = 12
CARD_SNIPPET_CHARS = 20
LINK_LIST_SHARE = 0.6
MAX_TITLE_CHARS = 300

_FURNITURE = frozenset({"nav", "header", "footer", "aside", "form", "menu", "dialog"})
_FURNITURE_ROLES = frozenset({"navigation", "banner", "contentinfo", "search", "complementary"})
_LIST_TAGS = frozenset({"ul", "ol", "dl", "table"})
_LABELS = {
    "employer": re.compile(r"^(employer|company|hiring|recruiter|agency)\b", re.I),
    "location": re.compile(r"^(location|place|city|country|where)\b", re.I),
    "salary": re.compile(r"^(salary|pay|wage|wages|compensation|remuneration)\b", re.I),
}
_LABEL_VALUE = re.compile(r"^([A-Za-z ]{3,20})\s*[:：]\s*(.{1,200})$")
_PIECES = re.compile(r"\n|\s[·•|]\s")  # "Posted 2025-01-02 · Nassau · Employer: X"
_POSTED = re.compile(r"^(posted|published|date|listed)\b\D{0,12}(\d{4}-\d{2}-\d{2})", re.I)
_FIRST_TEXT_IN_LINK = etree.XPath("(.//text()[normalize-space()])[1]/ancestor::a[@href][1]")
_PAGER = etree.XPath(
    './/a[contains(concat(" ", normalize-space(@rel), " "), " next ")'
    ' or contains(concat(" ", normalize-space(@rel), " "), " prev ")]'
)
# Site pages that read like prose but are never ads (the last path segment, no extension).
_SITE_PAGES = re.compile(
    r"^(about|about-us|contact|contact-us|terms|tos|terms-of-use|privacy|privacy-policy|cookies"
    r"|cookie-policy|safety|safety-tips|help|faq|faqs|login|signin|sign-in|register|signup"
    r"|sign-up|post|post-ad|advertise|pricing|sitemap|search|legal|imprint|disclaimer)$",
    re.I,
)


def extract_heuristic(sel: Selector, url: str) -> AdFields | None:
    if _is_site_page(url):
        return None
    doc = sel.root
    content = _content_root(doc)
    heading = _main_heading(doc, content)
    if heading is None:
        return None
    title = node_text(heading, max_chars=MAX_TITLE_CHARS)
    if not title or _is_listing(content):
        return None

    link_lists = _link_lists(content)

    def furniture(node: etree._Element) -> bool:
        return _is_furniture(node) or node in link_lists

    def prose_only(node: etree._Element) -> bool:
        return furniture(node) or node is heading or tag_of(node) == "a"

    everything = node_text(content, skip=_is_furniture)
    links = sum(len(node_text(a)) for a in content.iter("a") if not _in_furniture(a, content))
    prose = node_text(content, skip=prose_only)
    longest = max((len(line) for line in prose.splitlines()), default=0)
    if len(prose) < MIN_PROSE_CHARS or longest < MIN_BLOCK_CHARS:
        return None
    if everything and links / len(everything) > MAX_LINK_SHARE:
        return None

    text = node_text(content, skip=lambda n: furniture(n) or n is heading)
    labelled = _labelled_values(content, text)
    date = content.xpath("string((.//time[@datetime])[1]/@datetime)") or labelled.get("date", "")
    return AdFields(
        extraction="heuristic",
        title=title,
        text=text,
        employer=labelled.get("employer", ""),
        location=labelled.get("location", ""),
        salary=labelled.get("salary", ""),
        date_posted=str(date).strip()[:40],
    )


def _content_root(doc: etree._Element) -> etree._Element:
    for path in ("//main", '//*[@role="main"]'):
        found = doc.xpath(path)
        if found:
            return found[0]
    articles = doc.xpath("//article")
    if len(articles) == 1:
        return articles[0]
    body = doc.xpath("//body")
    return body[0] if body else doc


def _main_heading(doc: etree._Element, content: etree._Element) -> etree._Element | None:
    candidates = [h for h in content.iter("h1") if not _in_furniture(h, content)]
    if not candidates and content.tag != "body":
        candidates = [h for h in content.iter("h2") if not _in_furniture(h, content)]
    if not candidates:
        candidates = [
            h for h in doc.iter("h1") if not _in_furniture(h, doc, ("nav", "footer", "aside"))
        ]
    return candidates[0] if candidates else None


def _is_listing(content: etree._Element) -> bool:
    # Related ads in an <aside> do not make a detail page a listing.
    headings = content.xpath(".//*[self::h2 or self::h3 or self::h4][.//a[@href]]")
    if sum(not _in_furniture(h, content) for h in headings) >= MIN_LINKED_HEADINGS:
        return True
    # Previous/next page links: a page of a listing.
    if any(not _in_furniture(a, content) for a in _PAGER(content)):
        return True
    for parent in content.xpath(".//*[count(*) >= $n]", n=MIN_CARDS):
        if _is_furniture(parent) or _in_furniture(parent, content):
            continue
        if sum(_is_card(child) for child in parent) >= MIN_CARDS:
            return True
    return False


def _is_card(node: etree._Element) -> bool:
    """An item of a listing: starts with a title-sized link and goes on with a snippet."""
    if not isinstance(node.tag, str):
        return False
    links = _FIRST_TEXT_IN_LINK(node)
    if not links or len(node_text(links[0])) < CARD_TITLE_CHARS:
        return False
    return len(node_text(node, skip=lambda n: tag_of(n) == "a")) >= CARD_SNIPPET_CHARS


def _is_site_page(url: str) -> bool:
    last = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    return bool(_SITE_PAGES.match(last.rsplit(".", 1)[0]))


def _link_lists(content: etree._Element) -> set[etree._Element]:
    """Lists and tables that are mostly links (related ads, tag clouds, breadcrumbs)."""
    found = set()
    for node in content.iter():
        if tag_of(node) not in _LIST_TAGS:
            continue
        text = node_text(node)
        linked = sum(len(node_text(a)) for a in node.iter("a"))
        if text and linked / len(text) > LINK_LIST_SHARE:
            found.add(node)
    return found


def _is_furniture(node: etree._Element) -> bool:
    tag = tag_of(node)
    if tag in _FURNITURE:
        return True
    attrib = node.attrib
    if attrib.get("role", "").lower() in _FURNITURE_ROLES:
        return True
    # Text hidden from people is not what an ad says to them.
    style = attrib.get("style", "").replace(" ", "").lower()
    return (
        "hidden" in attrib
        or attrib.get("aria-hidden", "").lower() == "true"
        or "display:none" in style
        or "visibility:hidden" in style
    )


def _in_furniture(
    node: etree._Element, stop: etree._Element, tags: tuple[str, ...] | None = None
) -> bool:
    for ancestor in node.iterancestors():
        if ancestor is stop:
            return False
        if (tags is None and _is_furniture(ancestor)) or (tags and tag_of(ancestor) in tags):
            return True
    return False


def _labelled_values(content: etree._Element, text: str) -> dict[str, str]:
    """Employer, location, salary and date where the page labels them: ``<dt>``/``<dd>``,
    ``<th>``/``<td>``, or "Label: value" on a line or between " · " separators."""
    pairs: list[tuple[str, str]] = []
    for dt in content.iter("dt", "th"):
        value = dt.getnext()
        if value is not None and tag_of(value) in ("dd", "td"):
            pairs.append((node_text(dt), node_text(value)))
    found: dict[str, str] = {}
    for piece in _PIECES.split(text[:5_000]):
        piece = piece.strip()
        if match := _LABEL_VALUE.match(piece):
            pairs.append((match.group(1), match.group(2)))
        elif (posted := _POSTED.match(piece)) and "date" not in found:
            found["date"] = posted.group(2)
    for label, value in pairs:
        for field, pattern in _LABELS.items():
            if field not in found and value.strip() and pattern.match(label.strip()):
                found[field] = value.strip()[:MAX_TITLE_CHARS]
    return found
