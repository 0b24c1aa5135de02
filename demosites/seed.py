"""Reading the project's seed corpus as plain data (never importing the classifiers package)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

LANGS = ("en", "es", "fr", "ht", "pt")
DEFAULT_SEED_DIR = Path(__file__).resolve().parent.parent / "classifiers" / "seed"

# Seed ads are short; anything far larger is a broken file, not an ad.
MAX_TITLE_CHARS = 300
MAX_TEXT_CHARS = 20_000


class SeedError(ValueError):
    """The seed corpus cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class SeedAd:
    id: str
    lang: str
    label: int
    kind: str
    category: str
    title: str
    text: str


def _field(record: dict[str, object], name: str, where: str) -> str:
    value = record.get(name)
    if not isinstance(value, str) or not value.strip():
        raise SeedError(f"{where}: field {name!r} must be a non-empty string")
    return value.strip()


def _parse(line: str, where: str) -> SeedAd:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise SeedError(f"{where}: not valid JSON ({exc.msg})") from exc
    if not isinstance(record, dict):
        raise SeedError(f"{where}: each line must be a JSON object")
    label = record.get("label")
    if label not in (0, 1) or isinstance(label, bool):
        raise SeedError(f"{where}: label must be 0 or 1, got {label!r}")
    lang = _field(record, "lang", where)
    if lang not in LANGS:
        raise SeedError(f"{where}: lang must be one of {', '.join(LANGS)}, got {lang!r}")
    ad = SeedAd(
        id=_field(record, "id", where),
        lang=lang,
        label=int(label),
        kind=_field(record, "kind", where),
        category=str(record.get("category") or "other").strip() or "other",
        title=_field(record, "title", where),
        text=_field(record, "text", where),
    )
    if len(ad.title) > MAX_TITLE_CHARS or len(ad.text) > MAX_TEXT_CHARS:
        raise SeedError(f"{where}: title or text too long for an ad")
    return ad


def read_seed(seed_dir: Path | None = None) -> list[SeedAd]:
    """Every ad of ``{en,es,fr,ht,pt}.jsonl`` under ``seed_dir``; missing language files are
    skipped, so a corpus still being written gives what it has so far."""
    directory = Path(seed_dir) if seed_dir is not None else DEFAULT_SEED_DIR
    if not directory.is_dir():
        raise SeedError(f"seed corpus directory not found: {directory}")
    ads: list[SeedAd] = []
    seen: dict[str, str] = {}
    for lang in LANGS:
        path = directory / f"{lang}.jsonl"
        if not path.is_file():
            continue
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                where = f"{path}:{number}"
                ad = _parse(line, where)
                if ad.id in seen:
                    raise SeedError(f"{where}: duplicate id {ad.id!r} (first at {seen[ad.id]})")
                seen[ad.id] = where
                ads.append(ad)
    return ads
