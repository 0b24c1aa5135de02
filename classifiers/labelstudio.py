"""Label Studio files: the queue as tasks to import into a project (plus the labelling config
that project needs), and the project's JSON export read back as decisions.

Export (Label Studio's JSON import format): a list of tasks ``{"data": {"text", "title",
"ad_id", "url", "lang", "lure_score", "model_version"}}``. No ``predictions`` are sent: showing
the model's guess would bias the analyst, whose label is meant to correct it.

Import (the project's "JSON" export): a list of tasks, each with ``data.ad_id`` and
``annotations``; an annotation's ``result`` holds a ``choices`` result with ``lure`` or
``not_lure`` (and maybe a ``textarea`` note). Per task the latest annotation (by
``updated_at``, else ``created_at``, else position) that was not cancelled and has a choice
is the decision. Cancelled (skipped) annotations, annotations without a choice and tasks with
no decision are counted and ignored. Anything else wrong (not JSON, wrong shapes, a choice
other than ``lure``/``not_lure``) fails the whole file with the task's position, so nothing
is half-imported.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from classifiers.labelfiles import (
    ImportedLabel,
    ImportResult,
    LabelFileError,
    check_note,
    check_reviewer,
    check_size,
    parse_time,
    utc_iso,
)
from classifiers.labelqueue import Candidate

CHOICES_NAME = "label"
TEXT_NAME = "text"
NOTE_NAME = "note"
LURE, NOT_LURE = "lure", "not_lure"
LABELS = {LURE: 1, NOT_LURE: 0}


def task(candidate: Candidate) -> dict[str, Any]:
    return {
        "data": {
            "text": candidate.text,
            "title": candidate.title,
            "ad_id": candidate.id,
            "url": candidate.url,
            "lang": candidate.lang,
            "lure_score": candidate.lure_score,
            "model_version": candidate.model_version,
        }
    }


def labelling_config() -> str:
    """The project's labelling interface: the ad, one required choice, an optional note."""
    hints = {
        LURE: "Recruitment that shows signs of trafficking or forced labour",
        NOT_LURE: "An ordinary job ad, or too little to call it a lure",
    }
    choices = "\n".join(
        f"    <Choice value={quoteattr(value)} hint={quoteattr(hints[value])}/>"
        for value in (LURE, NOT_LURE)
    )
    return (
        "<View>\n"
        '  <Header value="$title"/>\n'
        f'  <Text name="{TEXT_NAME}" value="$text"/>\n'
        '  <Header value="$url" size="6"/>\n'
        f'  <Choices name="{CHOICES_NAME}" toName="{TEXT_NAME}" choice="single" '
        'showInline="true" required="true">\n'
        f"{choices}\n"
        "  </Choices>\n"
        f'  <TextArea name="{NOTE_NAME}" toName="{TEXT_NAME}" placeholder="Why (optional)" '
        'maxSubmissions="1" editable="true" rows="2"/>\n'
        "</View>\n"
    )


def config_path(tasks_path: Path) -> Path:
    return tasks_path.with_name(f"{tasks_path.stem}-config.xml")


def write_export(candidates: Iterable[Candidate], path: Path) -> tuple[Path, Path]:
    """Write the tasks file and, next to it, the labelling config; both or neither appear."""
    tasks = [task(c) for c in candidates]
    config = config_path(path)
    _write_atomic(config, labelling_config())
    _write_atomic(path, json.dumps(tasks, ensure_ascii=False, indent=2) + "\n")
    return path, config


def _write_atomic(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(content, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def parse_export(content: str, reviewer: str | None = None, now: str | None = None) -> ImportResult:
    """Decisions from a Label Studio JSON export. ``reviewer``, when given, is recorded for
    every decision; otherwise the annotator Label Studio names (email, username, or
    ``label-studio user <id>``)."""
    check_size(content)
    try:
        tasks: Any = json.loads(content.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        raise LabelFileError(
            f"not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from exc
    if not isinstance(tasks, list):
        raise LabelFileError(
            f"expected a list of tasks (Label Studio's JSON export), got {type(tasks).__name__}"
        )
    imported_at = now or utc_iso(datetime.now(UTC))
    labels: list[ImportedLabel] = []
    unlabelled = cancelled = empty = 0
    for number, item in enumerate(tasks, start=1):
        where = _where(number, item)
        outcome = _read_task(item, where, reviewer, imported_at)
        cancelled += outcome.cancelled
        empty += outcome.empty
        if outcome.label is None:
            unlabelled += 1
        else:
            labels.append(outcome.label)
    return ImportResult(labels=labels, unlabelled=unlabelled, cancelled=cancelled, empty=empty)


class _TaskOutcome:
    def __init__(self) -> None:
        self.label: ImportedLabel | None = None
        self.cancelled = 0
        self.empty = 0


def _where(number: int, item: Any) -> str:
    if isinstance(item, dict) and isinstance(item.get("id"), int | str):
        return f"task {number} (Label Studio id {str(item['id'])[:40]})"
    return f"task {number}"


def _read_task(item: Any, where: str, reviewer: str | None, imported_at: str) -> _TaskOutcome:
    if not isinstance(item, dict):
        raise LabelFileError(f"{where}: expected a task object, got {type(item).__name__}")
    data = item.get("data")
    if not isinstance(data, dict):
        raise LabelFileError(f"{where}: no 'data' object")
    ad_id = data.get("ad_id")
    if not isinstance(ad_id, str) or not ad_id.strip():
        raise LabelFileError(
            f"{where}: no data.ad_id: import only projects made from a lurewatch export"
        )
    annotations = item.get("annotations") or []
    if not isinstance(annotations, list):
        raise LabelFileError(f"{where}: 'annotations' must be a list")
    outcome = _TaskOutcome()
    best: tuple[tuple[str, int], ImportedLabel] | None = None
    for position, annotation in enumerate(annotations, start=1):
        here = f"{where} annotation {position}"
        if not isinstance(annotation, dict):
            raise LabelFileError(f"{here}: expected an object, got {type(annotation).__name__}")
        if annotation.get("was_cancelled"):
            outcome.cancelled += 1
            continue
        choice, note = _read_result(annotation.get("result"), here)
        if choice is None:
            outcome.empty += 1
            continue
        stamp = annotation.get("updated_at") or annotation.get("created_at")
        if stamp is not None and not isinstance(stamp, str):
            raise LabelFileError(f"{here}: 'updated_at' must be a string")
        decided = parse_time(stamp, here) if stamp else ""
        label = ImportedLabel(
            ad_id=ad_id,
            label=LABELS[choice],
            reviewer=check_reviewer(reviewer or _annotator(annotation), here),
            decided_at=decided or imported_at,
            note=check_note(note, here),
            where=where,
        )
        key = (decided, position)
        if best is None or key > best[0]:
            best = (key, label)
    outcome.label = None if best is None else best[1]
    return outcome


def _read_result(result: Any, where: str) -> tuple[str | None, str]:
    if result is None:
        return None, ""
    if not isinstance(result, list):
        raise LabelFileError(f"{where}: 'result' must be a list")
    choice: str | None = None
    notes: list[str] = []
    for region in result:
        if not isinstance(region, dict):
            raise LabelFileError(f"{where}: a result must be an object")
        value = region.get("value")
        kind = region.get("type")
        if kind == "choices":
            picked = value.get("choices") if isinstance(value, dict) else None
            if not isinstance(picked, list) or not all(isinstance(c, str) for c in picked):
                raise LabelFileError(f"{where}: 'value.choices' must be a list of strings")
            if len(picked) != 1:
                raise LabelFileError(f"{where}: expected exactly one choice, got {picked!r}")
            if picked[0] not in LABELS:
                raise LabelFileError(
                    f"{where}: unknown choice {picked[0]!r} (expected {LURE!r} or {NOT_LURE!r})"
                )
            if choice is not None and choice != picked[0]:
                raise LabelFileError(f"{where}: both {choice!r} and {picked[0]!r} chosen")
            choice = picked[0]
        elif kind == "textarea":
            texts = value.get("text") if isinstance(value, dict) else None
            if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
                raise LabelFileError(f"{where}: 'value.text' of a textarea must be strings")
            notes.extend(t.strip() for t in texts if t.strip())
    return choice, " ".join(notes)


def _annotator(annotation: dict[str, Any]) -> str:
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        for key in ("email", "username", "id"):
            if who.get(key) not in (None, ""):
                return str(who[key])[:200]
        return "label-studio"
    if isinstance(who, bool) or who is None or who == "":
        return "label-studio"
    if isinstance(who, int) or (isinstance(who, str) and who.isdigit()):
        return f"label-studio user {who}"
    return str(who)[:200]
