import csv
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classifiers.train import ModelInfo, train
from cli.main import app
from core.settings import Settings

runner = CliRunner()
MINI = Path(__file__).parent / "data" / "classifiers" / "mini.jsonl"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ModelInfo]:
    home = tmp_path_factory.mktemp("home")
    return home, train(Settings(home=home), data=[MINI], seed=0)


@pytest.fixture
def home(trained: tuple[Path, ModelInfo], monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LUREWATCH_HOME", str(trained[0]))
    return trained[0]


def _one_error_line(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    assert "Traceback" not in stderr
    return errors[0]


def test_evaluate_writes_a_report_and_prints_a_summary(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = runner.invoke(
        app,
        [
            "evaluate",
            "--data",
            str(MINI),
            "--out",
            str(out),
            "--review-budget",
            "10",
            "--ads-per-day",
            "24",
            "--target-recall",
            "0.9",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[-1] == f"report: {out / 'report.html'}"
    assert "24 ads, 12 lures" in lines[0]
    assert any(line.startswith("review budget (at most 10 flagged ads a day)") for line in lines)
    assert any(line.startswith("target recall 0.9: threshold") for line in lines)
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert (data["n"], data["ads_per_day"], data["ads_per_day_assumed"]) == (24, 24, False)
    assert data["budget"]["row"]["flags_per_day"] <= 10
    for name in ("report.html", "pr_curve.png", "calibration.png", "confusion.png"):
        assert (out / name).stat().st_size > 1000


def test_default_data_is_the_seed_test_split_and_default_out_dir(
    home: Path, trained: tuple[Path, ModelInfo]
) -> None:
    result = runner.invoke(app, ["evaluate"])
    assert result.exit_code == 0, result.output
    assert "seed corpus (test part)" in result.stdout
    report = Path(result.stdout.splitlines()[-1].removeprefix("report: "))
    assert report.parent.parent == home / "reports"
    assert report.parent.name.startswith(f"{trained[1].version}-test-")
    assert report.is_file()


def test_one_class_data_reports_undefined_metrics(home: Path, tmp_path: Path) -> None:
    benign = tmp_path / "benign.jsonl"
    rows = [json.loads(line) for line in MINI.read_text().splitlines()]
    benign.write_text("".join(json.dumps(r) + "\n" for r in rows if r["label"] == 0))
    result = runner.invoke(app, ["evaluate", "--data", str(benign), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "recall n/a" in result.stdout


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--target-recall", "1.5"], "error: the target recall must be above 0 and at most 1"),
        (["--target-recall", "0"], "error: the target recall must be above 0 and at most 1"),
        (["--review-budget", "0"], "error: the review budget must be at least 1"),
        (["--review-budget", "-3"], "error: the review budget must be at least 1"),
        (["--review-budget", "5", "--ads-per-day", "0"], "error: ads per day must be at least 1"),
        (["--model", "19990101T000000Z-deadbeef"], "error: no model version"),
        (["--model", "../escape"], "error: invalid model version name"),
        (["--data", "no-such-file.jsonl"], "error: labelled data file not found"),
    ],
)
def test_bad_options_exit_2_with_one_line(
    home: Path, options: list[str], message: str, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["evaluate", "--out", str(tmp_path / "o"), *options])
    assert result.exit_code == 2, result.output
    assert _one_error_line(result.stderr).startswith(message)
    assert not (tmp_path / "o").exists()


def test_empty_and_broken_data_exit_2(home: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    result = runner.invoke(app, ["evaluate", "--data", str(empty)])
    assert result.exit_code == 2
    assert _one_error_line(result.stderr) == f"error: no labelled ads in {empty}"
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "Cook wanted", "label": 3}\n')
    result = runner.invoke(app, ["evaluate", "--data", str(broken)])
    assert result.exit_code == 2
    assert "'label' must be 0 or 1" in _one_error_line(result.stderr)


def test_tampered_model_is_refused(
    trained: tuple[Path, ModelInfo], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    shutil.copytree(trained[0] / "models", home / "models")
    model = home / "models" / trained[1].version / "model.skops"
    model.write_bytes(model.read_bytes() + b"\0")
    monkeypatch.setenv("LUREWATCH_HOME", str(home))
    result = runner.invoke(app, ["evaluate", "--data", str(MINI), "--model", trained[1].version])
    assert result.exit_code == 2
    line = _one_error_line(result.stderr)
    assert "does not match the SHA-256" in line and "refusing" in line
    assert not (home / "reports").exists()


def test_csv_data_is_read_with_standard_columns(home: Path, tmp_path: Path) -> None:
    rows = [json.loads(line) for line in MINI.read_text().splitlines()]
    csv_file = tmp_path / "ads.csv"
    with csv_file.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "title", "text", "label", "lang"])
        writer.writeheader()
        for r in rows:
            writer.writerow({k: r[k] for k in ("id", "title", "text", "label", "lang")})
    result = runner.invoke(app, ["evaluate", "--data", str(csv_file), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "24 ads, 12 lures" in result.stdout
