"""What one training run reads: the bundled seed, labelled CSV/JSONL files (through a column
mapping) and labelled ads handed over directly (reviewers' decisions from the store), with
one digest over all of it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifiers.corpus import LabelledAd, load_files, seed_files
from classifiers.errors import CorpusError, TrainingError
from classifiers.tabular import Columns, load_table

SEED = "seed"  # in a data list: the bundled seed corpus
_DIGEST_FORMAT = b"lurewatch-training-data-v1\0"


@dataclass(frozen=True)
class TrainingData:
    ads: list[LabelledAd]
    files: list[Path]  # every file read, seed files included, in reading order
    sources: list[dict[str, Any]]  # per source: name, kind, ads
    columns: dict[str, Any] | None  # the column mapping, when a user file was read
    sha256: str  # over every file's name and bytes, the mapping and the direct ads
    uses_seed: bool
    direct: int  # ads handed over directly


def load_training_data(
    data: Sequence[Path | str] | None = None,
    columns: Columns | None = None,
    ads: Sequence[LabelledAd] = (),
) -> TrainingData:
    """``data``: paths and/or ``"seed"``; nothing means the seed. ``ads`` come last, sorted
    by id so the store's row order cannot change the model."""
    entries = list(dict.fromkeys(data or [SEED]))
    columns = columns or Columns()
    loaded: list[LabelledAd] = []
    files: list[Path] = []
    sources: list[dict[str, Any]] = []
    uses_seed = user_files = False
    for entry in entries:
        if isinstance(entry, str) and entry == SEED:
            paths = seed_files()
            if not paths:
                raise TrainingError("no training data: the bundled seed corpus is missing")
            found = load_files(paths)
            files += paths
            uses_seed = True
            sources.append({"name": SEED, "kind": "seed", "ads": len(found)})
        else:
            path = Path(entry)
            found = load_table(path, columns)
            files.append(path)
            user_files = True
            sources.append({"name": path.name, "kind": _kind(path), "ads": len(found)})
        loaded += found
    direct = sorted(ads, key=lambda a: a.id)
    for ad in direct:
        _check_direct(ad)
    if direct:
        sources.append({"name": "reviewers' decisions", "kind": "direct", "ads": len(direct)})
    everything = loaded + direct
    _check_unique(everything)
    mapping = columns.describe() if user_files else None
    return TrainingData(
        ads=everything,
        files=files,
        sources=sources,
        columns=mapping,
        sha256=_digest(files, mapping, direct),
        uses_seed=uses_seed,
        direct=len(direct),
    )


def _kind(path: Path) -> str:
    return "csv" if path.suffix.lower() in (".csv", ".tsv") else "jsonl"


def _check_direct(ad: LabelledAd) -> None:
    where = ad.source or f"ad {ad.id!r}"
    if not ad.id:
        raise CorpusError(f"{where}: labelled ad without an id")
    if not isinstance(ad.text, str) or not ad.text.strip():
        raise CorpusError(f"{where}: empty text")
    if isinstance(ad.label, bool) or ad.label not in (0, 1):
        raise CorpusError(f"{where}: label must be 0 or 1, got {ad.label!r}")


def _check_unique(ads: Sequence[LabelledAd]) -> None:
    seen: dict[str, LabelledAd] = {}
    for ad in ads:
        first = seen.setdefault(ad.id, ad)
        if first is not ad:
            raise CorpusError(
                f"{ad.source or ad.id}: id {ad.id!r} already used at {first.source or first.id}"
            )


def _digest(
    files: Sequence[Path], mapping: dict[str, Any] | None, direct: Sequence[LabelledAd]
) -> str:
    digest = hashlib.sha256(_DIGEST_FORMAT)
    for path in files:
        digest.update(b"file\0" + path.name.encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    if mapping is not None:
        digest.update(b"columns\0" + json.dumps(mapping, sort_keys=True).encode() + b"\0")
    for ad in direct:
        row = [ad.id, ad.title, ad.text, ad.label, ad.lang]
        digest.update(b"ad\0" + json.dumps(row, ensure_ascii=False).encode() + b"\0")
    return digest.hexdigest()
