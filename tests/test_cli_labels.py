"""``lurewatch label-queue``: export the next ads to label, import the decisions back."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.main import app
from core.settings import Settings
from index.labels import Decisions
from index.store import Store
from tests.factories import make_ad

runner = CliRunner()

TEXTS = [
    "Hostesses wanted for a club in Dubai, flights and visa paid, girls 18 to 25, send photos",
    "Registered nurse for the general hospital in Castries, night shifts, licence required",
    "Farm workers needed in Ontario through the seasonal programme, no fees to workers",
    "Au pair for a family in Lyon, twelve months, language course included, agency licensed",
    "Models for a photo shoot abroad, no experience, apartment provided, contact Telegram only",
    "Cook for a beach resort in Punta Cana, staff housing, apply with your CV by email",
]


@pytest.fixture
def store(settings: Settings) -> Store:
    store = Store(settings)
    for i, text in enumerate(TEXTS):
        store.upsert(
            make_ad(f"http://127.0.0.1:9/ad/{i}", f"Ad {i}", text, lang="en", lure_score=i / 10)
        )
    # A repost of ad 4 (score 0.4, the most uncertain) with another number: never both.
    store.upsert(
        make_ad(
            "http://127.0.0.1:9/ad/repost",
            "Ad 4",
            TEXTS[4] + " call 555 0199",
            lang="en",
            lure_score=0.45,
        )
    )
    return store


def test_jsonl_queue_to_stdout_then_labels_back(settings: Settings, store: Store) -> None:
    result = runner.invoke(app, ["label-queue", "--n", "4"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 4
    assert [r["lure_score"] for r in rows] == [0.5, 0.45, 0.3, 0.2]  # 0.4 is a repost
    assert "1 near-copies passed over" in result.stderr
    for row, label in zip(rows, (1, 0, 0, 1), strict=True):
        row["label"] = label
    labels = settings.home_dir / "labels.jsonl"
    labels.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["label-queue", "--import", str(labels), "--reviewer", "ana"])
    assert result.exit_code == 0, result.output
    assert "read 4 decision(s) from JSONL: 2 lure, 2 not_lure" in result.stdout
    latest = Decisions(settings).latest()
    assert {ad_id: d.label for ad_id, d in latest.items()} == {r["ad_id"]: r["label"] for r in rows}
    assert {d.reviewer for d in latest.values()} == {"ana"}
    assert {d.source for d in latest.values()} == {"jsonl"}
    # The next batch leaves out what is labelled, and the labelled ad's repost.
    result = runner.invoke(app, ["label-queue", "--n", "50"])
    rest = [json.loads(line)["ad_id"] for line in result.stdout.splitlines()]
    assert len(rest) == 2 and not set(rest) & set(latest)


def label_in_label_studio(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    exported = []
    for number, task in enumerate(tasks, start=1):
        choice = "lure" if number % 2 else "not_lure"
        exported.append(
            {
                "id": number,
                "data": task["data"],
                "annotations": [
                    {
                        "id": number,
                        "completed_by": 2,
                        "was_cancelled": number == 3,
                        "created_at": "2026-11-21T09:00:00.000000Z",
                        "updated_at": "2026-11-21T09:00:00.000000Z",
                        "result": [
                            {
                                "type": "choices",
                                "from_name": "label",
                                "to_name": "text",
                                "value": {"choices": [choice]},
                            }
                        ],
                    }
                ],
            }
        )
    return exported


def printed_path(what: str, stdout: str) -> Path:
    found = re.search(rf"^{what}: (.+)$", stdout, re.M)
    assert found, stdout
    return Path(found[1])


def test_label_studio_export_and_import(settings: Settings, store: Store) -> None:
    result = runner.invoke(app, ["label-queue", "--n", "5", "--format", "labelstudio"])
    assert result.exit_code == 0, result.output
    tasks_path, config_path = (
        printed_path("tasks", result.stdout),
        printed_path("labelling config", result.stdout),
    )
    assert tasks_path.parent == settings.home_dir / "labels"
    assert config_path.read_text(encoding="utf-8").startswith("<View>")
    tasks = json.loads(tasks_path.read_text(encoding="utf-8"))
    assert len(tasks) == 5
    export = settings.home_dir / "project-3-export.json"
    export.write_text(json.dumps(label_in_label_studio(tasks)), encoding="utf-8")
    result = runner.invoke(app, ["label-queue", "--import", str(export)])
    assert result.exit_code == 0, result.output
    assert "read 4 decision(s) from a Label Studio export: 2 lure, 2 not_lure" in result.stdout
    assert "1 without a decision, 1 cancelled" in result.stdout
    latest = Decisions(settings).latest()
    assert len(latest) == 4
    assert {d.source for d in latest.values()} == {"label-studio"}
    assert {d.reviewer for d in latest.values()} == {"label-studio user 2"}
    # Importing the same export again adds nothing.
    result = runner.invoke(app, ["label-queue", "--import", str(export)])
    assert "recorded 0 new (4 already recorded)" in result.stdout


def test_a_bad_import_stores_nothing(settings: Settings, store: Store) -> None:
    known = next(store.iter_stored()).ad.id
    export = settings.home_dir / "export.json"
    tasks = label_in_label_studio([{"data": {"ad_id": known}}, {"data": {"ad_id": known}}])
    tasks[1]["annotations"][0]["result"][0]["value"]["choices"] = ["maybe"]
    export.write_text(json.dumps(tasks), encoding="utf-8")
    result = runner.invoke(app, ["label-queue", "--import", str(export)])
    assert result.exit_code != 0
    assert "task 2 (Label Studio id 2) annotation 1: unknown choice 'maybe'" in result.stderr
    unknown = settings.home_dir / "unknown.jsonl"
    unknown.write_text(
        json.dumps({"ad_id": known, "label": 1}) + "\n" + json.dumps({"ad_id": "x", "label": 0}),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["label-queue", "--import", str(unknown)])
    assert result.exit_code != 0
    assert "line 2: 'x'" in result.stderr
    assert Decisions(settings).latest() == {}


def test_empty_store_says_so_and_writes_nothing(settings: Settings) -> None:
    result = runner.invoke(app, ["label-queue", "--format", "labelstudio"])
    assert result.exit_code == 0
    assert "nothing to label: the store holds no ads yet" in result.stderr
    assert not (settings.home_dir / "labels").exists()


def test_options_that_do_not_go_together_are_refused(settings: Settings) -> None:
    result = runner.invoke(app, ["label-queue", "--format", "csv"])
    assert result.exit_code != 0 and "--format must be jsonl or labelstudio" in result.stderr
    result = runner.invoke(app, ["label-queue", "--import", "x.json", "--n", "3"])
    assert result.exit_code != 0 and "drop --n/--format/--out" in result.stderr
