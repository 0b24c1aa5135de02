"""What the demo sites announce to crawlers: RSS and Atom feeds, sitemaps, robots.txt.

These name absolute URLs, so they are rendered per request for the address the client used.
Only public ads appear: the robots-disallowed folder is in no feed and no sitemap.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime

from demosites.catalogue import DemoAd
from demosites.pages_layout import esc, paragraphs

FEED_SIZE = 50  # entries per feed: the newest ads
RSS_PATH = "/classifieds/feed.rss"
ATOM_PATH = "/jobboard/feed.atom"
SITEMAP_INDEX = "/classifieds/sitemap.xml"
SITEMAP_PAGES = "/classifieds/sitemap-pages.xml"
SITEMAP_ADS = "/classifieds/sitemap-ads.xml.gz"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def _posted(ad: DemoAd) -> datetime:
    return datetime.fromisoformat(ad.date_posted).replace(hour=9, tzinfo=UTC)


def rss_link(title: str) -> str:
    return (
        f'<link rel="alternate" type="application/rss+xml" title="{esc(title)}" '
        f'href="{RSS_PATH}">\n'
    )


def atom_link(title: str) -> str:
    return (
        f'<link rel="alternate" type="application/atom+xml" title="{esc(title)}" '
        f'href="{ATOM_PATH}">\n'
    )


def rss_feed(ads: Sequence[DemoAd], origin: str, site_name: str) -> str:
    """RSS 2.0 of the newest public ads, the whole text of each as HTML in <description>."""
    items = []
    for ad in ads[:FEED_SIZE]:
        link = esc(origin + ad.path)
        items.append(
            f"<item>\n<title>{esc(ad.title)}</title>\n<link>{link}</link>\n"
            f'<guid isPermaLink="true">{link}</guid>\n'
            f"<pubDate>{format_datetime(_posted(ad), usegmt=True)}</pubDate>\n"
            f"<category>{esc(ad.category)}</category>\n"
            f"<description>{esc(paragraphs(ad.text))}</description>\n</item>"
        )
    newest = format_datetime(_posted(ads[0]), usegmt=True) if ads else ""
    return (
        f'{XML_HEAD}<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
        f"<title>{esc(site_name)}: latest job ads</title>\n"
        f"<link>{esc(origin)}/classifieds/</link>\n"
        f"<description>The newest ads on {esc(site_name)}.</description>\n"
        f'<atom:link href="{esc(origin + RSS_PATH)}" rel="self" type="application/rss+xml"/>\n'
        f"<lastBuildDate>{newest}</lastBuildDate>\n" + "\n".join(items) + "\n</channel>\n</rss>\n"
    )


def atom_feed(ads: Sequence[DemoAd], origin: str, site_name: str) -> str:
    """Atom of the newest ads, the whole text of each as escaped HTML in <content>."""
    entries = []
    for ad in ads[:FEED_SIZE]:
        when = _posted(ad).isoformat().replace("+00:00", "Z")
        author = ad.employer or site_name
        entries.append(
            f"<entry>\n<title>{esc(ad.title)}</title>\n"
            f'<link rel="alternate" type="text/html" href="{esc(origin + ad.path)}"/>\n'
            f"<id>{esc(origin + ad.path)}</id>\n"
            f"<published>{when}</published>\n<updated>{when}</updated>\n"
            f"<author><name>{esc(author)}</name></author>\n"
            f'<content type="html" xml:lang="{esc(ad.lang)}">{esc(paragraphs(ad.text))}</content>\n'
            "</entry>"
        )
    updated = _posted(ads[0]).isoformat().replace("+00:00", "Z") if ads else ""
    return (
        f'{XML_HEAD}<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f"<title>{esc(site_name)}: latest jobs</title>\n"
        f'<link rel="alternate" type="text/html" href="{esc(origin)}/jobboard/"/>\n'
        f'<link rel="self" type="application/atom+xml" href="{esc(origin + ATOM_PATH)}"/>\n'
        f"<id>{esc(origin)}/jobboard/</id>\n<updated>{updated}</updated>\n"
        + "\n".join(entries)
        + "\n</feed>\n"
    )


def sitemap_index(origin: str, lastmod: str) -> str:
    children = "\n".join(
        f"<sitemap><loc>{esc(origin + path)}</loc><lastmod>{esc(lastmod)}</lastmod></sitemap>"
        for path in (SITEMAP_PAGES, SITEMAP_ADS)
    )
    return f'{XML_HEAD}<sitemapindex xmlns="{SITEMAP_NS}">\n{children}\n</sitemapindex>\n'


def urlset(origin: str, pages: Sequence[tuple[str, str]]) -> str:
    """A sitemap of (path, lastmod) pairs; lastmod may be ""."""
    urls = []
    for path, lastmod in pages:
        mod = f"<lastmod>{esc(lastmod)}</lastmod>" if lastmod else ""
        urls.append(f"<url><loc>{esc(origin + path)}</loc>{mod}</url>")
    return f'{XML_HEAD}<urlset xmlns="{SITEMAP_NS}">\n' + "\n".join(urls) + "\n</urlset>\n"


def gzipped(text: str) -> bytes:
    return gzip.compress(text.encode("utf-8"), mtime=0)  # mtime 0: the same bytes every run


def robots_txt(origin: str) -> str:
    return f"""# Island Classifieds keeps members-only ads out of crawlers' reach.
User-agent: *
Disallow: /classifieds/private/
Allow: /

Sitemap: {origin}{SITEMAP_INDEX}
"""
