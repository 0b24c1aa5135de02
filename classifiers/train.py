"""Training a new model version: extract indicators, pick hyper-parameters and the flag
threshold on the validation part, report on the untouched test part, save, make current."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
import skops

from classifiers import registry
from classifiers.corpus import (
    TEST,
    TRAIN,
    VALIDATION,
    LabelledAd,
    data_sha256,
    load_files,
    seed_files,
    split,
)
from classifiers.errors import TrainingError
from classifiers.features import AdInput, ad_input, taxonomy_params
from classifiers.indicators import IndicatorExtractor
from classifiers.language import LanguageIdentifier, default_identifier
from classifiers.metrics import best_f1_threshold, binary_metrics, by_language
from classifiers.model import LureModel
from classifiers.nlp import LANGUAGES
from core.ad import utc_now_iso
from core.settings import Settings

log = logging.getLogger("lurewatch.classifiers")
# Tried in this order; the first best validation Brier score wins.
GRID: tuple[dict[str, Any], ...] = tuple(
    {"C": c, "calibration": cal} for cal in ("sigmoid", "isotonic") for c in (1.0, 4.0, 16.0)
)
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class ModelInfo:
    version: str
    path: Path
    metrics: dict[str, Any]  # {"validation": {...}, "test": {...}}
    threshold: float


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


def train(settings: Settings, data: list[Path] | None = None, seed: int = 0) -> ModelInfo:
    started = time.monotonic()
    files = [Path(p) for p in data] if data else seed_files()
    if not files:
        raise TrainingError("no training data: the bundled seed corpus is missing")
    ads = load_files(files)
    parts = split(ads)
    for name in (TRAIN,):
        counts = Counter(a.label for a in parts[name])
        if counts[0] < 2 or counts[1] < 2:
            raise TrainingError(
                f"the {name} part needs at least 2 ads of each label, "
                f"has {dict(sorted(counts.items()))}"
                f" ({len(ads)} ads in all)"
            )
    extractor = IndicatorExtractor.from_file(settings.indicators_file)
    identifier = default_identifier()
    prepared = {name: prepare(items, extractor, identifier) for name, items in parts.items()}
    labels = {name: [a.label for a in items] for name, items in parts.items()}
    codes, strengths = taxonomy_params(extractor.taxonomy)

    train_x, _ = prepared[TRAIN]
    val_x, val_langs = prepared[VALIDATION]
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

    test_x, test_langs = prepared[TEST]
    test_scores = model.predict_proba(test_x)[:, 1].tolist() if test_x else []
    metrics = {
        VALIDATION: {
            **binary_metrics(labels[VALIDATION], val_scores.tolist(), threshold),
            "by_language": by_language(
                val_langs, labels[VALIDATION], val_scores.tolist(), threshold
            ),
        },
        TEST: {
            **binary_metrics(labels[TEST], test_scores, threshold),
            "by_language": by_language(test_langs, labels[TEST], test_scores, threshold),
        },
    }
    model_bytes = registry.dump_model(model)
    digest = registry.sha256_bytes(model_bytes)
    created = utc_now_iso()
    version = _version_name(settings.models_dir, created, digest)
    all_langs = [lang for name in parts for lang in prepared[name][1]]
    meta = {
        "created_at": created,
        "seed": seed,
        "threshold": threshold,
        "threshold_rule": "max F1 on validation"
        if found is not None
        else "default (no positives in validation)",
        "params": params,
        "selection": [{"params": p, "validation_brier": round(b, 4)} for b, p, _, _ in candidates],
        "training_data_sha256": data_sha256(files),
        "training_files": [p.name for p in files],
        "languages": sorted(set(all_langs)),
        "counts": {
            name: {
                "n": len(items),
                "positives": sum(a.label for a in items),
                "by_language": dict(sorted(Counter(prepared[name][1]).items())),
            }
            for name, items in parts.items()
        },
        "metrics": metrics,
        "training_seconds": round(time.monotonic() - started, 1),
        "software": {"sklearn": sklearn.__version__, "skops": skops.__version__},
    }
    path = registry.save_version(
        settings.models_dir,
        version,
        model_bytes,
        meta,
        model_card(version, meta, extractor),
        settings.indicators_file,
    )
    registry.set_current(settings.models_dir, version)
    log.info(
        "trained model %s in %.1fs (test F1 %.3f)",
        version,
        meta["training_seconds"],
        metrics[TEST]["f1"],
    )
    return ModelInfo(version=version, path=path, metrics=metrics, threshold=threshold)


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


def model_card(version: str, meta: dict[str, Any], extractor: IndicatorExtractor) -> str:
    test, val = meta["metrics"][TEST], meta["metrics"][VALIDATION]
    rows = "\n".join(
        f"| {lang} | {m['n']} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} |"
        for lang, m in test["by_language"].items()
    )
    indicators = "\n".join(
        f"- `{s.code}` ({s.strength}): {s.label}" for s in extractor.taxonomy.indicators
    )
    counts = meta["counts"]
    return f"""# LureWatch lure classifier {version}

Created {meta["created_at"]} from {", ".join(meta["training_files"])}
(training data SHA-256 `{meta["training_data_sha256"]}`).

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
Split by hash of the ad id: train {counts["train"]["n"]}, validation {counts["validation"]["n"]},
test {counts["test"]["n"]} ads; languages {", ".join(meta["languages"])}. The test part was used
for nothing but the figures below.{_single_signal_note(meta)}

## Results
Validation: precision {val["precision"]:.3f}, recall {val["recall"]:.3f}, F1 {val["f1"]:.3f}.
Test: precision {test["precision"]:.3f}, recall {test["recall"]:.3f}, F1 {test["f1"]:.3f},
accuracy {test["accuracy"]:.3f}.

| language | n | precision | recall | F1 |
|---|---|---|---|---|
{rows}

## Limitations
The bundled seed corpus is small and written for this project, not collected from real
sites; scores on real ads will differ, and both classes were sampled near 50/50 while real
lures are rare, so precision in production will be lower. Obfuscation handling covers
leetspeak, spaced letters and look-alike characters, not text inside images. Retrain on
reviewed real ads before relying on the scores.

## Indicators
{indicators}
"""
