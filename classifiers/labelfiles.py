"""Label files exchanged with analysts: the plain JSONL queue and decisions, and what every
import format yields (``ImportedLabel``).

Export: one object per line, ``{"ad_id", "title", "text", "url", "lang", "lure_score"}``.
Import: one object per line, ``{"ad_id", "label": 0 | 1, "reviewer"?, "note"?,
"decided_at"?}``; other keys are ignored, so the exported file with a ``label`` added to each
line imports as it is, and a line with no ``label`` (or ``null``) is an ad not labelled yet:
skipped and counted. Any other problem fails the whole file, naming the line.
"""

from __future__ import annotations

import json
from collections.abc import Container, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from classifiers.corpus import json_object
from classifiers.labelqueue import Candidate

MAX_FILE_CHARS = 200_000_000
MAX_NOTE_CHARS = 2_000
MAX_REVIEWER_CHARS = 200
FileFormat = Literal["labelstudio", "jsonl"]


class LabelFileError(ValueError):
    """A label file cannot be imported; the message names the line or task."""


@dataclass(frozen=True)
class ImportedLabel:
    ad_id: str
    label: int
    reviewer: str
    decided_at: str  # ISO 8601, UTC
    note: str = ""
    where: str = ""  # "line 3", "task 2": for messages


@dataclass(frozen=True)
class ImportResult:
    labels: list[ImportedLabel]
    unlabelled: int = 0  # tasks or lines with no decision in them
    cancelled: int = 0  # Label Studio annotations that were skipped / cancelled
    empty: int = 0  # Label Studio annotations submitted without a choice

    def counts(self) -> dict[int, int]:
        """Decisions per label (0 and 1 always present)."""
        out = {0: 0, 1: 0}
        for label in self.labels:
            out[label.label] += 1
        return out


def check_known(result: ImportResult, known: Container[str]) -> None:
    """Refuse the whole file when it decides on ads that are not in the store."""
    unknown = [label for label in result.labels if label.ad_id not in known]
    if unknown:
        listed = "; ".join(f"{u.where}: {u.ad_id[:60]!r}" for u in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise LabelFileError(
            f"{len(unknown)} decision(s) on ads not in the store, nothing imported: {listed}{more}"
        )


def queue_row(candidate: Candidate) -> dict[str, Any]:
    return {
        "ad_id": candidate.id,
        "title": candidate.title,
        "text": candidate.text,
        "url": candidate.url,
        "lang": candidate.lang,
        "lure_score": candidate.lure_score,
    }


def write_jsonl(candidates: Iterable[Candidate], out: TextIO) -> int:
    count = 0
    for candidate in candidates:
        out.write(json.dumps(queue_row(candidate), ensure_ascii=False) + "\n")
        count += 1
    return count


def detect_format(content: str) -> FileFormat:
    """A JSON list is a Label Studio export; objects one per line are JSONL."""
    start = content.lstrip("\ufeff \t\r\n")[:1]
    if start == "[":
        return "labelstudio"
    if start == "{":
        return "jsonl"
    if not start:
        raise LabelFileError("the file is empty")
    raise LabelFileError(
        "not a label file: expected a Label Studio JSON export (a list of tasks) or JSONL "
        "(one object per line)"
    )


def check_size(content: str) -> None:
    if len(content) > MAX_FILE_CHARS:
        raise LabelFileError(f"label file larger than {MAX_FILE_CHARS} characters: split it")


def parse_jsonl(content: str, default_reviewer: str, now: str | None = None) -> ImportResult:
    check_size(content)
    imported_at = now or utc_iso(datetime.now(UTC))
    labels: list[ImportedLabel] = []
    unlabelled = 0
    for number, line in enumerate(content.lstrip("\ufeff").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        row = json_object(line, where, LabelFileError)
        ad_id = row.get("ad_id")
        if not isinstance(ad_id, str) or not ad_id.strip():
            raise LabelFileError(f"{where}: missing or empty string field 'ad_id'")
        label = row.get("label")
        if label is None:
            unlabelled += 1
            continue
        if isinstance(label, bool) or label not in (0, 1):
            raise LabelFileError(f"{where}: 'label' must be 0 or 1, got {label!r}")
        reviewer = _optional_text(row, "reviewer", where) or default_reviewer
        decided = _optional_text(row, "decided_at", where)
        labels.append(
            ImportedLabel(
                ad_id=ad_id,
                label=int(label),
                reviewer=check_reviewer(reviewer, where),
                decided_at=parse_time(decided, where) if decided else imported_at,
                note=check_note(_optional_text(row, "note", where), where),
                where=where,
            )
        )
    return ImportResult(labels=labels, unlabelled=unlabelled)


def _optional_text(row: dict[str, Any], name: str, where: str) -> str:
    value = row.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise LabelFileError(f"{where}: {name!r} must be a string, got {type(value).__name__}")
    return value.strip()


def check_reviewer(reviewer: str, where: str) -> str:
    reviewer = reviewer.strip()
    if not reviewer:
        raise LabelFileError(f"{where}: no reviewer named (give --reviewer)")
    if len(reviewer) > MAX_REVIEWER_CHARS:
        raise LabelFileError(f"{where}: reviewer name longer than {MAX_REVIEWER_CHARS} characters")
    return reviewer


def check_note(note: str, where: str) -> str:
    if len(note) > MAX_NOTE_CHARS:
        raise LabelFileError(f"{where}: note longer than {MAX_NOTE_CHARS} characters")
    return note


def parse_time(value: str, where: str) -> str:
    """An ISO 8601 time as UTC ISO; a time without a zone is taken as UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise LabelFileError(f"{where}: {value!r} is not an ISO 8601 time") from exc
    return utc_iso(moment)


def utc_iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")
