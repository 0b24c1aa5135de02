"""Labelled ads: the bundled seed corpus and user JSONL files, and the split into train,
validation and test parts: fixed in ``seed/split.json`` for the seed, by hash of the id for
any other ad."""

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
PARTS = (TRAIN, VALIDATION, TEST)
# Buckets of sha256(id) mod 100: stable, so an ad never moves between parts as data grows.
_SPLIT = ((TRAIN, 70), (VALIDATION, 85), (TEST, 100))
MAX_LINE_CHARS = 1_000_000
# Which seed ad is in which part (made by scripts/make_seed_split.py, committed).
SPLIT_FILE = SEED_DIR / "split.json"


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
        # utf-8-sig: a byte-order mark from an editor is not part of the first line.
        handle = path.open(encoding="utf-8-sig")
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
    row = json_object(line, where, CorpusError)
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


def load_split_file(path: Path = SPLIT_FILE) -> dict[str, str]:
    """id -> part, as fixed for the seed corpus."""
    try:
        doc: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CorpusError(f"seed split file not found: {path}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorpusError(f"cannot read the seed split file {path}: {exc}") from exc
    fixed: dict[str, str] = {}
    for part in PARTS:
        ids = doc.get(part) if isinstance(doc, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise CorpusError(f"{path}: {part!r} must be a list of ad ids")
        for ad_id in ids:
            if fixed.setdefault(ad_id, part) != part:
                raise CorpusError(f"{path}: id {ad_id!r} is in both {fixed[ad_id]} and {part}")
    return fixed


def split_sha256(path: Path = SPLIT_FILE) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise CorpusError(f"cannot read the seed split file {path}: {exc}") from exc


def json_object(line: str, where: str, error: type[Exception]) -> dict[str, Any]:
    """One line of a JSONL file as an object, or ``error`` saying where and why not."""
    try:
        row: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        raise error(f"{where}: not JSON ({exc.msg})") from exc
    if not isinstance(row, dict):
        raise error(f"{where}: expected a JSON object, got {type(row).__name__}")
    return row


def part_of(ad_id: str) -> str:
    """The hash rule for ads outside the fixed seed split."""
    bucket = int.from_bytes(hashlib.sha256(ad_id.encode()).digest()[:8], "big") % 100
    return next(name for name, upper in _SPLIT if bucket < upper)


def split(ads: Sequence[LabelledAd], split_file: Path = SPLIT_FILE) -> dict[str, list[LabelledAd]]:
    """Train/validation/test parts. Seed ads go where ``split_file`` puts them; any other ad
    by hash of its id (70/15/15). When the other ads of a language have none of one class in
    validation or test, the training ad of that language and class closest to the part's
    hash range moves there, so every part sees every language."""
    fixed = load_split_file(split_file)
    parts: dict[str, list[LabelledAd]] = {TRAIN: [], VALIDATION: [], TEST: []}
    hashed: dict[str, list[LabelledAd]] = {TRAIN: [], VALIDATION: [], TEST: []}
    for ad in ads:
        if ad.id in fixed:
            parts[fixed[ad.id]].append(ad)
        else:
            hashed[part_of(ad.id)].append(ad)
    _top_up(hashed, [a for a in ads if a.id not in fixed])
    for name in PARTS:
        parts[name].extend(hashed[name])
    return parts


def _top_up(parts: dict[str, list[LabelledAd]], ads: Sequence[LabelledAd]) -> None:
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
