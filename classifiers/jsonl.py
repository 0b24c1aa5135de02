"""``lurewatch classify IN.jsonl``: one JSON object per line in, the same object with the
classification added out. Bad lines are reported and skipped; good lines keep their order.

A line needs a string ``text``; ``title`` and ``lang`` are optional strings. A line with
neither text nor title is reported (usually a wrong field name), not scored. Text beyond the
classifier's cap (``LUREWATCH_MAX_AD_CHARS``) is not read, so offsets stay valid for the
text given. A ``lang`` that is not en, es, fr, ht or pt (say "de", or "xx") is not trusted:
the output ``lang`` is then the identified language, or "other".

An optional ``region`` (the site's country, an ISO code such as "LC") sets the default
country for phone numbers and bare "$" amounts; an unknown code is reported.

Each output line adds ``lure_score``, ``flagged``, ``indicators`` (with evidence spans),
``model_version``, ``lang``, ``top_terms`` (see classifiers/explain.py) and ``entities``:
``{"type", "value", "start", "end", "text", "attrs"}`` each, read from ``text`` only, so
``text[start:end] == text`` of the entity (see classifiers/entities/)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any, TextIO

from classifiers.entities import UnknownRegionError, check_region
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
    if text is None:
        return "missing string field 'text'"
    for name in ("text", "title", "lang", "region"):
        if row.get(name) is not None and not isinstance(row[name], str):
            return f"'{name}' must be a string, got {_json_type(row[name])}"
    title = row.get("title") or ""
    if not text.strip() and not title.strip():
        # Almost always a column mapping mistake; a score of 0 would hide it.
        return "nothing to classify: 'text' is empty and there is no 'title'"
    region = row.get("region") or None
    if region is not None:
        try:
            check_region(region)
        except UnknownRegionError as exc:
            return str(exc)
    return row, AdText(text=text, title=title, lang=row.get("lang"), region=region)


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


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
        "top_terms": [asdict(t) for t in result.top_terms],
        "entities": [asdict(e) for e in result.entities],
    }
