"""``lurewatch train`` on a CSV with its own column names, and on bad CSVs."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classifiers.corpus import TEST, load_split_file
from classifiers.registry import current_version, list_versions, read_meta
from cli.main import app
from core.settings import Settings

runner = CliRunner()
MINI = Path(__file__).parent / "data" / "classifiers" / "mini.jsonl"
HEADER = ["job_id", "title", "description", "requirements", "fraudulent", "lang"]
OPTIONS = [
    "--text-column",
    "description",
    "--text-column",
    "requirements",
    "--title-column",
    "title",
    "--label-column",
    "fraudulent",
    "--id-column",
    "job_id",
    "--positive-label",
    "t",
    "--negative-label",
    "f",
]


def jobs_csv(folder: Path, name: str = "jobs.csv") -> Path:
    """The mini corpus as a fake-job-postings-like CSV (labels t/f, text in two columns)."""
    path = folder / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n, line in enumerate(MINI.read_text(encoding="utf-8").splitlines(), start=1):
            ad = json.loads(line)
            first, _, rest = ad["text"].partition(". ")
            label = "t" if ad["label"] else "f"
            writer.writerow([f"job-{n}", ad["title"], first, rest, label, ad["lang"]])
    return path


def test_train_on_a_mapped_csv_writes_a_version_and_prints_test_results(
    settings: Settings, tmp_path: Path
) -> None:
    data = jobs_csv(tmp_path)
    result = runner.invoke(app, ["train", "--data", str(data), "--seed", "3", *OPTIONS])
    assert result.exit_code == 0, result.output
    version = current_version(settings.models_dir)
    assert version is not None and list_versions(settings.models_dir) == [version]
    lines = result.stdout.splitlines()
    assert re.fullmatch(rf"trained model {version} \(threshold 0\.\d{{3}}\) in .*", lines[0])
    n_test = sum(part == TEST for part in load_split_file().values())
    assert re.fullmatch(
        rf"test \(seed, fixed split\): {n_test} ads, precision [\d.]+, recall [\d.]+, F1 [\d.]+",
        lines[1],
    )
    assert [line.split(":")[0] for line in lines[2:7]] == ["  en", "  es", "  fr", "  ht", "  pt"]
    assert any(line.startswith("test part of the data given: ") for line in lines)

    meta = read_meta(settings.models_dir, version)
    assert meta["seed"] == 3 and meta["training_files"] == ["jobs.csv"]
    assert meta["data"]["sources"] == [{"name": "jobs.csv", "kind": "csv", "ads": 24}]
    assert meta["data"]["columns"]["text"] == ["description", "requirements"]
    assert meta["data"]["columns"]["positive"] == ["t"]
    assert all(i.startswith("job-") for p in ("train", "validation") for i in meta["ids"][p])

    # A bad CSV: one clear line, exit 2, and the current model untouched.
    bad = jobs_csv(tmp_path, "bad.csv")
    rows = bad.read_text(encoding="utf-8").splitlines()
    rows[4] = rows[4].rsplit(",", 2)[0] + ",maybe,en"
    bad.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["train", "--data", "seed", "--data", str(bad), *OPTIONS])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: {bad}:5: label 'maybe' in 'fraudulent' is neither 1 (t) nor 0 (f)"
    ]
    assert current_version(settings.models_dir) == version
    assert list_versions(settings.models_dir) == [version]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--label-column", "label"], "no column 'text', 'label'; it has: 'job_id', 'title'"),
        (OPTIONS[:8], "label 't' in 'fraudulent' is neither 1 (1, true, yes) nor 0"),
        ([*OPTIONS, "--positive-label", "f"], "label value(s) f given for both 1 and 0"),
        ([*OPTIONS, "--title-column", "headline"], "no column 'headline'; it has: 'job_id'"),
    ],
)
def test_bad_mapping_exits_2_with_one_line(
    settings: Settings, tmp_path: Path, options: list[str], message: str
) -> None:
    data = jobs_csv(tmp_path)
    result = runner.invoke(app, ["train", "--data", str(data), *options])
    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ") and message in line
    assert not settings.models_dir.exists() or list_versions(settings.models_dir) == []


def test_missing_and_unknown_files_exit_2(settings: Settings, tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "--data", str(tmp_path / "absent.csv")])
    assert result.exit_code == 2
    assert (
        result.stderr.strip() == f"error: labelled data file not found: {tmp_path / 'absent.csv'}"
    )
    sheet = tmp_path / "ads.xlsx"
    sheet.write_bytes(b"PK\x03\x04")
    result = runner.invoke(app, ["train", "--data", str(sheet)])
    assert result.exit_code == 2 and "unknown file type '.xlsx'" in result.stderr


def test_too_little_data_exits_2(settings: Settings, tmp_path: Path) -> None:
    data = tmp_path / "tiny.csv"
    data.write_text("text,label\nCook wanted,0\nGirls for Dubai,1\nCleaner,0\n", encoding="utf-8")
    result = runner.invoke(app, ["train", "--data", str(data)])
    assert result.exit_code == 2
    assert "the train part needs at least 2 ads of each label" in result.stderr


def test_reviewers_decisions_in_the_store_are_training_data(
    settings: Settings, tmp_path: Path
) -> None:
    from index.labels import Decision, Decisions
    from index.store import Store
    from tests.factories import make_ad

    result = runner.invoke(app, ["train", "--data", "store"])
    assert result.exit_code == 2
    assert "holds no reviewers' decisions yet" in result.stderr

    store = Store(settings)
    decisions = []
    for n, line in enumerate(MINI.read_text(encoding="utf-8").splitlines()):
        ad = json.loads(line)
        stored = make_ad(f"http://127.0.0.1:9/ad/{n}", ad["title"], ad["text"], lang=ad["lang"])
        store.upsert(stored)
        decisions.append(
            Decision(stored.id, ad["label"], "analyst", "2026-11-20T10:00:00+00:00", "jsonl")
        )
    store.close()
    labels = Decisions(settings)
    assert labels.record(decisions) == len(decisions)
    labels.close()

    csv_data = jobs_csv(tmp_path)
    result = runner.invoke(app, ["train", "--data", str(csv_data), "--data", "store", *OPTIONS])
    assert result.exit_code == 0, result.output
    meta = read_meta(settings.models_dir, current_version(settings.models_dir) or "")
    fitted = {i for part in ("train", "validation") for i in meta["ids"][part]}
    # The decisions (ids are the stored ads' ids) were trained on next to the CSV's rows.
    assert fitted & {d.ad_id for d in decisions}
    assert fitted & {f"job-{n}" for n in range(1, 25)}
