"""Two model versions scored on the same labelled ads, side by side: each at its own flag
threshold, overall and per language, with the ads whose flag would change."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifiers.corpus import LabelledAd
from classifiers.evaluate import load_data
from classifiers.metrics import average_precision, brier_score, confusion, operating_points
from classifiers.service import AdText, _to_stderr, load_classifier
from core.settings import Settings

# Compared as B - A; for "brier" lower is better, for the others higher is better.
METRICS = ("precision", "recall", "f1", "accuracy", "average_precision", "brier")
LOWER_IS_BETTER = frozenset({"brier"})
# Changed ads listed in full (the counts always cover all of them).
MAX_LISTED_CHANGES = 50


@dataclass(frozen=True)
class ModelScores:
    """One version's scores for the ads, in the ads' order."""

    version: str
    threshold: float
    scores: Sequence[float]

    def flags(self) -> list[bool]:
        return [s >= self.threshold for s in self.scores]


@dataclass(frozen=True)
class FlagChange:
    id: str
    lang: str
    label: int
    score_a: float
    score_b: float
    flagged_b: bool  # True: B flags it and A did not; False: the reverse


@dataclass(frozen=True)
class FlagChanges:
    newly_flagged: int = 0  # flagged by B, not by A
    newly_flagged_lures: int = 0
    unflagged: int = 0  # flagged by A, not by B
    unflagged_lures: int = 0

    @property
    def total(self) -> int:
        return self.newly_flagged + self.unflagged

    @property
    def net_correct(self) -> int:
        """Changes that B gets right minus those it gets wrong."""
        right = self.newly_flagged_lures + (self.unflagged - self.unflagged_lures)
        return right - (self.total - right)

    def to_dict(self) -> dict[str, int]:
        return {
            "total": self.total,
            "newly_flagged": self.newly_flagged,
            "newly_flagged_lures": self.newly_flagged_lures,
            "unflagged": self.unflagged,
            "unflagged_lures": self.unflagged_lures,
            "net_correct": self.net_correct,
        }


@dataclass(frozen=True)
class Side:
    """Metrics of A and B on one set of ads and B - A."""

    n: int
    positives: int
    a: dict[str, Any]
    b: dict[str, Any]
    flag_changes: FlagChanges

    @property
    def difference(self) -> dict[str, float | int | None]:
        diff: dict[str, float | int | None] = {}
        for name in METRICS:
            va, vb = self.a.get(name), self.b.get(name)
            diff[name] = None if va is None or vb is None else round(vb - va, 4)
        diff["flagged"] = self.b["flagged"] - self.a["flagged"]
        return diff

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "positives": self.positives,
            "a": self.a,
            "b": self.b,
            "difference": self.difference,
            "flag_changes": self.flag_changes.to_dict(),
        }


@dataclass(frozen=True)
class Comparison:
    data: str
    version_a: str
    version_b: str
    threshold_a: float
    threshold_b: float
    overall: Side
    per_language: dict[str, Side]
    changes: list[FlagChange] = field(default_factory=list)  # at most MAX_LISTED_CHANGES

    def to_dict(self) -> dict[str, Any]:
        return {
            "data": self.data,
            "a": {"version": self.version_a, "threshold": self.threshold_a},
            "b": {"version": self.version_b, "threshold": self.threshold_b},
            "overall": self.overall.to_dict(),
            "by_language": {lang: side.to_dict() for lang, side in self.per_language.items()},
            "changed_ads": [vars(c).copy() for c in self.changes],
        }

    def to_text(self) -> str:
        o = self.overall
        lines = [
            f"A = {self.version_a} (threshold {self.threshold_a:.4f})",
            f"B = {self.version_b} (threshold {self.threshold_b:.4f})",
            f"on {self.data}: {o.n} ads, {o.positives} lures; each model at its own threshold",
            "",
            f"  {'':<20} {'A':>8} {'B':>8} {'B - A':>8}",
        ]
        diff = o.difference
        for name in METRICS:
            label = name.replace("_", " ") + (" (lower=better)" if name in LOWER_IS_BETTER else "")
            lines.append(
                f"  {label:<20} {_fmt(o.a.get(name))} {_fmt(o.b.get(name))} "
                f"{_fmt(diff[name], signed=True)}"
            )
        lines.append(
            f"  {'flagged':<20} {o.a['flagged']:>8} {o.b['flagged']:>8} {diff['flagged']:>+8}"
        )
        lines += [
            "",
            f"  {'lang':<6} {'n':>5} {'lures':>5} {'F1 A':>6} {'F1 B':>6} {'dF1':>7} "
            f"{'P A':>6} {'P B':>6} {'R A':>6} {'R B':>6} {'flag changes':>12}",
        ]
        for lang, side in self.per_language.items():
            a, b, diff_f1 = side.a, side.b, side.difference["f1"]
            lines.append(
                f"  {lang:<6} {side.n:>5} {side.positives:>5} {_short(a['f1'])} "
                f"{_short(b['f1'])} {_short(diff_f1, 7, signed=True)} "
                f"{_short(a['precision'])} {_short(b['precision'])} "
                f"{_short(a['recall'])} {_short(b['recall'])} {side.flag_changes.total:>12}"
            )
        fc = o.flag_changes
        lines += [
            "",
            f"{fc.total} ads change flag: B flags {fc.newly_flagged} that A does not "
            f"({fc.newly_flagged_lures} of them lures), and no longer flags {fc.unflagged} "
            f"({fc.unflagged_lures} of them lures).",
        ]
        return "\n".join(lines) + "\n"


def _fmt(value: float | int | None, signed: bool = False) -> str:
    if value is None:
        return f"{'-':>8}"  # undefined: e.g. precision when nothing is flagged
    return f"{value:>+8.4f}" if signed else f"{value:>8.4f}"


def _short(value: float | int | None, width: int = 6, signed: bool = False) -> str:
    if value is None:
        return "-".rjust(width)
    return f"{value:>+{width}.3f}" if signed else f"{value:>{width}.3f}"


def compare_scores(
    ads: Sequence[LabelledAd],
    langs: Sequence[str],
    a: ModelScores,
    b: ModelScores,
    data: str,
) -> Comparison:
    """The comparison of two versions' scores for the same ads (pure: no model is loaded)."""
    if not ads:
        raise ValueError(f"nothing to compare on: {data} holds no labelled ads")
    if not len(ads) == len(langs) == len(a.scores) == len(b.scores):
        raise ValueError("ads, languages and both models' scores must have the same length")
    labels = [ad.label for ad in ads]
    flags_a, flags_b = a.flags(), b.flags()
    changed = [i for i in range(len(ads)) if flags_a[i] != flags_b[i]]
    changed_set = set(changed)

    def side(idx: Sequence[int]) -> Side:
        sub_labels = [labels[i] for i in idx]
        return Side(
            n=len(idx),
            positives=sum(sub_labels),
            a=_metrics(sub_labels, [a.scores[i] for i in idx], a.threshold),
            b=_metrics(sub_labels, [b.scores[i] for i in idx], b.threshold),
            flag_changes=_changes(
                [labels[i] for i in idx if i in changed_set],
                [flags_b[i] for i in idx if i in changed_set],
            ),
        )

    everything = range(len(ads))
    per_language = {
        lang: side([i for i in everything if langs[i] == lang]) for lang in sorted(set(langs))
    }
    listed = [
        FlagChange(
            id=ads[i].id,
            lang=langs[i],
            label=labels[i],
            score_a=float(a.scores[i]),
            score_b=float(b.scores[i]),
            flagged_b=flags_b[i],
        )
        # The most confident disagreements first.
        for i in sorted(changed, key=lambda i: -abs(b.scores[i] - a.scores[i]))
    ][:MAX_LISTED_CHANGES]
    return Comparison(
        data=data,
        version_a=a.version,
        version_b=b.version,
        threshold_a=a.threshold,
        threshold_b=b.threshold,
        overall=side(list(everything)),
        per_language=per_language,
        changes=listed,
    )


def _metrics(labels: list[int], scores: list[float], threshold: float) -> dict[str, Any]:
    """Undefined metrics (precision with nothing flagged, recall without lures) are None."""
    point = confusion(labels, scores, threshold)
    values = {
        "precision": point.precision,
        "recall": point.recall,
        "f1": point.f1,
        "accuracy": point.accuracy,
        "average_precision": average_precision(operating_points(labels, scores)),
        "brier": brier_score(labels, scores),
    }
    out: dict[str, Any] = {k: None if v is None else round(v, 4) for k, v in values.items()}
    out["confusion"] = {"tp": point.tp, "fp": point.fp, "tn": point.tn, "fn": point.fn}
    out["flagged"] = point.flagged
    return out


def _changes(labels: list[int], flagged_b: list[bool]) -> FlagChanges:
    return FlagChanges(
        newly_flagged=sum(flagged_b),
        newly_flagged_lures=sum(1 for lab, f in zip(labels, flagged_b, strict=True) if f and lab),
        unflagged=sum(1 for f in flagged_b if not f),
        unflagged_lures=sum(1 for lab, f in zip(labels, flagged_b, strict=True) if not f and lab),
    )


def load_comparison_data(data: Path | str | None) -> tuple[list[LabelledAd], str]:
    """The labelled ads to compare on and how to name them, read as ``lurewatch evaluate``
    reads them: a JSONL (or CSV) file, or by default (None or ``"test"``) the test part of
    the bundled seed corpus, never used for training or thresholds."""
    ads, source, _name = load_data(data)
    return ads, source


def compare_versions(
    settings: Settings,
    version_a: str,
    version_b: str,
    data: Path | str | None = None,
    announce: Callable[[str], None] = _to_stderr,
) -> Comparison:
    """Load both versions (each refused if tampered with) and score the same ads with each."""
    ads, source = load_comparison_data(data)
    if not ads:
        raise ValueError(f"nothing to compare on: {source} holds no labelled ads")
    inputs = [AdText(ad.text, ad.title, ad.lang) for ad in ads]
    clf_a = load_classifier(settings, announce=announce, version=version_a)
    clf_b = load_classifier(settings, announce=announce, version=version_b)
    # Scores only: explanations are not compared.
    results_a = clf_a.classify_many(inputs, explain=False)
    results_b = clf_b.classify_many(inputs, explain=False)
    return compare_scores(
        ads,
        [r.lang for r in results_a],
        ModelScores(clf_a.version, clf_a.threshold, [r.lure_score for r in results_a]),
        ModelScores(clf_b.version, clf_b.threshold, [r.lure_score for r in results_b]),
        source,
    )
