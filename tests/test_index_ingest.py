"""When the ingest step makes what it stored searchable."""

from __future__ import annotations

from core.ad import Ad
from core.settings import Settings
from index.ingest import Ingest, Steps
from tests.factories import make_ad
from tests.test_index_store_batch import Docs


def _ingest(settings: Settings, steps: Steps) -> tuple[Ingest, Docs]:
    ingest = Ingest(settings, steps)
    ingest.open()
    docs = Docs()
    ingest._index = docs  # type: ignore[assignment]
    return ingest, docs


def _ad(n: int) -> Ad:
    return make_ad(f"http://127.0.0.1:9/job/{n}", f"Cook {n}", "Cook wanted in Castries.")


def test_ads_wait_for_a_full_commit_in_a_fast_crawl(settings: Settings) -> None:
    ingest, docs = _ingest(settings, Steps(classify=False, index_batch=3, index_seconds=3600))
    try:
        ingest.process([_ad(1)])
        ingest.process([_ad(2)])
        assert docs.docs == []
        ingest.process([_ad(3)])
        assert len(docs.docs) == 3
        ingest.process([_ad(4)])
    finally:
        ingest.close()
    assert len(docs.docs) == 4  # the rest at close


def test_ads_that_waited_long_enough_are_indexed_with_the_next_batch(settings: Settings) -> None:
    ingest, docs = _ingest(settings, Steps(classify=False, index_batch=1000, index_seconds=0))
    try:
        ingest.process([_ad(1)])
        assert len(docs.docs) == 1
        ingest.process([_ad(2), _ad(3)])
        assert len(docs.docs) == 3
    finally:
        ingest.close()
