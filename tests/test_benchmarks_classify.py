"""The classify benchmark runs end to end on a few ads (so that it cannot rot), and its
synthetic training data is deterministic and keeps each ad's label and language."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from benchmarks import bench_classify
from classifiers.corpus import load_seed
from core.settings import Settings


def test_synthetic_ads_are_deterministic_variants_of_seed_ads() -> None:
    seed = load_seed()[:40]
    first = bench_classify.synthetic_ads(seed, 100)
    assert first == bench_classify.synthetic_ads(seed, 100)
    assert len({row["id"] for row in first}) == 100
    texts = {ad.text for ad in seed}
    for k, row in enumerate(first):
        source = seed[k % len(seed)]
        assert (row["label"], row["lang"], row["title"]) == (
            source.label,
            source.lang,
            source.title,
        )
        assert row["text"] not in texts  # a variant, not a copy


@pytest.mark.slow
def test_benchmark_writes_its_section_with_a_ratio_per_batch(
    tmp_path: Path, trained_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nother text\n", encoding="utf-8")
    argv = ["--ads", "12", "--repeat", "1", "--batches", "1,4", "--no-train"]
    argv += ["--home", str(trained_settings.home_dir), "--work", str(tmp_path / "work")]
    assert bench_classify.main([*argv, "--doc", str(doc)]) == 0
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\nother text\n")
    assert "<!-- benchmark:classify -->" in text and "<!-- /benchmark:classify -->" in text
    assert "Command: `python -m benchmarks.bench_classify --ads 12 --repeat 1" in text
    rows = [line for line in text.splitlines() if line.startswith(("| 1 |", "| 4 |"))]
    assert len(rows) == 2
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        bare, lure, ratio = float(cells[1]), float(cells[2]), cells[3]
        assert bare > 0 and lure > 0
        # The ratio is of the unrounded rates, the rates in the table are rounded to whole
        # ads/s: the two can differ in the last digit.
        assert ratio.endswith("x") and abs(float(ratio[:-1]) - lure / bare) < 0.01 + 1 / bare
    loads = {
        cells[0]: cells
        for line in text.splitlines()
        if line.startswith(("| packed |", "| whole |"))
        for cells in [[c.strip() for c in line.strip("|").split("|")]]
    }
    assert set(loads) == {"packed", "whole"}
    # The whole vocabularies are in the schema: it is far bigger than the packed one's.
    assert float(loads["whole"][2]) > 5 * float(loads["packed"][2])
    assert all(float(cells[3]) > 0 and float(cells[4]) > 0 for cells in loads.values())
    assert "written to" in capsys.readouterr().out

    # Where the time went, per stage, in CPU microseconds per ad at the largest batch.
    table = text.split("| stage | µs/ad |", 1)[1].splitlines()[2:]
    stages = {
        cells[0].replace("&nbsp;", " "): float(cells[1])
        for line in itertools.takewhile(lambda line: line.startswith("|"), table)
        for cells in [[c.strip() for c in line.strip("|").split("|")]]
    }
    labels = [label for label, _, _ in bench_classify.STAGES]
    assert list(stages) == [*labels, bench_classify.OTHER_STAGE, "all of classify_many"]
    assert all(micros > 0 for micros in stages.values()), stages  # every stage ran and was timed
    outer = [label for label in labels if not label.startswith(" ")]
    assert stages["all of classify_many"] > 0
    # Rounded to whole microseconds: the parts add up to the whole within that.
    total = sum(stages[label] for label in [*outer, bench_classify.OTHER_STAGE])
    assert abs(total - stages["all of classify_many"]) <= len(outer) + 1
    parts = [label for label in labels if label.startswith("  ")]
    assert sum(stages[label] for label in parts) <= stages[labels[1]] + len(parts)


@pytest.mark.slow
def test_no_doc_leaves_the_document_alone(
    tmp_path: Path, trained_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "benchmarks.md"
    argv = ["--ads", "3", "--repeat", "1", "--batches", "2", "--no-train", "--no-profile"]
    argv += ["--home", str(trained_settings.home_dir), "--doc", str(doc), "--no-doc"]
    assert bench_classify.main(argv) == 0
    assert not doc.exists()
    assert "| 2 |" in capsys.readouterr().out
