"""Comparing two versions' scores on the same ads (no model needed: scores are given)."""

from __future__ import annotations

import pytest

from classifiers.compare import ModelScores, compare_scores
from classifiers.corpus import LabelledAd


def _ads(labels: list[int]) -> list[LabelledAd]:
    return [LabelledAd(id=f"ad-{i}", text="text", label=label) for i, label in enumerate(labels)]


# ad:        0    1    2    3    4    5
LABELS = [1, 1, 0, 0, 1, 0]
LANGS = ["en", "en", "en", "fr", "fr", "fr"]
A = ModelScores("A", 0.5, [0.9, 0.4, 0.6, 0.1, 0.7, 0.2])
# B at its own threshold 0.3: catches ad 1, drops the false alarm on ad 2, newly flags ad 5.
B = ModelScores("B", 0.3, [0.8, 0.35, 0.2, 0.1, 0.9, 0.31])


def test_each_model_is_scored_at_its_own_threshold() -> None:
    result = compare_scores(_ads(LABELS), LANGS, A, B, "six ads")
    o = result.overall
    assert (o.n, o.positives) == (6, 3)
    # A flags 0, 2, 4: tp 2, fp 1. B flags 0, 1, 4, 5: tp 3, fp 1.
    assert o.a["confusion"] == {"tp": 2, "fp": 1, "tn": 2, "fn": 1}
    assert o.b["confusion"] == {"tp": 3, "fp": 1, "tn": 2, "fn": 0}
    assert (o.a["precision"], o.a["recall"]) == (pytest.approx(2 / 3, abs=1e-4), 0.6667)
    assert (o.b["precision"], o.b["recall"], o.b["f1"]) == (0.75, 1.0, 0.8571)
    assert o.difference["recall"] == pytest.approx(0.3333, abs=1e-4)
    assert o.difference["flagged"] == 1
    assert result.threshold_a == 0.5 and result.threshold_b == 0.3


def test_flag_changes_overall_and_per_language() -> None:
    result = compare_scores(_ads(LABELS), LANGS, A, B, "six ads")
    changes = result.overall.flag_changes
    # Ad 1 (lure) and ad 5 (benign) newly flagged; ad 2 (benign) no longer flagged.
    assert changes.to_dict() == {
        "total": 3,
        "newly_flagged": 2,
        "newly_flagged_lures": 1,
        "unflagged": 1,
        "unflagged_lures": 0,
        "net_correct": 1,
    }
    assert sorted(c.id for c in result.changes) == ["ad-1", "ad-2", "ad-5"]
    assert {c.id: c.flagged_b for c in result.changes} == {
        "ad-1": True,
        "ad-2": False,
        "ad-5": True,
    }
    assert list(result.per_language) == ["en", "fr"]
    assert result.per_language["en"].flag_changes.total == 2
    assert result.per_language["fr"].flag_changes.total == 1
    assert result.per_language["fr"].n == 3


def test_undefined_metrics_are_none_not_zero() -> None:
    # No lure at all and nothing flagged by A: recall and A's precision are undefined.
    ads = _ads([0, 0])
    a = ModelScores("A", 0.5, [0.1, 0.2])
    b = ModelScores("B", 0.5, [0.6, 0.2])
    result = compare_scores(ads, ["en", "en"], a, b, "two benign ads")
    assert result.overall.a["precision"] is None
    assert result.overall.a["recall"] is None
    assert result.overall.b["precision"] == 0.0
    assert result.overall.difference["precision"] is None
    text = result.to_text()
    assert "precision" in text and "  -" in text


def test_text_and_json_name_both_versions() -> None:
    result = compare_scores(_ads(LABELS), LANGS, A, B, "six ads")
    text = result.to_text()
    assert "A = A (threshold 0.5000)" in text and "B = B (threshold 0.3000)" in text
    assert "3 ads change flag: B flags 2 that A does not (1 of them lures)" in text
    data = result.to_dict()
    assert data["a"] == {"version": "A", "threshold": 0.5}
    assert data["overall"]["b"]["flagged"] == 4
    assert data["by_language"]["en"]["flag_changes"]["total"] == 2
    assert len(data["changed_ads"]) == 3


def test_mismatched_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="same length"):
        compare_scores(_ads(LABELS), LANGS, A, ModelScores("B", 0.3, [0.1]), "x")
    with pytest.raises(ValueError, match="no labelled ads"):
        compare_scores([], [], ModelScores("A", 0.5, []), ModelScores("B", 0.5, []), "empty")
