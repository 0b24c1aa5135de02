import math

import pytest
from sklearn.metrics import average_precision_score

from classifiers.metrics import (
    average_precision,
    brier_score,
    budget_threshold,
    calibration_bins,
    confusion,
    expected_calibration_error,
    operating_points,
    recall_threshold,
)

# Ten ads, highest score first; four lures (at ranks 1, 2, 4 and 7).
SCORES = [0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]
LABELS = [1, 1, 0, 1, 0, 0, 1, 0, 0, 0]


def test_confusion_counts_and_rates() -> None:
    point = confusion([1, 1, 0, 0, 1, 0], [0.9, 0.4, 0.6, 0.1, 0.7, 0.3], threshold=0.5)
    assert (point.tp, point.fp, point.tn, point.fn) == (2, 1, 2, 1)
    assert point.precision == pytest.approx(2 / 3)
    assert point.recall == pytest.approx(2 / 3)
    assert point.f1 == pytest.approx(2 / 3)
    assert point.false_positive_rate == pytest.approx(1 / 3)
    assert point.flag_rate == pytest.approx(3 / 6)
    # A score equal to the threshold is flagged, as the classifier does.
    assert confusion([1], [0.5], 0.5).tp == 1


def test_undefined_metrics_are_none_not_zero() -> None:
    benign_only = confusion([0, 0, 0], [0.1, 0.2, 0.3], threshold=0.5)
    assert benign_only.precision is None  # nothing flagged
    assert benign_only.recall is None  # no lure
    assert benign_only.f1 is None
    assert benign_only.false_positive_rate == 0.0
    flagged_benign = confusion([0, 0], [0.9, 0.2], threshold=0.5)
    assert (flagged_benign.precision, flagged_benign.recall) == (0.0, None)
    lures_missed = confusion([1, 1], [0.1, 0.2], threshold=0.5)
    assert (lures_missed.recall, lures_missed.precision, lures_missed.f1) == (0.0, None, None)
    empty = confusion([], [], threshold=0.5)
    assert (empty.n, empty.accuracy, empty.flag_rate) == (0, None, None)


def test_operating_points_flag_tied_scores_together() -> None:
    points = operating_points([1, 0, 1, 0], [0.9, 0.9, 0.5, 0.2])
    assert [(p.threshold, p.tp, p.fp) for p in points] == [(0.9, 1, 1), (0.5, 2, 1), (0.2, 2, 2)]
    assert points[0].precision == 0.5 and points[1].recall == 1.0
    assert operating_points([], []) == []


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="2 labels but 1 scores"):
        confusion([0, 1], [0.5], 0.5)
    with pytest.raises(ValueError, match="0 or 1"):
        confusion([2], [0.5], 0.5)
    with pytest.raises(ValueError, match="from 0 to 1"):
        confusion([1], [math.nan], 0.5)


def test_budget_threshold_keeps_flags_a_day_within_the_budget() -> None:
    # 100 ads a day; the data is 10 ads, so each ad flagged stands for 10 flags a day.
    at_30 = budget_threshold(LABELS, SCORES, review_budget=30, ads_per_day=100)
    assert at_30 is not None
    assert (at_30.threshold, at_30.flagged, at_30.tp) == (0.8, 3, 2)  # exactly 30 a day
    assert at_30.recall == 0.5
    at_29 = budget_threshold(LABELS, SCORES, review_budget=29, ads_per_day=100)
    assert at_29 is not None and (at_29.threshold, at_29.flagged) == (0.9, 2)
    # The budget covers every ad: the lowest threshold, all lures found.
    everything = budget_threshold(LABELS, SCORES, review_budget=10, ads_per_day=10)
    assert everything is not None and (everything.threshold, everything.recall) == (0.1, 1.0)
    # Even the top ad alone is 10 a day.
    assert budget_threshold(LABELS, SCORES, review_budget=9, ads_per_day=100) is None


def test_budget_threshold_with_ties_and_one_class() -> None:
    # The two top ads tie: flagging one means flagging both (20 a day).
    tied = [0.9, 0.9, 0.5, 0.2]
    assert budget_threshold([1, 0, 1, 0], tied, review_budget=10, ads_per_day=40) is None
    point = budget_threshold([1, 0, 1, 0], tied, review_budget=20, ads_per_day=40)
    assert point is not None and point.threshold == 0.9
    benign = budget_threshold([0, 0, 0], [0.2, 0.4, 0.6], review_budget=1, ads_per_day=3)
    assert benign is not None and benign.threshold == 0.6 and benign.recall is None


@pytest.mark.parametrize(("budget", "per_day"), [(0, 100), (-5, 100), (10, 0)])
def test_budget_threshold_refuses_nonsense(budget: int, per_day: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        budget_threshold(LABELS, SCORES, review_budget=budget, ads_per_day=per_day)


def test_recall_threshold_is_the_highest_that_reaches_the_target() -> None:
    half = recall_threshold(LABELS, SCORES, 0.5)
    assert half is not None and (half.threshold, half.tp, half.flagged) == (0.9, 2, 2)
    three_quarters = recall_threshold(LABELS, SCORES, 0.75)
    assert three_quarters is not None
    assert (three_quarters.threshold, three_quarters.precision) == (0.7, 0.75)
    everything = recall_threshold(LABELS, SCORES, 1.0)
    assert everything is not None and (everything.threshold, everything.flagged) == (0.4, 7)
    assert everything.precision == pytest.approx(4 / 7)
    # Just above a step needs the next lure.
    above = recall_threshold(LABELS, SCORES, 0.51)
    assert above is not None and above.threshold == 0.7
    assert recall_threshold([0, 0], [0.3, 0.9], 0.9) is None  # no lure: undefined


@pytest.mark.parametrize("target", [0.0, -0.1, 1.01, math.nan])
def test_recall_threshold_refuses_targets_outside_0_1(target: float) -> None:
    with pytest.raises(ValueError, match="target recall"):
        recall_threshold(LABELS, SCORES, target)


def test_calibration_bins_and_ece() -> None:
    bins = calibration_bins([0, 0, 1, 1], [0.05, 0.15, 0.15, 0.95], n_bins=10)
    assert [b.n for b in bins] == [1, 1 + 1, 0, 0, 0, 0, 0, 0, 0, 1]
    assert bins[1].mean_score == pytest.approx(0.15) and bins[1].fraction_lures == 0.5
    assert bins[2].mean_score is None and bins[2].fraction_lures is None
    assert (bins[0].lower, bins[0].upper, bins[9].upper) == (0.0, 0.1, 1.0)
    # |0.05 - 0| * 1/4 + |0.15 - 0.5| * 2/4 + |0.95 - 1| * 1/4
    assert expected_calibration_error(bins) == pytest.approx(0.2)
    # Edges: a score of 1.0 falls in the last bin, 0.3 in the bin starting at 0.3.
    edges = calibration_bins([1, 0], [1.0, 0.3], n_bins=10)
    assert (edges[9].n, edges[3].n, edges[2].n) == (1, 1, 0)
    perfect = calibration_bins([0, 1], [0.0, 1.0], n_bins=5)
    assert expected_calibration_error(perfect) == 0.0
    assert expected_calibration_error(calibration_bins([], [])) is None


def test_brier_score() -> None:
    # ((0.9 - 1)^2 + (0.2 - 0)^2 + (0.6 - 0)^2) / 3
    assert brier_score([1, 0, 0], [0.9, 0.2, 0.6]) == pytest.approx((0.01 + 0.04 + 0.36) / 3)
    assert brier_score([], []) is None


def test_average_precision_matches_sklearn() -> None:
    labels = [1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1]
    scores = [0.9, 0.85, 0.85, 0.7, 0.6, 0.6, 0.55, 0.4, 0.3, 0.3, 0.1, 0.05]
    expected = average_precision_score(labels, scores)
    assert average_precision(operating_points(labels, scores)) == pytest.approx(expected)
    assert average_precision(operating_points([0, 0], [0.1, 0.2])) is None
    assert average_precision(operating_points([1, 1], [0.1, 0.2])) is None
