"""Public Facebook-style pages and groups, as far as they show without logging in.

A post is a top-level ``[role="article"]`` (comments are articles nested inside it) holding its
message in ``[data-ad-preview="message"]`` (or ``data-ad-comet-preview``, ``data-testid=
"post_message"``, ``.userContent``), a permalink on the page's host (``/posts/<id>``,
``/permalink/<id>``, ``story_fbid=<id>``) and a ``<time datetime>`` or ``abbr[data-utime]``.
Older posts are behind a "See more posts" link. A page that asks to log in and shows nothing
public is a login wall: nothing is read from it, and LureWatch never logs in.
"""

from __future__ import annotations

import re

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

_ARTICLES = '//*[@role="article"][not(ancestor::*[@role="article"])]'
_MESSAGE = (
    '[data-ad-preview="message"], [data-ad-comet-preview="message"], '
    '[data-testid="post_message"], .userContent'
)
_PERMALINK = re.compile(
    r"/posts/[^/?#]+|/permalink/\d+|[?&]story_fbid=[^&#]+|/permalink\.php\?", re.IGNORECASE
)
_SEE_MORE = re.compile(
    r"^(see more posts|see more stories|more posts|older posts|show more posts|"
    r"voir plus de publications|afficher plus de publications|ver más publicaciones|"
    r"ver mais publicações|wè plis piblikasyon)$",
    re.IGNORECASE,
)
_LOGIN_PHRASES = re.compile(
    r"you must log in|log in to continue|log into facebook|log in to see|must be logged in|"
    r"vous devez vous connecter|connectez-vous pour continuer|debes iniciar sesión|"
    r"inicia sesión para continuar|faça login para continuar|você precisa entrar|"
    r"ou dwe konekte",
    re.IGNORECASE,
)
MAX_LOGIN_WALL_CHARS = 3_000  # a wall is a short page; a long one has public content too


def _inside(node: etree._Element, article: etree._Element) -> bool:
    """True when ``node`` belongs to ``article`` itself, not to an article nested in it."""
    parent = node.getparent()
    while parent is not None and parent is not article:
        if parent.get("role") == "article":
            return False
        parent = parent.getparent()
    return parent is article


def _own(article: Selector, query: str) -> list[Selector]:
    return [found for found in article.css(query) if _inside(found.root, article.root)]


def _is_button(node: etree._Element) -> bool:
    return node.get("role") == "button"  # "See more" inside a long message


def _page_name(sel: Selector) -> str:
    for query in ('meta[property="og:title"]::attr(content)', '[role="main"] h1 ::text'):
        name = " ".join(t.strip() for t in sel.css(query).getall() if t.strip())
        if name:
            return name
    title = " ".join((sel.css("title::text").get() or "").split())
    return re.sub(r"\s*[|·-]\s*Facebook$", "", title)


def _permalink(article: Selector, url: str) -> str | None:
    for href in (a.attrib.get("href") or "" for a in _own(article, "a[href]")):
        if _PERMALINK.search(href) and "comment_id=" not in href:
            return same_host_url(href, url)
    return None


def _time(article: Selector) -> str:
    for found in _own(article, "time[datetime]"):
        return iso_time(found.attrib.get("datetime"))
    for found in _own(article, "abbr[data-utime]"):
        return iso_time(found.attrib.get("data-utime"))
    return ""


def _author(article: Selector) -> str:
    for heading in _own(article, "h2, h3, h4"):
        name = node_text(heading.root, max_chars=200)
        if name:
            return name
    return ""


def _older_page(sel: Selector, url: str) -> str | None:
    for link in sel.xpath("//a[@href][not(ancestor::*[@role='article'])]"):
        rel = (link.attrib.get("rel") or "").lower().split()
        text = " ".join((link.xpath("string()").get() or "").split())
        if "next" in rel or _SEE_MORE.match(text):
            target = same_host_url(link.attrib["href"], url)
            if target is not None and target != url.split("#", 1)[0]:
                return target
    return None


def extract_facebook(sel: Selector, url: str) -> PostPage | None:
    articles = sel.xpath(_ARTICLES)
    if not any(_own(article, _MESSAGE) for article in articles):
        return None
    posts: list[Post] = []
    seen: set[str] = set()
    page_name = _page_name(sel)
    for article in articles:
        if len(posts) >= MAX_POSTS:
            break
        permalink = _permalink(article, url)
        message = _own(article, _MESSAGE)
        if permalink is None or permalink in seen or not message:
            continue  # no way to point at it, or a photo without words
        text = node_text(message[0].root, skip=_is_button, max_chars=MAX_POST_CHARS)
        if not text:
            continue
        seen.add(permalink)
        name = _author(article) or page_name
        posts.append(Post(permalink, post_fields("facebook", text, name, _time(article))))
    return PostPage("facebook", posts, _older_page(sel, url))


def is_login_wall(sel: Selector) -> bool:
    """A short page with a password form that says one must log in."""
    if not sel.xpath("//form[.//input[@type='password' or @type='PASSWORD']]"):
        return False
    body = sel.xpath("//body")
    if not body:
        return False
    outside_forms = node_text(body[0].root, skip=lambda n: n.tag == "form")
    if len(outside_forms) > MAX_LOGIN_WALL_CHARS:
        return False
    said = node_text(body[0].root, max_chars=MAX_LOGIN_WALL_CHARS * 2)
    title = sel.css("title::text").get() or ""
    return bool(_LOGIN_PHRASES.search(said) or _LOGIN_PHRASES.search(title))
