"""`lurewatch train`: options to training data, the run, and what it prints."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

from classifiers import ClassifierError, CorpusError, ModelInfo, TrainingError, train
from classifiers.corpus import LabelledAd
from classifiers.dataset import SEED
from classifiers.tabular import DEFAULT_NEGATIVE, DEFAULT_POSITIVE, Columns
from core.settings import Settings

# `--data store`: the reviewers' decisions in the case store, with the stored ads' text.
STORE = "store"


def data_entries(data: Sequence[str] | None) -> list[Path | str]:
    """``seed`` means the bundled seed corpus, ``store`` the reviewers' decisions (read
    separately, see ``store_ads``), anything else a file."""
    return [SEED if entry == SEED else Path(entry) for entry in data or [] if entry != STORE]


def store_ads(settings: Settings, data: Sequence[str] | None) -> list[LabelledAd]:
    if STORE not in (data or []):
        return []
    from index.labels import labelled_ads

    ads = labelled_ads(settings)
    if not ads:
        raise CorpusError(
            "--data store: the case store holds no reviewers' decisions yet"
            " (import some with `lurewatch label-queue --import FILE`)"
        )
    return ads


def run_training(
    settings: Settings,
    data: Sequence[str] | None,
    seed: int,
    *,
    text_columns: Sequence[str] = (),
    title_column: str | None = None,
    label_column: str | None = None,
    id_column: str | None = None,
    lang_column: str | None = None,
    positive_labels: Sequence[str] = (),
    negative_labels: Sequence[str] = (),
    ads: Sequence[LabelledAd] = (),
) -> ModelInfo:
    """Train and print the result. Bad data exits 2 with one line; nothing is written then."""
    try:
        columns = Columns(
            text=tuple(text_columns),
            title=title_column,
            label=label_column,
            id=id_column,
            lang=lang_column,
            positive=tuple(positive_labels) or DEFAULT_POSITIVE,
            negative=tuple(negative_labels) or DEFAULT_NEGATIVE,
        )
        ads = [*ads, *store_ads(settings, data)]
        entries = data_entries(data)
        if not entries and ads:
            entries = [SEED]  # decisions alone are too few to train on: with the seed corpus
        info = train(settings, entries or None, seed=seed, ads=ads, columns=columns)
    except (CorpusError, TrainingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(2) from exc
    except ClassifierError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(1) from exc
    print_training(info)
    return info


def _line(name: str, result: dict[str, Any]) -> str:
    return (
        f"{name}: {result['n']} ads, precision {result['precision']:.3f}, "
        f"recall {result['recall']:.3f}, F1 {result['f1']:.3f}"
    )


def print_training(info: ModelInfo) -> None:
    print(f"trained model {info.version} (threshold {info.threshold:.3f}) in {info.path}")
    titles = {"test": "test (seed, fixed split)", "user_test": "test part of the data given"}
    for key, title in titles.items():
        result = info.metrics.get(key)
        if result is None:
            continue
        print(_line(title, result))
        for lang, per_lang in result.get("by_language", {}).items():
            print("  " + _line(lang, per_lang))
