"""Binary classification metrics, overall and per language, as plain dicts for meta.json."""

from __future__ import annotations

from collections.abc import Sequence
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
