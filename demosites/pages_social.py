"""A public Facebook-style page under ``/social/<page>`` (PAGE_SIZE posts a page, "See more
posts" for older ones, one page per post at ``/social/<page>/posts/<number>``) and a group
that shows only a login wall."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from demosites.metadata import stable_int
from demosites.pages_layout import document, esc
from demosites.posts import DemoPost, SocialPage

ROOT = "/social/"
PAGE_SIZE = 10
LOGIN_PATH = f"{ROOT}login/"
COMMENT = "Is this legit? They asked my cousin for a fee before the interview."


@dataclass(frozen=True)
class Entry:
    number: int
    posted: str
    post: DemoPost | None = None  # None: a photo without words


def page_path(page: SocialPage, cursor: int | None = None) -> str:
    return f"{ROOT}{page.slug}" + (f"?cursor={cursor}" if cursor is not None else "")


def post_path(page: SocialPage, number: int) -> str:
    return f"{ROOT}{page.slug}/posts/{number}"


def entries(page: SocialPage, posts: Sequence[DemoPost]) -> list[Entry]:
    """Every entry of the page, oldest first: the posts, and a photo in every third gap."""
    found: list[Entry] = []
    previous = page.first_number
    for index, post in enumerate(sorted(posts, key=lambda p: p.number)):
        if post.number - previous > 1 and index % 3 == 0:
            found.append(Entry(previous + 1, post.posted))
        found.append(Entry(post.number, post.posted, post))
        previous = post.number
    return found


def _display_time(iso: str) -> str:
    months = "January February March April May June July August September October November"
    month = (months + " December").split()[int(iso[5:7]) - 1]
    return f"{int(iso[8:10])} {month} at {iso[11:16]}"


def _article(page: SocialPage, entry: Entry, position: int) -> str:
    number = entry.number
    permalink = post_path(page, number)
    if entry.post is None:
        message = '<div class="photo" role="img" aria-label="Photo"></div>'
    else:
        blocks = [entry.post.title] + [
            b.strip() for b in entry.post.text.replace("\r\n", "\n").split("\n\n") if b.strip()
        ]
        paragraphs = "".join(
            '<div dir="auto">' + "<br>".join(esc(x) for x in b.split("\n")) + "</div>"
            for b in blocks
        )
        message = (
            f'<div data-ad-preview="message" data-ad-comet-preview="message" '
            f'lang="{esc(entry.post.lang)}">{paragraphs}</div>'
        )
    reactions = stable_int("reactions", page.slug, str(number)) % 300
    comments = ""
    if entry.post is not None and entry.post.label == 1 and number % 4 == 0:
        comments = f"""<div class="comments"><div role="article" aria-label="Comment by Rose">
<h4>Rose</h4>
<a href="{esc(permalink)}?comment_id={number}1">2 d</a>
<div data-ad-preview="message"><div dir="auto">{esc(COMMENT)}</div></div>
</div></div>"""
    return f"""<div role="article" aria-posinset="{position}" aria-labelledby="post-{number}-author">
<h3 id="post-{number}-author"><a href="{page_path(page)}">{esc(page.name)}</a></h3>
<a class="permalink" href="{esc(permalink)}"><abbr><time datetime="{esc(entry.posted)}">{esc(_display_time(entry.posted))}</time></abbr></a>
{message}
<div class="reactions">{reactions} reactions · {reactions // 7} comments</div>
{comments}</div>"""  # noqa: E501


def _frame(page: SocialPage, title: str, main: str) -> str:
    head = (
        f'<meta property="og:title" content="{esc(page.name)}">\n'
        '<meta property="og:type" content="profile">\n'
    )
    body = f"""<div role="banner" class="masthead"><a class="brand" href="/">Social</a>
<a href="{LOGIN_PATH}">Log in</a></div>
<div class="layout"><div role="main">
<div class="page-header"><h1>{esc(page.name)}</h1>
<div class="page-meta">{esc(page.about)}</div></div>
{main}
</div></div>
<div role="contentinfo" class="site-footer"><p>A LureWatch demonstration page: every post is
fictional.</p></div>"""
    return document(title, body, head)


def feed_page(page: SocialPage, all_entries: Sequence[Entry], cursor: int | None) -> str:
    """``/social/<page>?cursor=N``: the PAGE_SIZE newest entries below ``cursor``."""
    older = [e for e in all_entries if cursor is None or e.number < cursor]
    shown = list(reversed(older[-PAGE_SIZE:]))  # newest first, as a page's feed shows them
    articles = "\n".join(_article(page, e, i) for i, e in enumerate(shown, start=1))
    more = ""
    if shown and len(older) > len(shown):
        target = page_path(page, shown[-1].number)
        more = f'<div class="see-more"><a href="{esc(target)}">See more posts</a></div>'
    main = f'<div role="feed">\n{articles}\n</div>\n{more}'
    return _frame(page, f"{page.name} | Social", main)


def single_post_page(page: SocialPage, entry: Entry) -> str:
    return _frame(page, f"{page.name} | Social", _article(page, entry, 1))


def login_wall(page: SocialPage) -> str:
    body = f"""<div role="main" class="layout"><div>
<h2>You must log in to continue.</h2>
<p>See posts, photos and more from {esc(page.name)}.</p>
<form id="login_form" action="{LOGIN_PATH}" method="post">
<input type="text" name="email" placeholder="Email or phone number">
<input type="password" name="pass" placeholder="Password">
<button type="submit" name="login">Log in</button>
</form>
</div></div>"""
    return document("Log in or sign up to view", body)
