"""The case store on a real PostgreSQL server (Debian's, started on 127.0.0.1 by the tests): what
users do on SQLite works the same there, including several processes writing at once."""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text

from core.ad import Ad, AdRemoved, Capture
from core.settings import Settings
from crawlers.state.runs import RunLog
from index import scores
from index.ingest import Ingest, Steps
from index.labels import Decision, DecisionError, Decisions, labelled_ads, queue_candidates
from index.rescore import rescore
from index.schema import AdCaptureRow, AdVersionRow
from index.store import Store
from tests.factories import fetched, lure_ad, make_ad
from tests.postgres_server import PostgresServer, postgres_server

_databases = itertools.count()
SHA_A, SHA_B, SHA_C = "a" * 64, "b" * 64, "c" * 64


@pytest.fixture(scope="session")
def server() -> Iterator[PostgresServer]:
    with postgres_server() as running:
        yield running


@pytest.fixture
def settings(server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A home whose case store is a new database on the server, set as a user sets it (in the
    environment, so commands run from the test use it too)."""
    url = server.create_database(f"lurewatch_{next(_databases)}")
    home = tmp_path / "home"
    monkeypatch.setenv("LUREWATCH_HOME", str(home))
    monkeypatch.setenv("LUREWATCH_DATABASE_URL", url)
    return Settings(home=home)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    opened = Store(settings)
    yield opened
    opened.close()


def warc(sha: str) -> Capture:
    return Capture(kind="warc", sha256=sha, path=f"{sha[:2]}/{sha}.warc.gz", size=5_000_000_000)


def removal(ad: Ad, when: str, reason: str = "http 404", status: int | None = 404) -> AdRemoved:
    return AdRemoved(ad.id, ad.url, ad.site, when, reason, status, [warc(SHA_C)])


def batch(count: int, prefix: str = "job") -> list[Ad]:
    return [
        make_ad(f"http://127.0.0.1:9/{prefix}/{n}", f"Cashier {n}", f"Supermarket cashier {n}.")
        for n in range(count)
    ]


def row_count(store: Store, model: type[AdVersionRow] | type[AdCaptureRow]) -> int:
    with store.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model)) or 0)


def lurewatch(*args: str) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it, with this test's LUREWATCH_* environment."""
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_store_is_the_postgresql_database_of_the_settings(
    settings: Settings, store: Store
) -> None:
    assert (store.engine.dialect.name, store.engine.dialect.driver) == ("postgresql", "psycopg")
    store.upsert(lure_ad())
    assert not (settings.home_dir / "lurewatch.db").exists()  # no SQLite file on the side
    # A plain postgresql:// URL, as PostgreSQL's own tools write it, reaches the same data.
    plain = settings.db_url.replace("postgresql+psycopg://", "postgresql://")
    other = Store(Settings(home=settings.home_dir, database_url=plain))
    try:
        assert other.engine.dialect.driver == "psycopg"
        assert other.count() == 1
    finally:
        other.close()


def test_a_batch_is_stored_and_read_back_whole(store: Store) -> None:
    lure = fetched(lure_ad(), "2026-11-01T10:00:00+00:00", warc(SHA_A))
    creole = make_ad(
        "http://127.0.0.1:9/job/kreyol",
        "Travay nan otèl 🏨",
        "Nou bezwen kuizinye nan Soufrière. Peye 2 500 $ pa mwa — rele 📞 +509 3700 0000.",
        lang="ht",
    )
    ads = [lure, creole, *batch(7)]
    assert store.upsert_many(ads) == ["new"] * 9
    assert store.count() == 9 and store.count(flagged=True) == 1
    assert store.get_many([a.id for a in ads]) == {
        a.id: store.get(a.id) for a in ads
    }  # one query or one at a time: the same
    stored = store.get(creole.id)
    assert stored is not None and stored.ad == creole
    lure_back = store.get(lure.id)
    assert lure_back is not None and lure_back.ad == lure
    assert lure_back.ad.indicators[0].evidence[0].text == "Visa and flight paid"
    assert lure_back.ad.lure_score == pytest.approx(0.93)
    assert store.captures(lure.id) == [warc(SHA_A)]  # a capture over 2 GiB keeps its size
    assert sorted(a.id for a in store.iter_ads(batch_size=4)) == sorted(a.id for a in ads)
    assert store.get("missing") is None


def test_the_same_batch_twice_stores_nothing_twice(store: Store) -> None:
    ads = [fetched(lure_ad(), "2026-11-01T10:00:00+00:00", warc(SHA_A)), *batch(4)]
    assert store.upsert_many(ads) == ["new"] * 5
    assert store.upsert_many(ads) == ["unchanged"] * 5
    assert store.count() == 5
    assert row_count(store, AdVersionRow) == 5 and row_count(store, AdCaptureRow) == 1
    assert [(e.model_version, e.reason) for e in scores.history(store.engine, ads[0].id)] == [
        ("test-1", "crawl")
    ]
    # The same ad twice in one batch (a listing and its detail page): one row, one version.
    again = fetched(ads[0], "2026-11-02T10:00:00+00:00")
    assert store.upsert_many([again, again]) == ["unchanged", "unchanged"]
    assert store.count() == 5 and row_count(store, AdVersionRow) == 5


def test_an_edited_ad_keeps_its_history(store: Store) -> None:
    first = fetched(lure_ad(), "2026-11-01T10:00:00+00:00", warc(SHA_A))
    assert store.upsert(first) == "new"
    assert store.upsert(fetched(first, "2026-11-02T10:00:00+00:00", warc(SHA_B))) == "unchanged"
    edited = fetched(first, "2026-11-03T10:00:00+00:00", warc(SHA_C))
    edited.title = "Hostess work abroad, leave now"
    edited.text += " Leave this week!"
    # Stored in a batch with a new ad: the outcomes follow the order given.
    cook = make_ad("http://127.0.0.1:9/job/cook", "Cook", "Cook wanted.")
    assert store.upsert_many([edited, cook]) == ["updated", "new"]
    stored = store.get(first.id)
    assert stored is not None
    assert (stored.first_seen, stored.last_seen, stored.versions) == (
        first.fetched_at,
        edited.fetched_at,
        2,
    )
    history = store.history(first.id)
    assert [(v.version, v.changed) for v in history] == [(1, []), (2, ["title", "text"])]
    assert history[0].ad.title == "Hostess work abroad"
    assert history[1].captures == [warc(SHA_C)]
    assert {c.sha256 for c in store.captures(first.id)} == {SHA_A, SHA_B, SHA_C}
    assert store.find_capture(SHA_B) == warc(SHA_B)
    # A late fetch from before the edit changes nothing.
    assert store.upsert(fetched(first, "2026-11-02T12:00:00+00:00")) == "unchanged"
    latest = store.get(first.id)
    assert latest is not None and latest.ad.title == edited.title
    assert len(store.history(first.id)) == 2


def test_a_removed_ad_is_kept_marked_and_can_come_back(store: Store) -> None:
    ad = lure_ad()
    store.upsert_many([ad, *batch(2)])
    unknown = make_ad("http://127.0.0.1:9/nope", "x", "y")
    assert store.mark_removed(removal(unknown, "2026-11-04T00:00:00+00:00")) is False
    assert store.mark_removed(removal(ad, "2026-11-04T09:00:00+00:00")) is True
    assert store.mark_removed(removal(ad, "2026-11-06T09:00:00+00:00", "http 410", 410)) is False
    stored = store.get(ad.id)
    assert stored is not None and stored.ad == ad
    assert (stored.removed_at, stored.removal_reason) == ("2026-11-04T09:00:00+00:00", "http 404")
    assert store.count(removed=True) == 1 and store.count(removed=False) == 2
    assert store.count(removed=True, flagged=True) == 1
    assert store.find_capture(SHA_C, ad_id=ad.id) == warc(SHA_C)

    back = fetched(ad, "2026-11-07T09:00:00+00:00")
    assert store.upsert(back) == "unchanged"
    stored = store.get(ad.id)
    assert stored is not None and (stored.removed_at, stored.last_seen) == (None, back.fetched_at)
    assert [(e.kind, e.at, e.http_status) for e in store.events(ad.id)] == [
        ("removed", "2026-11-04T09:00:00+00:00", 404),
        ("reappeared", "2026-11-07T09:00:00+00:00", 200),
    ]


def test_scores_are_kept_across_new_models(store: Store) -> None:
    ad = lure_ad()
    store.upsert(ad)
    rescored = fetched(ad, "2026-11-02T10:00:00+00:00")
    rescored.lure_score, rescored.flagged, rescored.model_version = 0.41, False, "test-2"
    assert store.upsert(rescored) == "unchanged"  # the text is the same: no new version
    with store.engine.begin() as conn:
        assert scores.record(conn, [rescored], "rescore") == 0  # nothing new to record
        rescored.lure_score = 0.38
        assert scores.record(conn, [rescored], "rescore", at="2026-11-03T00:00:00+00:00") == 1
    history = scores.history(store.engine, ad.id)
    assert [(e.model_version, e.lure_score, e.flagged, e.reason) for e in history] == [
        ("test-1", pytest.approx(0.93), True, "crawl"),
        ("test-2", pytest.approx(0.41), False, "crawl"),
        ("test-2", pytest.approx(0.38), False, "rescore"),
    ]
    assert history[-1].scored_at == "2026-11-03T00:00:00+00:00"
    with store.engine.connect() as conn, pytest.raises(ValueError, match="score reason"):
        scores.record(conn, [rescored], "guess")  # type: ignore[arg-type]


def test_labels_keep_their_history(settings: Settings, store: Store) -> None:
    lure = lure_ad()
    nurse = make_ad(
        "http://127.0.0.1:9/job/nurse",
        "Nurse",
        "Registered nurse for the general hospital, licence required.",
        lang="en",
        lure_score=0.2,
        model_version="test-1",
    )
    store.upsert_many([lure, nurse])
    decisions = Decisions(settings)
    try:
        export = [
            Decision(lure.id, 0, "joe", "2026-11-21T10:00:00+00:00", "web", "licensed agency"),
            Decision(lure.id, 1, "ana", "2026-11-20T10:00:00+00:00", "label-studio"),
            Decision(nurse.id, 0, "ana", "2026-11-20T08:00:00-03:00", "jsonl"),
        ]
        assert decisions.record(export) == 3
        assert decisions.record(export) == 0  # the same export imported twice
        latest = decisions.latest()
        assert (latest[lure.id].label, latest[lure.id].reviewer) == (0, "joe")
        assert latest[nurse.id].decided_at == "2026-11-20T11:00:00+00:00"
        assert [d.reviewer for d in decisions.history(lure.id)] == ["ana", "joe"]
        bad = [
            Decision(nurse.id, 1, "ana", "2026-11-22T10:00:00+00:00", "web"),
            Decision("not-stored", 1, "ana", "2026-11-22T10:00:00+00:00", "web"),
        ]
        with pytest.raises(DecisionError, match="not in the store"):
            decisions.record(bad)
        assert len(decisions.history(nurse.id)) == 1  # nothing of the refused batch
    finally:
        decisions.close()
    assert {(a.id, a.label) for a in labelled_ads(settings)} == {(lure.id, 0), (nurse.id, 0)}
    extra = make_ad("http://127.0.0.1:9/job/driver", "Driver", "Bus driver wanted.")
    store.upsert(extra)
    candidates, labelled = queue_candidates(settings)
    assert [c.id for c in candidates] == [extra.id]
    assert {t.id for t in labelled} == {lure.id, nurse.id}


def test_crawl_runs_and_failed_pages_show_in_status(settings: Settings) -> None:
    runs = RunLog(settings)
    try:
        run_id = runs.start_run("agency")
        runs.update_run(run_id, {"pages": 3})
        runs.record_failure(run_id, "agency", "http://127.0.0.1:9/ad/9", "http", "http 500")
        runs.record_failure(run_id, "agency", "http://127.0.0.1:9/ad/9", "http", "http 500")
        runs.finish_run(run_id, {"pages": 12, "ads_new": 4}, "finished")
        [page] = runs.failed("agency")
        assert (page.attempts, page.run_id, page.reason) == (1, run_id, "http 500")
    finally:
        runs.close()
    proc = lurewatch("status", "--source", "agency", "--json")
    assert proc.returncode == 0, proc.stderr
    [status] = json.loads(proc.stdout)["sources"]
    assert status["last_run"]["run_id"] == run_id
    assert status["last_run"]["state"] == "finished"
    assert status["last_run"]["stats"] == {"ads_new": 4, "pages": 12}
    assert status["unresolved_failures"] == 1


def test_hostile_text_and_long_model_names_are_stored_without_loss(store: Store) -> None:
    # PostgreSQL refuses NUL in text columns; SQLite took them. Nothing may be lost either way.
    ad = make_ad("http://127.0.0.1:9/job/nul", "Hostess\x00 work", "Visa paid\x00. Go now.")
    ad.model_version = "m" * 100  # the longest name the model registry allows
    assert store.upsert(ad) == "new"
    stored = store.get(ad.id)
    assert stored is not None and stored.ad == ad
    assert scores.history(store.engine, ad.id) == []  # unscored: no score entry
    ad.lure_score = 0.5
    assert store.upsert(fetched(ad, "2026-11-02T10:00:00+00:00")) == "unchanged"
    assert [e.model_version for e in scores.history(store.engine, ad.id)] == ["m" * 100]
    assert store.mark_removed(removal(ad, "2026-11-03T10:00:00+00:00", "gone\x00 (http 404)"))
    [event] = store.events(ad.id)
    assert event.reason == "gone (http 404)"


def test_a_store_from_before_longer_model_names_is_widened(settings: Settings) -> None:
    store = Store(settings)
    with store.engine.begin() as conn:  # as the earlier release created them
        conn.execute(text("ALTER TABLE ads ALTER COLUMN model_version TYPE VARCHAR(80)"))
        conn.execute(text("ALTER TABLE ad_scores ALTER COLUMN model_version TYPE VARCHAR(80)"))
    store.close()
    store = Store(settings)
    try:
        for table in ("ads", "ad_scores"):
            columns = {c["name"]: c["type"] for c in inspect(store.engine).get_columns(table)}
            assert getattr(columns["model_version"], "length", None) == 100
        ad = lure_ad()
        ad.model_version = "v" * 100
        assert store.upsert(ad) == "new"
    finally:
        store.close()


def run_together(jobs: Sequence[Callable[[], object]]) -> list[BaseException]:
    """Runs the jobs in threads started at the same moment; returns what they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs))

    def run(job: Callable[[], object]) -> None:
        try:
            start.wait()
            job()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_processes_opening_a_new_store_at_once_all_get_it(settings: Settings) -> None:
    # Two crawlers sharing a frontier, and the web app, start on an empty database.
    opened: list[Store | Decisions] = []
    errors = run_together(
        [lambda: opened.append(Store(settings)) for _ in range(4)]
        + [lambda: opened.append(Decisions(settings)) for _ in range(2)]
    )
    try:
        assert errors == []
        assert len(opened) == 6
    finally:
        for each in opened:
            each.close()


def test_writers_storing_overlapping_batches_at_once_lose_nothing(settings: Settings) -> None:
    ads = batch(60, "shared")
    stores = [Store(settings) for _ in range(3)]
    try:
        for round_ in range(2):
            if round_:  # the second time every ad changed: a new version each
                for ad in ads:
                    ad.text += " Apply now."
                    ad.fetched_at = "2026-11-02T10:00:00+00:00"

            def write(store: Store, seed: int) -> None:
                # Each writer meets the ads in another order, as crawls of one site do.
                mine = list(ads)
                random.Random(seed).shuffle(mine)
                for start in range(0, len(mine), 20):
                    store.upsert_many(mine[start : start + 20])

            seeds = [round_ * 10 + n for n in range(len(stores))]
            errors = run_together(
                [partial(write, store, seed) for store, seed in zip(stores, seeds, strict=True)]
            )
            assert errors == []
            assert stores[0].count() == 60
            assert row_count(stores[0], AdVersionRow) == 60 * (round_ + 1)
        assert {s.versions for s in stores[0].iter_stored()} == {2}
    finally:
        for store in stores:
            store.close()


@pytest.mark.slow  # three commands: about 8 s
def test_ingest_then_reindex_and_search_from_the_command_line(settings: Settings) -> None:
    lure = fetched(lure_ad(), "2026-11-01T10:00:00+00:00", warc(SHA_A))
    cook = make_ad("http://127.0.0.1:9/job/cook", "Cook", "Cook wanted, hotel in Soufrière.")
    ingest = Ingest(settings, Steps(classify=False))
    ingest.open()
    try:
        outcomes = ingest.process([lure, cook])
        assert [o.stored for o in outcomes] == ["new", "new"]
        gone = removal(cook, "2026-11-05T10:00:00+00:00")
        assert [o.stored for o in ingest.process([gone])] == ["removed"]
    finally:
        ingest.close()
    # The search index is derived: rebuilt from PostgreSQL alone, it finds the same ads.
    shutil.rmtree(settings.index_dir)
    proc = lurewatch("reindex")
    assert proc.returncode == 0, proc.stderr
    assert "reindexed 2 ads" in proc.stdout
    proc = lurewatch("search", "dubai", "--json")
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert [(h["id"], h["flagged"], h["first_seen"]) for h in found["hits"]] == [
        (lure.id, True, "2026-11-01T10:00:00+00:00")
    ]
    proc = lurewatch("search", "", "--json", "--status", "removed")
    assert proc.returncode == 0, proc.stderr
    removed = json.loads(proc.stdout)["hits"]
    assert [(h["id"], h["removed_at"]) for h in removed] == [(cook.id, "2026-11-05T10:00:00+00:00")]
    assert not (settings.home_dir / "lurewatch.db").exists()


@pytest.mark.slow
def test_rescore_with_a_new_model_keeps_every_score(
    settings: Settings, trained_models: Path
) -> None:
    shutil.copytree(trained_models, settings.models_dir, dirs_exist_ok=True)
    ads = [lure_ad(), *batch(5)]
    for ad in ads[1:]:
        ad.lure_score, ad.model_version = 0.1, "test-1"
    store = Store(settings)
    try:
        store.upsert_many(ads)
    finally:
        store.close()
    result = rescore(settings, batch_size=4, announce=lambda _m: None)
    assert (result.rescored, result.batches, result.stopped) == (6, 2, "")
    store = Store(settings)
    try:
        for ad in ads:
            history = scores.history(store.engine, ad.id)
            assert [(e.model_version, e.reason) for e in history] == [
                ("test-1", "crawl"),
                (result.version, "rescore"),
            ]
            stored = store.get(ad.id)
            assert stored is not None and stored.ad.model_version == result.version
            assert stored.ad.lure_score == history[-1].lure_score
    finally:
        store.close()
    again = rescore(settings, announce=lambda _m: None)
    assert again.rescored == 0  # every ad already has this model's score
