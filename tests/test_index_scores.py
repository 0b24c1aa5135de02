"""The score history: what the crawl and each rescore gave an ad, oldest first."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

from core.settings import Settings
from index import Store
from index.scores import SCORES, ensure_table, history, record
from tests.factories import lure_ad, make_ad


def _entries(store: Store, ad_id: str) -> list[tuple[str, float | None, bool, str]]:
    return [
        (e.model_version, e.lure_score, e.flagged, e.reason) for e in history(store.engine, ad_id)
    ]


def test_a_stored_ad_gets_its_crawl_score_once(settings: Settings) -> None:
    store = Store(settings)
    ad = lure_ad()
    store.upsert(ad)
    ad.fetched_at = "2026-11-02T10:00:00+00:00"
    store.upsert(ad)  # re-crawled, same score: nothing new to keep
    assert _entries(store, ad.id) == [("test-1", 0.93, True, "crawl")]
    entry = history(store.engine, ad.id)[0]
    assert entry.scored_at
    assert entry.to_dict()["reason"] == "crawl"


def test_a_new_score_from_the_crawl_is_added(settings: Settings) -> None:
    store = Store(settings)
    ad = lure_ad()
    store.upsert(ad)
    ad.fetched_at = "2026-11-02T10:00:00+00:00"
    ad.lure_score, ad.flagged, ad.model_version = 0.41, False, "test-2"
    store.upsert_many([ad])
    assert _entries(store, ad.id) == [
        ("test-1", 0.93, True, "crawl"),
        ("test-2", 0.41, False, "crawl"),
    ]


def test_unscored_ads_have_no_history(settings: Settings) -> None:
    store = Store(settings)
    ad = make_ad("http://127.0.0.1:9/ad/2", "Cook", "Cook wanted at the harbour cafe.")
    store.upsert(ad)
    assert history(store.engine, ad.id) == []
    assert history(store.engine, "no-such-ad") == []


def test_record_adds_only_what_differs_from_the_latest_entry(settings: Settings) -> None:
    store = Store(settings)
    ad = lure_ad()
    store.upsert(ad)
    with store.engine.begin() as conn:
        assert record(conn, [ad], "rescore") == 0  # same version, score and flag
        ad.lure_score, ad.model_version = 0.88, "test-2"
        assert record(conn, [ad, ad], "rescore", at="2026-11-03T00:00:00+00:00") == 1
    entries = history(store.engine, ad.id)
    assert [(e.model_version, e.reason) for e in entries] == [
        ("test-1", "crawl"),
        ("test-2", "rescore"),
    ]
    assert entries[-1].scored_at == "2026-11-03T00:00:00+00:00"


def test_record_refuses_an_unknown_reason(settings: Settings) -> None:
    store = Store(settings)
    with store.engine.begin() as conn, pytest.raises(ValueError, match="score reason"):
        record(conn, [lure_ad()], "guess")  # type: ignore[arg-type]


def test_a_store_from_before_the_history_keeps_its_scores_as_first_entries(
    settings: Settings,
) -> None:
    store = Store(settings)
    lure = lure_ad()
    plain = make_ad("http://127.0.0.1:9/ad/3", "Clerk", "Clerk for the town office.")
    store.upsert(lure)
    store.upsert(plain)
    store.close()
    # The store as an older LureWatch left it: no ad_scores table.
    conn = sqlite3.connect(settings.home_dir / "lurewatch.db")
    conn.execute("DROP TABLE ad_scores")
    conn.commit()
    conn.close()

    store = Store(settings)
    assert _entries(store, lure.id) == [("test-1", 0.93, True, "crawl")]
    assert history(store.engine, lure.id)[0].scored_at == lure.fetched_at
    assert history(store.engine, plain.id) == []
    ensure_table(store.engine)  # opening again copies nothing twice
    assert len(history(store.engine, lure.id)) == 1


def test_the_table_is_portable_to_postgresql() -> None:
    dialect = postgresql.dialect()
    assert "CREATE TABLE ad_scores" in str(CreateTable(SCORES).compile(dialect=dialect))
    for index in SCORES.indexes:
        assert "CREATE INDEX" in str(CreateIndex(index).compile(dialect=dialect))
