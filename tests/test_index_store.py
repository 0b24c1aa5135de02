from __future__ import annotations

import json
import sqlite3

import pytest
from sqlalchemy import Table, inspect
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

from core.ad import Ad, AdRemoved, Capture
from core.settings import Settings
from index.migrate import add_column_sql
from index.schema import ADS, STORE_TABLES
from index.store import Store
from tests.factories import fetched, lure_ad, make_ad


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


# --- history ---------------------------------------------------------------------------------

SHA_A, SHA_B, SHA_C = "a" * 64, "b" * 64, "c" * 64


def warc(sha: str) -> Capture:
    return Capture(kind="warc", sha256=sha, path=f"{sha[:2]}/{sha}.warc.gz", size=1234)


def test_same_ad_twice_is_one_row_and_one_version(settings: Settings) -> None:
    # What a crawl killed after storing an ad and resumed does: store the same fetch again.
    store = Store(settings)
    ad = fetched(lure_ad(), "2026-11-01T10:00:00+00:00", warc(SHA_A))
    assert store.upsert(ad) == "new"
    assert store.upsert(ad) == "unchanged"
    assert store.count() == 1
    assert [v.version for v in store.history(ad.id)] == [1]
    assert store.captures(ad.id) == [warc(SHA_A)]


def test_refetch_moves_last_seen_and_keeps_each_versions_captures(settings: Settings) -> None:
    store = Store(settings)
    first = fetched(lure_ad(), "2026-11-01T10:00:00+00:00", warc(SHA_A))
    store.upsert(first)
    again = fetched(lure_ad(), "2026-11-02T10:00:00+00:00", warc(SHA_B))
    assert store.upsert(again) == "unchanged"
    stored = store.get(first.id)
    assert stored is not None
    assert (stored.first_seen, stored.last_seen) == (first.fetched_at, again.fetched_at)
    assert stored.ad.captures == [warc(SHA_B)]  # the ad row points to its latest capture
    history = store.history(first.id)
    assert len(history) == 1 and history[0].captures == [warc(SHA_A)]

    edited = fetched(lure_ad(), "2026-11-03T10:00:00+00:00", warc(SHA_C))
    edited.title = "Hostess work abroad, leave now"
    assert store.upsert(edited) == "updated"
    history = store.history(first.id)
    assert [(v.version, v.changed) for v in history] == [(1, []), (2, ["title"])]
    assert history[1].ad.title == "Hostess work abroad, leave now"
    assert history[0].ad.title == "Hostess work abroad"
    assert history[1].fetched_at == edited.fetched_at
    assert history[0].content_sha256 != history[1].content_sha256
    assert history[1].captures == [warc(SHA_C)]
    assert {c.sha256 for c in store.captures(first.id)} == {SHA_A, SHA_B, SHA_C}
    assert store.find_capture(SHA_B) == warc(SHA_B)
    assert store.find_capture(SHA_B, ad_id="other") is None
    assert store.find_capture("d" * 64) is None


def test_a_late_older_fetch_does_not_replace_the_newer_one(settings: Settings) -> None:
    store = Store(settings)
    newer = fetched(lure_ad(), "2026-11-05T10:00:00+00:00")
    newer.text += " Edited."
    store.upsert(newer)
    older = fetched(lure_ad(), "2026-11-01T10:00:00+00:00")
    assert store.upsert(older) == "unchanged"
    stored = store.get(newer.id)
    assert stored is not None and stored.ad.text.endswith("Edited.")
    assert stored.last_seen == newer.fetched_at
    assert len(store.history(newer.id)) == 1


def removal(ad: Ad, when: str, reason: str = "http 404", status: int | None = 404) -> AdRemoved:
    return AdRemoved(
        id=ad.id,
        url=ad.url,
        site=ad.site,
        removed_at=when,
        reason=reason,
        http_status=status,
        captures=[warc(SHA_C)],
    )


def test_mark_removed_is_idempotent_and_keeps_the_first_time(settings: Settings) -> None:
    store = Store(settings)
    ad = lure_ad()
    store.upsert(ad)
    store.upsert(make_ad("http://127.0.0.1:9/job/live", "Cook", "Cook wanted."))
    unknown = removal(make_ad("http://127.0.0.1:9/nope", "x", "y"), "2026-11-04T00:00:00+00:00")
    assert store.mark_removed(unknown) is False
    assert store.count() == 2
    assert store.mark_removed(removal(ad, "2026-11-04T09:00:00+00:00")) is True
    later = removal(ad, "2026-11-06T09:00:00+00:00", "http 410", 410)
    assert store.mark_removed(later) is False
    stored = store.get(ad.id)
    assert stored is not None and stored.removed
    assert (stored.removed_at, stored.removal_reason) == ("2026-11-04T09:00:00+00:00", "http 404")
    assert stored.ad.text == ad.text  # the ad is kept, with everything it said
    assert store.count(removed=True) == 1 and store.count(removed=False) == 1
    assert store.count(removed=True, flagged=False) == 0
    [event] = store.events(ad.id)
    assert (event.kind, event.at, event.reason, event.http_status) == (
        "removed",
        "2026-11-04T09:00:00+00:00",
        "http 404",
        404,
    )
    assert event.captures == [warc(SHA_C)]
    assert store.find_capture(SHA_C, ad_id=ad.id) == warc(SHA_C)


def test_a_removed_ad_that_comes_back_is_live_again(settings: Settings) -> None:
    store = Store(settings)
    ad = lure_ad()
    store.upsert(ad)
    store.mark_removed(removal(ad, "2026-11-04T09:00:00+00:00"))
    # A fetch from before the removal (late in the pipeline) is no reappearance.
    assert store.upsert(fetched(ad, "2026-11-03T09:00:00+00:00")) == "unchanged"
    assert store.count(removed=True) == 1
    back = fetched(ad, "2026-11-07T09:00:00+00:00")
    assert store.upsert(back) == "unchanged"
    stored = store.get(ad.id)
    assert stored is not None
    assert (stored.removed_at, stored.removal_reason, stored.last_seen) == (
        None,
        "",
        back.fetched_at,
    )
    assert [(e.kind, e.at) for e in store.events(ad.id)] == [
        ("removed", "2026-11-04T09:00:00+00:00"),
        ("reappeared", "2026-11-07T09:00:00+00:00"),
    ]
    data = stored.to_dict()
    assert data["removed_at"] is None and data["first_seen"] == ad.fetched_at
    # Removed a second time: a new removal is recorded.
    assert store.mark_removed(removal(ad, "2026-11-09T09:00:00+00:00", "http 410", 410))
    assert [e.kind for e in store.events(ad.id)] == ["removed", "reappeared", "removed"]


# --- migrations ------------------------------------------------------------------------------

# The ads table as the code before the ad history created it.
OLD_ADS_TABLE = """
CREATE TABLE ads (
    id VARCHAR(40) NOT NULL, url TEXT NOT NULL, site VARCHAR(200) NOT NULL,
    title TEXT NOT NULL, text TEXT NOT NULL, lang VARCHAR(16) NOT NULL, lure_score FLOAT,
    flagged BOOLEAN NOT NULL, model_version VARCHAR(80) NOT NULL,
    fetched_at VARCHAR(40) NOT NULL, first_seen VARCHAR(40) NOT NULL,
    last_seen VARCHAR(40) NOT NULL, body_sha256 VARCHAR(64) NOT NULL,
    versions INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (id)
);
CREATE INDEX ix_ads_lure_score ON ads (lure_score);
CREATE INDEX ix_ads_site ON ads (site);
CREATE INDEX ix_ads_flagged ON ads (flagged);
"""


def old_store_with(settings: Settings, ads: list[tuple[Ad, int]]) -> None:
    path = settings.home_dir / "lurewatch.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(OLD_ADS_TABLE)
    for ad, versions in ads:
        data = {k: v for k, v in ad.to_dict().items() if k != "captures"}
        conn.execute(
            "INSERT INTO ads VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                ad.id, ad.url, ad.site, ad.title, ad.text, ad.lang, ad.lure_score,
                ad.flagged, ad.model_version, ad.fetched_at, "2026-10-01T00:00:00+00:00",
                ad.fetched_at, ad.body_sha256, versions, json.dumps(data),
            ),
        )  # fmt: skip
    conn.commit()
    conn.close()


def test_a_store_from_before_the_history_is_upgraded_without_loss(settings: Settings) -> None:
    lure = lure_ad()
    cook = make_ad("http://127.0.0.1:9/job/cook", "Cook", "Cook wanted in a hotel.")
    old_store_with(settings, [(lure, 3), (cook, 1)])

    store = Store(settings)
    columns = {c["name"] for c in inspect(store.engine).get_columns("ads")}
    assert {"removed_at", "removal_reason"} <= columns
    indexes = {i["name"] for i in inspect(store.engine).get_indexes("ads")}
    assert "ix_ads_removed_at" in indexes
    assert store.count() == 2 and store.count(removed=False) == 2
    stored = store.get(lure.id)
    assert stored is not None
    assert stored.ad == lure and stored.first_seen == "2026-10-01T00:00:00+00:00"
    assert (stored.versions, stored.removed_at) == (3, None)
    # The old code kept no earlier versions: the current state is recorded as version 3.
    [version] = store.history(lure.id)
    assert (version.version, version.ad, version.changed) == (3, lure, [])
    store.close()

    # Opening again changes nothing; the upgraded store then works as a new one.
    store = Store(settings)
    assert [v.version for v in store.history(lure.id)] == [3]
    edited = fetched(lure, "2026-11-09T10:00:00+00:00")
    edited.text += " Leave tonight."
    assert store.upsert(edited) == "updated"
    assert [v.version for v in store.history(lure.id)] == [3, 4]
    assert store.mark_removed(removal(cook, "2026-11-10T00:00:00+00:00"))
    assert store.count(removed=True) == 1


def test_an_upgrade_killed_halfway_is_finished_on_the_next_open(settings: Settings) -> None:
    lure = lure_ad()
    old_store_with(settings, [(lure, 2)])
    # As if killed after creating the new tables but before anything else.
    conn = sqlite3.connect(settings.home_dir / "lurewatch.db")
    conn.execute(
        "CREATE TABLE ad_versions (id INTEGER NOT NULL PRIMARY KEY, ad_id VARCHAR(40) NOT NULL,"
        " version INTEGER NOT NULL, fetched_at VARCHAR(40) NOT NULL,"
        " body_sha256 VARCHAR(64) NOT NULL, content_sha256 VARCHAR(64) NOT NULL,"
        " data TEXT NOT NULL, CONSTRAINT uq_ad_versions_ad_version UNIQUE (ad_id, version))"
    )
    conn.commit()
    conn.close()
    store = Store(settings)
    assert [v.version for v in store.history(lure.id)] == [2]
    assert store.get(lure.id) is not None


@pytest.mark.parametrize("table", STORE_TABLES, ids=lambda t: t.name)
def test_tables_are_portable_to_postgresql(table: Table) -> None:
    dialect = postgresql.dialect()
    assert "CREATE TABLE" in str(CreateTable(table).compile(dialect=dialect))
    for index in table.indexes:
        assert "CREATE INDEX" in str(CreateIndex(index).compile(dialect=dialect))


def test_added_columns_are_portable_to_postgresql() -> None:
    dialect = postgresql.dialect()
    table = ADS
    assert add_column_sql(table, table.c.removed_at, dialect) == (
        "ALTER TABLE ads ADD COLUMN removed_at VARCHAR(40)"
    )
    assert add_column_sql(table, table.c.removal_reason, dialect) == (
        "ALTER TABLE ads ADD COLUMN removal_reason TEXT"
    )
