"""Labelled ads from CSV (or TSV) and JSONL files with their own column names, e.g. a public
fake-job-postings dataset: ``--text-column description --label-column fraudulent``.

Every refusal names the file and line: a missing column (listing the columns the file has),
a label that is neither a "1" nor a "0" value, an empty text, a field over the size cap.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from classifiers.corpus import MAX_LINE_CHARS, LabelledAd, load_jsonl
from classifiers.errors import CorpusError
from classifiers.language import normalise_lang

DEFAULT_POSITIVE = ("1", "true", "yes")
DEFAULT_NEGATIVE = ("0", "false", "no")
# An ad is a few thousand characters; a field far beyond that is a broken file.
MAX_FIELD_CHARS = 100_000
CSV_SUFFIXES = {".csv": ",", ".tsv": "\t"}
JSONL_SUFFIXES = (".jsonl", ".ndjson")


@dataclass(frozen=True)
class Columns:
    """Which columns (CSV) or fields (JSONL) hold what. ``None``/empty means the standard
    name: ``text`` and ``label`` must then exist, ``title``, ``id`` and ``lang`` are used
    when the file has them. A column named explicitly must exist."""

    text: tuple[str, ...] = ()  # several are joined, in this order
    title: str | None = None
    label: str | None = None
    id: str | None = None
    lang: str | None = None
    positive: tuple[str, ...] = DEFAULT_POSITIVE  # label values meaning 1 (any case)
    negative: tuple[str, ...] = DEFAULT_NEGATIVE  # label values meaning 0

    def __post_init__(self) -> None:
        names = [*self.text, self.title, self.label, self.id, self.lang]
        if any(n is not None and not n.strip() for n in names):
            raise CorpusError("column names must not be empty")
        pos, neg = _values(self.positive), _values(self.negative)
        if not pos or not neg:
            raise CorpusError("give at least one label value for 1 and one for 0")
        both = sorted(set(pos) & set(neg))
        if both:
            raise CorpusError(f"label value(s) {', '.join(both)} given for both 1 and 0")

    @property
    def is_standard(self) -> bool:
        return self == Columns()

    def describe(self) -> dict[str, Any]:
        """The mapping as recorded with a model (and hashed into its training data digest)."""
        return {
            "text": list(self.text or ("text",)),
            "title": self.title or "title",
            "label": self.label or "label",
            "id": self.id or "id",
            "lang": self.lang or "lang",
            "positive": list(_values(self.positive)),
            "negative": list(_values(self.negative)),
        }


def _values(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip().casefold() for v in values if v.strip()))


def load_table(path: Path, columns: Columns | None = None) -> list[LabelledAd]:
    """A CSV/TSV or JSONL file of labelled ads; JSONL in the standard format unless column
    options say otherwise."""
    columns = columns or Columns()
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return load_csv(path, columns)
    if suffix in JSONL_SUFFIXES:
        return load_jsonl(path) if columns.is_standard else load_mapped_jsonl(path, columns)
    raise CorpusError(
        f"{path}: unknown file type {path.suffix or '(none)'!r}; labelled data must be "
        ".csv, .tsv or .jsonl"
    )


@contextmanager
def _open(path: Path) -> Iterator[IO[str]]:
    try:
        # utf-8-sig: spreadsheet programs start UTF-8 CSV files with a byte-order mark.
        handle = path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError as exc:
        raise CorpusError(f"labelled data file not found: {path}") from exc
    except OSError as exc:
        raise CorpusError(f"cannot read {path}: {exc}") from exc
    with handle:
        yield handle


@contextmanager
def _field_limit(limit: int) -> Iterator[None]:
    # The csv module's limit is process-wide: set for this read only, then restored.
    previous = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


class _Mapper:
    def __init__(self, path: Path, columns: Columns) -> None:
        self.path = path
        self.columns = columns
        self.positive = _values(columns.positive)
        self.negative = _values(columns.negative)
        self.first_line: dict[str, tuple[int, int]] = {}  # id -> (line, label)

    def check_header(self, names: Sequence[str], where: str, kind: str = "column") -> None:
        """Every required or explicitly named column is there; else say what the file has."""
        c = self.columns
        required = [*(c.text or ("text",)), c.label or "label"]
        required += [n for n in (c.title, c.id, c.lang) if n is not None]
        missing = [n for n in dict.fromkeys(required) if n not in names]
        if missing:
            has = ", ".join(repr(n) for n in names) if names else "none"
            which = ", ".join(repr(n) for n in missing)
            raise CorpusError(f"{where}: no {kind} {which}; it has: {has}")

    def ad(self, record: Mapping[str, Any], line: int) -> LabelledAd | None:
        """The ad of one row, or None for a repeat of an earlier row with the same label."""
        c, where = self.columns, f"{self.path}:{line}"
        label_name = c.label or "label"
        label = self._label(record.get(label_name), label_name, where)
        parts = [self._text(record.get(n), n, where) for n in c.text or ("text",)]
        text = "\n\n".join(p for p in parts if p)
        if not text:
            names = ", ".join(repr(n) for n in c.text or ("text",))
            raise CorpusError(f"{where}: empty text (column {names})")
        if len(text) > MAX_LINE_CHARS:
            raise CorpusError(f"{where}: text longer than {MAX_LINE_CHARS} characters")
        title = self._text(record.get(c.title or "title"), c.title or "title", where)
        lang = self._text(record.get(c.lang or "lang"), c.lang or "lang", where)
        given = self._id(record, where)
        ad_id = given or "sha-" + hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()[:16]
        seen = self.first_line.get(ad_id)
        if seen is not None:
            if given or seen[1] != label:
                what = f"id {ad_id!r}" if given else "the same title and text"
                raise CorpusError(f"{where}: {what} as line {seen[0]} with label {seen[1]}")
            return None  # the same ad posted twice: train on it once
        self.first_line[ad_id] = (line, label)
        return LabelledAd(
            id=ad_id,
            text=text,
            label=label,
            title=title,
            lang=normalise_lang(lang),
            source=where,
        )

    def _id(self, record: Mapping[str, Any], where: str) -> str:
        """The ad's id from its column, or "" for a content-hash id."""
        name = self.columns.id or "id"
        ad_id = self._text(record.get(name), name, where)
        if not ad_id and self.columns.id is not None:
            raise CorpusError(f"{where}: empty id in column {name!r}")
        return ad_id

    def _label(self, value: Any, name: str, where: str) -> int:
        raw = _scalar(value, name, where)
        key = raw.strip().casefold()
        if key in self.positive:
            return 1
        if key in self.negative:
            return 0
        shown = repr(raw) if raw.strip() else "empty"
        raise CorpusError(
            f"{where}: label {shown[:60]} in {name!r} is neither 1 ({', '.join(self.positive)}) "
            f"nor 0 ({', '.join(self.negative)})"
        )

    def _text(self, value: Any, name: str, where: str) -> str:
        text = _scalar(value, name, where).strip()
        if len(text) > MAX_FIELD_CHARS:
            raise CorpusError(f"{where}: {name!r} is longer than {MAX_FIELD_CHARS} characters")
        return text


def _scalar(value: Any, name: str, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise CorpusError(f"{where}: {name!r} must be text or a number, got {type(value).__name__}")


def load_csv(path: Path, columns: Columns | None = None) -> list[LabelledAd]:
    """Rows of a CSV (comma) or TSV (tab) file with a header row."""
    mapper = _Mapper(path, columns or Columns())
    ads: list[LabelledAd] = []
    with _open(path) as handle, _field_limit(MAX_FIELD_CHARS):
        reader = csv.reader(handle, delimiter=CSV_SUFFIXES.get(path.suffix.lower(), ","))
        line = 1
        try:
            header = [name.strip() for name in next(reader, [])]
            if not any(header):
                raise CorpusError(f"{path}: empty file; the first line must name the columns")
            doubled = sorted({n for n in header if header.count(n) > 1 and n})
            if doubled:
                raise CorpusError(f"{path}:1: column(s) named twice: {', '.join(doubled)}")
            mapper.check_header(header, f"{path}:1")
            while True:
                line = reader.line_num + 1
                row = next(reader, None)
                if row is None:
                    break
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    raise CorpusError(
                        f"{path}:{line}: {len(row)} fields where the header has {len(header)}"
                    )
                ad = mapper.ad(dict(zip(header, row, strict=True)), line)
                if ad is not None:
                    ads.append(ad)
        except csv.Error as exc:
            reason = str(exc)
            if "field larger than field limit" in reason:
                reason = f"a field is longer than {MAX_FIELD_CHARS} characters"
            raise CorpusError(f"{path}:{line}: {reason}") from exc
        except UnicodeDecodeError as exc:
            raise CorpusError(f"{path}: not UTF-8 text (near line {line})") from exc
    if not ads:
        raise CorpusError(f"{path}: no labelled rows")
    return ads


def load_mapped_jsonl(path: Path, columns: Columns) -> list[LabelledAd]:
    """One JSON object per line, read through the column mapping."""
    mapper = _Mapper(path, columns)
    ads: list[LabelledAd] = []
    with _open(path) as handle:
        number = 0
        try:
            for number, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                where = f"{path}:{number}"
                if len(text) > MAX_LINE_CHARS:
                    raise CorpusError(f"{where}: line longer than {MAX_LINE_CHARS} characters")
                try:
                    record: Any = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise CorpusError(f"{where}: not JSON ({exc.msg})") from exc
                if not isinstance(record, dict):
                    raise CorpusError(
                        f"{where}: expected a JSON object, got {type(record).__name__}"
                    )
                mapper.check_header(list(record), where, kind="field")
                ad = mapper.ad(record, number)
                if ad is not None:
                    ads.append(ad)
        except UnicodeDecodeError as exc:
            raise CorpusError(f"{path}: not UTF-8 text (near line {number + 1})") from exc
    if not ads:
        raise CorpusError(f"{path}: no labelled rows")
    return ads
