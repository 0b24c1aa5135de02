"""The demo sites as a crawler or a browser sees them over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.robotparser import RobotFileParser

import extruct
import pytest

from demosites import HOSTILE_PAYLOAD, DemoAd, DemoSites
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


# --- python -m demosites ----------------------------------------------------------------------


def test_module_serves_until_interrupted(seed: Path) -> None:
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
            process.send_signal(signal.SIGINT)
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
