"""``lurewatch classify IN.jsonl``: one JSON object per line in, the same object with the
classification added out. Bad lines are reported and skipped; good lines keep their order."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any, TextIO

from classifiers.service import AdText, LureClassifier
from core.ad import Classification

BATCH = 256
MAX_LINE_CHARS = 5_000_000  # far above any ad; refuses to parse runaway input


def classify_stream(clf: LureClassifier, lines: Iterable[str], out: TextIO, err: TextIO) -> int:
    """Returns the number of bad lines (each reported on ``err`` as "line N: reason")."""
    bad = 0
    batch: list[tuple[dict[str, Any], AdText]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parsed = _parse(line)
        if isinstance(parsed, str):
            bad += 1
            err.write(f"line {number}: {parsed}\n")
            continue
        batch.append(parsed)
        if len(batch) >= BATCH:
            _flush(clf, batch, out)
    _flush(clf, batch, out)
    return bad


def _parse(line: str) -> tuple[dict[str, Any], AdText] | str:
    if len(line) > MAX_LINE_CHARS:
        return f"line longer than {MAX_LINE_CHARS} characters"
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"not JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(row, dict):
        return f"expected a JSON object, got {type(row).__name__}"
    text = row.get("text")
    if not isinstance(text, str):
        return "missing string field 'text'" if text is None else "'text' must be a string"
    for name in ("title", "lang"):
        if row.get(name) is not None and not isinstance(row[name], str):
            return f"'{name}' must be a string"
    return row, AdText(text=text, title=row.get("title") or "", lang=row.get("lang"))


def _flush(clf: LureClassifier, batch: list[tuple[dict[str, Any], AdText]], out: TextIO) -> None:
    if not batch:
        return
    results = clf.classify_many([ad for _, ad in batch])
    for (row, _), result in zip(batch, results, strict=True):
        out.write(json.dumps({**row, **result_fields(result)}, ensure_ascii=False) + "\n")
    batch.clear()


def result_fields(result: Classification) -> dict[str, Any]:
    return {
        "lure_score": result.lure_score,
        "flagged": result.flagged,
        "indicators": [asdict(i) for i in result.indicators],
        "model_version": result.model_version,
        "lang": result.lang,
    }
