"""RSS/Atom feeds, XML sitemaps and where a site announces them.

Feeds and sitemaps are hostile XML: parsed by lxml with entities left unresolved, no network,
no DTD loading and libxml2's size limits on (``huge_tree=False``); a document that declares
entities is refused outright, so XXE and "billion laughs" payloads never expand. Entries,
URLs, decompressed bytes and text are all capped.

    feed = parse_feed(body, url)          # Feed | None
    sitemap = parse_sitemap(body, url)    # Sitemap | None (gzip-compressed bodies too)
    robots_sitemaps(robots_txt, base_url) # the Sitemap: lines of robots.txt
    feed_links(selector, url)             # <link rel="alternate" type="application/rss+xml">
"""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

from lxml import etree
from parsel import Selector

from core.text import clean_text, html_to_text
from crawlers.extract.fields import AdFields

log = logging.getLogger(__name__)

MAX_FEED_ENTRIES = 1_000
MAX_FEED_BYTES = 20 * 1024 * 1024
MAX_SITEMAP_URLS = 50_000  # the sitemap protocol's own limit per file
MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # likewise, uncompressed
MAX_ROBOTS_SITEMAPS = 100
MAX_FEED_LINKS = 20
MAX_URL_CHARS = 2_000
MAX_TEXT_CHARS = 20_000
MAX_TITLE_CHARS = 300
GZIP_MAGIC = b"\x1f\x8b"

_CHUNK = 256 * 1024
_FEED_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+xml"}
)
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_SITEMAP_LINE = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.IGNORECASE)
_ENTITY_DECL = (b"<!ENTITY", "<!ENTITY".encode("utf-16-le"), "<!ENTITY".encode("utf-16-be"))


@dataclass
class FeedEntry:
    url: str  # absolute link of the entry ("" when it has none)
    guid: str  # RSS guid / Atom id / RDF about, as given
    fields: AdFields  # extraction "rss" or "atom"; text is plain text
    full_text: bool  # the text is the whole item (content:encoded, atom:content), not a summary


@dataclass
class Feed:
    kind: str  # rss | rdf | atom
    title: str
    link: str  # the site the feed describes
    entries: list[FeedEntry]
    truncated: bool = False  # more than MAX_FEED_ENTRIES entries: the rest were dropped


@dataclass
class SitemapUrl:
    loc: str  # absolute http(s) URL
    lastmod: str = ""  # ISO 8601 as far as the sitemap gave it ("2026-03-01" or a UTC time)


@dataclass
class Sitemap:
    kind: str  # urlset | index | text
    urls: list[SitemapUrl] = field(default_factory=list)  # pages (urlset, text)
    sitemaps: list[SitemapUrl] = field(default_factory=list)  # child sitemaps (index)
    truncated: bool = False  # a cap on URLs or decompressed bytes was reached
    note: str = ""  # why it was truncated, for the crawl log


# Never resolve entities, never fetch a DTD or anything else, keep libxml2's size limits.
_SAFE = {
    "resolve_entities": False,
    "no_network": True,
    "huge_tree": False,
    "load_dtd": False,
    "dtd_validation": False,
    "remove_comments": True,
    "remove_pis": True,
}
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_RDF_ABOUT = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _declares_entities(head: bytes) -> bool:
    return any(marker in head for marker in _ENTITY_DECL)


def _text(node: etree._Element | None) -> str:
    # string() leaves out unresolved entity references instead of printing "&name;".
    return str(node.xpath("string()")).strip() if node is not None else ""


def _absolute(href: str, base: str) -> str:
    href = href.strip()
    if not href or len(href) > MAX_URL_CHARS:
        return ""
    absolute = urljoin(base, href)
    return absolute if urlsplit(absolute).scheme in ("http", "https") else ""


def iso_date(value: str) -> str:
    """An RFC 822 (RSS) or ISO 8601 (Atom, sitemaps) date as ISO 8601, UTC when zoned;
    a bare date stays a date; "" when unreadable."""
    raw = " ".join(value.split())[:64]
    if not raw:
        return ""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        try:
            return datetime.strptime(raw, "%Y-%m-%d").date().isoformat()
        except ValueError:
            return ""
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError, OverflowError):
            return ""
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    return parsed.isoformat()


# --- feeds -----------------------------------------------------------------------------------


def parse_feed(body: bytes, url: str) -> Feed | None:
    """An RSS 2.0, RSS 1.0 (RDF) or Atom feed; None for anything else, malformed XML included."""
    if len(body) > MAX_FEED_BYTES:
        log.warning("feed %s is %d bytes, more than %d: skipped", url, len(body), MAX_FEED_BYTES)
        return None
    if _declares_entities(body[:65_536]):
        log.warning("feed %s declares XML entities: refused", url)
        return None
    try:
        root = etree.fromstring(body, etree.XMLParser(**_SAFE))
    except (etree.XMLSyntaxError, ValueError) as exc:
        log.warning("feed %s is not well-formed XML: %s", url, str(exc)[:200])
        return None
    if root is None:
        return None
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        log.warning("feed %s declares XML entities: refused", url)
        return None
    kind = _local(root)
    if kind == "rss":
        channel = _child(root, "channel")
        if channel is None:
            return None
        return _read_feed("rss", channel, _children(channel, "item"), url)
    if kind == "RDF":
        channel = _child(root, "channel")
        items = _children(root, "item")
        return _read_feed("rdf", channel if channel is not None else root, items, url)
    if kind == "feed":
        return _read_feed("atom", root, _children(root, "entry"), url)
    return None


def _child(node: etree._Element, name: str) -> etree._Element | None:
    return next(_children(node, name), None)


def _children(node: etree._Element, name: str) -> Iterator[etree._Element]:
    return (child for child in node if _local(child) == name)


def _read_feed(
    kind: str, channel: etree._Element, items: Iterator[etree._Element], url: str
) -> Feed:
    base = url
    if kind == "atom":
        link = _atom_link(channel, url)
        base = _absolute(channel.get(_XML_BASE) or "", url) or url
    else:
        link = _absolute(_text(_child(channel, "link")), url)
    entries: list[FeedEntry] = []
    truncated = False
    for item in items:
        if len(entries) >= MAX_FEED_ENTRIES:
            truncated = True
            log.warning("feed %s has more than %d entries: the rest skipped", url, len(entries))
            break
        entry = _atom_entry(item, base) if kind == "atom" else _rss_item(item, base)
        if entry is not None:
            entries.append(entry)
    title = clean_text(_text(_child(channel, "title")), MAX_TITLE_CHARS)
    return Feed(kind, title, link, entries, truncated)


def _rss_item(item: etree._Element, base: str) -> FeedEntry | None:
    guid_node = _child(item, "guid")
    guid = (_text(guid_node) or item.get(_RDF_ABOUT) or "")[:MAX_URL_CHARS]
    link = _absolute(_text(_child(item, "link")), base)
    if not link and guid_node is not None and guid_node.get("isPermaLink", "true") != "false":
        link = _absolute(guid, base)
    content = _child(item, "encoded")  # content:encoded, the whole item as HTML
    summary = _child(item, "description")
    html = _text(content) or _text(summary)
    date = _text(_child(item, "pubDate")) or _text(_child(item, "date"))  # dc:date in RSS 1.0
    return _entry(
        "rss",
        link,
        guid or link,
        _text(_child(item, "title")),
        html_to_text(html, MAX_TEXT_CHARS),
        date,
        full_text=bool(_text(content)),
    )


def _atom_link(node: etree._Element, base: str) -> str:
    """The rel="alternate" link (the default rel), preferring an HTML one."""
    best = ""
    for link in _children(node, "link"):
        if (link.get("rel") or "alternate").strip().lower() != "alternate":
            continue
        href = _absolute(link.get("href") or "", base)
        if href and (link.get("type") or "text/html").lower() in _HTML_TYPES:
            return href
        best = best or href
    return best


def _atom_text(node: etree._Element | None) -> str:
    """Plain text of an Atom text construct (type text, html or xhtml)."""
    if node is None:
        return ""
    kind = (node.get("type") or "text").lower()
    if kind == "xhtml":
        markup = "".join(
            etree.tostring(child, encoding="unicode", with_tail=True) for child in node
        )
        return html_to_text(markup, MAX_TEXT_CHARS)
    if kind in ("html", "text/html"):
        return html_to_text(_text(node), MAX_TEXT_CHARS)
    return clean_text(_text(node), MAX_TEXT_CHARS)


def _atom_entry(entry: etree._Element, base: str) -> FeedEntry | None:
    base = _absolute(entry.get(_XML_BASE) or "", base) or base
    link = _atom_link(entry, base)
    content = _child(entry, "content")
    text = "" if content is not None and content.get("src") else _atom_text(content)
    full = bool(text)
    text = text or _atom_text(_child(entry, "summary"))
    date = _text(_child(entry, "published")) or _text(_child(entry, "updated"))
    return _entry(
        "atom",
        link,
        _text(_child(entry, "id"))[:MAX_URL_CHARS] or link,
        _atom_text(_child(entry, "title")),
        text,
        date,
        full_text=full,
    )


def _entry(
    extraction: str, link: str, guid: str, title: str, text: str, date: str, *, full_text: bool
) -> FeedEntry | None:
    # Feeds put HTML in titles too; a title with a tag in it is read as HTML.
    title = clean_text(html_to_text(title) if "<" in title else title, MAX_TITLE_CHARS)
    if not (link or title or text):
        return None
    fields = AdFields(extraction=extraction, title=title, text=text, date_posted=iso_date(date))
    return FeedEntry(link, guid, fields, full_text)


# --- sitemaps --------------------------------------------------------------------------------


def _chunks(body: bytes, notes: list[str]) -> Iterator[bytes]:
    """The body, gunzipped when it starts with the gzip magic, at most MAX_SITEMAP_BYTES."""
    if not body.startswith(GZIP_MAGIC):
        if len(body) > MAX_SITEMAP_BYTES:
            notes.append(f"more than {MAX_SITEMAP_BYTES // 2**20} MB: read only the first part")
        for start in range(0, min(len(body), MAX_SITEMAP_BYTES), _CHUNK):
            yield body[start : min(start + _CHUNK, MAX_SITEMAP_BYTES)]
        return
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    total = 0
    pending = body
    while pending and not inflate.eof:
        limit = min(_CHUNK, MAX_SITEMAP_BYTES - total)
        if limit <= 0:
            notes.append(
                f"decompresses to more than {MAX_SITEMAP_BYTES // 2**20} MB: "
                "read only the first part"
            )
            return
        try:
            chunk = inflate.decompress(pending, limit)
        except zlib.error as exc:
            raise ValueError(f"broken gzip data ({exc})") from exc
        pending = inflate.unconsumed_tail
        total += len(chunk)
        if chunk:
            yield chunk
        elif not pending:
            break
    if not inflate.eof and not notes:
        raise ValueError("gzip data ends early")


def parse_sitemap(body: bytes, url: str) -> Sitemap | None:
    """A sitemap (``urlset``), a sitemap index, or a plain-text list of URLs; gzip-compressed
    bodies are decompressed (to at most 50 MB). None when it is none of these or is broken."""
    notes: list[str] = []
    try:
        return _parse_sitemap(body, url, notes)
    except (etree.XMLSyntaxError, ValueError) as exc:
        log.warning("sitemap %s cannot be read: %s", url, str(exc)[:200])
        return None


def _parse_sitemap(body: bytes, url: str, notes: list[str]) -> Sitemap | None:
    chunks = _chunks(body, notes)
    first = next(chunks, b"")
    head = first.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        return None
    if not head.startswith((b"<", b"\xff\xfe", b"\xfe\xff")):
        return _text_sitemap(first + b"".join(chunks), url, notes)
    if _declares_entities(first[:65_536]):
        raise ValueError("declares XML entities: refused")
    # A SAX-style target builds no tree: memory stays flat whatever the document holds.
    target = _SitemapTarget(url)
    parser = etree.XMLParser(target=target, **_SAFE)
    for chunk in _chain(first, chunks):
        parser.feed(chunk)
        if target.kind == "other":
            return None
        if target.full:
            notes.append(f"more than {MAX_SITEMAP_URLS} URLs: the rest skipped")
            break
    if not notes:
        parser.close()  # raises on a document that is cut short
    if target.kind not in ("urlset", "index"):
        return None
    return _finish(Sitemap(target.kind, target.urls, target.sitemaps), notes, url)


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


class _SitemapTarget:
    """lxml parser target: collects <url>/<sitemap> entries (loc, lastmod) of the root element."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.kind = ""  # urlset | index | other, once the root element is seen
        self.urls: list[SitemapUrl] = []
        self.sitemaps: list[SitemapUrl] = []
        self.full = False
        self._depth = 0
        self._entry: dict[str, str] | None = None
        self._field = ""
        self._buffer: list[str] | None = None
        self._buffered = 0

    def start(self, tag: str, attrib: object) -> None:
        self._depth += 1
        if self._depth > 3:
            return  # deeper elements never matter: keep the per-element cost minimal
        name = tag.rsplit("}", 1)[-1]
        if self._depth == 1:
            self.kind = {"urlset": "urlset", "sitemapindex": "index"}.get(name, "other")
        elif self._depth == 2 and name in ("url", "sitemap") and not self.full:
            self._entry = {}
        elif self._depth == 3 and self._entry is not None and name in ("loc", "lastmod"):
            self._field, self._buffer, self._buffered = name, [], 0

    def data(self, text: str) -> None:
        if self._buffer is not None and self._buffered <= MAX_URL_CHARS:
            self._buffer.append(text)
            self._buffered += len(text)

    def end(self, tag: str) -> None:
        if self._depth == 3 and self._buffer is not None and self._entry is not None:
            self._entry[self._field] = "".join(self._buffer)
            self._buffer = None
        elif self._depth == 2 and self._entry is not None:
            self._add(self._entry)
            self._entry = None
        self._depth -= 1

    def close(self) -> None:
        return None

    def _add(self, entry: dict[str, str]) -> None:
        loc = _absolute(entry.get("loc", ""), self.url)
        if not loc:
            return
        found = SitemapUrl(loc, iso_date(entry.get("lastmod", "")))
        (self.sitemaps if self.kind == "index" else self.urls).append(found)
        self.full = len(self.urls) + len(self.sitemaps) >= MAX_SITEMAP_URLS


def _finish(sitemap: Sitemap, notes: list[str], url: str) -> Sitemap:
    if notes:
        sitemap.truncated = True
        sitemap.note = "; ".join(notes)
        log.warning("sitemap %s %s", url, sitemap.note)
    return sitemap


def _text_sitemap(data: bytes, url: str, notes: list[str]) -> Sitemap | None:
    lines = data.decode("utf-8", errors="replace").splitlines()
    urls: list[SitemapUrl] = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if not line.startswith(("http://", "https://")) or " " in line:
            return None  # not a list of URLs: an HTML error page, a robots.txt, ...
        if len(urls) >= MAX_SITEMAP_URLS:
            notes.append(f"more than {MAX_SITEMAP_URLS} URLs: the rest skipped")
            break
        if len(line) <= MAX_URL_CHARS:
            urls.append(SitemapUrl(line))
    return _finish(Sitemap("text", urls), notes, url) if urls else None


# --- where sites announce them ---------------------------------------------------------------


def robots_sitemaps(robots_txt: str, base_url: str) -> list[str]:
    """The ``Sitemap:`` URLs of a robots.txt, absolute, in order, without repeats."""
    found: list[str] = []
    for line in robots_txt.splitlines()[:10_000]:
        match = _SITEMAP_LINE.match(line.split("#", 1)[0])
        if match is None:
            continue
        absolute = _absolute(match.group(1), base_url)
        if absolute and absolute not in found:
            found.append(absolute)
            if len(found) >= MAX_ROBOTS_SITEMAPS:
                break
    return found


def feed_links(sel: Selector, url: str) -> list[str]:
    """Feeds a page announces with ``<link rel="alternate" type="application/rss+xml">``."""
    found: list[str] = []
    for link in sel.xpath("//link[@href][@type]"):
        rel = (link.attrib.get("rel") or "").lower().split()
        kind = (link.attrib.get("type") or "").split(";")[0].strip().lower()
        if "alternate" not in rel or kind not in _FEED_TYPES:
            continue
        absolute = _absolute(link.attrib["href"], url)
        if absolute and absolute not in found:
            found.append(absolute)
            if len(found) >= MAX_FEED_LINKS:
                break
    return found
