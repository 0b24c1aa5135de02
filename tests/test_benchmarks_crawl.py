"""The crawl benchmark's two crawlers: same Scrapy settings but LureWatch's own components, and
both walk the whole fixture site (each in a subprocess, as the benchmark runs them)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks.bare_spider import bare_scrapy_settings
from benchmarks.crawl_child import BENCH_OVERRIDES
from benchmarks.fixture_site import build_site, served
from core.settings import Settings
from crawlers.runner import scrapy_settings

REPO = Path(__file__).resolve().parent.parent


def test_bare_spider_has_lurewatch_settings_without_its_components(settings: Settings) -> None:
    full = scrapy_settings(settings, BENCH_OVERRIDES)
    bare = bare_scrapy_settings(settings, BENCH_OVERRIDES)
    assert full.getdict("ITEM_PIPELINES") and not bare.getdict("ITEM_PIPELINES")
    assert full.getdict("EXTENSIONS")
    assert not [path for path in bare.getdict("EXTENSIONS") if path.startswith("crawlers.")]
    for name in (
        "ROBOTSTXT_OBEY",
        "USER_AGENT",
        "DOWNLOAD_MAXSIZE",
        "DEPTH_LIMIT",
        "DOWNLOAD_HANDLERS",
        "SPIDER_MIDDLEWARES",
        "DOWNLOADER_MIDDLEWARES",
        *BENCH_OVERRIDES,
    ):
        assert bare.get(name) == full.get(name), name
    assert bare.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 32
    assert not bare.getbool("AUTOTHROTTLE_ENABLED")


def _crawl(kind: str, url: str, home: Path, out: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LUREWATCH_", "BENCH_"))}
    command = [sys.executable, "-m", "benchmarks.crawl_child", kind, url]
    subprocess.run(
        [*command, "--home", str(home), "--out", str(out)],
        cwd=REPO,
        env={**env, "LUREWATCH_HOME": str(home)},
        check=True,
        capture_output=True,
        timeout=300,
    )
    result: dict[str, Any] = json.loads(out.read_text())
    return result


@pytest.mark.slow
def test_both_crawlers_fetch_every_page_and_lurewatch_stores_every_ad(
    tmp_path: Path, trained_settings: Settings
) -> None:
    site = build_site(tmp_path / "site", ads=60)
    with served(tmp_path / "site") as server:
        bare = _crawl("bare", server.url, tmp_path / "bare-home", tmp_path / "bare.json")
        lure = _crawl("lurewatch", server.url, trained_settings.home_dir, tmp_path / "lw.json")
    for result in (bare, lure):
        (stats,) = result["stats"]
        assert stats["response_received_count"] == site.pages + 1  # + robots.txt
        assert stats["finish_time"] > stats["start_time"]
        assert result["max_rss_kb"] > 0
    assert bare["stored_ads"] is None
    assert lure["stored_ads"] == 60
    for result in (bare, lure):
        # The crawl process's CPU between spider open and close is part of its whole life's.
        (stats,) = result["stats"]
        assert 0 < stats["bench/crawl_process_cpu_seconds"] < result["cpu_seconds"]
    assert lure["stats"][0]["lurewatch/ingest_worker_cpu_seconds"] > 0
    assert "lurewatch/ingest_worker_cpu_seconds" not in bare["stats"][0]
