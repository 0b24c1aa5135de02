"""Crawls of public channel previews, public pages, feeds and sitemaps on the demo sites."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from core.sources import dump_sources
from crawlers.frontier.sqlite import SqliteSeenStore
from demosites import DemoSites
from index.store import Store
from tests.test_crawlers_monitoring import env_for

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sites() -> Iterator[DemoSites]:
    with DemoSites() as running:
        yield running


def crawl(settings: Settings, sites: DemoSites, *names: str) -> subprocess.CompletedProcess[str]:
    sources = settings.home_dir / "sources.yml"
    dump_sources(sites.sources(), sources)
    args = [arg for name in names for arg in ("--source", name)]
    done = subprocess.run(
        [sys.executable, "-W", "error", "-m", "tests.crawl_once", *args],
        cwd=REPO,
        env=env_for(settings, sources),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_channel_previews_and_public_pages_become_one_ad_per_post(
    trained_settings: Settings, sites: DemoSites
) -> None:
    done = crawl(trained_settings, sites, "telegram-channels", "social-pages")
    ads = list(Store(trained_settings).iter_ads())
    kinds = Counter(ad.extraction for ad in ads)
    expected = Counter("telegram" if p.site == "telegram" else "facebook" for p in sites.posts)
    assert kinds == expected  # every post of every older page, nothing else
    assert {ad.url for ad in ads} == {sites.url(post) for post in sites.posts}
    # The login wall is one clear line, and nothing behind it is read.
    walls = [line for line in done.stderr.splitlines() if "asks to log in" in line]
    assert len(walls) == 1 and "vip-recruiters-group" in walls[0]
    # Each post keeps the capture of the page it was read from.
    assert all(ad.captures and ad.captures[0].kind == "manifest" for ad in ads)
    # Scores are there: posts go through the same classifier as ads.
    flagged = {ad.url for ad in ads if ad.flagged}
    lures = {sites.url(p) for p in sites.posts if p.label == "lure"}
    assert len(flagged & lures) >= len(lures) * 0.7


def test_a_second_crawl_reads_the_channels_again_without_new_ads(
    trained_settings: Settings, sites: DemoSites
) -> None:
    crawl(trained_settings, sites, "telegram-channels")
    store = Store(trained_settings)
    first = store.count()
    crawl(trained_settings, sites, "telegram-channels")
    assert store.count() == first
    assert all(store.get(ad.id).versions == 1 for ad in store.iter_ads())  # type: ignore[union-attr]


def test_sitemaps_and_feeds_are_found_and_followed(
    trained_settings: Settings, sites: DemoSites
) -> None:
    crawl(trained_settings, sites, "island-classifieds")
    seen = SqliteSeenStore(trained_settings.crawl_dir / "seen.sqlite", "check")
    try:
        sitemaps = list(seen.known("island-classifieds", kind="sitemap"))
        feeds = list(seen.known("island-classifieds", kind="feed"))
        # robots.txt names the sitemap index, which names two children (one gzipped).
        assert any(url.endswith("/classifieds/sitemap.xml") for url in sitemaps)
        assert any(url.endswith(".xml.gz") for url in sitemaps)
        assert any(url.endswith("/classifieds/feed.rss") for url in feeds)
        for url in sitemaps + feeds:
            state = seen.get(url)
            assert state is not None and state.status == 200, url
    finally:
        seen.close()
    public = [ad for ad in sites.ads("classifieds") if not ad.private]
    assert Store(trained_settings).count() == len(public)
