"""schema.org JobPosting in HTML microdata (``itemscope itemtype=".../JobPosting"``).

The items are read as extruct's ``MicrodataExtractor(nested=True)`` reads them (W3C microdata:
nested items, itemref, values from attributes or the element's text) and given in JSON-LD's
shape, so that one reader serves both; tests/test_crawlers_microdata.py holds the two to the
same answers. Where extruct fails on a page (a link that is no URL, a control character next
to a comment) this reader goes on; a hostile page (items nested too deep, too much to read)
has its microdata skipped where extruct would run out of stack or time.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector
from w3lib.html import strip_html5_whitespace

from crawlers.extract.fields import AdFields
from crawlers.extract.jobposting import choose_posting, fields_from_jobposting, find_postings

log = logging.getLogger(__name__)

# Hostile pages: no real page nests items this deep or needs this many elements read; one that
# does has its microdata skipped (the other extractors still read it).
MAX_NESTING = 64
MAX_VISITS = 500_000

_ITEMS = etree.XPath("//@itemscope/..")  # by the attribute axis: a little cheaper than //*[...]
_BY_ID = etree.XPath("id($refid)[1]")
_SRC_TAGS = frozenset({"audio", "embed", "iframe", "img", "source", "track", "video"})
_HREF_TAGS = frozenset({"a", "area", "link"})
# What extruct's cleaner removes before it reads an element's text (a removed element's tail
# stays, joined to the text before it).
_DROPPED = frozenset({"script", "style", "link", "meta"})
# html_text's layout rules, which extruct's text follows.
_LINE_TAGS = frozenset(
    {
        "article",
        "aside",
        "br",
        "dd",
        "details",
        "div",
        "dt",
        "fieldset",
        "figcaption",
        "footer",
        "form",
        "header",
        "hr",
        "legend",
        "li",
        "main",
        "nav",
        "table",
        "tr",
    }
)
_PARAGRAPH_TAGS = frozenset(
    {
        "blockquote",
        "dl",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ol",
        "p",
        "pre",
        "title",
        "ul",
    }
)
_WHITESPACE = re.compile(r"\s+")
_ENDS_IN_SPACE = re.compile(r"\s$")
_STARTS_WITH_PUNCT = re.compile(r'^[,:;.!?")]')
_ENDS_IN_BRACKET = re.compile(r"\($")


class _Hostile(Exception):
    pass


def extract_microdata(sel: Selector, url: str) -> AdFields | None:
    scopes = _ITEMS(sel.root)
    if not any("JobPosting" in (node.get("itemtype") or "") for node in scopes):
        return None
    try:
        items = _Reader(url).items(scopes)
    except _Hostile as exc:
        log.warning("skipping the microdata of %s: %s", url, exc)
        return None
    posting = choose_posting(find_postings(items), url)
    if posting is None:
        return None
    # Each property holds the text of its element (scripts and styles left out), so nothing in
    # it is markup any more.
    fields = fields_from_jobposting(posting, "microdata", escaped=False)
    return fields if fields.title or fields.text else None


def read_items(root: etree._Element, url: str) -> list[Any]:
    """Every top-level item under ``root``, in JSON-LD's shape (``@type``, ``@id``, properties;
    an item without properties is its value)."""
    return _Reader(url).items(_ITEMS(root))


class _Reader:
    def __init__(self, url: str) -> None:
        self._url = url
        self._seen: set[etree._Element] = set()  # each item is read once, wherever it appears
        self._depth = 0
        self._left = MAX_VISITS  # elements that may still be read

    def items(self, scopes: list[etree._Element]) -> list[Any]:
        # Items already read as another item's property are not top-level items.
        return [self._item(node) for node in scopes if node not in self._seen]

    def _item(self, node: etree._Element) -> Any:
        if node in self._seen:
            return None  # already read (twice named, or referred to from itself): as extruct
        self._seen.add(node)
        self._depth += 1
        if self._depth > MAX_NESTING:
            raise _Hostile(f"items nested over {MAX_NESTING} deep")
        properties: dict[str, list[Any]] = {}
        for prop in self._own_properties(node):
            self._add(properties, prop)
        for refid in (node.get("itemref") or "").split():
            self._spend(1)
            for prop in self._referred_properties(node, refid):
                self._add(properties, prop)
        self._depth -= 1
        if not properties:
            return self._value(node, nested=False)
        types = (node.get("itemtype") or "").split()
        item: dict[str, Any] = {"@type": types[0] if len(types) == 1 else types or ""}
        itemid = node.get("itemid")
        if types and itemid:
            item["@id"] = itemid.strip()
        # A property named "@type" replaces the type, where it stands: as dict.update does.
        for name, values in properties.items():
            item[name] = values[0] if len(values) == 1 else values
        return item

    def _add(self, properties: dict[str, list[Any]], prop: etree._Element) -> None:
        names = (prop.get("itemprop") or "").split()
        if not names and prop.get("itemscope") is None:
            return  # a nameless value; a nameless item is still read, which marks it seen
        value = self._value(prop, nested=True)
        for name in names:
            properties.setdefault(name, []).append(value)

    def _own_properties(self, node: etree._Element) -> list[etree._Element]:
        """The elements under ``node`` with ``itemprop``, in document order, leaving out those
        inside a nested item (which are that item's)."""
        found = []
        stack = list(reversed(node))
        visits = 0
        while stack:
            element = stack.pop()
            visits += 1
            if not isinstance(element.tag, str):
                continue
            if element.get("itemprop") is not None:
                found.append(element)
            if element.get("itemscope") is None and len(element):
                if visits > self._left:
                    self._spend(visits)  # raises: stop before going deeper
                stack.extend(reversed(element))
        self._spend(visits)
        return found

    def _referred_properties(self, node: etree._Element, refid: str) -> list[etree._Element]:
        # id() as extruct asks for it: libxml2 knows the page's ids (and <a name>), first wins.
        found = _BY_ID(node, refid=refid)
        if not found:
            return []
        ref = found[0]
        if ref.get("itemprop") is not None and ref.get("itemscope") is not None:
            return [ref]
        own = self._own_properties(ref)
        return [ref, *own] if ref.get("itemprop") is not None else own

    def _value(self, node: etree._Element, *, nested: bool) -> Any:
        # https://www.w3.org/TR/microdata/#values, and what extruct adds to it.
        if nested and node.get("itemscope") is not None:
            return self._item(node)
        tag = node.tag
        if tag == "meta":
            return node.get("content", "")
        if tag in _SRC_TAGS:
            return self._absolute(node.get("src", ""))
        if tag in _HREF_TAGS:
            return self._absolute(node.get("href", ""))
        if tag == "object":
            return self._absolute(node.get("data", ""))
        if tag in ("data", "meter"):
            return node.get("value", "")
        if tag == "time":
            return node.get("datetime", "")
        content = node.get("content")
        if content:
            return content  # not in the W3C rules, but in schema.org's examples
        itemprop = node.get("itemprop")
        if itemprop and itemprop.endswith(("-input", "-output")):
            return _action_value(node)  # https://schema.org/docs/actions.html#part-4
        return self._text(node)

    def _absolute(self, href: str) -> str:
        href = strip_html5_whitespace(href)
        try:
            return urljoin(self._url, href)
        except ValueError:
            return href  # no URL (an unclosed IPv6 address): what the page says

    def _text(self, node: etree._Element) -> str:
        if node.tag in ("script", "style"):
            return ""  # extruct's cleaner empties such an element rather than drop it
        if not len(node):  # most properties: no layout, one piece of text
            return _WHITESPACE.sub(" ", node.text.strip()) if node.text else ""
        text = _Text()
        # Iterative walk: hostile pages nest deeper than Python's recursion limit.
        stack: list[tuple[etree._Element, bool]] = [(node, False)]
        visits = 0
        while stack:
            element, closing = stack.pop()
            visits += 1
            if visits > self._left:
                self._spend(visits)  # raises
            tag = element.tag
            if closing:
                text.tag(tag)
                if element is not node:
                    text.pending(element.tail)
            elif not isinstance(tag, str) or tag in _DROPPED:
                text.pending(element.tail)
            else:
                text.tag(tag)
                text.pending(element.text)
                stack.append((element, True))
                stack.extend((child, False) for child in reversed(element))
        self._spend(visits)
        return text.result()

    def _spend(self, visits: int) -> None:
        self._left -= visits
        if self._left < 0:
            raise _Hostile(f"over {MAX_VISITS} elements read")


def _action_value(node: etree._Element) -> dict[str, Any]:
    value: dict[str, Any] = {}
    if "required" in node.attrib:
        value["valueRequired"] = True
    if name := node.get("name"):
        value["valueName"] = name
    return value


class _Text:
    """html_text's ``etree_to_text``: whitespace collapsed, a space between pieces unless
    punctuation follows, line breaks around blocks. Pieces are fed as found; pieces with only
    dropped elements between them are joined first, as the cleaner's tree has them joined."""

    def __init__(self) -> None:
        self._chunks: list[str] = []
        self._pieces: list[str] = []
        self._breaks = 2  # 0 after text, 1 after a line break, 2 after a blank line
        self._last = ""  # the last piece, as found (its whitespace decides the next space)

    def pending(self, piece: str | None) -> None:
        if piece:
            self._pieces.append(piece)

    def tag(self, tag: str) -> None:
        self._flush()
        if self._breaks == 2:
            return
        if tag in _PARAGRAPH_TAGS:
            self._chunks.append("\n" if self._breaks == 1 else "\n\n")
            self._breaks = 2
        elif tag in _LINE_TAGS:
            if self._breaks == 0:
                self._chunks.append("\n")
            self._breaks = 1

    def result(self) -> str:
        self._flush()
        return "".join(self._chunks).strip()

    def _flush(self) -> None:
        if not self._pieces:
            return
        raw = self._pieces[0] if len(self._pieces) == 1 else "".join(self._pieces)
        self._pieces.clear()
        text = _WHITESPACE.sub(" ", raw.strip())
        if not text:
            return
        if self._breaks == 0 and (
            _ENDS_IN_SPACE.search(self._last)
            or not (_STARTS_WITH_PUNCT.search(text) or _ENDS_IN_BRACKET.search(self._last))
        ):
            self._chunks.append(" ")
        self._chunks.append(text)
        self._breaks = 0
        self._last = raw
