"""Scoring a model version on labelled data the model has not seen."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifiers.corpus import TEST, load_jsonl, load_seed, split
from classifiers.metrics import binary_metrics, by_language
from classifiers.service import AdText, _to_stderr, load_classifier
from core.settings import Settings


@dataclass(frozen=True)
class LanguageMetrics:
    n: int
    positives: int
    precision: float
    recall: float
    f1: float


@dataclass(frozen=True)
class EvaluationReport:
    version: str
    data: str
    n: int
    positives: int
    threshold: float
    precision: float
    recall: float
    f1: float
    accuracy: float
    confusion: dict[str, int]  # tp, fp, tn, fn
    average_precision: float | None = None
    per_language: dict[str, LanguageMetrics] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)

    def to_text(self) -> str:
        c = self.confusion
        lines = [
            f"Model {self.version} on {self.data}: {self.n} ads, {self.positives} lures",
            f"threshold {self.threshold:.4f}",
            f"precision {self.precision:.3f}  recall {self.recall:.3f}  F1 {self.f1:.3f}  "
            f"accuracy {self.accuracy:.3f}"
            + (f"  AP {self.average_precision:.3f}" if self.average_precision is not None else ""),
            "",
            "                 flagged  not flagged",
            f"  lure       {c['tp']:>11}  {c['fn']:>11}",
            f"  not lure   {c['fp']:>11}  {c['tn']:>11}",
            "",
            f"  {'lang':<6} {'n':>5} {'lures':>6} {'precision':>10} {'recall':>7} {'F1':>6}",
        ]
        for lang, m in self.per_language.items():
            lines.append(
                f"  {lang:<6} {m.n:>5} {m.positives:>6} "
                f"{m.precision:>10.3f} {m.recall:>7.3f} {m.f1:>6.3f}"
            )
        return "\n".join(lines) + "\n"


def evaluate(
    settings: Settings,
    data: Path | None = None,
    version: str | None = None,
    announce: Callable[[str], None] = _to_stderr,
) -> EvaluationReport:
    """``data`` is a labelled JSONL file; None means the test part of the bundled seed."""
    if data is None:
        ads = split(load_seed())[TEST]
        source = "seed corpus (test part)"
    else:
        ads = load_jsonl(Path(data))
        source = str(data)
    clf = load_classifier(settings, announce=announce, version=version)
    results = clf.classify_many([AdText(a.text, a.title, a.lang) for a in ads])
    labels = [a.label for a in ads]
    scores = [r.lure_score for r in results]
    langs = [r.lang for r in results]
    overall = binary_metrics(labels, scores, clf.threshold)
    per_lang = {
        lang: LanguageMetrics(m["n"], m["positives"], m["precision"], m["recall"], m["f1"])
        for lang, m in by_language(langs, labels, scores, clf.threshold).items()
    }
    return EvaluationReport(
        version=clf.version,
        data=source,
        n=overall["n"],
        positives=overall["positives"],
        threshold=clf.threshold,
        precision=overall["precision"],
        recall=overall["recall"],
        f1=overall["f1"],
        accuracy=overall["accuracy"],
        confusion=overall["confusion"],
        average_precision=overall.get("average_precision"),
        per_language=per_lang,
    )
