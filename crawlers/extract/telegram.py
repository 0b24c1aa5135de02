"""Public Telegram channel previews: the ``t.me/s/<channel>`` page format, on any host.

Each message is ``.tgme_widget_message[data-post="channel/123"]``; its text is in
``.tgme_widget_message_text``, its time in ``.tgme_widget_message_date time[datetime]``. Older
messages are one page back: ``<link rel="prev" href="/s/channel?before=123">`` or the "load more"
link's ``data-before``. Service messages and media without a caption have no text and are skipped.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from lxml import etree
from parsel import Selector

from crawlers.extract.dom import node_text
from crawlers.extract.postpage import (
    MAX_POST_CHARS,
    MAX_POSTS,
    Post,
    PostPage,
    iso_time,
    post_fields,
    same_host_url,
)

_DATA_POST = re.compile(r"^([A-Za-z0-9_]{1,64})/(\d{1,12})$")
# Parts of a message that quote something else: a replied-to message, a link's preview.
_QUOTES = frozenset(
    {"tgme_widget_message_reply", "tgme_widget_message_link_preview", "tgme_widget_message_poll"}
)
_MORE = (
    "a.tme_messages_more[data-before], a.tgme_widget_message_more[data-before], "
    "a.js-messages_more[data-before]"
)


def _classes(node: etree._Element) -> set[str]:
    return set((node.get("class") or "").split())


def _outside_quotes(found: list[Selector], message: Selector) -> Selector | None:
    for candidate in found:
        node = candidate.root.getparent()
        while node is not None and node is not message.root:
            if _classes(node) & _QUOTES:
                break
            node = node.getparent()
        else:
            return candidate
    return None


def _first(found: list[Selector]) -> Selector | None:
    return found[0] if found else None


def _text_of(sel: Selector | None) -> str:
    return node_text(sel.root, max_chars=MAX_POST_CHARS) if sel is not None else ""


def _channel_name(sel: Selector) -> str:
    for query in (
        ".tgme_channel_info_header_title ::text",
        ".tgme_header_title ::text",
        'meta[property="og:title"]::attr(content)',
    ):
        name = " ".join(t.strip() for t in sel.css(query).getall() if t.strip())
        if name:
            return name
    return ""


def _message_text(message: Selector) -> str:
    parts = [_text_of(_outside_quotes(message.css(".tgme_widget_message_text"), message))]
    for preview in message.css(".tgme_widget_message_link_preview")[:1]:
        bits = [
            _text_of(_first(preview.css(f".link_preview_{name}")))
            for name in ("site_name", "title", "description")
        ]
        parts.append("\n".join(b for b in bits if b))
    return "\n\n".join(p for p in parts if p)


def _owner(message: Selector) -> str:
    owner = _outside_quotes(message.css(".tgme_widget_message_owner_name"), message)
    return _text_of(owner)


def _older_page(sel: Selector, url: str, oldest: int | None) -> str | None:
    candidates: list[str] = []
    for link in sel.xpath("//link[@href]"):
        if "prev" in (link.attrib.get("rel") or "").lower().split():
            candidates.append(link.attrib["href"])
    for more in sel.css(_MORE):
        before = (more.attrib.get("data-before") or "").strip()
        href = more.attrib.get("href") or ""
        if "before=" not in href and before.isdigit():
            parts = urlsplit(url)
            href = urlunsplit((parts.scheme, parts.netloc, parts.path, f"before={before}", ""))
        candidates.append(href)
    for href in candidates:
        target = same_host_url(href, url)
        if target is None:
            continue
        values = parse_qs(urlsplit(target).query).get("before", [])
        if len(values) != 1 or not values[0].isdigit():
            continue
        # Each older page must start below this one's oldest message, or a page could send
        # the crawler round in circles.
        if oldest is not None and int(values[0]) > oldest:
            continue
        query = urlencode({"before": values[0]})
        parts = urlsplit(target)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
    return None


def extract_telegram(sel: Selector, url: str) -> PostPage | None:
    messages = sel.css(".tgme_widget_message[data-post]")
    if not messages and not sel.css(".tgme_channel_info, .tgme_channel_history"):
        return None
    parts = urlsplit(url)
    channel_name = _channel_name(sel)
    posts: list[Post] = []
    ids: list[int] = []
    for message in messages[: MAX_POSTS * 2]:
        match = _DATA_POST.match((message.attrib.get("data-post") or "").strip())
        if match is None:
            continue
        ids.append(int(match.group(2)))
        if "service_message" in _classes(message.root) or len(posts) >= MAX_POSTS:
            continue
        text = _message_text(message)
        if not text:
            continue  # a photo or video without a caption: nothing to read
        time = message.css(".tgme_widget_message_date time::attr(datetime)").get()
        time = time or message.css("time[datetime]::attr(datetime)").get()
        permalink = urlunsplit(
            (parts.scheme, parts.netloc, f"/{match.group(1)}/{match.group(2)}", "", "")
        )
        name = _owner(message) or channel_name
        posts.append(Post(permalink, post_fields("telegram", text, name, iso_time(time))))
    return PostPage("telegram", posts, _older_page(sel, url, min(ids) if ids else None))
