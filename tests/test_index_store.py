from __future__ import annotations

from core.settings import Settings
from index.store import Store
from tests.factories import lure_ad, make_ad


def test_store_recrawl_updates_instead_of_duplicating(settings: Settings) -> None:
    store = Store(settings)
    ad = lure_ad()
    assert store.upsert(ad) == "new"
    assert store.upsert(ad) == "unchanged"
    edited = lure_ad()
    edited.text += " Leave this week!"
    edited.fetched_at = "2026-11-02T10:00:00+00:00"
    assert store.upsert(edited) == "updated"
    assert store.count() == 1
    stored = store.get(ad.id)
    assert stored is not None
    assert stored.ad.text.endswith("Leave this week!")
    assert stored.first_seen == "2026-11-01T10:00:00+00:00"
    assert stored.last_seen == "2026-11-02T10:00:00+00:00"
    assert stored.versions == 2
    assert stored.ad.indicators[0].evidence[0].text == "Visa and flight paid"


def test_store_counts_flagged_and_iterates_all(settings: Settings) -> None:
    store = Store(settings)
    store.upsert(lure_ad())
    for n in range(7):
        store.upsert(make_ad(f"http://127.0.0.1:9/job/{n}", f"Cashier {n}", "Supermarket cashier."))
    assert store.count() == 8
    assert store.count(flagged=True) == 1
    assert len(list(store.iter_ads(batch_size=3))) == 8
    assert store.get("missing") is None


def test_store_homes_are_separate(tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = Store(Settings(home=tmp_path / "a"))
    second = Store(Settings(home=tmp_path / "b"))
    first.upsert(lure_ad())
    assert first.count() == 1
    assert second.count() == 0
