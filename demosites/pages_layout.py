"""Markup shared by every demo page: escaping, the page shell, the home page."""

from __future__ import annotations

from html import escape

CSS = """
body { font-family: system-ui, sans-serif; margin: 0; color: #1d2327; background: #f6f7f7; }
a { color: #0a5c8a; }
header.masthead, footer.site-footer { background: #12344d; color: #fff; padding: .8rem 1.2rem; }
header.masthead a, footer.site-footer a { color: #fff; margin-right: 1rem; }
.brand { font-weight: 700; font-size: 1.3rem; }
.layout { display: flex; gap: 1.5rem; padding: 1rem 1.2rem; }
.layout > main { flex: 1; min-width: 0; }
aside.sidebar { width: 15rem; font-size: .9rem; }
.ad-card { background: #fff; border: 1px solid #dcdcde; padding: .6rem .8rem; margin: .5rem 0;
  list-style: none; }
.ad-list { padding: 0; }
.card-meta, .listing-meta { color: #50575e; font-size: .85rem; }
.badge { background: #b32d2e; color: #fff; font-size: .7rem; padding: 0 .3rem; }
.listing-body { background: #fff; padding: .8rem 1rem; border: 1px solid #dcdcde; }
.pager a { margin: 0 .5rem; }
.tgme_header, .tgme_channel_info, .tgme_channel_history { padding: .4rem 1.2rem; }
.tgme_header_title { font-weight: 700; font-size: 1.2rem; }
.tgme_widget_message_wrap, [role="article"] { background: #fff; border: 1px solid #dcdcde;
  padding: .6rem .8rem; margin: .6rem 0; max-width: 44rem; }
.tgme_widget_message_author, .tgme_widget_message_user { display: none; }
.tgme_widget_message_footer, .reactions, .page-meta { color: #50575e; font-size: .85rem; }
.tgme_widget_message_photo, .photo { background: #c3d6e4; height: 6rem; margin: .4rem 0; }
.comments [role="article"] { margin-left: 1.5rem; background: #f6f7f7; }
"""


def esc(text: str) -> str:
    return escape(text, quote=True)


def paragraphs(text: str) -> str:
    """Ad text as escaped <p> elements: blank lines split paragraphs, newlines become <br>."""
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    return "\n".join("<p>" + "<br>\n".join(esc(x) for x in b.split("\n")) + "</p>" for b in blocks)


def document(title: str, body: str, head_extra: str = "", lang: str = "en") -> str:
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{esc(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n"
        '<link rel="stylesheet" href="/static/demo.css">\n'
        f"{head_extra}</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def home_page() -> str:
    body = """<header class="masthead"><span class="brand">LureWatch demo sites</span></header>
<div class="layout"><main>
<h1>LureWatch demo sites</h1>
<p>Fictional job sites and social posts served locally for demonstrations and tests. Every ad
and post is invented for the project; none offers real work.</p>
<ul>
<li><a href="/classifieds/">Island Classifieds</a>: a static classifieds site; some ads carry
schema.org JobPosting data as JSON-LD, some as microdata, some none. It has an
<a href="/classifieds/feed.rss">RSS feed</a> and a
<a href="/classifieds/sitemap.xml">sitemap</a>.</li>
<li><a href="/jobboard/">CaribJobs Live</a>: a job board that shows its ads only through
JavaScript, with an <a href="/jobboard/feed.atom">Atom feed</a>.</li>
<li>Public Telegram channel previews: <a href="/telegram/s/islandjobsabroad">Island Jobs
Abroad</a> and <a href="/telegram/s/trabajos_caribe">Trabajos Caribe y Exterior</a>.</li>
<li>A public social-media page, <a href="/social/caribworktravel">Caribbean Work &amp;
Travel</a>, and a group that shows only a login wall,
<a href="/social/vip-recruiters-group">VIP Recruiters Group</a>.</li>
</ul>
</main></div>"""
    return document("LureWatch demo sites", body)


def not_found_page(path: str) -> str:
    body = f"""<header class="masthead"><a class="brand" href="/">LureWatch demo sites</a></header>
<div class="layout"><main><h1>Not found</h1>
<p>Nothing is served at <code>{esc(path[:300])}</code>.</p></main></div>"""
    return document("Not found", body)
