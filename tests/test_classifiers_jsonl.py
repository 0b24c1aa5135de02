import io
import json
from pathlib import Path

import pytest

from classifiers.jsonl import classify_stream
from classifiers.service import LureClassifier, load_classifier
from classifiers.train import train
from core.settings import Settings

MINI = Path(__file__).parent / "data" / "classifiers" / "mini.jsonl"


@pytest.fixture(scope="module")
def clf(tmp_path_factory: pytest.TempPathFactory) -> LureClassifier:
    settings = Settings(home=tmp_path_factory.mktemp("home"))
    train(settings, data=[MINI], seed=0)
    return load_classifier(settings)


def run(clf: LureClassifier, lines: list[str]) -> tuple[int, list[dict], list[str]]:
    out, err = io.StringIO(), io.StringIO()
    bad = classify_stream(clf, lines, out, err)
    return (
        bad,
        [json.loads(line) for line in out.getvalue().splitlines()],
        err.getvalue().splitlines(),
    )


def test_good_lines_are_annotated_in_order(clf: LureClassifier) -> None:
    ads = [
        {
            "id": "a",
            "url": "https://x.example/1",
            "title": "URGENT hostess jobs",
            "text": "Slim girls, ticket paid, WhatsApp only.",
        },
        {
            "id": "b",
            "text": "Accounts clerk, Harbour Freight Ltd, email jobs@harbour.example.",
            "lang": "en",
        },
        {"id": "c", "text": "Se buscan chicas sin experiencia para el exterior, pasaje pagado."},
    ]
    bad, rows, errors = run(clf, [json.dumps(ad) + "\n" for ad in ads])
    assert (bad, errors) == (0, [])
    assert [r["id"] for r in rows] == ["a", "b", "c"]
    for ad, row in zip(ads, rows, strict=True):
        for key, value in ad.items():
            if key != "lang":
                assert row[key] == value
        assert 0.0 <= row["lure_score"] <= 1.0
        assert row["flagged"] == (row["lure_score"] >= clf.threshold)
        assert row["model_version"] == clf.version
        for indicator in row["indicators"]:
            assert set(indicator) == {"code", "label", "evidence"}
            for ev in indicator["evidence"]:
                assert set(ev) == {"text", "start", "end", "field"}
                assert ad[ev["field"]][ev["start"] : ev["end"]] == ev["text"]
    assert [r["lang"] for r in rows] == ["en", "en", "es"]
    assert any(
        i["code"] == "urgency" and i["evidence"][0]["field"] == "title"
        for i in rows[0]["indicators"]
    )


def test_bad_lines_are_reported_with_numbers_and_skipped(clf: LureClassifier) -> None:
    lines = [
        json.dumps({"id": 1, "text": "Cook wanted, call 555 0101"}),
        "{not json",
        "",
        json.dumps(["a", "list"]),
        json.dumps({"id": 5, "title": "no text"}),
        "   ",
        json.dumps({"id": 7, "text": 42}),
        json.dumps({"id": 8, "text": "ok", "title": ["x"]}),
        json.dumps({"id": 9, "text": "Farm jobs in Canada, registration fee US$400."}),
    ]
    bad, rows, errors = run(clf, lines)
    assert bad == 5
    assert [r["id"] for r in rows] == [1, 9]
    assert [e.split(":")[0] for e in errors] == ["line 2", "line 4", "line 5", "line 7", "line 8"]
    assert "not JSON" in errors[0]
    assert "expected a JSON object, got list" in errors[1]
    assert "missing string field 'text'" in errors[2]
    assert "'text' must be a string" in errors[3]
    assert "'title' must be a string" in errors[4]


def test_many_lines_are_written_in_order_across_batches(clf: LureClassifier) -> None:
    lines = [json.dumps({"n": i, "text": f"Waiter wanted number {i}"}) for i in range(600)]
    lines.insert(300, "oops")
    bad, rows, errors = run(clf, lines)
    assert bad == 1 and errors == ["line 301: not JSON (Expecting value at column 1)"]
    assert [r["n"] for r in rows] == list(range(600))


def test_runaway_line_is_refused(clf: LureClassifier) -> None:
    huge = json.dumps({"text": "x" * 5_000_001})
    bad, rows, errors = run(clf, [huge, json.dumps({"text": "Cook wanted"})])
    assert bad == 1 and len(rows) == 1
    assert errors == ["line 1: line longer than 5000000 characters"]
