"""Incremental crawls of a site that changes: new ads, edits, takedowns, revisits, resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.settings import Settings
from core.urls import ad_id
from crawlers.frontier.sqlite import SqliteSeenStore
from index.store import Store
from tests.sites.mutable import MutableSite, serve

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture
def site() -> Iterator[MutableSite]:
    with serve(MutableSite()) as running:
        running.add(25)
        yield running


def write_sources(settings: Settings, site: MutableSite, **schedule: Any) -> Path:
    path = settings.home_dir / "sources.yml"
    source = {"name": "mutable", "start_urls": [site.start_url], **schedule}
    path.write_text(yaml.safe_dump({"sources": [source]}))
    return path


def env_for(settings: Settings, sources: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUREWATCH_")}
    env.update(LUREWATCH_HOME=str(settings.home_dir), LUREWATCH_SOURCES_FILE=str(sources))
    return env


def crawl(settings: Settings, sources: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-W", "error", "-m", "tests.crawl_once", "--source", "mutable", *args],
        cwd=REPO,
        env=env_for(settings, sources),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    summary["log"] = done.stderr
    return summary


def stored(settings: Settings, site: MutableSite, number: int) -> Any:
    return Store(settings).get(ad_id(site.ad_url(number)))


def test_recrawl_fetches_listings_and_new_ads_only(
    trained_settings: Settings, site: MutableSite
) -> None:
    sources = write_sources(trained_settings, site, detail_revisit="1d")
    first = crawl(trained_settings, sources)
    assert first["ads_new"] == 25
    assert site.hits["/ads/3.html"] == 1
    site.add(2)
    site.hits.clear()
    second = crawl(trained_settings, sources)
    assert second["ads_new"] == 2
    # Listings are read again; old ads are not due for a day, so only the new pages are fetched.
    assert site.hits["/ads/"] == 1
    assert site.detail_hits() == 2
    assert site.hits["/ads/26.html"] == site.hits["/ads/27.html"] == 1
    assert Store(trained_settings).count() == 27


def test_revisit_fetches_every_known_page_now(
    trained_settings: Settings, site: MutableSite
) -> None:
    sources = write_sources(trained_settings, site, detail_revisit="1d")
    crawl(trained_settings, sources)
    site.hits.clear()
    crawl(trained_settings, sources, "--revisit")
    assert site.detail_hits() == 25
    assert max(site.hits.values()) == 1


def test_edits_and_takedowns_are_kept_in_the_history(
    trained_settings: Settings, site: MutableSite
) -> None:
    sources = write_sources(trained_settings, site, detail_revisit="1s", removal_grace="1s")
    crawl(trained_settings, sources)
    site.ads[3].text += " Now also night shifts, passport kept by the agency for safety."
    site.ads[5].status = 404
    site.ads[6].status = 410
    site.ads[7].listed = False
    time.sleep(1.2)
    second = crawl(trained_settings, sources)
    assert second["ads_updated"] >= 1
    edited = stored(trained_settings, site, 3)
    assert edited.versions == 2 and "night shifts" in edited.ad.text
    gone = stored(trained_settings, site, 5)
    assert gone.removed_at and "404" in gone.removal_reason
    assert "410" in stored(trained_settings, site, 6).removal_reason
    # Missing from one listing walk is not yet a takedown ...
    assert stored(trained_settings, site, 7).removed_at is None
    time.sleep(1.2)
    crawl(trained_settings, sources)
    # ... missing for longer than the grace period is; the page was fetched once more to keep
    # what it showed at that moment.
    unlisted = stored(trained_settings, site, 7)
    assert unlisted.removed_at and "not listed since" in unlisted.removal_reason
    assert stored(trained_settings, site, 8).removed_at is None
    # Removed ads stay in the store, searchable, with their text.
    assert "Kitchen assistant 5" in gone.ad.title
    # Listed again: live again.
    site.ads[7].listed = True
    crawl(trained_settings, sources)
    assert stored(trained_settings, site, 7).removed_at is None


def test_a_resumed_crawl_does_not_fetch_again_pages_whose_ads_were_stored(
    trained_settings: Settings, site: MutableSite
) -> None:
    sources = write_sources(trained_settings, site, detail_revisit="1d")
    crawl(trained_settings, sources)
    # What a crawl killed after its ads were stored and before their pages were marked leaves:
    # pages claimed (pending), their ads stored after the pages were last marked fetched.
    store = Store(trained_settings)
    for number in (3, 4):
        ad = stored(trained_settings, site, number).ad
        ad.fetched_at = (datetime.now(UTC) + timedelta(seconds=5)).isoformat(timespec="seconds")
        store.upsert(ad)
    store.close()
    killed = SqliteSeenStore(trained_settings.crawl_dir / "seen.sqlite", "killed-run")
    for number in (3, 4, 5):
        assert killed.claim(site.ad_url(number), "mutable", "detail", time.time(), force=True)
    killed.close()
    site.hits.clear()
    resumed = crawl(trained_settings, sources)
    assert site.hits["/ads/3.html"] == site.hits["/ads/4.html"] == 0
    # Its ad was stored before the page was last marked: the stopped crawl never got to it.
    assert site.hits["/ads/5.html"] == 1
    assert "2 pages of the stopped crawl were already stored" in resumed["log"]
    seen = SqliteSeenStore(trained_settings.crawl_dir / "seen.sqlite", "check")
    assert list(seen.pending("mutable")) == []
    seen.close()


@pytest.mark.parametrize("kill_after", [1, 12, 24])
def test_a_killed_crawl_resumes_without_losing_or_repeating_ads(
    trained_settings: Settings, site: MutableSite, kill_after: int
) -> None:
    site.add(15)  # 40 ads
    sources = write_sources(trained_settings, site, detail_revisit="1d")
    site.delay = 0.05
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.crawl_once", "--source", "mutable", "--concurrency", "2"],
        cwd=REPO,
        env=env_for(trained_settings, sources),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while site.detail_hits() < kill_after and time.monotonic() < deadline:
            assert process.poll() is None, "the crawl ended before it could be killed"
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    fetched_before = {path for path in site.hits if path.endswith(".html")}
    stored_before = {
        f"/ads/{n}.html" for n in range(1, 41) if stored(trained_settings, site, n) is not None
    }
    site.delay = 0
    site.hits.clear()
    resumed = crawl(trained_settings, sources)
    store = Store(trained_settings)
    assert store.count() == 40
    for number in range(1, 41):
        assert stored(trained_settings, site, number).versions == 1
    # It continued where it was: ads stored before the kill are not fetched again, those the
    # ingest worker had stored whose reply the killed crawl never read included (their pages
    # were still pending: the resumed crawl found them in the store).
    refetched = {path for path in site.hits if path.endswith(".html")}
    assert refetched & stored_before == set()
    assert refetched | fetched_before >= {f"/ads/{n}.html" for n in range(1, 41)}
    assert resumed["ads_new"] + len(fetched_before) >= 40
    seen = SqliteSeenStore(trained_settings.crawl_dir / "seen.sqlite", "check")
    assert list(seen.pending("mutable")) == []
    seen.close()
