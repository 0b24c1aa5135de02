"""The store and index pipelines as a crawl drives them: ads, re-fetches and removals."""

from __future__ import annotations

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from core.ad import Ad, AdRemoved, Capture
from core.settings import Settings
from index.pipelines.search import SearchIndexPipeline
from index.pipelines.store import StorePipeline
from index.search import SearchFilters, SearchIndex
from index.store import Store
from tests.factories import lure_ad, make_ad


def run_items(crawler: Crawler, items: list[Ad | AdRemoved]) -> None:
    store = build_from_crawler(StorePipeline, crawler)
    index = build_from_crawler(SearchIndexPipeline, crawler)
    store.open_spider()
    index.open_spider()
    for item in items:
        assert index.process_item(store.process_item(item)) is item
    store.close_spider()
    index.close_spider()


def crawler_for(settings: Settings, **extra: object) -> Crawler:
    crawler = get_crawler(Spider, {"LUREWATCH_SETTINGS": settings, **extra})
    assert crawler.stats is not None
    crawler.stats.open_spider()
    return crawler


def gone(ad: Ad, when: str = "2026-11-05T10:00:00+00:00") -> AdRemoved:
    capture = Capture("warc", "e" * 64, "ee/gone.warc.gz", 200)
    return AdRemoved(ad.id, ad.url, ad.site, when, "http 404", 404, [capture])


def test_store_and_index_follow_new_changed_and_removed_ads(settings: Settings) -> None:
    lure = lure_ad()
    cook = make_ad("http://127.0.0.1:9/job/cook", "Cook", "Cook wanted in Dubai.")
    edited = lure_ad()
    edited.text += " Leave this week."
    edited.fetched_at = "2026-11-02T10:00:00+00:00"
    unknown = make_ad("http://127.0.0.1:9/job/never-stored", "x", "y")
    crawler = crawler_for(settings, LUREWATCH_INDEX_BATCH=2)
    run_items(crawler, [lure, cook, lure, edited, gone(lure), gone(lure), gone(unknown)])

    assert crawler.stats is not None
    stats = crawler.stats.get_stats()
    assert stats["lurewatch/ads_new"] == 2
    assert stats["lurewatch/ads_unchanged"] == 1
    assert stats["lurewatch/ads_updated"] == 1
    assert stats["lurewatch/ads_removed"] == 1  # marked once, unknown ads not at all

    store = Store(settings)
    assert store.count() == 2 and store.count(removed=True) == 1
    assert [v.version for v in store.history(lure.id)] == [1, 2]
    index = SearchIndex(settings)
    assert index.count() == 2
    [hit] = index.search("hostess").hits
    assert hit.removed_at == "2026-11-05T10:00:00+00:00"
    assert (hit.first_seen, hit.last_seen) == (lure.fetched_at, edited.fetched_at)
    assert index.search("week").total == 1  # the edited text
    assert [h.title for h in index.search("", SearchFilters(status="live")).hits] == ["Cook"]


def test_a_removal_alone_updates_the_indexed_ad(settings: Settings) -> None:
    lure = lure_ad()
    run_items(crawler_for(settings), [lure])
    assert SearchIndex(settings).search("hostess").hits[0].removed_at is None
    # A later crawl that only finds the ad gone.
    run_items(crawler_for(settings), [gone(lure)])
    [hit] = SearchIndex(settings).search("hostess").hits
    assert hit.removed_at == "2026-11-05T10:00:00+00:00"


def test_without_the_store_ads_are_indexed_as_they_come(settings: Settings) -> None:
    lure = lure_ad()
    crawler = crawler_for(settings, LUREWATCH_STORE=False)
    index = build_from_crawler(SearchIndexPipeline, crawler)
    index.open_spider()
    index.process_item(lure)
    index.process_item(gone(lure))
    index.close_spider()
    [hit] = SearchIndex(settings).search("hostess").hits
    assert (hit.first_seen, hit.removed_at) == (lure.fetched_at, None)
    assert not (settings.home_dir / "lurewatch.db").exists()
