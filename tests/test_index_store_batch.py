"""The store's batch write and its JSON: a batch goes in with a statement per table, its JSON
is written by orjson where that writes what the json module would, and the ingest worker
indexes the ads it has just stored without reading them back."""

from __future__ import annotations

import gc
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from core.ad import Ad, Capture, Entity, Term, plain
from core.settings import Settings
from index.ingest import Ingest, Steps
from index.schema import ADS
from index.store import Store, StoredAd, _json
from tests.factories import fetched, lure_ad, make_ad

SHA_A, SHA_B, SHA_C = "a" * 64, "b" * 64, "c" * 64


def warc(sha: str) -> Capture:
    return Capture(kind="warc", sha256=sha, path=f"{sha[:2]}/{sha}.warc.gz", size=1234)


def as_json_module_wrote(value: Any) -> str:
    """What the store wrote before orjson."""
    return json.dumps(plain(value), ensure_ascii=False, sort_keys=True)


def same_values(a: str, b: str) -> bool:
    """Both texts read to the same values (NaN included, which is not equal to itself)."""
    return json.dumps(json.loads(a), sort_keys=True) == json.dumps(json.loads(b), sort_keys=True)


@dataclass
class Point:
    x: float
    y: float


def scored_ad() -> Ad:
    ad = lure_ad()
    ad.top_terms = [
        Term("dubai", 0.731, 40, 45),
        Term("ind:travel_paid_abroad", 1.25e-05, kind="indicator"),
        Term("visa", -0.0),
    ]
    ad.entities = [
        Entity("phone", "+17585550101", 10, 25, "758 555 0101", {"chat": "whatsapp"}),
        Entity("wage", "2500 USD/month", 30, 40, attrs={"amount": 2500, "min": 1e22}),
    ]
    ad.captures = [warc(SHA_A)]
    ad.structured = {"title": "Hôtesse\u2028\x00\x1f\x7f 🇹🇹", "n": [1, 2.5, None, True]}
    return ad


def hostile(name: str) -> Ad:
    ad = scored_ad()
    if name == "nan in structured":
        ad.structured = {"baseSalary": {"value": float("nan")}}
    elif name == "infinity in a term":
        ad.top_terms[0].weight = float("-inf")
    elif name == "nan score":
        ad.lure_score = float("nan")
    elif name == "integer past 64 bits":
        ad.structured = {"id": 2**70, "neg": -(2**63) - 1}
    elif name == "keys not strings":
        ad.structured = {"a": {1: "one", 2: "two"}}
    elif name == "tuples and a dataclass in a dict":
        ad.structured = {"pair": (1, "two"), "at": Point(1.5, float("inf"))}
    elif name == "attribute that is not a field":
        ad.top_terms[0].note = "not a field"  # type: ignore[attr-defined]
        ad.note = "nor this"  # type: ignore[attr-defined]
    elif name == "lone surrogate":
        ad.text = "broken \ud800 text"
    return ad


@pytest.mark.parametrize(
    "name",
    [
        "plain",
        "nan in structured",
        "infinity in a term",
        "nan score",
        "integer past 64 bits",
        "keys not strings",
        "tuples and a dataclass in a dict",
        "attribute that is not a field",
        "lone surrogate",
    ],
)
def test_json_reads_to_what_the_json_module_wrote(name: str) -> None:
    ad = hostile(name)
    text = _json(ad)
    assert same_values(text, as_json_module_wrote(ad))
    assert Ad.from_dict(json.loads(text)) == Ad.from_dict(json.loads(as_json_module_wrote(ad)))
    assert _json(ad.captures) == _json([plain(c) for c in ad.captures])


def test_json_refuses_what_the_json_module_refused() -> None:
    ad = scored_ad()
    ad.structured = {"at": datetime(2026, 11, 1, tzinfo=UTC)}
    with pytest.raises(TypeError):
        as_json_module_wrote(ad)
    with pytest.raises(TypeError):
        _json(ad)


def test_rows_written_by_the_json_module_update_as_before(settings: Settings) -> None:
    # A store written before orjson: the same values, spelt by json.dumps (NaN included).
    store = Store(settings)
    ad = scored_ad()
    ad.structured = {"baseSalary": float("nan")}
    ad.fetched_at = "2026-11-01T10:00:00+00:00"
    assert store.upsert(ad) == "new"
    with store.engine.begin() as conn:
        conn.execute(update(ADS).values(data=as_json_module_wrote(ad)))
    again = fetched(ad, "2026-11-02T10:00:00+00:00", warc(SHA_B))
    assert store.upsert(again) == "unchanged"
    edited = fetched(ad, "2026-11-03T10:00:00+00:00", warc(SHA_C))
    edited.salary = "2500 USD"
    assert store.upsert(edited) == "updated"
    stored = store.get(ad.id)
    assert stored is not None and stored.versions == 2
    assert math.isnan(stored.ad.structured["baseSalary"])
    with store.engine.connect() as conn:
        data = conn.execute(select(ADS.c.data)).scalar_one()
    assert same_values(data, as_json_module_wrote(edited))


def test_copies_of_one_ad_in_a_batch_are_stored_in_turn(settings: Settings) -> None:
    store = Store(settings)
    known = fetched(lure_ad(), "2026-11-01T10:00:00+00:00", warc(SHA_A))
    assert store.upsert(known) == "new"
    edited = fetched(known, "2026-11-02T10:00:00+00:00", warc(SHA_A), warc(SHA_B))
    edited.text += " Leave now."
    refetched = fetched(edited, "2026-11-03T10:00:00+00:00", warc(SHA_B), warc(SHA_C))
    cook = make_ad("http://127.0.0.1:9/job/cook", "Cook", "Cook wanted.")
    cook_edited = fetched(cook, "2026-11-02T10:00:00+00:00", warc(SHA_C))
    cook_edited.title = "Head cook"
    outcomes = store.upsert_many([edited, cook, refetched, cook_edited])
    # Each copy of an ad on top of the one before it in the batch: the edit, then a re-fetch
    # of it; a new ad, then its edit.
    assert outcomes == ["updated", "new", "unchanged", "updated"]
    stored_known = store.get(known.id)
    assert stored_known is not None
    assert (stored_known.versions, stored_known.last_seen) == (2, refetched.fetched_at)
    assert stored_known.ad == refetched
    assert {c.sha256 for c in store.captures(known.id)} == {SHA_A, SHA_B, SHA_C}
    assert [v.changed for v in store.history(known.id)] == [[], ["text"]]
    stored_cook = store.get(cook.id)
    assert stored_cook is not None and stored_cook.versions == 2
    assert stored_cook.ad.title == "Head cook"


def test_get_many_hands_back_the_ad_it_stored_while_the_row_holds_it(
    settings: Settings,
) -> None:
    store = Store(settings)
    ad = scored_ad()
    store.upsert(ad)
    [stored] = store.get_many([ad.id], held={ad.id: ad}).values()
    assert stored.ad is ad and stored.first_seen == ad.fetched_at
    # An equal ad the store did not write from, or no ad held: a copy read from the row.
    twin = Ad.from_dict(ad.to_dict())
    assert store.get_many([ad.id], held={ad.id: twin})[ad.id].ad is not twin
    assert store.get_many([ad.id], held={ad.id: None})[ad.id].ad == ad
    assert store.get_many([ad.id])[ad.id].ad is not ad

    # Another process (a rescore) changed the row: what it holds now.
    with store.engine.begin() as conn:
        changed = Ad.from_dict(ad.to_dict())
        changed.lure_score = 0.12
        conn.execute(update(ADS).values(data=as_json_module_wrote(changed), lure_score=0.12))
    stored = store.get_many([ad.id], held={ad.id: ad})[ad.id]
    assert stored.ad is not ad and stored.ad == changed


def test_get_many_reads_the_row_for_an_ad_it_did_not_write(settings: Settings) -> None:
    store = Store(settings)
    newer = fetched(scored_ad(), "2026-11-05T10:00:00+00:00")
    newer.text += " Edited."
    older = fetched(scored_ad(), "2026-11-01T10:00:00+00:00")
    assert store.upsert_many([newer]) == ["new"]
    assert store.upsert_many([older]) == ["unchanged"]  # late: not written
    stored = store.get_many([older.id], held={older.id: older})[older.id]
    assert stored.ad == newer and stored.ad is not older


def test_the_store_forgets_what_it_wrote_once_the_ad_is_gone(settings: Settings) -> None:
    store = Store(settings)
    ads = [make_ad(f"http://127.0.0.1:9/job/{n}", f"Cook {n}", "Cook wanted.") for n in range(5)]
    store.upsert_many(ads)
    ids = [ad.id for ad in ads]
    assert all(ad_id in store._wrote for ad_id in ids)
    del ads
    gc.collect()
    assert not any(ad_id in store._wrote for ad_id in ids)
    assert len(store.get_many(ids)) == 5


class Docs:
    """Stands in for the search index: keeps what it was given."""

    def __init__(self) -> None:
        self.docs: list[Ad | StoredAd] = []

    def add(self, docs: list[Ad | StoredAd]) -> int:
        self.docs.extend(docs)
        return len(docs)


def test_flush_indexes_what_the_store_holds(settings: Settings) -> None:
    ingest = Ingest(settings, Steps(classify=False, index_batch=1000))
    ingest.open()
    docs = Docs()
    ingest._index = docs  # type: ignore[assignment]
    try:
        newer = fetched(lure_ad(), "2026-11-05T10:00:00+00:00")
        cook = make_ad("http://127.0.0.1:9/job/cook", "Cook", "Cook wanted.")
        assert [o.stored for o in ingest.process([newer, cook])] == ["new", "new"]
        older = fetched(lure_ad(), "2026-11-01T10:00:00+00:00")
        older.text += " An older text."
        cook_again = fetched(cook, "2026-11-06T10:00:00+00:00")
        assert [o.stored for o in ingest.process([older, cook_again])] == [
            "unchanged",
            "unchanged",
        ]
        ingest.flush()
    finally:
        ingest.close()
    by_id = {d.ad.id: d for d in docs.docs if isinstance(d, StoredAd)}
    assert len(docs.docs) == len(by_id) == 2
    # The late older fetch was not stored: the index gets the newer ad the store holds.
    assert by_id[newer.id].ad == newer and by_id[newer.id].ad is not older
    assert by_id[cook.id].ad is cook_again  # stored just now: not read back
    assert (by_id[cook.id].first_seen, by_id[cook.id].last_seen) == (
        cook.fetched_at,
        cook_again.fetched_at,
    )
