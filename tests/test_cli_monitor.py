"""``lurewatch monitor`` crawls sources on their intervals until stopped; ``status`` shows it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from core.settings import Settings
from index.store import Store
from tests.sites.mutable import MutableSite, serve
from tests.test_crawlers_monitoring import env_for

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture
def site() -> Iterator[MutableSite]:
    with serve(MutableSite()) as running:
        running.add(10)
        yield running


def sources_file(settings: Settings, site: MutableSite, revisit: str) -> Path:
    path = settings.home_dir / "sources.yml"
    source = {
        "name": "mutable",
        "start_urls": [site.start_url],
        "revisit": revisit,
        "politeness": {"delay": 0.01, "concurrency": 4},
    }
    path.write_text(yaml.safe_dump({"sources": [source]}))
    return path


def lurewatch(settings: Settings, sources: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", *args],
        cwd=REPO,
        env=env_for(settings, sources),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: object, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_monitor_recrawls_each_source_on_its_interval(
    trained_settings: Settings, site: MutableSite
) -> None:
    sources = sources_file(trained_settings, site, revisit="3s")
    monitor = lurewatch(trained_settings, sources, "monitor", "--rounds", "2")
    wait_for(lambda: Store(trained_settings).count() == 10 or monitor.poll() is not None)
    first_round = time.monotonic()
    site.add(2)
    out, err = monitor.communicate(timeout=180)
    assert monitor.returncode == 0, err[-3000:]
    assert "after 2 round(s)" in out
    assert time.monotonic() - first_round >= 1.5  # it waited for the source to be due
    assert Store(trained_settings).count() == 12
    assert site.hits["/ads/"] == 2
    assert site.hits["/ads/1.html"] == 1  # not due again within a day

    status = subprocess.run(
        [sys.executable, "-m", "cli.main", "status", "--json"],
        cwd=REPO,
        env=env_for(trained_settings, sources),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert status.returncode == 0, status.stderr
    (row,) = json.loads(status.stdout)["sources"]
    assert row["extra"]["known"] >= 13  # listing + 12 ads
    assert row["extra"]["pending"] == 0


def test_monitor_stops_cleanly_on_sigterm(trained_settings: Settings, site: MutableSite) -> None:
    sources = sources_file(trained_settings, site, revisit="1h")
    monitor = lurewatch(trained_settings, sources, "monitor")
    wait_for(lambda: Store(trained_settings).count() == 10)
    wait_for(lambda: "next crawl in" in (monitor.stderr.readline() if monitor.stderr else ""))
    monitor.send_signal(signal.SIGTERM)
    out, err = monitor.communicate(timeout=30)
    assert monitor.returncode == 0, err[-3000:]
    assert "after 1 round(s)" in out


def run_cli(settings: Settings, sources: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=REPO,
        env=env_for(settings, sources),
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_failed_pages_are_listed_and_retried(trained_settings: Settings, site: MutableSite) -> None:
    sources = sources_file(trained_settings, site, revisit="1h")
    site.ads[3].status = 503
    first = run_cli(trained_settings, sources, "crawl", "--source", "mutable")
    assert first.returncode == 0, first.stderr[-3000:]
    assert Store(trained_settings).count() == 9
    failed = run_cli(trained_settings, sources, "status", "--failed", "--json")
    (page,) = json.loads(failed.stdout)["failed"]
    assert page["url"] == site.ad_url(3) and page["kind"] == "http-503"

    site.ads[3].status = 200
    site.hits.clear()
    retried = run_cli(trained_settings, sources, "crawl", "--source", "mutable", "--retry-failed")
    assert retried.returncode == 0, retried.stderr[-3000:]
    assert "new: 1" in retried.stdout
    assert site.hits["/ads/3.html"] == 1
    assert Store(trained_settings).count() == 10
    after = run_cli(trained_settings, sources, "status", "--failed", "--json")
    assert json.loads(after.stdout)["failed"] == []
