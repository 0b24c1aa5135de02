"""End to end: `lurewatch demo --no-serve` on a fresh home crawls the demo sites (static and
JavaScript-only), classifies, stores and indexes every public ad, and never the disallowed ones."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from core.settings import Settings
from demosites import DemoSites, load_catalogue
from index import SearchFilters, SearchIndex, Store

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, str]:
    home = tmp_path_factory.mktemp("demo-home")
    env = {**os.environ, "LUREWATCH_HOME": str(home)}
    proc = subprocess.run(
        [sys.executable, "-m", "cli.main", "demo", "--no-serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return Settings(home=home), proc.stdout + proc.stderr


def _stored_paths(settings: Settings) -> set[str]:
    store = Store(settings)
    paths = {_path(ad.url) for ad in store.iter_ads()}
    store.close()
    return paths


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_demo_prints_summary_and_trains_model_on_first_run(demo_run: tuple[Settings, str]) -> None:
    settings, output = demo_run
    match = re.search(
        r"pages fetched (\d+), ads stored (\d+), ads flagged (\d+), seconds ([\d.]+)", output
    )
    assert match, output[-2000:]
    pages, stored, flagged = (int(match.group(i)) for i in (1, 2, 3))
    # Not pages > stored: a channel page holds twenty posts, each an ad of its own.
    assert pages > 0 and stored > flagged > 0
    assert "training the bundled" in output
    assert any((settings.models_dir).iterdir())


def test_demo_stores_every_public_ad_of_both_sites(demo_run: tuple[Settings, str]) -> None:
    settings, _ = demo_run
    catalogue = load_catalogue()
    public = {ad.path for ad in catalogue if not ad.private}
    stored = _stored_paths(settings)
    missing = public - stored
    assert not missing, f"{len(missing)} public demo ads not stored, e.g. {sorted(missing)[:5]}"
    js_ads = [ad for ad in catalogue if ad.site == "jobboard"]
    assert js_ads and all(ad.path in stored for ad in js_ads)


def test_demo_never_stores_robots_disallowed_ads(demo_run: tuple[Settings, str]) -> None:
    settings, _ = demo_run
    private = {ad.path for ad in load_catalogue() if ad.private}
    assert private
    assert not private & _stored_paths(settings)
    assert SearchIndex(settings).search("").total == len(_stored_paths(settings))


def test_demo_search_finds_the_lures(demo_run: tuple[Settings, str]) -> None:
    settings, _ = demo_run
    # Every ad and post of the demo sites, with its label (1: a lure).
    truth = {ad.path: ad.label for ad in load_catalogue() if not ad.private}
    truth.update({post.path: post.label for post in DemoSites().posts})
    index = SearchIndex(settings)
    flagged = index.search("", SearchFilters(flagged=True), limit=1000, facets=False)
    assert flagged.total > 0
    labels = [truth[_path(hit.url)] for hit in flagged.hits]
    precision = sum(labels) / len(labels)
    lures = sum(truth.values())
    recall = sum(labels) / lures
    assert precision >= 0.7, precision
    assert recall >= 0.6, recall
    hits = index.search("visa", limit=5).hits
    assert hits and all("<mark>" in h.highlight for h in hits)
