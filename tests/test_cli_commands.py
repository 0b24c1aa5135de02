"""The command-line contracts, run as a user runs them: a subprocess per command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from core.ad import AdRemoved
from core.settings import Settings
from index import SearchIndex, Store
from tests.factories import lure_ad, make_ad


def lurewatch(
    settings: Settings, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LUREWATCH_HOME": str(settings.home_dir)}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_classify_contract_with_bad_lines(trained_settings: Settings, tmp_path: Path) -> None:
    lines = [
        json.dumps(
            {"id": "a", "text": "Nurse wanted at Castries hospital, apply at hr@hospital.example"}
        ),
        "this is not json",
        json.dumps(
            {
                "id": "b",
                "title": "Hostess Dubai",
                "text": (
                    "Pretty girls 18-25 for hostess work in Dubai, visa and flight paid, "
                    "registration fee 200 USD, passport kept by agency, "
                    "WhatsApp only +1 758 555 0142"
                ),
            }
        ),
        json.dumps({"id": "c", "title": "no text here"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "d", "text": "Cashier for supermarket in Vieux Fort.", "lang": "en"}),
    ]
    infile = tmp_path / "in.jsonl"
    infile.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    proc = lurewatch(trained_settings, "classify", str(infile), "-o", str(out))
    assert proc.returncode == 2
    for n in (2, 4, 5):
        assert f"line {n}" in proc.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", "d"]
    for row in rows:
        assert 0.0 <= row["lure_score"] <= 1.0
        assert isinstance(row["flagged"], bool)
        assert row["model_version"]
        assert all({"code", "evidence"} <= set(i) for i in row["indicators"])
    assert rows[1]["flagged"] and not rows[0]["flagged"]
    assert rows[1]["lure_score"] > rows[0]["lure_score"]


def test_classify_to_stdout_all_good_exits_zero(trained_settings: Settings, tmp_path: Path) -> None:
    infile = tmp_path / "in.jsonl"
    infile.write_text(
        json.dumps({"text": "Se busca cocinero en Castries."}) + "\n", encoding="utf-8"
    )
    proc = lurewatch(trained_settings, "classify", str(infile))
    assert proc.returncode == 0, proc.stderr
    assert "lure_score" in json.loads(proc.stdout.splitlines()[0])


def test_search_json_contract(settings: Settings) -> None:
    store, index = Store(settings), SearchIndex(settings)
    ads = [lure_ad(), make_ad("http://127.0.0.1:9/b", "Cook", "Cook wanted, hotel in Soufrière.")]
    for ad in ads:
        store.upsert(ad)
    index.add(ads)
    proc = lurewatch(settings, "search", "hostess", "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["total"] == 1
    # The command prints the index's own JSON hits (their fields: tests/test_index_search.py).
    assert payload["hits"] == [hit.to_json() for hit in index.search("hostess").hits]
    assert payload["hits"][0]["removed_at"] is None
    gone = ads[0]
    store.mark_removed(
        AdRemoved(gone.id, gone.url, gone.site, "2026-11-05T10:00:00+00:00", "http 404", 404)
    )
    index.add([store.get_many([gone.id])[gone.id]])
    proc = lurewatch(settings, "search", "", "--json", "--status", "removed")
    assert proc.returncode == 0, proc.stderr
    removed = json.loads(proc.stdout)
    assert [h["id"] for h in removed["hits"]] == [gone.id]
    assert removed["hits"][0]["removed_at"] == "2026-11-05T10:00:00+00:00"
    bad = lurewatch(settings, "search", "title:(")
    assert bad.returncode == 1 and "cannot understand" in bad.stderr


def test_reindex_rebuilds_from_store(settings: Settings) -> None:
    Store(settings).upsert(lure_ad())
    proc = lurewatch(settings, "reindex")
    assert proc.returncode == 0, proc.stderr
    assert "reindexed 1 ads" in proc.stdout
    assert SearchIndex(settings).search("dubai").total == 1


def test_users_add_prints_password_and_refuses_bad_role(settings: Settings) -> None:
    from web import authenticate

    proc = lurewatch(settings, "users", "add", "maria", "--role", "reviewer")
    assert proc.returncode == 0, proc.stderr
    password = proc.stdout.strip().rsplit(" ", 1)[-1]
    assert authenticate(settings, "maria", password) is not None
    bad = lurewatch(settings, "users", "add", "joe", "--role", "superuser")
    assert bad.returncode == 1 and "error:" in bad.stderr


def test_crawl_unknown_source_is_a_clear_error(settings: Settings) -> None:
    proc = lurewatch(settings, "crawl", "--source", "nope")
    assert proc.returncode == 1
    assert "no source named 'nope'" in proc.stderr
