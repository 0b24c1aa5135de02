"""Ads on plain pages, with no structured data: a main heading over a block of prose.

A page is an ad when it has a main heading and enough prose that is not links, and does not
look like a listing (headings that are links, or repeated cards that start with a link).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml import etree
from parsel import Selector

from crawlers.extract.dom import NEVER_TEXT, node_text, tag_of
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
_PAGER_REL = frozenset({"next", "prev"})
_CONTENT_ROOTS = (etree.XPath("//main"), etree.XPath('//*[@role="main"]'))
_ARTICLES = etree.XPath("//article")
_BODY = etree.XPath("//body")
_FIRST_DATETIME = etree.XPath("string((.//time[@datetime])[1]/@datetime)", smart_strings=False)
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
    lengths = _Lengths(content)
    heading = _main_heading(doc, content, lengths)
    if heading is None:
        return None
    title = node_text(heading, max_chars=MAX_TITLE_CHARS)
    if not title or _is_listing(lengths):
        return None
    everything, links = lengths.text[content], lengths.links[content]
    if everything and links / everything > MAX_LINK_SHARE:
        return None

    link_lists = {
        node
        for node, tag in lengths.tags.items()
        if tag in _LIST_TAGS and lengths.links[node] > LINK_LIST_SHARE * lengths.text[node]
    }
    # node_text asks only about elements whose ancestors it kept, and of those, the furniture
    # is exactly what _Lengths left out: a lookup instead of testing each element again.
    kept = lengths.text
    left_out = {*link_lists, heading}
    prose_left_out = left_out | {node for node, tag in lengths.tags.items() if tag == "a"}
    prose = node_text(content, skip=lambda n: n not in kept or n in prose_left_out)
    longest = max((len(line) for line in prose.splitlines()), default=0)
    if len(prose) < MIN_PROSE_CHARS or longest < MIN_BLOCK_CHARS:
        return None

    text = node_text(content, skip=lambda n: n not in kept or n in left_out)
    labelled = _labelled_values(content, text)
    date = _FIRST_DATETIME(content) or labelled.get("date", "")
    return AdFields(
        extraction="heuristic",
        title=title,
        text=text,
        employer=labelled.get("employer", ""),
        location=labelled.get("location", ""),
        salary=labelled.get("salary", ""),
        date_posted=str(date).strip()[:40],
    )


class _Lengths:
    """Visible text and link text lengths of every element outside page furniture, found in one
    pass so that no check walks a subtree again (hostile pages nest thousands of levels deep)."""

    def __init__(self, root: etree._Element) -> None:
        # Kept elements with parents before children, so that summing them in reverse order
        # completes each one's children before the element itself.
        nodes: list[etree._Element] = []
        tags: list[str] = []
        parents: list[int] = []
        chars: list[int] = []  # its text and its children's tails, then its children's text
        stack: list[tuple[etree._Element, int]] = [(root, -1)]
        while stack:
            node, parent = stack.pop()
            index = len(nodes)
            nodes.append(node)
            tags.append(tag_of(node))
            parents.append(parent)
            count = _chars(node.text)
            for child in node:
                count += _chars(child.tail)
                if not _skipped(child):
                    stack.append((child, index))
            chars.append(count)
        links = [0] * len(nodes)
        for index in range(len(nodes) - 1, -1, -1):
            if tags[index] == "a":
                links[index] = chars[index]
            parent = parents[index]
            if parent >= 0:
                chars[parent] += chars[index]
                links[parent] += links[index]
        self.text: dict[etree._Element, int] = dict(zip(nodes, chars, strict=True))
        self.links: dict[etree._Element, int] = dict(zip(nodes, links, strict=True))
        self.tags: dict[etree._Element, str] = dict(zip(nodes, tags, strict=True))

    def __contains__(self, node: etree._Element) -> bool:
        return node in self.text


def _skipped(node: etree._Element) -> bool:
    tag = node.tag
    if not isinstance(tag, str):
        return True
    tag = tag.lower()
    return tag in NEVER_TEXT or _is_furniture(node, tag)


def _chars(text: str | None) -> int:
    return len(text.strip()) if text else 0


def _content_root(doc: etree._Element) -> etree._Element:
    for path in _CONTENT_ROOTS:
        found = path(doc)
        if found:
            return found[0]
    articles = _ARTICLES(doc)
    if len(articles) == 1:
        return articles[0]
    body = _BODY(doc)
    return body[0] if body else doc


def _main_heading(
    doc: etree._Element, content: etree._Element, lengths: _Lengths
) -> etree._Element | None:
    for tag in ("h1", "h2") if content.tag != "body" else ("h1",):
        for heading in content.iter(tag):
            if heading in lengths:
                return heading
    for heading in doc.iter("h1"):
        if not _in_furniture(heading, doc, ("nav", "footer", "aside")):
            return heading
    return None


def _is_listing(lengths: _Lengths) -> bool:
    linked_headings = 0
    for node, tag in lengths.tags.items():
        if tag in ("h2", "h3", "h4") and lengths.links[node]:
            linked_headings += 1
            if linked_headings >= MIN_LINKED_HEADINGS:
                return True
        elif tag == "a" and _PAGER_REL & set(node.get("rel", "").lower().split()):
            return True  # previous/next page links: a page of a listing
        elif len(node) >= MIN_CARDS:
            cards = 0
            for child in node:
                if child in lengths and _is_card(child, lengths):
                    cards += 1
                    if cards >= MIN_CARDS:
                        return True
    return False


def _is_card(node: etree._Element, lengths: _Lengths) -> bool:
    """An item of a listing: starts with a title-sized link and goes on with a snippet."""
    link = _leading_link(node)
    if link is None or lengths.text.get(link, 0) < CARD_TITLE_CHARS:
        return False
    return lengths.text[node] - lengths.links[node] >= CARD_SNIPPET_CHARS


def _leading_link(node: etree._Element) -> etree._Element | None:
    """The link an element starts with, possibly inside a heading or a wrapper."""
    for _ in range(3):
        if (node.text or "").strip():
            return None
        first = next((c for c in node if isinstance(c.tag, str)), None)
        if first is None:
            return None
        if tag_of(first) == "a" and first.get("href"):
            return first
        node = first
    return None


def _is_site_page(url: str) -> bool:
    last = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    return bool(_SITE_PAGES.match(last.rsplit(".", 1)[0]))


def _is_furniture(node: etree._Element, tag: str | None = None) -> bool:
    if (tag_of(node) if tag is None else tag) in _FURNITURE:
        return True
    attrib = node.attrib
    if not attrib:
        return False
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
