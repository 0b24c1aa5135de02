"""``render: auto`` decides per site from its first page: Chromium only where the ads need it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.settings import Settings
from core.sources import dump_sources
from demosites import DemoSites
from index.store import Store
from tests.test_crawlers_monitoring import env_for

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.browser
def test_render_auto_renders_only_the_javascript_site(trained_settings: Settings) -> None:
    with DemoSites() as sites:
        sources = [
            s.model_copy(update={"render": "auto", "max_pages": 25 if s.render else None})
            for s in sites.sources()
            if s.name in ("island-classifieds", "caribjobs-live")
        ]
        path = trained_settings.home_dir / "sources.yml"
        dump_sources(sources, path)
        done = subprocess.run(
            [
                sys.executable,
                "-W",
                "error",
                "-m",
                "tests.crawl_once",
                "--source",
                "island-classifieds",
                "--source",
                "caribjobs-live",
            ],
            cwd=REPO,
            env=env_for(trained_settings, path),
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "render: auto -> plain HTTP for island-classifieds" in done.stderr
    assert "render: auto -> Chromium for caribjobs-live" in done.stderr
    ads = list(Store(trained_settings).iter_ads())
    board = [ad for ad in ads if ad.site == "caribjobs-live"]
    classifieds = [ad for ad in ads if ad.site == "island-classifieds"]
    assert board and all(ad.rendered for ad in board)
    assert classifieds and not any(ad.rendered for ad in classifieds)
