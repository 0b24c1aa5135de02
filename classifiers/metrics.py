"""Binary classification metrics as pure functions of labels and scores.

An ad is flagged when its score is >= the threshold. Metrics that are undefined for the data
(precision when nothing is flagged, recall when there is no lure) are None, never a made-up
0; ``binary_metrics``/``by_language`` keep the older plain-dict form that meta.json uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss


def binary_metrics(
    labels: Sequence[int], scores: Sequence[float], threshold: float
) -> dict[str, Any]:
    y = np.asarray(labels, dtype=np.int64)
    p = np.asarray(scores, dtype=np.float64)
    flagged = p >= threshold
    tp = int(np.sum(flagged & (y == 1)))
    fp = int(np.sum(flagged & (y == 0)))
    fn = int(np.sum(~flagged & (y == 1)))
    tn = int(np.sum(~flagged & (y == 0)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    out: dict[str, Any] = {
        "n": len(y),
        "positives": int(y.sum()),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "accuracy": round((tp + tn) / len(y), 4) if len(y) else 0.0,
        "confusion": {"tp": tp, "fp": fp, "tn": tn, "fn": fn},
    }
    if 0 < y.sum() < len(y):
        out["average_precision"] = round(float(average_precision_score(y, p)), 4)
    if len(y):
        out["brier"] = round(float(brier_score_loss(y, p)), 4)
    return out


def by_language(
    langs: Sequence[str], labels: Sequence[int], scores: Sequence[float], threshold: float
) -> dict[str, dict[str, Any]]:
    out = {}
    for lang in sorted(set(langs)):
        idx = [i for i, code in enumerate(langs) if code == lang]
        out[lang] = binary_metrics([labels[i] for i in idx], [scores[i] for i in idx], threshold)
    return out


def best_f1_threshold(labels: Sequence[int], scores: Sequence[float]) -> float | None:
    """The threshold with the highest F1 (ties: the higher threshold, fewer false alarms),
    placed halfway to the next lower score so ads scoring like the cut-off ad are flagged.
    None when there is no positive to find."""
    y = np.asarray(labels, dtype=np.int64)
    p = np.asarray(scores, dtype=np.float64)
    if not y.sum():
        return None
    candidates = sorted(set(p.tolist()), reverse=True)
    best, best_f1 = candidates[0], -1.0
    for t in candidates:
        flagged = p >= t
        tp = np.sum(flagged & (y == 1))
        precision = tp / max(1, flagged.sum())
        recall = tp / y.sum()
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        if f1 > best_f1 + 1e-12:
            best, best_f1 = t, f1
    lower = [t for t in candidates if t < best]
    threshold = (best + lower[0]) / 2 if lower else best
    return float(min(max(threshold, 0.01), 0.99))


@dataclass(frozen=True)
class OperatingPoint:
    """What flagging every ad scoring >= ``threshold`` gives on the data."""

    threshold: float
    tp: int
    fp: int
    tn: int
    fn: int
    precision: float | None
    recall: float | None
    f1: float | None
    false_positive_rate: float | None
    flag_rate: float | None  # share of all ads flagged

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.tn + self.fn

    @property
    def positives(self) -> int:
        return self.tp + self.fn

    @property
    def flagged(self) -> int:
        return self.tp + self.fp

    @property
    def accuracy(self) -> float | None:
        return ratio(self.tp + self.tn, self.n)

    @classmethod
    def from_counts(cls, threshold: float, tp: int, fp: int, tn: int, fn: int) -> OperatingPoint:
        precision, recall = ratio(tp, tp + fp), ratio(tp, tp + fn)
        return cls(
            threshold=threshold,
            tp=tp,
            fp=fp,
            tn=tn,
            fn=fn,
            precision=precision,
            recall=recall,
            f1=f1_score(precision, recall),
            false_positive_rate=ratio(fp, fp + tn),
            flag_rate=ratio(tp + fp, tp + fp + tn + fn),
        )


@dataclass(frozen=True)
class CalibrationBin:
    lower: float
    upper: float
    n: int
    mean_score: float | None  # None for an empty bin
    fraction_lures: float | None


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def f1_score(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None:
        return None
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _arrays(labels: Sequence[int], scores: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(labels, dtype=np.int64).reshape(-1)
    p = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(y) != len(p):
        raise ValueError(f"{len(y)} labels but {len(p)} scores")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 or 1")
    if not np.isfinite(p).all() or (p < 0).any() or (p > 1).any():
        raise ValueError("scores must be numbers from 0 to 1")
    return y, p


def confusion(labels: Sequence[int], scores: Sequence[float], threshold: float) -> OperatingPoint:
    y, p = _arrays(labels, scores)
    flagged = p >= threshold
    return OperatingPoint.from_counts(
        threshold,
        tp=int(np.sum(flagged & (y == 1))),
        fp=int(np.sum(flagged & (y == 0))),
        tn=int(np.sum(~flagged & (y == 0))),
        fn=int(np.sum(~flagged & (y == 1))),
    )


def operating_points(labels: Sequence[int], scores: Sequence[float]) -> list[OperatingPoint]:
    """One point per distinct score, highest first, with the threshold at that score: every
    threshold in between flags the same ads. This is the precision-recall curve."""
    y, p = _arrays(labels, scores)
    if not len(y):
        return []
    order = np.argsort(-p, kind="stable")
    ys, ps = y[order], p[order]
    tps, fps = np.cumsum(ys), np.cumsum(1 - ys)
    # The last ad of each run of equal scores: all of the run is flagged together.
    ends = np.flatnonzero(np.append(ps[1:] != ps[:-1], True))
    positives, negatives = int(ys.sum()), len(ys) - int(ys.sum())
    return [
        OperatingPoint.from_counts(
            float(ps[i]),
            tp=int(tps[i]),
            fp=int(fps[i]),
            tn=negatives - int(fps[i]),
            fn=positives - int(tps[i]),
        )
        for i in ends
    ]


def average_precision(points: Sequence[OperatingPoint]) -> float | None:
    """Sum of precision times the recall gained at each threshold (sklearn's definition);
    None without both a lure and a benign ad."""
    if not points or not points[0].positives or points[0].positives == points[0].n:
        return None
    total, previous = 0.0, 0.0
    for point in points:
        recall, precision = point.recall or 0.0, point.precision or 0.0
        total += (recall - previous) * precision
        previous = recall
    return total


def budget_threshold(
    labels: Sequence[int], scores: Sequence[float], review_budget: int, ads_per_day: int
) -> OperatingPoint | None:
    """The lowest threshold whose flag rate on the data, times ``ads_per_day``, is at most
    ``review_budget`` flagged ads a day: the most lures reviewers can see within the budget.
    None when even the top-scoring ads alone (with their ties) exceed the budget."""
    if review_budget <= 0:
        raise ValueError(f"the review budget must be at least 1 ad a day, not {review_budget}")
    if ads_per_day <= 0:
        raise ValueError(f"ads per day must be at least 1, not {ads_per_day}")
    best = None
    for point in operating_points(labels, scores):
        # flagged / n * ads_per_day <= budget, in integers: no rounding at the boundary.
        if point.flagged * ads_per_day > review_budget * point.n:
            break
        best = point
    return best


def recall_threshold(
    labels: Sequence[int], scores: Sequence[float], target_recall: float
) -> OperatingPoint | None:
    """The highest threshold that keeps recall >= ``target_recall`` (the fewest flags that
    do); None when the data holds no lure, so recall is undefined."""
    if not 0 < target_recall <= 1:  # NaN fails too
        raise ValueError(f"the target recall must be above 0 and at most 1, not {target_recall}")
    for point in operating_points(labels, scores):
        if point.recall is None:
            return None
        if point.tp >= target_recall * point.positives - 1e-9:
            return point
    return None


def calibration_bins(
    labels: Sequence[int], scores: Sequence[float], n_bins: int = 10
) -> list[CalibrationBin]:
    """Equal-width score bins over [0, 1] (the last one includes 1.0) with the mean score and
    the share of lures in each: the reliability diagram."""
    if n_bins < 1:
        raise ValueError("n_bins must be at least 1")
    y, p = _arrays(labels, scores)
    index = np.minimum((p * n_bins).astype(np.int64), n_bins - 1)
    bins = []
    for b in range(n_bins):
        members = index == b
        count = int(members.sum())
        bins.append(
            CalibrationBin(
                lower=b / n_bins,
                upper=(b + 1) / n_bins,
                n=count,
                mean_score=float(p[members].mean()) if count else None,
                fraction_lures=float(y[members].mean()) if count else None,
            )
        )
    return bins


def expected_calibration_error(bins: Sequence[CalibrationBin]) -> float | None:
    """Mean gap between score and observed share of lures, weighted by ads per bin."""
    total = sum(b.n for b in bins)
    if not total:
        return None
    return sum(
        b.n / total * abs(b.mean_score - b.fraction_lures)
        for b in bins
        if b.mean_score is not None and b.fraction_lures is not None
    )


def brier_score(labels: Sequence[int], scores: Sequence[float]) -> float | None:
    y, p = _arrays(labels, scores)
    return float(np.mean((p - y) ** 2)) if len(y) else None
