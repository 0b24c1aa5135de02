"""Scoring a model version on labelled data it has not seen, and everything an evaluation
report shows, as data: overall, per language, per kind of ad and per indicator results,
the precision-recall and calibration curves, and thresholds for a review budget or a target
recall. ``classifiers.report`` turns an ``EvaluationReport`` into HTML, PNG and JSON."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from classifiers import registry
from classifiers.corpus import TEST, LabelledAd, load_jsonl, load_seed, split
from classifiers.errors import ClassifierError
from classifiers.indicators import IndicatorExtractor
from classifiers.language import OTHER
from classifiers.metrics import (
    CalibrationBin,
    OperatingPoint,
    average_precision,
    brier_score,
    budget_threshold,
    calibration_bins,
    confusion,
    expected_calibration_error,
    operating_points,
    ratio,
    recall_threshold,
)
from classifiers.nlp import LANGUAGES
from classifiers.service import MAX_TITLE_CHARS, AdText, _to_stderr, load_classifier
from classifiers.tabular import CSV_SUFFIXES, Columns, load_table
from core.ad import Classification, utc_now_iso
from core.settings import Settings
from core.text import clean_text

# ``--data test`` (or no --data): the fixed test part of the bundled seed corpus.
SEED_TEST = "test"
TABLE_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
MAX_EXAMPLES = 10  # worst false positives and missed lures shown
SNIPPET_CHARS = 300
TITLE_CHARS = 120
CALIBRATION_BINS = 10
_DIGITS = 4
# Ads in a language without patterns are matched with English ones, as the classifier does.
_FALLBACK_LANG = "en"


class EvaluationError(ClassifierError, ValueError):
    """The evaluation cannot run as asked (no ads, a bad budget or target)."""


@dataclass(frozen=True)
class GroupMetrics:
    """Results on one group of ads (a language, a kind): support and P/R/F1."""

    n: int
    positives: int
    flagged: int
    tp: int
    fp: int
    tn: int
    fn: int
    precision: float | None
    recall: float | None
    f1: float | None
    false_positive_rate: float | None


@dataclass(frozen=True)
class IndicatorResult:
    code: str
    label: str
    strength: str
    fired: int  # ads it fired on
    fired_lures: int
    lure_share: float | None  # of the ads it fired on, the share that are lures
    recall: float | None  # of the lures it fired on, the share the model flags
    false_positive_rate: float | None  # of the benign ads it fired on, the share flagged
    absent: int  # ads that explicitly rule it out ("no fees")
    absent_lures: int
    absent_flagged: int


@dataclass(frozen=True)
class ThresholdRow:
    threshold: float
    flagged: int
    flags_per_day: float
    precision: float | None
    recall: float | None
    f1: float | None
    false_positive_rate: float | None
    note: str = ""  # "model", "review budget", "target recall"


@dataclass(frozen=True)
class ThresholdChoice:
    """A threshold picked for a rule (review budget, target recall); ``row`` is None and
    ``reason`` says why when no threshold satisfies the rule."""

    rule: str
    row: ThresholdRow | None
    reason: str = ""


@dataclass(frozen=True)
class AdOutcome:
    id: str
    title: str  # cleaned and capped for display; still hostile: escape when shown
    snippet: str
    lang: str
    kind: str
    label: int
    score: float
    indicators: tuple[str, ...]


@dataclass(frozen=True)
class ScoredAd:
    id: str
    label: int
    score: float
    lang: str
    kind: str


@dataclass(frozen=True)
class PRPoint:
    threshold: float
    precision: float | None
    recall: float | None


@dataclass(frozen=True)
class EvaluationReport:
    version: str
    data: str  # what was evaluated, for people ("seed corpus (test part)", a path)
    n: int
    positives: int
    threshold: float
    precision: float | None
    recall: float | None
    f1: float | None
    accuracy: float | None
    confusion: dict[str, int]  # tp, fp, tn, fn
    average_precision: float | None = None
    per_language: dict[str, GroupMetrics] = field(default_factory=dict)
    data_name: str = ""  # short, file-name safe: "test", a file's stem
    evaluated_at: str = ""
    brier: float | None = None
    ece: float | None = None
    calibration: list[CalibrationBin] = field(default_factory=list)
    pr_curve: list[PRPoint] = field(default_factory=list)
    per_kind: dict[str, GroupMetrics] = field(default_factory=dict)
    indicators: list[IndicatorResult] = field(default_factory=list)
    ads_per_day: int = 0
    ads_per_day_assumed: bool = True  # True: taken from the data's size, not given
    budget: ThresholdChoice | None = None
    target: ThresholdChoice | None = None
    threshold_table: list[ThresholdRow] = field(default_factory=list)
    false_positives: list[AdOutcome] = field(default_factory=list)
    missed_lures: list[AdOutcome] = field(default_factory=list)
    scores: list[ScoredAd] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_text(self) -> str:
        c = self.confusion
        lines = [
            f"Model {self.version} on {self.data}: {self.n} ads, {self.positives} lures",
            f"threshold {self.threshold:.4f}",
            f"precision {_fmt(self.precision)}  recall {_fmt(self.recall)}  "
            f"F1 {_fmt(self.f1)}  accuracy {_fmt(self.accuracy)}"
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
                f"{_fmt(m.precision):>10} {_fmt(m.recall):>7} {_fmt(m.f1):>6}"
            )
        return "\n".join(lines) + "\n"

    def summary(self) -> str:
        """A few lines for the terminal; the report has the rest."""
        lines = [
            f"Model {self.version} on {self.data}: {self.n} ads, {self.positives} lures",
            f"at threshold {self.threshold:.4f}: precision {_fmt(self.precision)}  "
            f"recall {_fmt(self.recall)}  F1 {_fmt(self.f1)}  "
            f"(flagged {self.confusion['tp'] + self.confusion['fp']}, "
            f"missed {self.confusion['fn']} lures)",
            f"calibration: Brier {_fmt(self.brier)}  ECE {_fmt(self.ece)}",
            "F1 by language: "
            + "  ".join(f"{lang} {_fmt(m.f1)} ({m.n})" for lang, m in self.per_language.items()),
        ]
        for choice in (self.budget, self.target):
            if choice is not None:
                lines.append(choice_text(choice, self.ads_per_day, self.ads_per_day_assumed))
        return "\n".join(lines) + "\n"


def choice_text(choice: ThresholdChoice, ads_per_day: int, assumed: bool) -> str:
    row = choice.row
    if row is None:
        return f"{choice.rule}: {choice.reason}"
    per_day = f"{row.flags_per_day:.1f} flags a day of {ads_per_day} ads" + (
        " (the data's size; set --ads-per-day)" if assumed else ""
    )
    return (
        f"{choice.rule}: threshold {row.threshold:.4f}, recall {_fmt(row.recall)}, "
        f"precision {_fmt(row.precision)}, {per_day}"
    )


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, _DIGITS)


def load_data(
    data: Path | str | None, columns: Columns | None = None
) -> tuple[list[LabelledAd], str, str]:
    """The labelled ads, a description and a short name. None or ``"test"``: the seed
    corpus' fixed test part; CSV/TSV files, and JSONL with other field names, are read with
    ``columns`` (``classifiers.tabular``); other files as labelled JSONL."""
    if data is None or str(data) == SEED_TEST:
        return split(load_seed())[TEST], "seed corpus (test part)", SEED_TEST
    path = Path(data)
    mapped = columns is not None and not columns.is_standard
    if path.suffix.lower() in CSV_SUFFIXES or mapped:
        ads = load_table(path, columns)
    else:
        ads = load_jsonl(path)
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem).strip(".-")[:40] or "data"
    return ads, str(path), name


def evaluate(
    settings: Settings,
    data: Path | str | None = None,
    version: str | None = None,
    announce: Callable[[str], None] = _to_stderr,
    *,
    review_budget: int | None = None,
    ads_per_day: int | None = None,
    target_recall: float | None = None,
    columns: Columns | None = None,
) -> EvaluationReport:
    """Score ``data`` (a labelled JSONL or CSV file, read with ``columns``; None or ``"test"``:
    the test part of the bundled seed) with model ``version`` (default: current).

    ``review_budget`` is at most N flagged ads a day, ``ads_per_day`` how many ads arrive a
    day (default: the number of ads evaluated, as if they were one day's intake)."""
    if review_budget is not None and review_budget <= 0:
        raise EvaluationError(
            f"the review budget must be at least 1 flagged ad a day, not {review_budget}"
        )
    if ads_per_day is not None and ads_per_day <= 0:
        raise EvaluationError(f"ads per day must be at least 1, not {ads_per_day}")
    if target_recall is not None and not 0 < target_recall <= 1:
        raise EvaluationError(
            f"the target recall must be above 0 and at most 1, not {target_recall}"
        )
    ads, source, name = load_data(data, columns)
    if not ads:
        raise EvaluationError(f"no labelled ads in {source}")
    clf = load_classifier(settings, announce=announce, version=version)
    results = clf.classify_many([AdText(a.text, a.title, a.lang) for a in ads], explain=False)
    extractor = registry.extractor_of(settings.models_dir / clf.version)
    absent = [
        _absent(extractor, ad, r.lang, settings.max_ad_chars)
        for ad, r in zip(ads, results, strict=True)
    ]
    return build_report(
        ads,
        results,
        absent,
        extractor,
        version=clf.version,
        threshold=clf.threshold,
        data=source,
        data_name=name,
        review_budget=review_budget,
        ads_per_day=ads_per_day,
        target_recall=target_recall,
    )


def _absent(extractor: IndicatorExtractor, ad: LabelledAd, lang: str, cap: int) -> frozenset[str]:
    # Classifications carry the indicators found, not those ruled out: extract again for those.
    text, title = ad.text[:cap], ad.title[:MAX_TITLE_CHARS]
    return extractor.extract(text, title, lang if lang in LANGUAGES else _FALLBACK_LANG).absent


def build_report(
    ads: Sequence[LabelledAd],
    results: Sequence[Classification],
    absent: Sequence[frozenset[str]],
    extractor: IndicatorExtractor,
    *,
    version: str,
    threshold: float,
    data: str,
    data_name: str,
    review_budget: int | None = None,
    ads_per_day: int | None = None,
    target_recall: float | None = None,
) -> EvaluationReport:
    labels = [a.label for a in ads]
    scores = [r.lure_score for r in results]
    langs = [r.lang for r in results]
    overall = confusion(labels, scores, threshold)
    points = operating_points(labels, scores)
    bins = calibration_bins(labels, scores, CALIBRATION_BINS)
    per_day = ads_per_day or len(ads)

    budget = target = None
    notes: dict[float, list[str]] = {threshold: ["model"]}
    if review_budget is not None:
        found = budget_threshold(labels, scores, review_budget, per_day)
        rule = f"review budget (at most {review_budget} flagged ads a day)"
        budget = ThresholdChoice(
            rule,
            _row(found, per_day, "review budget") if found else None,
            ""
            if found
            else "no threshold fits: the top-scoring ads alone exceed it "
            f"({_top_group_per_day(points, per_day):.1f} flags a day)",
        )
        if found:
            notes.setdefault(found.threshold, []).append("review budget")
    if target_recall is not None:
        found = recall_threshold(labels, scores, target_recall)
        target = ThresholdChoice(
            f"target recall {target_recall:g}",
            _row(found, per_day, "target recall") if found else None,
            "" if found else "undefined: the data holds no lure",
        )
        if found:
            notes.setdefault(found.threshold, []).append("target recall")
    table_at = sorted({*TABLE_THRESHOLDS, *notes}, reverse=True)
    return EvaluationReport(
        version=version,
        data=data,
        data_name=data_name,
        evaluated_at=utc_now_iso(),
        n=overall.n,
        positives=overall.positives,
        threshold=threshold,
        precision=_round(overall.precision),
        recall=_round(overall.recall),
        f1=_round(overall.f1),
        accuracy=_round(overall.accuracy),
        confusion={"tp": overall.tp, "fp": overall.fp, "tn": overall.tn, "fn": overall.fn},
        average_precision=_round(average_precision(points)),
        brier=_round(brier_score(labels, scores)),
        ece=_round(expected_calibration_error(bins)),
        calibration=bins,
        pr_curve=[PRPoint(p.threshold, p.precision, p.recall) for p in points],
        per_language=_groups(langs, labels, scores, threshold, _language_order),
        per_kind=_groups([a.kind for a in ads], labels, scores, threshold, sorted)
        if any(a.kind for a in ads)
        else {},
        indicators=_indicators(extractor, results, absent, labels),
        ads_per_day=per_day,
        ads_per_day_assumed=ads_per_day is None,
        budget=budget,
        target=target,
        threshold_table=[
            _row(confusion(labels, scores, t), per_day, ", ".join(notes.get(t, [])))
            for t in table_at
        ],
        false_positives=_examples(ads, results, label=0),
        missed_lures=_examples(ads, results, label=1),
        scores=[
            ScoredAd(a.id, a.label, r.lure_score, r.lang, a.kind)
            for a, r in zip(ads, results, strict=True)
        ],
    )


def _row(point: OperatingPoint, ads_per_day: int, note: str) -> ThresholdRow:
    return ThresholdRow(
        threshold=point.threshold,
        flagged=point.flagged,
        flags_per_day=round((point.flag_rate or 0.0) * ads_per_day, 2),
        precision=_round(point.precision),
        recall=_round(point.recall),
        f1=_round(point.f1),
        false_positive_rate=_round(point.false_positive_rate),
        note=note,
    )


def _top_group_per_day(points: Sequence[OperatingPoint], ads_per_day: int) -> float:
    return (points[0].flag_rate or 0.0) * ads_per_day if points else 0.0


def _language_order(langs: set[str]) -> list[str]:
    known = [*LANGUAGES, OTHER]
    return [c for c in known if c in langs] + sorted(langs - set(known))


def _groups(
    keys: Sequence[str],
    labels: Sequence[int],
    scores: Sequence[float],
    threshold: float,
    order: Callable[[set[str]], list[str]],
) -> dict[str, GroupMetrics]:
    out = {}
    for key in order(set(keys)):
        idx = [i for i, k in enumerate(keys) if k == key]
        point = confusion([labels[i] for i in idx], [scores[i] for i in idx], threshold)
        out[key] = GroupMetrics(
            n=point.n,
            positives=point.positives,
            flagged=point.flagged,
            tp=point.tp,
            fp=point.fp,
            tn=point.tn,
            fn=point.fn,
            precision=_round(point.precision),
            recall=_round(point.recall),
            f1=_round(point.f1),
            false_positive_rate=_round(point.false_positive_rate),
        )
    return out


def _indicators(
    extractor: IndicatorExtractor,
    results: Sequence[Classification],
    absent: Sequence[frozenset[str]],
    labels: Sequence[int],
) -> list[IndicatorResult]:
    out = []
    for spec in extractor.taxonomy.indicators:
        fired = [
            (label, r.flagged)
            for r, label in zip(results, labels, strict=True)
            if any(i.code == spec.code for i in r.indicators)
        ]
        ruled_out = [
            (label, r.flagged)
            for r, codes, label in zip(results, absent, labels, strict=True)
            if spec.code in codes
        ]
        lures = [flagged for label, flagged in fired if label == 1]
        benign = [flagged for label, flagged in fired if label == 0]
        out.append(
            IndicatorResult(
                code=spec.code,
                label=spec.label,
                strength=spec.strength,
                fired=len(fired),
                fired_lures=len(lures),
                lure_share=_round(ratio(len(lures), len(fired))),
                recall=_round(ratio(sum(lures), len(lures))),
                false_positive_rate=_round(ratio(sum(benign), len(benign))),
                absent=len(ruled_out),
                absent_lures=sum(label for label, _ in ruled_out),
                absent_flagged=sum(flagged for _, flagged in ruled_out),
            )
        )
    return out


def _examples(
    ads: Sequence[LabelledAd], results: Sequence[Classification], label: int
) -> list[AdOutcome]:
    """The benign ads flagged with the highest scores (label 0), or the lures missed with
    the lowest (label 1): the mistakes a reviewer should read first."""
    wrong = [
        (ad, r)
        for ad, r in zip(ads, results, strict=True)
        if ad.label == label and r.flagged != bool(label)
    ]
    wrong.sort(key=lambda pair: -pair[1].lure_score if label == 0 else pair[1].lure_score)
    return [
        AdOutcome(
            id=clean_text(ad.id, TITLE_CHARS),
            title=clean_text(ad.title, TITLE_CHARS),
            snippet=clean_text(ad.text, SNIPPET_CHARS),
            lang=r.lang,
            kind=ad.kind,
            label=ad.label,
            score=r.lure_score,
            indicators=tuple(i.code for i in r.indicators),
        )
        for ad, r in wrong[:MAX_EXAMPLES]
    ]
