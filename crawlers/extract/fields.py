"""What an extractor finds on a page: the page-dependent part of an ``Ad``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Bounds on the schema.org object kept with an ad: enough to show and re-parse, never a page-sized
# blob (a hostile page can put megabytes or thousands of levels into one JSON-LD script).
MAX_DEPTH = 6
MAX_ITEMS = 30
MAX_STRING = 4_000
MAX_KEYS = 60
_SURROGATES = re.compile("[\ud800-\udfff]")


@dataclass
class AdFields:
    extraction: str  # jsonld | microdata | selectors | heuristic
    title: str = ""
    text: str = ""
    employer: str = ""
    location: str = ""
    salary: str = ""
    date_posted: str = ""
    structured: dict[str, Any] = field(default_factory=dict)


def bounded(value: Any, depth: int = 0) -> Any:
    """A JSON-safe copy of ``value`` with depth, list length, key count and strings capped."""
    if isinstance(value, str):
        return _valid(value[:MAX_STRING])
    if value is None or isinstance(value, bool | int | float):
        return value
    if depth >= MAX_DEPTH:
        return None
    if isinstance(value, dict):
        items = list(value.items())[:MAX_KEYS]
        return {_valid(str(k)[:200]): bounded(v, depth + 1) for k, v in items}
    if isinstance(value, list | tuple):
        return [bounded(v, depth + 1) for v in value[:MAX_ITEMS]]
    return _valid(str(value)[:MAX_STRING])


def _valid(text: str) -> str:
    # JSON's "\ud800" escapes decode to lone surrogates, which no UTF-8 store accepts.
    return text if text.isascii() else _SURROGATES.sub("\ufffd", text)
