"""Labelled ads: the bundled seed corpus and user JSONL files, and the fixed split of the
seed into train, validation and test parts."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifiers.errors import CorpusError
from classifiers.language import SEED_DIR, normalise_lang

TRAIN, VALIDATION, TEST = "train", "validation", "test"
# Buckets of sha256(id) mod 100: stable, so an ad never moves between parts as data grows.
_SPLIT = ((TRAIN, 70), (VALIDATION, 85), (TEST, 100))
MAX_LINE_CHARS = 1_000_000


@dataclass(frozen=True)
class LabelledAd:
    id: str
    text: str
    label: int
    title: str = ""
    lang: str | None = None
    kind: str = ""
    category: str = ""
    source: str = ""  # "file:line", for messages


# Short benign ads with one indicator each, in the five languages: the seed ads are long
# and benign ones always name the employer, so without these a model learns that any short,
# anonymous ad is a lure. Part of the bundled training data, split like the seed.
SINGLE_SIGNAL_FILE = Path(__file__).resolve().parent / "single_signal.jsonl"


def seed_files(seed_dir: Path = SEED_DIR) -> list[Path]:
    """The bundled labelled data: the seed corpus plus the single-signal negatives."""
    files = sorted(seed_dir.glob("*.jsonl"))
    if files and SINGLE_SIGNAL_FILE.is_file() and seed_dir == SEED_DIR:
        files.append(SINGLE_SIGNAL_FILE)
    return files


def load_seed(seed_dir: Path = SEED_DIR) -> list[LabelledAd]:
    files = seed_files(seed_dir)
    if not files:
        raise CorpusError(f"no seed corpus (*.jsonl) in {seed_dir}")
    return load_files(files)


def load_files(paths: Iterable[Path]) -> list[LabelledAd]:
    ads: list[LabelledAd] = []
    seen: dict[str, str] = {}
    for path in paths:
        for ad in load_jsonl(Path(path)):
            if ad.id in seen:
                raise CorpusError(f"{ad.source}: id {ad.id!r} already used at {seen[ad.id]}")
            seen[ad.id] = ad.source
            ads.append(ad)
    return ads


def load_jsonl(path: Path) -> list[LabelledAd]:
    try:
        handle = path.open(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CorpusError(f"labelled data file not found: {path}") from exc
    except OSError as exc:
        raise CorpusError(f"cannot read {path}: {exc}") from exc
    ads = []
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    ads.append(parse_line(line, f"{path}:{number}"))
        except UnicodeDecodeError as exc:
            raise CorpusError(f"{path}: not UTF-8 text ({exc})") from exc
    return ads


def parse_line(line: str, where: str) -> LabelledAd:
    if len(line) > MAX_LINE_CHARS:
        raise CorpusError(f"{where}: line longer than {MAX_LINE_CHARS} characters")
    try:
        row: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{where}: not JSON ({exc.msg})") from exc
    if not isinstance(row, dict):
        raise CorpusError(f"{where}: expected a JSON object, got {type(row).__name__}")
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        raise CorpusError(f"{where}: missing or empty string field 'text'")
    label = row.get("label")
    if isinstance(label, bool) or label not in (0, 1):
        raise CorpusError(f"{where}: 'label' must be 0 or 1, got {label!r}")
    for name in ("title", "lang", "id", "kind", "category"):
        if row.get(name) is not None and not isinstance(row[name], str):
            raise CorpusError(f"{where}: {name!r} must be a string")
    title = row.get("title") or ""
    ad_id = row.get("id") or "sha-" + hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()[:16]
    return LabelledAd(
        id=ad_id,
        text=text,
        label=int(label),
        title=title,
        lang=normalise_lang(row.get("lang")),
        kind=row.get("kind") or "",
        category=row.get("category") or "",
        source=where,
    )


def part_of(ad_id: str) -> str:
    bucket = int.from_bytes(hashlib.sha256(ad_id.encode()).digest()[:8], "big") % 100
    return next(name for name, upper in _SPLIT if bucket < upper)


def split(ads: Sequence[LabelledAd]) -> dict[str, list[LabelledAd]]:
    """Train/validation/test by hash of the id (70/15/15). When a language has ads but no
    ad of one class in validation or test, the training ad of that language and class
    closest to the part's hash range moves there, so every part sees every language."""
    parts: dict[str, list[LabelledAd]] = {TRAIN: [], VALIDATION: [], TEST: []}
    for ad in ads:
        parts[part_of(ad.id)].append(ad)
    groups: dict[tuple[str, int], list[LabelledAd]] = defaultdict(list)
    for ad in ads:
        groups[(ad.lang or "", ad.label)].append(ad)
    for (lang, label), members in sorted(groups.items()):
        if len(members) < 3:
            continue
        for name in (VALIDATION, TEST):
            if any((a.lang or "", a.label) == (lang, label) for a in parts[name]):
                continue
            movable = [a for a in parts[TRAIN] if (a.lang or "", a.label) == (lang, label)]
            if len(movable) < 2:
                continue
            chosen = max(movable, key=lambda a: _bucket_key(a.id))
            parts[TRAIN].remove(chosen)
            parts[name].append(chosen)
    return parts


def _bucket_key(ad_id: str) -> tuple[int, str]:
    return int.from_bytes(hashlib.sha256(ad_id.encode()).digest()[:8], "big") % 100, ad_id


def data_sha256(paths: Iterable[Path]) -> str:
    """One digest over the files' names and bytes, in the order given."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).name.encode() + b"\0")
        digest.update(Path(path).read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()
