"""Reviewers' decisions in the case store: history kept, the latest is the label, and the
table appears on stores written before it existed without touching their ads."""

from __future__ import annotations

import json
import sqlite3

import pytest

from core.settings import Settings
from index.labels import (
    Decision,
    DecisionError,
    Decisions,
    labelled_ads,
    queue_candidates,
)
from index.store import Store
from tests.factories import lure_ad, make_ad


@pytest.fixture
def store(settings: Settings) -> Store:
    store = Store(settings)
    store.upsert(lure_ad("http://127.0.0.1:9/ad/1"))
    store.upsert(
        make_ad(
            "http://127.0.0.1:9/ad/2",
            "Nurse",
            "Registered nurse for the general hospital, licence required.",
            lang="en-GB",
            lure_score=0.2,
            model_version="v1",
        )
    )
    return store


def ids(store: Store) -> list[str]:
    return sorted(s.ad.id for s in store.iter_stored())


def test_latest_decision_is_the_label_and_history_is_kept(settings: Settings, store: Store) -> None:
    first, second = ids(store)
    decisions = Decisions(settings)
    added = decisions.record(
        [
            # Recorded out of order: the later decision still wins.
            Decision(first, 0, "joe", "2026-11-21T10:00:00+00:00", "web", "licensed agency"),
            Decision(first, 1, "ana", "2026-11-20T10:00:00+00:00", "label-studio"),
            Decision(second, 0, "ana", "2026-11-20T08:00:00-03:00", "jsonl"),
        ]
    )
    assert added == 3
    latest = decisions.latest()
    assert latest[first] == Decision(
        first, 0, "joe", "2026-11-21T10:00:00+00:00", "web", "licensed agency"
    )
    assert latest[second].decided_at == "2026-11-20T11:00:00+00:00"  # stored as UTC
    assert [d.reviewer for d in decisions.history(first)] == ["ana", "joe"]
    assert decisions.history("no-such-ad") == []
    decisions.record([Decision(first, 1, "ana", "2026-11-22T09:00:00Z", "jsonl")])
    assert decisions.latest()[first].label == 1
    assert len(decisions.history(first)) == 3  # nothing overwritten
    decisions.close()


def test_the_same_decision_imported_twice_is_kept_once(settings: Settings, store: Store) -> None:
    decision = Decision(ids(store)[0], 1, "ana", "2026-11-20T10:00:00+00:00", "label-studio")
    decisions = Decisions(settings)
    assert decisions.record([decision]) == 1
    assert decisions.record([decision]) == 0
    assert len(decisions.history(decision.ad_id)) == 1


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (Decision("AD", 2, "ana", "2026-11-20T10:00:00Z", "web"), "label must be 0 or 1"),
        (Decision("AD", True, "ana", "2026-11-20T10:00:00Z", "web"), "label must be 0 or 1"),
        (Decision("AD", 1, "", "2026-11-20T10:00:00Z", "web"), "reviewer"),
        (Decision("AD", 1, "ana", "last week", "web"), "not an ISO 8601 time"),
        (Decision("AD", 1, "ana", "2026-11-20T10:00:00Z", "email"), "source must be one of"),
        (Decision("unknown-ad", 1, "ana", "2026-11-20T10:00:00Z", "web"), "not in the store"),
    ],
)
def test_a_bad_decision_records_nothing_of_its_batch(
    settings: Settings, store: Store, bad: Decision, message: str
) -> None:
    good_id = ids(store)[0]
    if bad.ad_id == "AD":
        bad = Decision(good_id, bad.label, bad.reviewer, bad.decided_at, bad.source)
    decisions = Decisions(settings)
    good = Decision(good_id, 1, "ana", "2026-11-20T10:00:00Z", "web")
    with pytest.raises(DecisionError, match=message):
        decisions.record([good, bad])
    assert decisions.latest() == {}


def test_labels_table_is_added_to_an_existing_store_without_losing_ads(settings: Settings) -> None:
    store = Store(settings)
    ad = lure_ad()
    store.upsert(ad)
    store.close()
    db = settings.home_dir / "lurewatch.db"
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        before = conn.execute("SELECT id, data FROM ads").fetchall()
    assert "ad_labels" not in tables  # a store as written before labels existed
    decisions = Decisions(settings)
    decisions.record([Decision(ad.id, 1, "ana", "2026-11-20T10:00:00Z", "jsonl")])
    decisions.close()
    Decisions(settings).close()  # opening again changes nothing
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT id, data FROM ads").fetchall() == before
        assert conn.execute("SELECT ad_id, label FROM ad_labels").fetchall() == [(ad.id, 1)]
    reopened = Store(settings)
    stored = reopened.get(ad.id)
    assert stored is not None and stored.ad.text == ad.text
    assert len(reopened.history(ad.id)) == 1


def test_labelled_ads_join_current_labels_with_stored_text(
    settings: Settings, store: Store
) -> None:
    lure_id = lure_ad("http://127.0.0.1:9/ad/1").id
    nurse_id = next(i for i in ids(store) if i != lure_id)
    Decisions(settings).record(
        [
            Decision(lure_id, 0, "joe", "2026-11-19T10:00:00Z", "web"),
            Decision(lure_id, 1, "ana", "2026-11-20T10:00:00Z", "label-studio"),
            Decision(nurse_id, 0, "ana", "2026-11-20T10:00:00Z", "jsonl"),
        ]
    )
    rows = {ad.id: ad for ad in labelled_ads(settings)}
    assert set(rows) == {lure_id, nurse_id}
    assert rows[lure_id].label == 1
    assert rows[lure_id].text.startswith("Pretty girls 18-25")
    assert rows[lure_id].title == "Hostess work abroad"
    assert rows[nurse_id].label == 0
    assert rows[nurse_id].lang == "en"


def test_queue_candidates_use_the_scoring_models_threshold(
    settings: Settings, store: Store
) -> None:
    version = settings.models_dir / "v1"
    version.mkdir()
    (version / "meta.json").write_text(json.dumps({"model_sha256": "0" * 64, "threshold": 0.3}))
    lure_id = lure_ad("http://127.0.0.1:9/ad/1").id
    candidates, labelled = queue_candidates(settings)
    by_id = {c.id: c for c in candidates}
    nurse = next(c for c in candidates if c.id != lure_id)
    assert nurse.threshold == 0.3 and nurse.model_version == "v1"
    assert by_id[lure_id].threshold == 0.5  # scored by "test-1", not in this registry
    assert labelled == []
    Decisions(settings).record([Decision(lure_id, 1, "ana", "2026-11-20T10:00:00Z", "web")])
    candidates, labelled = queue_candidates(settings)
    assert [c.id for c in candidates] == [nurse.id]
    assert [item.id for item in labelled] == [lure_id]
