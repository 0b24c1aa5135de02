"""Training a new model version: extract indicators, pick hyper-parameters and the flag
threshold on the validation part, report on the untouched test parts, save, make current.

The seed's test part is fixed in ``seed/split.json`` and every model is scored on it, whatever
it was trained on, so versions stay comparable; other data is split by hash of the ad id and
its own test part is reported beside it. No test ad, and no ad with a test ad's text, is ever
fitted on or used to choose the model or its threshold.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import platform
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from classifiers import registry
from classifiers.corpus import (
    SPLIT_FILE,
    TEST,
    TRAIN,
    VALIDATION,
    LabelledAd,
    load_seed,
    load_split_file,
    split,
    split_sha256,
)
from classifiers.dataset import TrainingData, load_training_data
from classifiers.errors import TrainingError
from classifiers.features import AdInput, ad_input, taxonomy_params
from classifiers.indicators import IndicatorExtractor
from classifiers.language import LanguageIdentifier, default_identifier
from classifiers.metrics import best_f1_threshold, binary_metrics, by_language
from classifiers.model import LureModel
from classifiers.nlp import LANGUAGES
from classifiers.tabular import Columns
from core.ad import utc_now_iso
from core.settings import Settings

log = logging.getLogger("lurewatch.classifiers")
# Tried in this order; the first best validation Brier score wins.
GRID: tuple[dict[str, Any], ...] = tuple(
    {"C": c, "calibration": cal} for cal in ("sigmoid", "isotonic") for c in (1.0, 4.0, 16.0)
)
DEFAULT_THRESHOLD = 0.5
USER_TEST = "user_test"  # the test part of the data given, when it is not the seed
_PACKAGES = ("scikit-learn", "skops", "numpy", "scipy", "spacy", "lurewatch")


@dataclass(frozen=True)
class ModelInfo:
    version: str
    path: Path
    # {"validation": {...}, "test": {...}} and "user_test" when the data had its own test part
    metrics: dict[str, Any]
    threshold: float


@dataclass(frozen=True)
class Parts:
    """Who is used for what in one training run."""

    train: list[LabelledAd]
    validation: list[LabelledAd]
    test: list[LabelledAd]  # the seed's fixed test part
    user_test: list[LabelledAd]  # the test part of other data (hash split)
    dropped: list[LabelledAd]  # train/validation ads with a test ad's text: left out


def plan_parts(ads: Sequence[LabelledAd]) -> Parts:
    """Split the training data: seed ads as fixed in the split file, others by hash; the
    seed's test part is always the test set, even when the seed is not in ``ads``."""
    fixed = load_split_file()
    parts = split(ads)
    seed = load_seed()
    seed_test = [a for a in seed if fixed.get(a.id) == TEST]
    # An ad is the seed's own only with the seed's text too: a user's "en-0001" is not.
    own = {(a.id, _text_key(a)) for a in seed}
    user_test = [a for a in parts[TEST] if (a.id, _text_key(a)) not in own]
    held_out = {_text_key(a) for a in (*seed_test, *user_test)}
    keep: dict[str, list[LabelledAd]] = {}
    dropped: list[LabelledAd] = []
    for name in (TRAIN, VALIDATION):
        keep[name] = [a for a in parts[name] if _text_key(a) not in held_out]
        dropped += [a for a in parts[name] if _text_key(a) in held_out]
    return Parts(keep[TRAIN], keep[VALIDATION], seed_test, user_test, dropped)


def _text_key(ad: LabelledAd) -> str:
    text = " ".join(f"{ad.title}\n{ad.text}".casefold().split())
    return hashlib.sha256(text.encode()).hexdigest()


def prepare(
    ads: list[LabelledAd], extractor: IndicatorExtractor, identifier: LanguageIdentifier
) -> tuple[list[AdInput], list[str]]:
    inputs, langs = [], []
    for ad in ads:
        lang = ad.lang if ad.lang in LANGUAGES else identifier.identify(f"{ad.title}\n{ad.text}")
        langs.append(lang)
        inputs.append(
            ad_input(extractor.extract(ad.text, ad.title, lang if lang in LANGUAGES else "en"))
        )
    return inputs, langs


def train(
    settings: Settings,
    data: Sequence[Path | str] | None = None,
    seed: int = 0,
    ads: Sequence[LabelledAd] = (),
    columns: Columns | None = None,
) -> ModelInfo:
    """Train on ``data`` (paths of labelled CSV/JSONL files and/or ``"seed"``; default the
    seed) plus ``ads`` (e.g. reviewers' decisions), ``columns`` mapping the files' columns.
    Nothing is written unless training succeeds."""
    started = time.monotonic()
    loaded = load_training_data(data, columns, ads)
    parts = plan_parts(loaded.ads)
    if parts.dropped:
        log.warning(
            "left out %d training ad(s) whose text is that of a test ad", len(parts.dropped)
        )
    counts = Counter(a.label for a in parts.train)
    if counts[0] < 2 or counts[1] < 2:
        raise TrainingError(
            f"the train part needs at least 2 ads of each label, "
            f"has {dict(sorted(counts.items()))}"
            f" ({len(loaded.ads)} ads in all)"
        )
    extractor = IndicatorExtractor.from_file(
        settings.indicators_file, settings.wages_file, settings.places_file
    )
    identifier = default_identifier()
    roles = {
        TRAIN: parts.train,
        VALIDATION: parts.validation,
        TEST: parts.test,
        USER_TEST: parts.user_test,
    }
    prepared = {name: prepare(items, extractor, identifier) for name, items in roles.items()}
    labels = {name: [a.label for a in items] for name, items in roles.items()}
    codes, strengths = taxonomy_params(extractor.taxonomy)

    train_x, _ = prepared[TRAIN]
    val_x, _ = prepared[VALIDATION]
    candidates = []
    for params in GRID:
        model = LureModel(codes, strengths, random_state=seed, **params).fit(train_x, labels[TRAIN])
        val_scores = model.predict_proba(val_x)[:, 1] if val_x else np.array([])
        brier = float(np.mean((val_scores - np.asarray(labels[VALIDATION])) ** 2)) if val_x else 0.0
        candidates.append((brier, params, model, val_scores))
        log.info("candidate %s: validation Brier %.4f", params, brier)
    brier, params, model, val_scores = min(candidates, key=lambda c: c[0])
    found = best_f1_threshold(labels[VALIDATION], val_scores.tolist())
    threshold = round(found, 4) if found is not None else DEFAULT_THRESHOLD

    metrics = {
        VALIDATION: _scored(
            labels[VALIDATION], val_scores.tolist(), prepared[VALIDATION][1], threshold
        )
    }
    for name in (TEST, USER_TEST):
        x, langs = prepared[name]
        if name == TEST or x:
            scores = model.predict_proba(x)[:, 1].tolist() if x else []
            metrics[name] = _scored(labels[name], scores, langs, threshold)
    model_bytes = registry.dump_model(model)
    digest = registry.sha256_bytes(model_bytes)
    created = utc_now_iso()
    version = _version_name(settings.models_dir, created, digest)
    meta = {
        "created_at": created,
        "seed": seed,
        "threshold": threshold,
        "threshold_rule": "max F1 on validation"
        if found is not None
        else "default (no positives in validation)",
        "params": params,
        "selection": [{"params": p, "validation_brier": round(b, 4)} for b, p, _, _ in candidates],
        "training_data_sha256": loaded.sha256,
        "training_files": [p.name for p in loaded.files],
        "data": _data_meta(loaded, parts),
        "split_file": f"classifiers/seed/{SPLIT_FILE.name}",
        "split_sha256": split_sha256(),
        "languages": sorted({lang for _, langs in prepared.values() for lang in langs}),
        "counts": {
            name: {
                "n": len(items),
                "positives": sum(a.label for a in items),
                "by_language": dict(sorted(Counter(prepared[name][1]).items())),
            }
            for name, items in roles.items()
            if name != USER_TEST or items
        },
        "ids": {name: sorted(a.id for a in items) for name, items in roles.items()},
        "metrics": metrics,
        "training_seconds": round(time.monotonic() - started, 1),
        "software": _software(),
    }
    path = registry.save_version(
        settings.models_dir,
        version,
        model_bytes,
        meta,
        model_card(version, meta, extractor),
        settings.indicators_file,
        {registry.WAGES_FILE: settings.wages_file, registry.PLACES_FILE: settings.places_file},
    )
    registry.set_current(settings.models_dir, version)
    log.info(
        "trained model %s in %.1fs (test F1 %.3f)",
        version,
        meta["training_seconds"],
        metrics[TEST]["f1"],
    )
    return ModelInfo(version=version, path=path, metrics=metrics, threshold=threshold)


def _scored(
    labels: Sequence[int], scores: Sequence[float], langs: Sequence[str], threshold: float
) -> dict[str, Any]:
    return {
        **binary_metrics(labels, scores, threshold),
        "by_language": by_language(langs, labels, scores, threshold),
    }


def _data_meta(loaded: TrainingData, parts: Parts) -> dict[str, Any]:
    return {
        "sources": loaded.sources,
        "columns": loaded.columns,
        "seed_included": loaded.uses_seed,
        "direct_ads": loaded.direct,
        "left_out_as_test_copies": sorted(a.id for a in parts.dropped),
        "test": "the seed corpus' fixed test part",
        "user_test": "the test part (by hash of the id) of the other data",
    }


def _software() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "unknown"
    return versions


def _version_name(models_dir: Path, created: str, digest: str) -> str:
    stamp = created.replace("-", "").replace(":", "").replace("+0000", "Z").replace("+00:00", "Z")
    base = f"{stamp}-{digest[:8]}"
    name, n = base, 1
    while (models_dir / name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def _single_signal_note(meta: dict[str, Any]) -> str:
    if "single_signal.jsonl" not in meta["training_files"]:
        return ""
    return (
        "\n`single_signal.jsonl` adds short benign ads with one indicator each, so that a "
        'single signal\n("no experience needed") does not flag on its own.'
    )


def _language_rows(result: dict[str, Any]) -> str:
    return "\n".join(
        f"| {lang} | {m['n']} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} |"
        for lang, m in result["by_language"].items()
    )


def _summary(result: dict[str, Any]) -> str:
    return (
        f"precision {result['precision']:.3f}, recall {result['recall']:.3f}, "
        f"F1 {result['f1']:.3f}, accuracy {result['accuracy']:.3f} ({result['n']} ads)"
    )


def _sources_text(meta: dict[str, Any]) -> str:
    data = meta["data"]
    lines = [
        f"- the bundled seed corpus ({s['ads']} ads)"
        if s["kind"] == "seed"
        else f"- {s['name']} ({s['kind']}, {s['ads']} ads)"
        for s in data["sources"]
    ]
    if data["columns"]:
        c = data["columns"]
        lines.append(
            f"- columns: text {', '.join(c['text'])}; title {c['title']}; label {c['label']} "
            f"(1: {', '.join(c['positive'])}; 0: {', '.join(c['negative'])}); id {c['id']}; "
            f"lang {c['lang']}"
        )
    if data["left_out_as_test_copies"]:
        lines.append(
            f"- left out: {len(data['left_out_as_test_copies'])} ad(s) with the text of a test ad"
        )
    return "\n".join(lines)


def model_card(version: str, meta: dict[str, Any], extractor: IndicatorExtractor) -> str:
    metrics = meta["metrics"]
    test, val = metrics[TEST], metrics[VALIDATION]
    indicators = "\n".join(
        f"- `{s.code}` ({s.strength}): {s.label}" for s in extractor.taxonomy.indicators
    )
    counts = meta["counts"]
    user_test = ""
    if USER_TEST in metrics:
        user_test = f"""
Test part of the other data (by hash of the ad id): {_summary(metrics[USER_TEST])}.

| language | n | precision | recall | F1 |
|---|---|---|---|---|
{_language_rows(metrics[USER_TEST])}
"""
    software = ", ".join(f"{k} {v}" for k, v in meta["software"].items())
    note = _single_signal_note(meta)
    return f"""# LureWatch lure classifier {version}

Created {meta["created_at"]} with seed {meta["seed"]}.

## Intended use
Ranks public job ads for review by trained analysts: a high score means the ad shows
combinations of recruitment-lure indicators. It is a triage aid, never evidence on its own
and never a reason to act against a person without human review.

## Model
Word (1-2) and character (2-5) n-gram TF-IDF of the de-obfuscated text plus indicator
features (presence, explicit absence, counts by strength, pairs), logistic regression with
{meta["params"]["calibration"]} calibration (C={meta["params"]["C"]}), chosen by validation
Brier score.
Flag threshold {meta["threshold"]} ({meta["threshold_rule"]}).

## Data
{_sources_text(meta)}

Training data SHA-256 `{meta["training_data_sha256"]}` (every file read, the column mapping
and the ads given directly). Train {counts[TRAIN]["n"]}, validation {counts[VALIDATION]["n"]},
test {counts[TEST]["n"]} ads; languages {", ".join(meta["languages"])}.
Seed ads are split as fixed in `{meta["split_file"]}` (SHA-256 `{meta["split_sha256"]}`),
other ads by hash of their id (70/15/15). Every model is tested on the seed's fixed test
part, whatever it was trained on. Hyper-parameters and threshold were chosen on the
validation part; the test parts were used for nothing but the figures below.{note}

## Results
Validation: {_summary(val)}.
Test (seed, fixed split): {_summary(test)}.

| language | n | precision | recall | F1 |
|---|---|---|---|---|
{_language_rows(test)}
{user_test}
## Limitations
The bundled seed corpus is written for this project, not collected from real sites; scores
on real ads will differ, and both classes were sampled near 50/50 while real lures are rare,
so precision in production will be lower. Obfuscation handling covers leetspeak, spaced
letters and look-alike characters, not text inside images. Retrain on reviewed real ads
before relying on the scores.

## Indicators
{indicators}

## Software
{software}
"""
