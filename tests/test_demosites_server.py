"""The demo sites as a crawler or a browser sees them over HTTP on 127.0.0.1."""

from __future__ import annotations

import gzip
import json
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from html import escape, unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.robotparser import RobotFileParser

import extruct
import pytest

from demosites import HOSTILE_PAYLOAD, DemoAd, DemoSites
from demosites.posts import DemoPost
from demosites.testing import write_sample_seed

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample_seed(tmp_path_factory.mktemp("seed"), per_language=80)


@pytest.fixture(scope="module")
def sites(seed: Path) -> Iterator[DemoSites]:
    with DemoSites(seed_dir=seed) as running:
        yield running


def fetch(url: str, method: str = "GET") -> tuple[int, str, str]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers["Content-Type"], error.read().decode()


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            found = dict(attrs)
            self.links.append((found.get("href") or "", found))


def links(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Links()
    parser.feed(html)
    return parser.links


def jsonld_blocks(html: str) -> list[object]:
    pattern = r'<script type="application/ld\+json">(.*?)</script>'
    return [json.loads(block) for block in re.findall(pattern, html, re.S)]


def ads(sites: DemoSites, site: str, **where: object) -> list[DemoAd]:
    return [
        ad
        for ad in sites.catalogue
        if ad.site == site and all(getattr(ad, k) == v for k, v in where.items())
    ]


# --- the server itself ------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.org", "::", ""])
def test_refuses_to_bind_anything_but_loopback(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        DemoSites(host=host)


@pytest.mark.parametrize("port", [-1, 70000, "8080"])
def test_rejects_bad_ports(port: object, seed: Path) -> None:
    with pytest.raises(ValueError, match="port"):
        DemoSites(port=port, seed_dir=seed)  # type: ignore[arg-type]


def test_base_url_needs_a_running_server(seed: Path) -> None:
    sites = DemoSites(seed_dir=seed)
    with pytest.raises(RuntimeError, match="not running"):
        _ = sites.base_url


def test_serves_on_loopback_and_describes_its_sources(sites: DemoSites) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", sites.base_url)
    names = {s.name: s for s in sites.sources()}
    assert names["island-classifieds"].start_urls == [sites.base_url + "/classifieds/"]
    assert names["island-classifieds"].render is False
    assert names["caribjobs-live"].start_urls == [sites.base_url + "/jobboard/"]
    assert names["caribjobs-live"].render is True
    ad = sites.catalogue[0]
    assert sites.url(ad) == sites.base_url + ad.path


def test_home_page_links_both_sites(sites: DemoSites) -> None:
    status, content_type, html = fetch(sites.base_url + "/")
    assert (status, content_type) == (200, "text/html; charset=utf-8")
    hrefs = {href for href, _ in links(html)}
    assert {"/classifieds/", "/jobboard/"} <= hrefs


def test_content_types_404s_and_head(sites: DemoSites) -> None:
    base = sites.base_url
    assert fetch(base + "/robots.txt")[:2] == (200, "text/plain; charset=utf-8")
    assert fetch(base + "/jobboard/app.js")[:2] == (200, "text/javascript; charset=utf-8")
    assert fetch(base + "/jobboard/api/ad/1")[:2] == (200, "application/json; charset=utf-8")
    for path in ("/nothing", "/classifieds/ad/", "/classifieds/private/", "/jobboard/api/",
                 "/jobboard/ad.html?id=9999", "/jobboard/ad.html?id=abc", "/jobboard/?page=0",
                 "/jobboard/?page=99", "/classifieds/page/999.html", "/../etc/passwd"):  # fmt: skip
        status, _, body = fetch(base + path)
        assert status == 404, path
        assert "Index of" not in body
    assert fetch(base + "/jobboard/api/ad/9999")[:2] == (404, "application/json; charset=utf-8")
    status, _, body = fetch(base + "/classifieds/", method="HEAD")
    assert (status, body) == (200, "")


def test_redirects_to_canonical_listing_urls(sites: DemoSites) -> None:
    with urllib.request.urlopen(sites.base_url + "/classifieds/page/1.html") as response:
        assert response.url == sites.base_url + "/classifieds/"
    with urllib.request.urlopen(sites.base_url + "/jobboard") as response:
        assert response.url == sites.base_url + "/jobboard/"


def test_requests_are_not_logged_unless_asked(
    sites: DemoSites, capfd: pytest.CaptureFixture[str]
) -> None:
    fetch(sites.base_url + "/classifieds/")
    fetch(sites.base_url + "/missing")
    assert capfd.readouterr().err == ""


# --- Island Classifieds -----------------------------------------------------------------------


def test_robots_txt_disallows_only_the_private_folder(sites: DemoSites) -> None:
    robots = RobotFileParser()
    robots.parse(fetch(sites.base_url + "/robots.txt")[2].splitlines())
    private = ads(sites, "classifieds", private=True)
    public = ads(sites, "classifieds", private=False) + ads(sites, "jobboard")
    assert private and public
    assert not any(robots.can_fetch("LureWatch", sites.url(ad)) for ad in private)
    assert all(robots.can_fetch("LureWatch", sites.url(ad)) for ad in public)
    assert robots.can_fetch("LureWatch", sites.base_url + "/classifieds/")


def _crawl_listing(sites: DemoSites, start: str) -> tuple[list[str], int]:
    seen: list[str] = []
    url: str | None = sites.base_url + start
    pages = 0
    while url:
        status, _, html = fetch(url)
        assert status == 200, url
        pages += 1
        found = links(html)
        cards = [href for href, attrs in found if attrs.get("class") == "ad-link"]
        assert 1 <= len(cards) <= 12
        seen += cards
        following = [href for href, attrs in found if attrs.get("rel") == "next"]
        url = sites.base_url + following[0] if following else None
    return seen, pages


def test_listing_pages_link_every_public_and_private_ad(sites: DemoSites) -> None:
    seen, pages = _crawl_listing(sites, "/classifieds/")
    expected = {ad.path for ad in ads(sites, "classifieds")}
    assert len(expected) == 210
    assert len(seen) == len(set(seen)) == 210
    assert set(seen) == expected
    assert pages == 18


def test_category_pages_cover_every_ad_once(sites: DemoSites) -> None:
    _, _, html = fetch(sites.base_url + "/classifieds/")
    categories = {href for href, _ in links(html) if href.startswith("/classifieds/category/")}
    assert len(categories) >= 3
    seen: list[str] = []
    for category in sorted(categories):
        seen += _crawl_listing(sites, category)[0]
    assert sorted(seen) == sorted(ad.path for ad in ads(sites, "classifieds"))


@pytest.mark.parametrize("private", [False, True])
def test_jsonld_pages_carry_a_job_posting(sites: DemoSites, private: bool) -> None:
    chosen = ads(sites, "classifieds", markup="jsonld", private=private)
    assert chosen
    for ad in chosen:
        html = fetch(sites.url(ad))[2]
        [posting] = jsonld_blocks(html)
        assert isinstance(posting, dict)
        assert posting["@type"] == "JobPosting"
        assert posting["title"] == ad.title
        assert posting["description"] == ad.text
        assert posting["datePosted"] == ad.date_posted
        assert posting["jobLocation"]["address"]["addressLocality"] in ad.location
        if ad.employer:
            assert posting["hiringOrganization"]["name"] == ad.employer
        if ad.salary:
            assert posting["baseSalary"]["@type"] == "MonetaryAmount"
        assert "itemprop" not in html


def test_microdata_pages_carry_itemprops(sites: DemoSites) -> None:
    chosen = ads(sites, "classifieds", markup="microdata")
    assert chosen
    for ad in chosen:
        html = fetch(sites.url(ad))[2]
        assert 'itemtype="https://schema.org/JobPosting"' in html
        for prop in ("title", "description", "datePosted", "jobLocation"):
            assert f'itemprop="{prop}"' in html
        assert "application/ld+json" not in html
        [item] = extruct.extract(html, syntaxes=["microdata"])["microdata"]
        assert item["type"] == "https://schema.org/JobPosting"
        assert item["properties"]["title"] == ad.title
        assert " ".join(item["properties"]["description"].split()) == " ".join(ad.text.split())
        if ad.employer:
            assert item["properties"]["hiringOrganization"]["properties"]["name"] == ad.employer


def test_plain_pages_have_no_structured_data(sites: DemoSites) -> None:
    chosen = ads(sites, "classifieds", markup="plain")
    assert chosen
    for ad in chosen:
        html = fetch(sites.url(ad))[2]
        assert "itemscope" not in html and "itemprop" not in html
        assert "application/ld+json" not in html
        data = extruct.extract(
            html, syntaxes=["json-ld", "microdata", "opengraph", "rdfa", "microformat"]
        )
        assert all(not found for found in data.values()), data
        assert re.search(r"<h1>.+</h1>", html)
        assert '<nav class="categories">' in html and '<footer class="site-footer">' in html


def test_hostile_payload_is_text_not_markup(sites: DemoSites) -> None:
    hostile = [ad for ad in sites.catalogue if ad.hostile]
    assert sorted(ad.markup for ad in hostile) == ["jsonld", "plain"]
    for ad in hostile:
        html = fetch(sites.url(ad))[2]
        assert "<script>document.title" not in html
        assert "<img src=x" not in html
        assert 'onerror="alert' not in html
        assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in html
        if ad.markup == "jsonld":
            [posting] = jsonld_blocks(html)
            assert isinstance(posting, dict)
            assert HOSTILE_PAYLOAD in posting["description"]


# --- CaribJobs Live ---------------------------------------------------------------------------


def test_jobboard_html_holds_no_ad_content(sites: DemoSites) -> None:
    board = ads(sites, "jobboard")
    assert len(board) == 90
    shells = [fetch(sites.base_url + p)[2] for p in ("/jobboard/", "/jobboard/?page=2")]
    shells += [fetch(sites.url(ad))[2] for ad in board]
    for html in shells:
        assert "application/ld+json" not in html
        assert "/jobboard/ad.html" not in html
        for ad in board:
            assert ad.title not in html
            assert ad.text[:40] not in html


def test_jobboard_api_serves_every_ad(sites: DemoSites) -> None:
    board = {ad.path: ad for ad in ads(sites, "jobboard")}
    listed: list[str] = []
    page: int | None = 1
    while page:
        status, content_type, body = fetch(f"{sites.base_url}/jobboard/api/list?page={page}")
        assert (status, content_type) == (200, "application/json; charset=utf-8")
        data = json.loads(body)
        assert 1 <= len(data["ads"]) <= 10
        listed += [item["url"] for item in data["ads"]]
        page = int(data["next"].split("=")[1]) if data["next"] else None
        assert data["next"] is None or data["next"].startswith("/jobboard/?page=")
    assert sorted(listed) == sorted(board)
    for path, ad in board.items():
        number = path.split("=")[1]
        data = json.loads(fetch(f"{sites.base_url}/jobboard/api/ad/{number}")[2])
        assert (data["title"], data["description"]) == (ad.title, ad.text)
        if ad.markup == "js-jsonld":
            assert data["jsonld"]["@type"] == "JobPosting"
            assert data["jsonld"]["title"] == ad.title
        else:
            assert data["jsonld"] is None


# --- feeds, sitemaps and robots.txt -----------------------------------------------------------


def fetch_bytes(url: str, host: str | None = None) -> tuple[str, bytes]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers["Content-Type"], response.read()


def xml_values(xml: str, tag: str) -> list[str]:
    return [unescape(v) for v in re.findall(rf"<{tag}>(.*?)</{tag}>", xml, re.S)]


def test_robots_txt_names_the_sitemap(sites: DemoSites) -> None:
    robots = fetch(sites.base_url + "/robots.txt")[2]
    assert f"Sitemap: {sites.base_url}/classifieds/sitemap.xml" in robots.splitlines()


def test_sitemaps_list_every_public_ad_and_no_private_one(sites: DemoSites) -> None:
    content_type, body = fetch_bytes(sites.base_url + "/classifieds/sitemap.xml")
    assert content_type == "application/xml; charset=utf-8"
    index = body.decode()
    assert "<sitemapindex" in index
    children = xml_values(index, "loc")
    assert children == [
        sites.base_url + "/classifieds/sitemap-pages.xml",
        sites.base_url + "/classifieds/sitemap-ads.xml.gz",
    ]
    locs: list[str] = []
    for child in children:
        content_type, body = fetch_bytes(child)
        if child.endswith(".gz"):
            assert content_type == "application/gzip" and body[:2] == b"\x1f\x8b"
            body = gzip.decompress(body)
        locs += xml_values(body.decode(), "loc")
    public = {sites.url(ad) for ad in ads(sites, "classifieds", private=False)}
    assert public <= set(locs)
    assert sites.base_url + "/classifieds/" in locs
    assert not [loc for loc in locs if "/private/" in loc]
    assert all(loc.startswith(sites.base_url + "/classifieds/") for loc in locs)
    assert len(locs) == len(set(locs))


def test_rss_feed_of_newest_public_classifieds(sites: DemoSites) -> None:
    _, _, listing = fetch(sites.base_url + "/classifieds/")
    assert '<link rel="alternate" type="application/rss+xml"' in listing
    assert 'href="/classifieds/feed.rss"' in listing
    content_type, body = fetch_bytes(sites.base_url + "/classifieds/feed.rss")
    assert content_type == "application/rss+xml; charset=utf-8"
    rss = body.decode()
    assert rss.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"')
    links = xml_values(rss, "link")[1:]  # the first is the channel's
    public = {sites.url(ad): ad for ad in ads(sites, "classifieds", private=False)}
    assert len(links) == 50 and set(links) <= set(public)
    newest = sorted(public.values(), key=lambda a: a.date_posted, reverse=True)[49].date_posted
    assert all(public[link].date_posted >= newest for link in links)
    assert "/private/" not in rss
    assert "<script" not in rss
    if any(public[link].hostile for link in links):
        assert "&amp;lt;script&amp;gt;document.title" in rss


def test_atom_feed_of_the_javascript_board(sites: DemoSites) -> None:
    _, _, shell = fetch(sites.base_url + "/jobboard/")
    assert '<link rel="alternate" type="application/atom+xml"' in shell
    content_type, body = fetch_bytes(sites.base_url + "/jobboard/feed.atom")
    assert content_type == "application/atom+xml; charset=utf-8"
    atom = body.decode()
    assert '<feed xmlns="http://www.w3.org/2005/Atom">' in atom
    links = re.findall(r'<link rel="alternate" type="text/html" href="([^"]+)"/>', atom)
    board = {sites.url(ad): ad for ad in ads(sites, "jobboard")}
    entries = links[1:]
    assert len(entries) == 50 and set(entries) <= set(board)
    ad = board[entries[0]]
    assert escape(ad.title, quote=True) in atom


def test_feeds_name_the_host_the_client_asked_for(sites: DemoSites) -> None:
    port = sites.base_url.rsplit(":", 1)[1]
    _, body = fetch_bytes(sites.base_url + "/classifieds/sitemap.xml", host=f"localhost:{port}")
    assert (
        xml_values(body.decode(), "loc")[0]
        == f"http://localhost:{port}/classifieds/sitemap-pages.xml"
    )
    _, body = fetch_bytes(sites.base_url + "/robots.txt", host='evil"><x y="')
    assert f"Sitemap: {sites.base_url}/classifieds/sitemap.xml" in body.decode()


# --- public social posts ----------------------------------------------------------------------


def posts(sites: DemoSites, site: str, channel: str | None = None) -> list[DemoPost]:
    return [p for p in sites.posts if p.site == site and channel in (None, p.channel)]


def test_social_sources_and_posts(sites: DemoSites) -> None:
    names = {s.name: s for s in sites.sources()}
    base = sites.base_url
    assert names["telegram-channels"].start_urls == [
        base + "/telegram/s/islandjobsabroad",
        base + "/telegram/s/trabajos_caribe",
    ]
    assert names["social-pages"].start_urls == [
        base + "/social/caribworktravel",
        base + "/social/vip-recruiters-group",
    ]
    assert [len(posts(sites, "telegram", c)) for c in ("islandjobsabroad", "trabajos_caribe")] == [
        45,
        45,
    ]
    assert len(posts(sites, "social")) == 30
    assert {p.label for p in sites.posts} == {0, 1}
    assert {p.lang for p in sites.posts} == {"en", "es", "fr", "ht", "pt"}
    assert len({p.path for p in sites.posts}) == len(sites.posts)
    private = {ad.id for ad in ads(sites, "classifieds", private=True)}
    assert not private & {p.id for p in sites.posts}
    assert sum(p.hostile for p in sites.posts) == 3


def message_numbers(html_text: str, channel: str) -> list[int]:
    return [int(n) for n in re.findall(rf'data-post="{channel}/(\d+)"', html_text)]


def test_telegram_channel_pages_go_back_with_before(sites: DemoSites) -> None:
    channel = "islandjobsabroad"
    url: str | None = f"{sites.base_url}/telegram/s/{channel}"
    seen: list[int] = []
    texts = 0
    pages = 0
    while url:
        status, content_type, page = fetch(url)
        assert (status, content_type) == (200, "text/html; charset=utf-8")
        numbers = message_numbers(page, channel)
        assert 1 <= len(numbers) <= 20 and numbers == sorted(numbers)
        assert not seen or max(numbers) < min(seen)  # each page is older than the last
        seen += numbers
        texts += page.count('class="tgme_widget_message_text js-message_text"')
        assert 'class="tgme_channel_info"' in page
        prev = re.search(r'<link rel="prev" href="([^"]+)">', page)
        more = re.search(r'class="tme_messages_more js-messages_more" data-before="(\d+)"', page)
        assert bool(prev) == bool(more)
        url = sites.base_url + unescape(prev.group(1)) if prev else None
        pages += 1
    assert pages == 3 and texts == 45
    assert sorted(seen) == sorted(set(seen))
    assert {p.number for p in posts(sites, "telegram", channel)} <= set(seen)


def test_telegram_permalinks_and_bad_requests(sites: DemoSites) -> None:
    post = posts(sites, "telegram")[0]
    status, _, page = fetch(sites.url(post))
    assert status == 200
    assert message_numbers(page, post.channel) == [post.number]
    assert escape(post.title, quote=False) in page
    base = sites.base_url
    empty = fetch(f"{base}/telegram/s/{post.channel}?before=1")
    assert empty[0] == 200 and message_numbers(empty[2], post.channel) == []
    for path in (f"/telegram/s/{post.channel}?before=abc", "/telegram/s/nobody",
                 f"/telegram/s/{post.channel}?before=", f"/{post.channel}/999999",
                 f"/telegram/s/{post.channel}?after=5"):  # fmt: skip
        assert fetch(base + path)[0] == 404, path


def test_hostile_posts_are_text_not_markup(sites: DemoSites) -> None:
    hostile = [p for p in sites.posts if p.hostile]
    assert {p.site for p in hostile} == {"telegram", "social"}
    for post in hostile:
        page = fetch(sites.url(post))[2]
        assert "<script>document.title" not in page and 'onerror="alert' not in page
        assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in page


def top_level_articles(page: str) -> list[str]:
    return re.findall(r'<div role="article" aria-posinset="\d+"[^>]*>', page)


def test_social_page_shows_ten_posts_a_page_and_see_more(sites: DemoSites) -> None:
    url: str | None = sites.base_url + "/social/caribworktravel"
    permalinks: list[str] = []
    pages = 0
    while url:
        status, _, page = fetch(url)
        assert status == 200 and 'role="feed"' in page
        assert 1 <= len(top_level_articles(page)) <= 10
        permalinks += re.findall(r'<a class="permalink" href="([^"]+)">', page)
        more = re.search(r'<a href="([^"]+)">See more posts</a>', page)
        url = sites.base_url + unescape(more.group(1)) if more else None
        pages += 1
    assert pages == 4
    expected = {p.path for p in posts(sites, "social")}
    assert expected <= set(permalinks) and len(permalinks) == len(set(permalinks))
    post = posts(sites, "social")[-1]
    assert fetch(sites.url(post))[0] == 200
    assert fetch(sites.base_url + "/social/caribworktravel?cursor=x")[0] == 404


def test_login_walled_group_shows_no_posts(sites: DemoSites) -> None:
    status, _, page = fetch(sites.base_url + "/social/vip-recruiters-group")
    assert status == 200
    assert "You must log in to continue." in page and 'type="password"' in page
    assert 'role="article"' not in page
    for post in sites.posts:
        assert escape(post.title, quote=False) not in page


def test_social_pages_link_only_to_pages_that_exist(sites: DemoSites) -> None:
    base = sites.base_url
    inside = ("/telegram/", "/social/", *(f"/{p.channel}/" for p in posts(sites, "telegram")))
    todo = sites.channel_urls() + sites.social_urls()
    seen: set[str] = set()
    while todo and len(seen) < 400:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        status, _, page = fetch(url)
        assert status == 200, url
        for href in re.findall(r'<(?:a|link) [^>]*href="([^"]+)"', page):
            target = unescape(href)
            if target.startswith(inside):
                todo.append(base + target)
    assert not todo and 150 < len(seen) < 400


# --- python -m demosites ----------------------------------------------------------------------


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_module_serves_until_interrupted(seed: Path, stop: signal.Signals) -> None:
    command = [sys.executable, "-m", "demosites", "--port", "0", "--seed-dir", str(seed)]
    with subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout is not None
            banner = ""
            while "Press Ctrl-C" not in banner:
                line = process.stdout.readline()
                if not line:  # exited early: the asserts below show what it printed
                    break
                banner += line
            match = re.search(r"(http://127\.0\.0\.1:\d+)/", banner)
            assert match, banner
            assert "/jobboard/" in banner
            assert "Disallow: /classifieds/private/" in fetch(match.group(1) + "/robots.txt")[2]
        finally:
            process.send_signal(stop)
            out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "Stopped." in out and err == ""


def test_module_refuses_a_public_address(seed: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "demosites", "--host", "0.0.0.0", "--seed-dir", str(seed)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "loopback" in result.stderr
