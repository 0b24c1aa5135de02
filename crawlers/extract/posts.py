"""Pages that hold many posts rather than one ad: public Telegram channel previews and
Facebook-style public pages, recognised by their markup on any host.

    page = extract_posts(selector, url)
    if page is None: ...            # not a posts page: read it as an ad page or a listing
    elif page.login_wall: ...       # log one line; LureWatch never logs in
    else: one Ad per page.posts[i] (url = its permalink), then follow page.older_page
"""

from __future__ import annotations

from lxml import etree
from parsel import Selector

from crawlers.extract.facebook import extract_facebook, is_login_wall
from crawlers.extract.postpage import MAX_POST_CHARS, MAX_POSTS, Post, PostPage
from crawlers.extract.telegram import extract_telegram

__all__ = ["MAX_POSTS", "MAX_POST_CHARS", "Post", "PostPage", "extract_posts"]


# What each reader needs before it reads anything (a Telegram class, a Facebook article, a
# password form), in one query. Tests on attribute nodes (//@class) cost far less in libxml2
# than the same tests as predicates on every element (//*[contains(@class, ...)]), which cost
# more than walking the tree: three cheap walks beat one walk with a costly predicate.
_MAYBE_POSTS = etree.XPath(
    'boolean(//@class[contains(., "tgme_")] or //@role[. = "article"]'
    ' or //form//input[@type="password" or @type="PASSWORD"])'
)


def extract_posts(sel: Selector, url: str) -> PostPage | None:
    """The posts on this page, or None when it is not a page of posts."""
    if not _MAYBE_POSTS(sel.root):
        return None
    for reader in (extract_telegram, extract_facebook):
        found = reader(sel, url)
        if found is not None:
            return found
    if is_login_wall(sel):
        return PostPage("login", [], None, login_wall=True)
    return None
