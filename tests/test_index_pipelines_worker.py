"""When the ingest worker sends an ad's scores back to the crawl process."""

from __future__ import annotations

from typing import Any

import pytest
from scrapy.settings import Settings as ScrapySettings

from crawlers import settings as crawl_settings
from index.pipelines.worker import scored_items_wanted


class ReadsScores:
    def process_item(self, item: Any) -> Any:
        return item


def _settings(**overrides: Any) -> ScrapySettings:
    settings = ScrapySettings()
    settings.setmodule(crawl_settings, priority="project")
    settings.setdict(overrides, priority="cmdline")
    return settings


def test_a_plain_crawl_does_not_need_scores_back() -> None:
    # The pipelines the worker stands in for are after it, and do not count.
    assert not scored_items_wanted(_settings())


@pytest.mark.parametrize(
    "overrides",
    [
        {"FEEDS": {"ads.jsonl": {"format": "jsonlines"}}},
        {"LUREWATCH_SCORED_ITEMS": True},
        {
            "ITEM_PIPELINES": {
                **crawl_settings.ITEM_PIPELINES,
                f"{__name__}.ReadsScores": 900,
            }
        },
    ],
    ids=["feed-export", "asked", "later-pipeline"],
)
def test_scores_come_back_when_something_reads_them(overrides: dict[str, Any]) -> None:
    assert scored_items_wanted(_settings(**overrides))


def test_a_pipeline_before_the_worker_does_not_need_them() -> None:
    pipelines: dict[Any, int] = {**crawl_settings.ITEM_PIPELINES, ReadsScores: 120}
    assert not scored_items_wanted(_settings(ITEM_PIPELINES=pipelines))
