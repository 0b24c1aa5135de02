"""Pages that hold many posts (a channel preview, a public page's feed): one ``Post`` each.

Shared by the Telegram and Facebook-style readers; ``crawlers.extract.posts`` picks the reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from core.text import clean_text
from crawlers.extract.fields import AdFields

MAX_POSTS = 200  # per page; a real channel preview shows about 20
MAX_POST_CHARS = 20_000  # the same bound as one ad's text
MAX_TITLE_CHARS = 150
MAX_NAME_CHARS = 200


@dataclass
class Post:
    url: str  # absolute permalink of the post, on the host of the page it was read from
    fields: AdFields


@dataclass
class PostPage:
    kind: str  # telegram | facebook | login
    posts: list[Post]
    older_page: str | None  # absolute URL of the next older page of posts, same host
    login_wall: bool = False  # the page asks to log in and shows nothing public


def first_line(text: str, limit: int = MAX_TITLE_CHARS) -> str:
    """The post's first non-empty line, cut at a word boundary when longer than ``limit``."""
    line = next((x.strip() for x in text.splitlines() if x.strip()), "")
    if len(line) <= limit:
        return line
    cut = line[:limit].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return (cut or line[:limit]) + "…"


def iso_time(value: str | None) -> str:
    """An ISO 8601 timestamp (UTC when the page gave a zone) from an ISO string or Unix
    seconds; "" when the value is neither."""
    raw = (value or "").strip()[:64]
    if not raw:
        return ""
    try:
        if raw.isdigit():
            return datetime.fromtimestamp(int(raw), UTC).isoformat()
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return ""
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    return parsed.isoformat()


def same_host_url(href: str | None, page_url: str) -> str | None:
    """``href`` made absolute against the page, or None when it leaves the page's host (a
    hostile page must not name another site's URLs as its posts or its next page)."""
    if not href or len(href) > 2_000:
        return None
    absolute = urljoin(page_url, href.strip())
    target, page = urlsplit(absolute), urlsplit(page_url)
    if target.scheme not in ("http", "https") or target.netloc.lower() != page.netloc.lower():
        return None
    return absolute.split("#", 1)[0]


def post_fields(extraction: str, text: str, name: str, date: str) -> AdFields:
    body = clean_text(text, MAX_POST_CHARS)
    return AdFields(
        extraction=extraction,
        title=first_line(body),
        text=body,
        employer=clean_text(name, MAX_NAME_CHARS),
        date_posted=date,
    )
