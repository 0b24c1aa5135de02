"""run_crawl refuses what it cannot do before starting Scrapy (the crawl itself runs in
test_crawlers_crawl.py, in a subprocess)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings
from core.sources import Source
from crawlers.render import ChromiumMissingError
from crawlers.runner import generic_source, run_crawl
from crawlers.summary import CrawlSummary, SourceSummary


def test_run_crawl_needs_chromium_for_render_sources(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, chromium_path=tmp_path / "missing" / "chromium")
    sources = [generic_source("http://127.0.0.1:9/", render=True)]
    with pytest.raises(ChromiumMissingError) as error:
        run_crawl(settings, sources)
    assert "apt-get install chromium" in str(error.value)
    assert str(tmp_path / "missing" / "chromium") in str(error.value)


@pytest.mark.parametrize(
    ("sources", "max_pages", "message"),
    [
        ([], None, "at least one source"),
        (
            [Source(name="a", start_urls=["http://127.0.0.1:9/"])] * 2,
            None,
            "source names must be unique",
        ),
        ([Source(name="a", start_urls=["http://127.0.0.1:9/"])], 0, "max_pages must be at least 1"),
    ],
)
def test_run_crawl_refuses_bad_input(
    settings: Settings, sources: list[Source], max_pages: int | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        run_crawl(settings, sources, max_pages=max_pages)


def test_summary_adds_up_sources_from_their_stats() -> None:
    one = SourceSummary.from_stats(
        {
            "lurewatch/pages_fetched": 10,
            "lurewatch/ads_found": 4,
            "lurewatch/ads_new": 3,
            "lurewatch/ads_updated": 1,
            "lurewatch/ads_flagged": 2,
            "log_count/ERROR": 1,
            "finish_reason": "finished",
        }
    )
    two = SourceSummary.from_stats({"lurewatch/pages_fetched": 5, "finish_reason": "shutdown"})
    total = CrawlSummary.of({"one": one, "two": two}, seconds=1.234)
    assert (total.pages_fetched, total.ads_found, total.ads_new) == (15, 4, 3)
    assert (total.ads_updated, total.ads_flagged, total.errors) == (1, 2, 1)
    assert total.seconds == 1.23
    assert total.per_source["two"].finish_reason == "shutdown"
