"""The analysts' loop from the command line: train -> evaluate -> compare -> promote -> rescore,
on a store of a few dozen ads, plus the refusals (tampered or unknown versions) and a rescore
interrupted halfway.

Two small models are trained once for the module (on different slices of the seed corpus, so
their scores differ); each test works on its own copy of that home."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classifiers import registry
from classifiers.corpus import seed_files
from classifiers.evaluate import evaluate
from classifiers.service import AdText, load_classifier
from cli.main import app
from core.settings import Settings
from index import IndexBusyError, SearchIndex, Store
from index.rescore import RescoreProgress, rescore
from index.scores import history
from tests.factories import make_ad

# Every test here needs the two models trained by the module fixture.
pytestmark = pytest.mark.slow
runner = CliRunner()
STORED_PER_LANGUAGE = 6  # 30 stored ads in all


@dataclass(frozen=True)
class Loop:
    home: Path
    a: str
    b: str
    compare_data: Path  # a small labelled JSONL


def _seed_lines(start: int, stop: int) -> list[str]:
    lines: list[str] = []
    for path in seed_files():
        if path.parent.name == "seed":
            lines += path.read_text(encoding="utf-8").splitlines()[start:stop]
    return lines


def _invoke(home: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"LUREWATCH_HOME": str(home)})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _train(home: Path, data: Path) -> str:
    before = set(registry.list_versions(home / "models")) if (home / "models").is_dir() else set()
    code, _out, err = _invoke(home, "train", "--data", str(data))
    assert code == 0, err
    (new,) = set(registry.list_versions(home / "models")) - before
    return new


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> Loop:
    work = tmp_path_factory.mktemp("models-loop")
    home = work / "home"
    data_a, data_b, compare_data = work / "a.jsonl", work / "b.jsonl", work / "compare.jsonl"
    data_a.write_text("\n".join(_seed_lines(0, 16)) + "\n", encoding="utf-8")
    data_b.write_text("\n".join(_seed_lines(16, 50)) + "\n", encoding="utf-8")
    compare_data.write_text("\n".join(_seed_lines(60, 68)) + "\n", encoding="utf-8")
    version_a = _train(home, data_a)
    version_b = _train(home, data_b)
    settings = Settings(home=home)
    registry.promote(settings.models_dir, version_a)

    # The store as a crawl with model A leaves it: scored ads, indexed, history "crawl".
    clf = load_classifier(settings, version=version_a)
    ads = []
    for n, line in enumerate(_seed_lines(200, 200 + STORED_PER_LANGUAGE)):
        row = json.loads(line)
        ad = make_ad(f"http://127.0.0.1:9/ad/{n}", row.get("title", ""), row["text"])
        ads.append(ad)
    for ad, result in zip(
        ads, clf.classify_many([AdText(ad.text, ad.title) for ad in ads]), strict=True
    ):
        ad.apply(result)
    store = Store(settings)
    store.upsert_many(ads)
    SearchIndex(settings).add(store.get_many([ad.id for ad in ads]).values())
    store.close()
    return Loop(home, version_a, version_b, compare_data)


@pytest.fixture
def home(loop: Loop, settings: Settings) -> Iterator[Settings]:
    shutil.copytree(loop.home, settings.home_dir, dirs_exist_ok=True)
    yield settings


def _stored_versions(settings: Settings) -> dict[str, str]:
    store = Store(settings)
    try:
        return {s.ad.id: s.ad.model_version for s in store.iter_stored()}
    finally:
        store.close()


def _score_history(settings: Settings, ad_id: str) -> list[tuple[str, str]]:
    store = Store(settings)
    try:
        return [(e.model_version, e.reason) for e in history(store.engine, ad_id)]
    finally:
        store.close()


def test_train_evaluate_compare_promote_rescore(loop: Loop, home: Settings) -> None:
    a, b = loop.a, loop.b
    # models list: both versions, A current.
    code, out, err = _invoke(home.home_dir, "models", "list", "--json")
    assert code == 0, err
    listed = {row["version"]: row for row in json.loads(out)}
    assert set(listed) == {a, b}
    assert listed[a]["current"] and not listed[b]["current"]
    assert listed[b]["problem"] == ""
    meta_b = registry.read_meta(home.models_dir, b)
    assert listed[b]["threshold"] == meta_b["threshold"]
    assert listed[b]["training_data_sha256"] == meta_b["training_data_sha256"]
    assert listed[b]["test"]["f1"] == meta_b["metrics"]["test"]["f1"]
    assert listed[b]["train_ads"] == meta_b["counts"]["train"]["n"]

    # evaluate B, then compare A and B on the same data: B's side is what evaluate says.
    report = evaluate(home, None, b, announce=lambda _m: None)
    code, out, err = _invoke(home.home_dir, "models", "compare", a, b, "--json")
    assert code == 0, err
    compared = json.loads(out)
    assert compared["a"]["version"] == a and compared["b"]["version"] == b
    assert compared["b"]["threshold"] == meta_b["threshold"]
    assert compared["overall"]["n"] == report.n
    assert compared["overall"]["b"]["f1"] == report.f1
    assert compared["overall"]["b"]["confusion"] == report.confusion
    assert set(compared["by_language"]) == set(report.per_language)
    assert sum(s["n"] for s in compared["by_language"].values()) == report.n

    # promote B without the background rescore: the stored ads keep A's scores.
    code, out, err = _invoke(home.home_dir, "models", "promote", b, "--no-rescore")
    assert code == 0, err
    assert f"model {b} is now current (was {a})" in out
    assert registry.current_version(home.models_dir) == b
    assert set(_stored_versions(home).values()) == {a}

    code, out, err = _invoke(home.home_dir, "rescore", "--batch", "8")
    assert code == 0, err
    assert f"rescored {5 * STORED_PER_LANGUAGE} ads with model {b}" in out
    versions = _stored_versions(home)
    assert len(versions) == 5 * STORED_PER_LANGUAGE
    assert set(versions.values()) == {b}
    for ad_id in versions:
        assert _score_history(home, ad_id) == [(a, "crawl"), (b, "rescore")]

    # The search index serves the new scores: the store's, ad by ad.
    store = Store(home)
    stored = {s.ad.id: s.ad for s in store.iter_stored()}
    store.close()
    hits = SearchIndex(home).search("", limit=100, facets=False).hits
    assert {h.id: (h.lure_score, h.flagged) for h in hits} == {
        ad_id: (ad.lure_score, ad.flagged) for ad_id, ad in stored.items()
    }

    # Nothing left to do: a second rescore changes nothing.
    code, out, err = _invoke(home.home_dir, "rescore")
    assert code == 0, err
    assert f"rescored 0 ads with model {b}" in out


def test_compare_on_given_data_as_text(loop: Loop, home: Settings) -> None:
    code, out, err = _invoke(
        home.home_dir, "models", "compare", loop.a, loop.b, "--data", str(loop.compare_data)
    )
    assert code == 0, err
    assert f"A = {loop.a}" in out and f"B = {loop.b}" in out
    assert f"on {loop.compare_data}: 40 ads" in out
    assert "ads change flag" in out
    for lang in ("en", "es", "fr", "ht", "pt"):
        assert f"\n  {lang} " in out


def test_models_list_as_a_table(loop: Loop, home: Settings) -> None:
    code, out, err = _invoke(home.home_dir, "models", "list")
    assert code == 0, err
    assert loop.a in out and loop.b in out
    current_row = next(line for line in out.splitlines() if loop.a in line)
    assert "*" in current_row
    other_row = next(line for line in out.splitlines() if loop.b in line)
    assert "*" not in other_row


def test_promote_of_a_tampered_model_is_refused(loop: Loop, home: Settings) -> None:
    model_file = home.models_dir / loop.b / registry.MODEL_FILE
    data = bytearray(model_file.read_bytes())
    data[len(data) // 2] ^= 0x01
    model_file.write_bytes(bytes(data))

    code, out, err = _invoke(home.home_dir, "models", "promote", loop.b)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert "does not match the SHA-256" in err
    assert registry.current_version(home.models_dir) == loop.a
    assert set(_stored_versions(home).values()) == {loop.a}

    code, out, err = _invoke(home.home_dir, "models", "list", "--json")
    assert code == 0
    problems = {row["version"]: row["problem"] for row in json.loads(out)}
    assert problems[loop.a] == ""
    assert "does not match the SHA-256" in problems[loop.b]

    code, out, err = _invoke(home.home_dir, "rescore", "--model", loop.b)
    assert code == 2
    assert "does not match the SHA-256" in err
    assert set(_stored_versions(home).values()) == {loop.a}


@pytest.mark.parametrize("version", ["no-such-version", "../models", ""])
def test_promote_of_an_unknown_version_is_refused(loop: Loop, home: Settings, version: str) -> None:
    code, _out, err = _invoke(home.home_dir, "models", "promote", version)
    assert code == 2
    assert err.startswith("error: ") and "version" in err
    assert registry.current_version(home.models_dir) == loop.a


def test_compare_refuses_unknown_versions_and_bad_data(
    loop: Loop, home: Settings, tmp_path: Path
) -> None:
    code, _, err = _invoke(
        home.home_dir, "models", "compare", loop.a, "nope", "--data", str(loop.compare_data)
    )
    assert code == 2 and err.startswith("error: ")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "an ad", "label": 7}\n', encoding="utf-8")
    code, _, err = _invoke(home.home_dir, "models", "compare", loop.a, loop.b, "--data", str(bad))
    assert code == 2
    assert "'label' must be 0 or 1" in err


def test_an_interrupted_rescore_is_resumed(loop: Loop, home: Settings) -> None:
    registry.promote(home.models_dir, loop.b)

    def stop_after_first_batch(progress: RescoreProgress) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rescore(home, batch_size=7, on_batch=stop_after_first_batch)
    versions = _stored_versions(home)
    assert sorted(versions.values()).count(loop.b) == 7
    assert sorted(versions.values()).count(loop.a) == 5 * STORED_PER_LANGUAGE - 7

    seen: list[RescoreProgress] = []
    result = rescore(home, batch_size=10, on_batch=seen.append)
    assert result.rescored == 5 * STORED_PER_LANGUAGE - 7
    assert result.stopped == "" and result.skipped == 0
    assert [p.done for p in seen] == [10, 20, 23]
    assert set(_stored_versions(home).values()) == {loop.b}
    for ad_id in versions:
        assert _score_history(home, ad_id) == [(loop.a, "crawl"), (loop.b, "rescore")]


def test_a_batch_stored_but_not_indexed_is_indexed_by_the_next_run(
    loop: Loop, home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry.promote(home.models_dir, loop.b)

    def busy(self: SearchIndex, ads: object) -> int:
        raise IndexBusyError("the search index is being written by another process")

    monkeypatch.setattr(SearchIndex, "add", busy)
    code, _, err = _invoke(home.home_dir, "rescore", "--batch", "4")
    assert code == 2 and "being written by another process" in err
    monkeypatch.undo()
    rescored = [i for i, v in _stored_versions(home).items() if v == loop.b]
    assert len(rescored) == 4
    stale = {h.id: h.lure_score for h in SearchIndex(home).search("", limit=100).hits}

    result = rescore(home)
    assert result.rescored == 5 * STORED_PER_LANGUAGE - 4
    store = Store(home)
    stored = {s.ad.id: s.ad.lure_score for s in store.iter_stored()}
    store.close()
    indexed = {h.id: h.lure_score for h in SearchIndex(home).search("", limit=100).hits}
    assert indexed == stored
    assert any(stale[i] != stored[i] for i in rescored)  # the first run's batch was stale


def test_an_ad_a_crawl_stores_during_the_rescore_is_not_overwritten(
    loop: Loop, home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import index.rescore

    registry.promote(home.models_dir, loop.b)
    read_batch = index.rescore._outdated_batch
    crawled: list[str] = []

    def crawl_meanwhile(*args: object, **kwargs: object) -> object:
        rows = read_batch(*args, **kwargs)  # type: ignore[arg-type]
        if rows and not crawled:
            # A crawl (still on model A) stores a new version of the first ad read, after
            # the rescore read it and before it writes its score.
            store = Store(home)
            ad = store.get(rows[0].id).ad  # type: ignore[union-attr]
            ad.text += " Updated: interviews on Friday."
            ad.fetched_at = "2026-11-02T10:00:00+00:00"
            store.upsert(ad)
            store.close()
            crawled.append(ad.id)
        return rows

    monkeypatch.setattr(index.rescore, "_outdated_batch", crawl_meanwhile)
    result = rescore(home, batch_size=50)
    assert (result.rescored, result.skipped) == (5 * STORED_PER_LANGUAGE - 1, 1)
    store = Store(home)
    kept = store.get(crawled[0])
    store.close()
    assert kept is not None
    assert kept.ad.text.endswith("Updated: interviews on Friday.")
    assert kept.ad.model_version == loop.a
    assert kept.versions == 2

    monkeypatch.undo()
    again = rescore(home)
    assert again.rescored == 1
    assert set(_stored_versions(home).values()) == {loop.b}


def test_a_rescore_stops_when_another_version_is_promoted(loop: Loop, home: Settings) -> None:
    registry.promote(home.models_dir, loop.b)

    def promote_a_meanwhile(progress: RescoreProgress) -> None:
        registry.set_current(home.models_dir, loop.a)

    result = rescore(home, batch_size=5, on_batch=promote_a_meanwhile)
    assert result.rescored == 5
    assert "was made current" in result.stopped


def test_promote_rescores_in_the_background(loop: Loop, home: Settings) -> None:
    code, out, err = _invoke(home.home_dir, "models", "promote", loop.b)
    assert code == 0, err
    assert "rescoring the stored ads in the background" in out
    log = Path(out.rsplit("log: ", 1)[1].strip())
    assert log.parent == home.home_dir / "logs" and log.name.startswith("rescore-")
    pid = int(out.split("(pid ", 1)[1].split(")", 1)[0])
    deadline = time.monotonic() + 300
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _running(pid), "the background rescore did not finish"
    assert f"rescored {5 * STORED_PER_LANGUAGE} ads with model {loop.b}" in log.read_text()
    assert set(_stored_versions(home).values()) == {loop.b}


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"  # a finished process its parent has not reaped yet


def test_no_current_model_is_a_clear_error(settings: Settings) -> None:
    code, _, err = _invoke(settings.home_dir, "rescore")
    assert code == 2
    assert "no current model" in err
    assert not os.listdir(settings.models_dir)
