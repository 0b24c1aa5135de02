"""A whole crawl of the hostile site (tests/sites/hostile.py): the crawl finishes, the good ads
are stored, every bad page is skipped with one line, and nothing executable or invisible is
stored. The crawl runs in a subprocess: Scrapy's reactor cannot restart."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core.ad import Ad
from core.settings import Settings
from core.urls import ad_id
from index.search import SearchIndex
from index.store import Store
from tests.sites.hostile import NORMAL_ADS, SKIPPED, HostileSite, serve_hostile

REPO = Path(__file__).resolve().parent.parent
TIMEOUT = 3  # DOWNLOAD_TIMEOUT: the stalled page waits far longer
MAXSIZE = 2 * 1024 * 1024  # DOWNLOAD_MAXSIZE: the big pages send 50 MB
PER_PATTERN = 25  # LUREWATCH_MAX_URLS_PER_PATTERN
# The calendar's two URL forms at PER_PATTERN each, plus what those pages link to once (their
# week and month views, the month grid in the other form): about 200. DEPTH_LIMIT alone lets the
# crawler fetch over 500 of them (LUREWATCH_MAX_URLS_PER_PATTERN=0).
CALENDAR_BOUND = 300

SETTINGS = {
    "LUREWATCH_CLASSIFY": False,
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "LOG_LEVEL": "INFO",
    "DOWNLOAD_TIMEOUT": TIMEOUT,
    "DOWNLOAD_MAXSIZE": MAXSIZE,
    "DOWNLOAD_WARNSIZE": MAXSIZE // 2,
    "LUREWATCH_RETRY_BACKOFF": 0,  # retries still happen (RETRY_TIMES), without the waits
    "LUREWATCH_MAX_URLS_PER_PATTERN": PER_PATTERN,
}
OVERRIDES = json.dumps(SETTINGS)
SCRIPT = """
import dataclasses, json, sys
from core.settings import Settings
from crawlers.runner import generic_source, run_crawl

home, url, overrides = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
summary = run_crawl(Settings(home=home), [generic_source(url)], scrapy_overrides=overrides)
print(json.dumps(dataclasses.asdict(summary)))
"""
# What must never be stored: markup that runs, and characters nobody sees.
EXECUTABLE = re.compile(r"<\s*script|<\s*svg|<\s*img|\bon\w+\s*=|javascript:|alert\(", re.I)
TEXT_FIELDS = ("title", "text", "employer", "location", "salary", "date_posted")
LEVELS = re.compile(r"\] (WARNING|ERROR|CRITICAL): ")


@dataclass
class Crawl:
    home: Path
    site: HostileSite
    summary: dict[str, Any]
    log: str
    seconds: float
    ads: dict[str, Ad]  # by path

    def lines_about(self, path: str) -> list[str]:
        """Warning and error lines that name the page ``path``."""
        url = re.compile(re.escape(self.site.url + path) + r"(?=[\s:]|$)")
        return [line for line in self.log.splitlines() if LEVELS.search(line) and url.search(line)]


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    home = tmp_path_factory.mktemp("hostile") / "home"
    with serve_hostile(stall_seconds=60) as site:
        began = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-W", "error", "-c", SCRIPT, str(home), f"{site.url}/", OVERRIDES],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
            # Only this test decides the settings: no LUREWATCH_* from the environment.
            env={k: v for k, v in os.environ.items() if not k.startswith("LUREWATCH_")},
        )
        seconds = time.monotonic() - began
    assert result.returncode == 0, result.stderr[-4000:]
    store = Store(Settings(home=home))
    try:
        ads = {ad.url.removeprefix(site.url): ad for ad in store.iter_ads()}
    finally:
        store.close()
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    return Crawl(home, site, summary, result.stderr, seconds, ads)


@pytest.mark.slow
def test_the_crawl_finishes_without_errors_in_reasonable_time(crawl: Crawl) -> None:
    (source,) = crawl.summary["per_source"].values()
    assert source["finish_reason"] == "finished" and not source["failure"]
    assert "Traceback" not in crawl.log
    assert not re.search(r"\] (ERROR|CRITICAL): ", crawl.log), crawl.log[-4000:]
    assert crawl.seconds < 120


@pytest.mark.slow
def test_normal_ads_are_stored(crawl: Crawl) -> None:
    for path, title in NORMAL_ADS.items():
        assert crawl.ads[path].title == title
        assert crawl.ads[path].id == ad_id(crawl.site.url + path)
    assert crawl.ads["/ads/cleaners.html"].employer == "Maas Facility Services"


@pytest.mark.slow
def test_each_bad_page_is_skipped_with_one_line(crawl: Crawl) -> None:
    reasons = {
        "too-large": "too large",
        "not-html": "not HTML",
        "bad-encoding": "unreadable",
        "redirect-loop": "redirect",
        "timeout": "took longer than",
    }
    for path, kind in SKIPPED.items():
        assert path not in crawl.ads
        lines = crawl.lines_about(path)
        assert len(lines) == 1, (path, lines)
        assert reasons[kind] in lines[0], (path, lines[0])
        if kind != "timeout":  # a fetch that failed: the spider's errback says so
            assert f"skipped {crawl.site.url}{path}: " in lines[0]
    (source,) = crawl.summary["per_source"].values()
    expected: dict[str, int] = {}
    for kind in SKIPPED.values():
        expected[kind] = expected.get(kind, 0) + 1
    assert source["errors_by_kind"] == expected


@pytest.mark.slow
def test_sizes_redirects_and_the_calendar_trap_are_bounded(crawl: Crawl) -> None:
    site = crawl.site
    # Cancelled once, not retried; each loop is left at its first repeat.
    assert site.requests.count("/big.html") == site.requests.count("/big-declared.html") == 1
    assert site.requests.count("/loop/a.html") == site.requests.count("/loop/b.html") == 1
    assert site.requests.count("/loop/self.html") == 1
    assert site.requests.count("/refresh/a.html") == site.requests.count("/refresh/b.html") == 1
    assert site.requests.count("/ads/drivers.html") == 1  # reloads itself: read, not followed
    assert len(site.requested("/loop/chain/")) == 21  # REDIRECT_MAX_TIMES = 20
    calendar = site.requested("/calendar")
    assert 2 * PER_PATTERN < len(calendar) <= CALENDAR_BOUND
    assert len(calendar) == len(set(calendar)), "a calendar page was fetched twice"
    trap_lines = [line for line in crawl.log.splitlines() if "skipped links like" in line]
    patterns = [line.split("skipped links like ", 1)[1].split(": ", 1)[0] for line in trap_lines]
    assert patterns and len(patterns) == len(set(patterns))  # one line per pattern
    assert all("/calendar" in pattern for pattern in patterns), patterns


@pytest.mark.slow
def test_nothing_executable_or_invisible_is_stored(crawl: Crawl) -> None:
    for path, ad in crawl.ads.items():
        for name in TEXT_FIELDS:
            value = getattr(ad, name)
            assert not EXECUTABLE.search(value), (path, name, value)
            hidden = {c for c in value if unicodedata.category(c) in ("Cf", "Co", "Cs")}
            assert not hidden, (path, name, hidden)
        # The whole stored ad, structured data too, is valid Unicode (no lone surrogates).
        json.dumps(ad.to_dict(), ensure_ascii=False).encode("utf-8")
    markup = crawl.ads["/xss/markup.html"]
    assert markup.title == "Waitresses for a beach bar"
    assert "good pay and free housing" in markup.text
    scripted = crawl.ads["/xss/jsonld.html"]
    assert scripted.text.startswith("Dancers for a cruise ship, contract of nine months.")
    assert scripted.employer == "Blue"


@pytest.mark.slow
def test_words_hidden_with_invisible_characters_are_found(crawl: Crawl) -> None:
    zero_width = crawl.ads["/hidden/zero-width.html"].text
    assert "Bring your passport and a copy of your passport" in zero_width
    assert "passport checks" in zero_width
    bidi = crawl.ads["/hidden/bidi.html"].text
    # The right-to-left override showed "passport" on the page: stored as shown.
    assert "Leave your passport with the agent" in bidi
    assert "your passport is kept safe, and so is your passport copy" in bidi
    index = SearchIndex(Settings(home=crawl.home))
    hits = {hit.url.removeprefix(crawl.site.url) for hit in index.search("passport").hits}
    assert {"/hidden/zero-width.html", "/hidden/bidi.html"} <= hits


@pytest.mark.slow
def test_broken_and_mislabelled_encodings_are_read_right(crawl: Crawl) -> None:
    cp1252 = crawl.ads["/enc/cp1252-as-utf8.html"]  # Windows-1252 bytes labelled UTF-8
    assert cp1252.title == "Café Européen seeks waiters"
    assert "“Café Européen” in Brussels: €1.900 a month" in cp1252.text
    disagreeing = crawl.ads["/enc/meta-disagrees.html"]  # UTF-8 bytes labelled ISO-8859-1
    assert disagreeing.title == "Bakers for Zürich and São Paulo"
    utf16 = crawl.ads["/enc/utf16-bom.html"]
    assert utf16.title == "Работа: packers for a fruit farm"
    broken = crawl.ads["/enc/invalid-utf8.html"]  # UTF-8 with a few bad bytes: those only
    assert "salário mínimo plus tips" in broken.text
    assert "\ufffd" in broken.text


@pytest.mark.slow
def test_malformed_json_ld_does_not_lose_the_ad(crawl: Crawl) -> None:
    expected = {
        "/jsonld/truncated.html": "Truncated structured data",
        "/jsonld/deep-lists.html": "Deep lists",
        "/jsonld/deep-objects.html": "Deep objects",
        "/jsonld/many-postings.html": "Many postings",
        "/jsonld/huge-array.html": "Parcel sorters",
        "/jsonld/surrogates.html": "Hotel maids for Oslo",
    }
    for path, title in expected.items():
        assert crawl.ads[path].title == title, path
    assert crawl.ads["/jsonld/wrong-types.html"].extraction == "jsonld"
    assert len(crawl.ads["/jsonld/huge-array.html"].text) <= Settings().max_ad_chars
