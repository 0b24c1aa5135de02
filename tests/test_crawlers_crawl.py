"""Whole crawls of small fixture sites served on 127.0.0.1, each in a subprocess (Scrapy's reactor
cannot restart, so every crawl needs a fresh process)."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings
from core.urls import ad_id
from tests.sites.serving import serve_in_thread

REPO = Path(__file__).resolve().parent.parent
SITES = Path(__file__).resolve().parent / "sites"
STATIC = SITES / "crawl_static"
JS_ONLY = SITES / "crawl_js"

# Fast and self-contained: no politeness delays against our own fixture server, and only the
# crawler's own pipelines (the index pipelines belong to another package and are tested there).
OWN_PIPELINES = {"crawlers.pipelines.normalise.NormalisePipeline": 100}
FAST = {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "LOG_LEVEL": "INFO"}


@dataclass
class Site:
    url: str
    root: Path
    requests: list[str] = field(default_factory=list)

    def requested(self, prefix: str) -> list[str]:
        return [path for path in self.requests if path.startswith(prefix)]


def _serve(root: Path) -> Iterator[Site]:
    site = Site(url="", root=root)

    class Handler(SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            site.requests.append(self.path)
            super().do_GET()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with serve_in_thread(partial(Handler, directory=str(root))) as url:
        site.url = url
        yield site


@pytest.fixture
def static_site() -> Iterator[Site]:
    yield from _serve(STATIC)


@pytest.fixture
def js_site() -> Iterator[Site]:
    yield from _serve(JS_ONLY)


def scrapy_crawl(
    home: Path, feed: Path, *args: str, settings: dict[str, Any] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-W", "error", "-m", "scrapy", "crawl", "ads", *args]
    for name, value in {**FAST, **(settings or {})}.items():
        text = json.dumps(value) if isinstance(value, dict | bool) else str(value)
        command += ["-s", f"{name}={text}"]
    command += ["-O", f"{feed}:jsonl"]
    return subprocess.run(
        command,
        cwd=REPO,
        env=clean_env(LUREWATCH_HOME=str(home)),
        capture_output=True,
        text=True,
        timeout=180,
    )


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without LUREWATCH_* variables, so only the test decides the settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUREWATCH_")}
    return {**env, **extra}


def read_feed(feed: Path) -> dict[str, dict[str, Any]]:
    ads = [json.loads(line) for line in feed.read_text().splitlines()]
    by_path = {ad["url"].split("/", 3)[3]: ad for ad in ads}
    assert len(by_path) == len(ads), "the same ad was yielded twice"
    return by_path


@pytest.mark.slow
def test_crawl_finds_every_public_ad_and_respects_robots(static_site: Site, tmp_path: Path) -> None:
    feed = tmp_path / "ads.jsonl"
    result = scrapy_crawl(
        tmp_path / "home",
        feed,
        "-a",
        f"urls={static_site.url}/",
        settings={
            "LUREWATCH_CLASSIFY": False,
            "ITEM_PIPELINES": OWN_PIPELINES,
            # Ads sit one link below listing pages 1-3: reached only because following a
            # listing's next page does not count as going one level deeper.
            "DEPTH_LIMIT": 1,
        },
    )
    assert result.returncode == 0, result.stderr[-3000:]
    ads = read_feed(feed)

    assert sorted(ads) == [
        "ads/drivers.html",
        "ads/farm.html",
        "ads/hostess.html",
        "ads/nanny.html",
    ]
    assert {path: ad["extraction"] for path, ad in ads.items()} == {
        "ads/drivers.html": "heuristic",
        "ads/farm.html": "jsonld",
        "ads/hostess.html": "jsonld",
        "ads/nanny.html": "microdata",
    }
    # Nothing from the disallowed folder, no files or assets, nothing from other hosts.
    assert static_site.requests[0] == "/robots.txt"
    assert static_site.requested("/private/") == []
    assert not static_site.requested("/files/") and not static_site.requested("/img/")
    assert "/site.css" not in static_site.requests
    assert sorted(set(static_site.requests)) == sorted(static_site.requests), "page fetched twice"

    port = static_site.url.rsplit(":", 1)[1]
    for path, ad in ads.items():
        assert ad["url"] == f"{static_site.url}/{path}"  # tracking parameters gone
        assert ad["id"] == ad_id(ad["url"])
        assert ad["site"] == f"127-0-0-1-{port}"
        assert ad["http_status"] == 200 and ad["rendered"] is False
        body = (STATIC / path).read_bytes()
        assert ad["body_sha256"] == hashlib.sha256(body).hexdigest()
        assert datetime.fromisoformat(ad["fetched_at"]).utcoffset().total_seconds() == 0
        assert ad["text"] and ad["lure_score"] is None

    hostess = ads["ads/hostess.html"]
    assert hostess["title"] == "Hostesses for a club abroad"
    assert hostess["employer"] == "Velvet Nights Agency"
    assert hostess["date_posted"] == "2025-06-20"
    assert hostess["text"].startswith("Young women aged 18 to 25 wanted")
    assert "<p>" not in hostess["text"]
    assert hostess["structured"]["@type"] == "JobPosting"
    assert ads["ads/nanny.html"]["employer"] == "Sunrise Domestic Agency"
    assert ads["ads/farm.html"]["employer"] == "Green Valley Growers"

    # The ad without text is dropped with one line that says which and why.
    dropped = [line for line in result.stderr.splitlines() if "Dropped:" in line]
    assert len(dropped) == 1
    assert f"no text in ad {static_site.url}/ads/untitled.html" in dropped[0]
    assert "crawl done: 8 pages fetched, 4 ads found" in result.stderr


@pytest.mark.slow
def test_run_crawl_summarises_each_source_once_per_process(
    static_site: Site, tmp_path: Path
) -> None:
    script = f"""
import dataclasses, json
from core.settings import Settings
from core.sources import Source
from crawlers.runner import generic_source, run_crawl

settings = Settings(home={str(tmp_path / "home")!r})
sources = [generic_source({static_site.url + "/"!r}),
           Source(name="limited", start_urls=[{static_site.url + "/page3.html"!r}])]
overrides = {{"LUREWATCH_CLASSIFY": False, "ITEM_PIPELINES": {OWN_PIPELINES!r},
             "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0,
             "FEEDS": {{{str(tmp_path / "%(site)s.jsonl")!r}: {{"format": "jsonlines"}}}}}}
summary = run_crawl(settings, sources, max_pages=3, scrapy_overrides=overrides)
print(json.dumps(dataclasses.asdict(summary)))
try:
    run_crawl(settings, sources)
except RuntimeError as exc:
    print(exc)
"""
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        cwd=tmp_path,  # the runner must not depend on scrapy.cfg in the working directory
        env=clean_env(PYTHONPATH=str(REPO)),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary_line, second_call = result.stdout.strip().splitlines()[-2:]
    summary = json.loads(summary_line)
    assert "cannot restart" in second_call

    port = static_site.url.rsplit(":", 1)[1]
    generic = summary["per_source"][f"127-0-0-1-{port}"]
    limited = summary["per_source"]["limited"]
    # max_pages=3: at most three page requests per source, in link order.
    assert generic["pages_fetched"] == 3  # the home page and its two ads
    assert generic["ads_found"] == 2
    assert limited["pages_fetched"] == 3  # page 3, the farm ad, the empty ad
    assert limited["ads_found"] == 1 and limited["finish_reason"] == "finished"
    assert summary["pages_fetched"] == 6
    assert summary["ads_found"] == 3
    assert summary["errors"] == 0 and summary["ads_new"] == 0 and summary["seconds"] > 0
    limited_feed = [json.loads(x) for x in (tmp_path / "limited.jsonl").read_text().splitlines()]
    assert [ad["site"] for ad in limited_feed] == ["limited"]
    assert limited_feed[0]["title"] == "Seasonal farm workers"


def _classifier_ready() -> bool:
    try:
        return hasattr(importlib.import_module("classifiers"), "load_classifier")
    except ImportError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not _classifier_ready(), reason="classifiers.load_classifier not there yet")
@pytest.mark.parametrize("worker", [False, True], ids=["in-process", "ingest-worker"])
def test_crawl_scores_every_ad(
    static_site: Site, tmp_path: Path, request: pytest.FixtureRequest, worker: bool
) -> None:
    settings: Settings = request.getfixturevalue("trained_settings")
    feed = tmp_path / "ads.jsonl"
    result = scrapy_crawl(
        settings.home,
        feed,
        "-a",
        f"urls={static_site.url}/",
        settings={
            "ITEM_PIPELINES": {
                **OWN_PIPELINES,
                "index.pipelines.worker.IngestWorkerPipeline": 150,
                "crawlers.pipelines.classify.ClassifyPipeline": 200,
            },
            # The worker sends the scores back because the feed export reads them.
            "LUREWATCH_INGEST_WORKER": worker,
            "LUREWATCH_STORE": False,
            "LUREWATCH_INDEX": False,
        },
    )
    assert result.returncode == 0, result.stderr[-3000:]
    ads = read_feed(feed)
    assert len(ads) == 4
    for ad in ads.values():
        assert 0.0 <= ad["lure_score"] <= 1.0
        assert ad["model_version"] and ad["lang"]
    hostess, drivers = ads["ads/hostess.html"], ads["ads/drivers.html"]
    assert hostess["flagged"] is True and hostess["indicators"]
    assert drivers["flagged"] is False
    assert hostess["lure_score"] > drivers["lure_score"]
    flagged = sum(ad["flagged"] for ad in ads.values())
    assert "'lurewatch/ads_classified': 4" in result.stderr
    assert f"'lurewatch/ads_flagged': {flagged}" in result.stderr


@pytest.mark.slow
@pytest.mark.browser
def test_only_a_rendered_crawl_sees_a_javascript_only_ad(js_site: Site, tmp_path: Path) -> None:
    settings = {"LUREWATCH_CLASSIFY": False, "ITEM_PIPELINES": OWN_PIPELINES}
    plain_feed, rendered_feed = tmp_path / "plain.jsonl", tmp_path / "rendered.jsonl"

    plain = scrapy_crawl(
        tmp_path / "home", plain_feed, "-a", f"urls={js_site.url}/", settings=settings
    )
    assert plain.returncode == 0, plain.stderr[-3000:]
    assert plain_feed.read_text() == ""
    assert js_site.requested("/ad.html") == []  # its link exists only once the script runs

    js_site.requests.clear()
    rendered = scrapy_crawl(
        tmp_path / "home",
        rendered_feed,
        "-a",
        f"urls={js_site.url}/",
        "-a",
        "render=1",
        settings=settings,
    )
    assert rendered.returncode == 0, rendered.stderr[-3000:]
    ads = read_feed(rendered_feed)
    assert list(ads) == ["ad.html?id=1"]
    ad = ads["ad.html?id=1"]
    assert ad["title"] == "Dancers wanted for a cruise line"
    assert "Hand your passport to the crew manager" in ad["text"]
    assert ad["rendered"] is True and ad["extraction"] == "heuristic"
    # Both pages load the same banner: the listing renders with images blocked (one request
    # only), the ad page as evidence, images and all, with a
    # screenshot next to its DOM and HTTP record. Every page opened was closed again.
    assert js_site.requested("/img/") == ["/img/banner.png"]
    kinds = {capture["kind"] for capture in ad["captures"]}
    assert kinds == {"manifest", "warc", "dom", "screenshot"}
    opened = re.search(r"'playwright/page_count': (\d+)", rendered.stderr)
    closed = re.search(r"'playwright/page_count/closed': (\d+)", rendered.stderr)
    assert opened and closed and opened.group(1) == closed.group(1) == "2"
