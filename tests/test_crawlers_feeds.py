"""RSS, RSS 1.0 (RDF) and Atom feeds, sitemaps (plain, index, gzip, text), and where sites
announce them; hostile XML (entities, external DTDs, gzip bombs, broken markup) is refused."""

from __future__ import annotations

import gzip
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from parsel import Selector

from crawlers.feeds import (
    MAX_FEED_ENTRIES,
    MAX_SITEMAP_URLS,
    Feed,
    SitemapUrl,
    feed_links,
    parse_feed,
    parse_sitemap,
    robots_sitemaps,
)

PAGES = Path(__file__).resolve().parent / "pages"
# XML namespace names: identifiers the parser compares, never fetched (its network access is
# off: test_entities_and_external_dtds_never_expand_or_fetch).
NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def feed(name: str, url: str) -> Feed:
    found = parse_feed((PAGES / name).read_bytes(), url)
    assert found is not None
    return found


def urlset(*locs: str) -> bytes:
    urls = "".join(f"<url><loc>{loc}</loc></url>" for loc in locs)
    return f'<?xml version="1.0"?><urlset {NS}>{urls}</urlset>'.encode()


# --- feeds -------------------------------------------------------------------------------------


def test_rss2_entries_with_links_text_and_dates() -> None:
    rss = feed("feed_rss.xml", "https://coastjobs.example/jobs/feed.rss")
    assert (rss.kind, rss.title, rss.link) == (
        "rss",
        "Coast Jobs – latest ads",
        "https://coastjobs.example/jobs/",
    )
    assert [e.url for e in rss.entries] == [
        "https://coastjobs.example/jobs/ad/4411.html",  # relative <link> made absolute
        "https://coastjobs.example/jobs/ad/4410.html",
        "https://coastjobs.example/jobs/ad/4409.html",  # no <link>: the permalink guid
        "",  # a javascript: link is no link
    ]
    first = rss.entries[0]
    assert first.guid == "coastjobs-4411"
    assert first.fields.extraction == "rss"
    assert first.fields.title == "Hostess wanted in Dubai & Doha"
    assert first.fields.date_posted == "2026-03-02T12:15:00+00:00"
    assert not first.full_text
    assert "Young ladies for a VIP club." in first.fields.text
    assert "<b>" not in first.fields.text


def test_rss_markup_is_stripped_but_escaped_markup_stays_text() -> None:
    text = feed("feed_rss.xml", "https://coastjobs.example/jobs/feed.rss").entries[0].fields.text
    assert "paste <script>alert(1)</script> in your reply" in text
    assert "pwned" not in text and "document.title" not in text


def test_rss_content_encoded_is_the_full_text() -> None:
    entry = feed("feed_rss.xml", "https://coastjobs.example/jobs/feed.rss").entries[1]
    assert entry.full_text
    assert entry.fields.text == (
        "Coral Bay Hotel Ltd is hiring a night receptionist.\n\n"
        "Salary: $900 a month, contract per labour law."
    )
    assert "Short summary" not in entry.fields.text


def test_atom_entries() -> None:
    atom = feed("feed_atom.xml", "https://board.example/jobs/feed.atom")
    assert (atom.kind, atom.title, atom.link) == (
        "atom",
        "Board jobs",
        "https://board.example/jobs/",
    )
    first, summary_only, xhtml = atom.entries
    assert first.url == "https://board.example/jobs/ad/77"  # rel=alternate against xml:base
    assert first.guid == "tag:board.example,2026:77"
    assert first.fields.extraction == "atom"
    assert first.fields.title == "Dancers for Panamá now"
    assert first.fields.text == "Pasaje pagado, lo devuelves después.\n\nGana 1.800 dólares al mes."
    assert first.fields.date_posted == "2026-03-04T14:00:00+00:00"  # published, in UTC
    assert first.full_text
    assert summary_only.url == "https://board.example/jobs/ad/76"
    assert summary_only.fields.text == "Seasonal farm work, employer-paid flights."
    assert summary_only.fields.date_posted == "2026-03-03T09:00:00+00:00"  # updated
    assert not summary_only.full_text
    assert xhtml.fields.text == "Live-in nanny for two children.\n\nType <script> to apply."


def test_rss1_rdf_entries() -> None:
    rdf = feed("feed_rdf.xml", "https://annonces.example/rss")
    assert (rdf.kind, rdf.title, rdf.link) == (
        "rdf",
        "Annonces emploi",
        "https://annonces.example/",
    )
    assert [(e.url, e.guid, e.fields.date_posted) for e in rdf.entries] == [
        ("https://annonces.example/offre/12", "https://annonces.example/offre/12",
         "2026-02-20T17:30:00+00:00"),
        ("https://annonces.example/offre/11", "https://annonces.example/offre/11", "2026-02-19"),
    ]  # fmt: skip
    assert rdf.entries[0].fields.extraction == "rss"
    assert "Passeport gardé par l'agence." in rdf.entries[0].fields.text


def test_feed_entries_are_capped() -> None:
    items = "".join(
        f"<item><title>Ad {n}</title><link>/ad/{n}</link></item>"
        for n in range(MAX_FEED_ENTRIES + 5)
    )
    body = f"<rss><channel><title>Big</title>{items}</channel></rss>".encode()
    big = parse_feed(body, "https://jobs.example/feed")
    assert big is not None and big.truncated
    assert len(big.entries) == MAX_FEED_ENTRIES


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml at all",
        b"<rss><channel><item><title>cut short",
        b"<rss><channel><title>a</titel></channel></rss>",
        b'<?xml version="1.0" encoding="no-such-encoding"?><rss/>',
        b"<html><head><title>Jobs</title></head><body></body></html>",
        urlset("https://jobs.example/a"),
        b"<rss><nochannel/></rss>",
        b"\x00\xff\xfe binary",
    ],
)
def test_what_is_not_a_well_formed_feed_gives_none(body: bytes) -> None:
    assert parse_feed(body, "https://jobs.example/feed") is None


# --- hostile XML -------------------------------------------------------------------------------

LAUGHS = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
BILLION_LAUGHS = f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY lol0 "lol">{LAUGHS}]>'


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    return path


class _Counter(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        body = b'<!ENTITY leak "FETCHED-FROM-NETWORK">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """A local server that records every request: nothing may be fetched from it."""
    _Counter.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Counter.hits
    finally:
        server.shutdown()
        server.server_close()


def hostile_documents(secret: Path, server: str) -> list[bytes]:
    file_url = secret.as_uri()
    rss = "<rss><channel><title>t</title><item><title>&x;</title><link>/a</link></item>"
    rss += "</channel></rss>"
    sitemap = f"<urlset {NS}><url><loc>https://jobs.example/&x;</loc></url></urlset>"
    documents = []
    for root in (rss, sitemap):
        documents += [
            f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "{file_url}">]>{root}',
            f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "{server}/x">]>{root}',
            f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "{server}/p"> %p;]>{root}',
            BILLION_LAUGHS + root.replace("&x;", "&lol9;"),
        ]
    encoded = [d.encode() for d in documents]
    # The same in UTF-16, which a byte-level check for "<!ENTITY" would miss.
    encoded.append(documents[0].replace('<?xml version="1.0"?>', "").encode("utf-16"))
    return encoded


def test_entities_and_external_dtds_never_expand_or_fetch(
    secret: Path, listener: tuple[str, list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    server, hits = listener
    caplog.set_level(logging.WARNING, "crawlers.feeds")
    for body in hostile_documents(secret, server):
        for parse in (parse_feed, parse_sitemap):
            assert parse(body, "https://jobs.example/feed") is None
    assert hits == []
    assert "entities" in caplog.text


def test_the_parser_itself_never_expands_entities(
    secret: Path, listener: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defence in depth: with the up-front refusal switched off, the parser settings alone
    keep file contents, network fetches and exponential expansion out."""
    server, hits = listener
    monkeypatch.setattr("crawlers.feeds._declares_entities", lambda head: False)
    for body in hostile_documents(secret, server):
        for parse in (parse_feed, parse_sitemap):
            found = repr(parse(body, "https://jobs.example/feed"))
            assert "TOP-SECRET" not in found and "FETCHED" not in found
            assert "lollol" not in found
    assert hits == []


def test_external_dtd_is_not_loaded(listener: tuple[str, list[str]]) -> None:
    server, hits = listener
    body = f'<!DOCTYPE rss SYSTEM "{server}/rss.dtd"><rss><channel><title>T</title>'
    body += "<item><title>A job</title><link>/a</link></item></channel></rss>"
    found = parse_feed(body.encode(), "https://jobs.example/feed")
    assert found is not None and found.entries[0].fields.title == "A job"
    sitemap = f'<!DOCTYPE urlset SYSTEM "{server}/s.dtd">'.encode()
    sitemap += urlset("https://j.example/a").removeprefix(b'<?xml version="1.0"?>')
    assert parse_sitemap(sitemap, "https://j.example/sitemap.xml") is not None
    assert hits == []


# --- sitemaps ----------------------------------------------------------------------------------

# The image namespace, like NS, is a name the parser compares: nothing is fetched from it.
SITEMAP = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset {NS} xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url><loc>https://jobs.example/ad/1.html</loc><lastmod>2026-03-01</lastmod>
    <changefreq>daily</changefreq><image:image><image:loc>https://jobs.example/1.jpg</image:loc>
    </image:image></url>
  <url><loc> https://jobs.example/ad/2.html </loc><lastmod>2026-03-02T10:00:00+02:00</lastmod></url>
  <url><loc>/ad/3.html</loc><lastmod>yesterday</lastmod></url>
  <url><loc>javascript:alert(1)</loc></url>
  <url><lastmod>2026-03-02</lastmod></url>
</urlset>""".encode()
EXPECTED = [
    SitemapUrl("https://jobs.example/ad/1.html", "2026-03-01"),
    SitemapUrl("https://jobs.example/ad/2.html", "2026-03-02T08:00:00+00:00"),
    SitemapUrl("https://jobs.example/ad/3.html", ""),
]


def test_urlset_gives_locations_and_lastmod() -> None:
    sitemap = parse_sitemap(SITEMAP, "https://jobs.example/sitemap.xml")
    assert sitemap is not None
    assert (sitemap.kind, sitemap.urls, sitemap.sitemaps) == ("urlset", EXPECTED, [])
    assert not sitemap.truncated


def test_gzipped_sitemap_reads_like_the_plain_one() -> None:
    sitemap = parse_sitemap(gzip.compress(SITEMAP), "https://jobs.example/sitemap.xml.gz")
    assert sitemap is not None and sitemap.urls == EXPECTED


def test_sitemap_index_lists_child_sitemaps() -> None:
    body = f"""<?xml version="1.0"?><sitemapindex {NS}>
    <sitemap><loc>https://jobs.example/sitemap-ads.xml.gz</loc><lastmod>2026-03-02</lastmod></sitemap>
    <sitemap><loc>https://jobs.example/sitemap-pages.xml</loc></sitemap>
    </sitemapindex>""".encode()
    index = parse_sitemap(body, "https://jobs.example/sitemap.xml")
    assert index is not None and index.kind == "index" and index.urls == []
    assert index.sitemaps == [
        SitemapUrl("https://jobs.example/sitemap-ads.xml.gz", "2026-03-02"),
        SitemapUrl("https://jobs.example/sitemap-pages.xml", ""),
    ]


def test_text_sitemap_is_one_url_a_line() -> None:
    body = b"https://jobs.example/ad/1.html\n\nhttps://jobs.example/ad/2.html\r\n"
    sitemap = parse_sitemap(body, "https://jobs.example/sitemap.txt")
    assert sitemap is not None and sitemap.kind == "text"
    assert [u.loc for u in sitemap.urls] == [e.loc for e in EXPECTED[:2]]


def test_sitemap_urls_are_capped() -> None:
    body = urlset(*(f"https://jobs.example/ad/{n}" for n in range(MAX_SITEMAP_URLS + 10)))
    sitemap = parse_sitemap(body, "https://jobs.example/sitemap.xml")
    assert sitemap is not None and sitemap.truncated
    assert len(sitemap.urls) == MAX_SITEMAP_URLS
    assert "50000 URLs" in sitemap.note


def test_gzip_bomb_stops_at_50_mb_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    # 60 MB of blanks between elements compress to about 60 kB.
    padding = (b" " * 2**20 + b"<x/>") * 60
    body = urlset("https://jobs.example/first").replace(b"</urlset>", padding)
    body += b"<url><loc>https://jobs.example/never</loc></url></urlset>"
    caplog.set_level(logging.WARNING, "crawlers.feeds")
    sitemap = parse_sitemap(gzip.compress(body, compresslevel=1), "https://j.example/s.xml.gz")
    assert sitemap is not None and sitemap.truncated
    assert [u.loc for u in sitemap.urls] == ["https://jobs.example/first"]
    assert "50 MB" in sitemap.note and "50 MB" in caplog.text


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<urlset><url><loc>https://jobs.example/a</loc></url>",  # cut short
        b"<urlset><url><loc>https://jobs.example/a</lo></url></urlset>",
        gzip.compress(urlset("https://jobs.example/a"))[:-12],  # truncated gzip
        b"\x1f\x8bnot really gzip",
        b"<html><body><p>Not found</p></body></html>",
        b"<rss><channel></channel></rss>",
        b"User-agent: *\nDisallow: /\n",
        b"\x00\x01\x02\x03",
    ],
)
def test_what_is_not_a_readable_sitemap_gives_none(body: bytes) -> None:
    assert parse_sitemap(body, "https://jobs.example/sitemap.xml") is None


# --- where sites announce them -----------------------------------------------------------------


def test_robots_sitemap_lines() -> None:
    robots = """User-agent: *
Disallow: /private/
Sitemap: https://jobs.example/sitemap.xml
sitemap:/sitemap-news.xml   # relative, resolved against the site
SITEMAP : https://jobs.example/sitemap.xml
# Sitemap: https://jobs.example/commented-out.xml
Sitemap: ftp://jobs.example/nope.xml
"""
    assert robots_sitemaps(robots, "https://jobs.example/robots.txt") == [
        "https://jobs.example/sitemap.xml",
        "https://jobs.example/sitemap-news.xml",
    ]
    assert robots_sitemaps("", "https://jobs.example/") == []


def test_feed_links_in_the_head() -> None:
    html = """<html><head>
<link rel="alternate" type="application/rss+xml" title="Jobs" href="/feed.rss">
<link rel="ALTERNATE" type="application/atom+xml; charset=utf-8" href="https://jobs.example/a.atom">
<link rel="alternate" type="application/rss+xml" href="/feed.rss">
<link rel="alternate" hreflang="fr" href="/fr/">
<link rel="stylesheet" type="text/css" href="/s.css">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
</head><body><a rel="alternate" type="application/rss+xml" href="/body.rss">x</a></body></html>"""
    assert feed_links(Selector(text=html), "https://jobs.example/jobs/") == [
        "https://jobs.example/feed.rss",
        "https://jobs.example/a.atom",
    ]
