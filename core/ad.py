"""The ad as it travels from crawler to store: one plain dataclass, no framework types.

Scrapy accepts dataclass items (through itemadapter), the store maps it to a row, and the
index maps it to a document, so every stage agrees on these field names.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass
class Evidence:
    """Words that made an indicator fire. ``field`` names what the offsets index into
    (``"text"`` or ``"title"`` of the ad, or of the line given to ``classify``), so that
    ``ad.text[start:end] == text`` when ``field == "text"``."""

    text: str
    start: int
    end: int
    field: str = "text"


@dataclass
class Indicator:
    code: str
    label: str
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class Term:
    """A word, phrase or indicator feature that pushed the score: ``weight`` is its share of
    the model's log-odds (positive: towards a lure). ``start``/``end`` index the first place
    the word occurs in the ad text, None when it cannot be placed (indicator features, words
    only in the title). ``kind`` is "word", "phrase" or "indicator"."""

    term: str
    weight: float
    start: int | None = None
    end: int | None = None
    kind: str = "word"


@dataclass
class Entity:
    """Something an investigator links ads by: a phone, handle, email, wage, age, place...
    ``value`` is normalised (E.164 for phones, ``name@domain`` for emails, "2500 USD/month"
    for wages); ``text[start:end]`` of the ad text is what was read (``text`` keeps at most
    200 characters of it); ``attrs`` holds structured details (amount, currency, period...)."""

    type: str
    value: str
    start: int
    end: int
    text: str = ""
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class Classification:
    lure_score: float
    flagged: bool
    indicators: list[Indicator]
    model_version: str
    lang: str
    top_terms: list[Term] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)  # offsets into the ad text only


@dataclass
class Capture:
    """One hashed evidence file under ``LUREWATCH_HOME/evidence/`` (see ``core.evidence``).

    ``kind`` is ``manifest`` (the JSON record of the fetch: URL, time, headers, hashes of the
    others), ``warc`` (the HTTP response), ``dom`` (the rendered DOM) or ``screenshot`` (PNG).
    ``path`` is relative to the evidence folder, so a copied case folder still verifies.
    """

    kind: str
    sha256: str
    path: str
    size: int = 0


@dataclass
class Ad:
    id: str  # core.urls.ad_id(url): stable across re-crawls
    url: str  # canonical URL of the detail page
    site: str  # source name from config/sources.yml, or the host in generic mode
    title: str = ""
    text: str = ""  # plain text: what is classified, indexed and shown
    extraction: str = ""  # jsonld | microdata | heuristic | selectors | api
    employer: str = ""
    location: str = ""
    salary: str = ""
    date_posted: str = ""
    lang: str = ""
    fetched_at: str = ""  # ISO 8601 UTC
    http_status: int = 200
    rendered: bool = False  # True when the page was rendered in Chromium
    body_sha256: str = ""  # SHA-256 of the HTTP body that was captured
    lure_score: float | None = None
    flagged: bool = False
    indicators: list[Indicator] = field(default_factory=list)
    model_version: str = ""
    structured: dict[str, Any] = field(default_factory=dict)  # the schema.org object found
    captures: list[Capture] = field(default_factory=list)  # evidence of the fetch this came from
    top_terms: list[Term] = field(default_factory=list)  # what pushed lure_score (explain.py)
    entities: list[Entity] = field(default_factory=list)  # phones, handles... found in text

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Ad:
        known = _KNOWN_FIELDS.get(cls)
        if known is None:  # dataclasses.fields() each call cost as much as three Terms
            known = _KNOWN_FIELDS[cls] = frozenset(f.name for f in dataclasses.fields(cls))
        values = {k: v for k, v in data.items() if k in known}
        values["indicators"] = [indicator_from_dict(i) for i in data.get("indicators") or []]
        values["captures"] = [Capture(**c) for c in data.get("captures") or []]
        values["top_terms"] = [Term(**t) for t in data.get("top_terms") or []]
        values["entities"] = [entity_from_dict(e) for e in data.get("entities") or []]
        return cls(**values)

    def apply(self, result: Classification) -> None:
        """Sets the ``SCORED_FIELDS`` from a classification."""
        self.lure_score = result.lure_score
        self.flagged = result.flagged
        self.indicators = result.indicators
        self.model_version = result.model_version
        self.lang = self.lang or result.lang
        self.top_terms = result.top_terms
        self.entities = result.entities


@dataclass
class AdRemoved:
    """A crawler's finding that a known ad is gone: its page answers 404/410, or it has been
    missing from the site's listings for longer than the source's ``removal_grace``.
    The store keeps the ad (searchable, with its captures) and records ``removed_at``."""

    id: str
    url: str
    site: str
    removed_at: str  # ISO 8601 UTC
    reason: str  # "http 404", "http 410", "not listed since 2026-11-20T10:00:00+00:00"
    http_status: int | None = None
    captures: list[Capture] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return plain(self)


def indicator_from_dict(data: dict[str, Any]) -> Indicator:
    return Indicator(
        code=str(data["code"]),
        label=str(data.get("label", data["code"])),
        evidence=[Evidence(**e) for e in data.get("evidence") or []],
    )


def entity_from_dict(data: dict[str, Any]) -> Entity:
    return Entity(
        type=str(data["type"]),
        value=str(data["value"]),
        start=int(data["start"]),
        end=int(data["end"]),
        text=str(data.get("text") or ""),
        attrs=dict(data.get("attrs") or {}),
    )


def utc_now_iso() -> str:
    # Whole seconds: the text is made once a second, not once per ad (a crawl stamps
    # hundreds of ads a second, and datetime's formatting was a visible part of that). One
    # tuple, replaced whole, so that another thread never sees a second with another's text.
    global _now
    second = int(time.time())
    if second != _now[0]:
        _now = (second, datetime.fromtimestamp(second, UTC).isoformat())
    return _now[1]


_now: tuple[int, str] = (-1, "")


# What ``Ad.apply`` sets: the fields a classifier in another process sends back.
SCORED_FIELDS = (
    "lure_score",
    "flagged",
    "indicators",
    "model_version",
    "lang",
    "top_terms",
    "entities",
)
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_KNOWN_FIELDS: dict[type, frozenset[str]] = {}
# The values ``plain`` returns as they are. Tested inline (``type(v) in _LEAVES``) before
# recursing: most of an ad's values are leaves, and a call per leaf was most of its cost.
_LEAVES = frozenset((str, int, float, bool, type(None)))


def field_names(value: Any) -> tuple[str, ...] | None:
    """The field names of a dataclass instance, as ``plain`` writes them; None for anything
    else."""
    if isinstance(value, type):
        return None  # a dataclass itself, not an instance
    kind = type(value)
    names = _FIELD_NAMES.get(kind)
    if names is None and dataclasses.is_dataclass(value):
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(value))
    return names


def plain(value: Any) -> Any:
    """``dataclasses.asdict`` without its deep copy of every leaf (an ad's spans and terms
    made that the costliest step of storing it): dataclasses become dicts, lists and tuples
    lists, dicts are walked; strings, numbers and None are shared, being immutable."""
    kind = type(value)
    if kind in _LEAVES:
        return value
    names = field_names(value)
    if names is not None:
        out: dict[str, Any] = {}
        for name in names:
            v = getattr(value, name)
            out[name] = v if type(v) in _LEAVES else plain(v)
        return out
    if isinstance(value, list | tuple):
        return [v if type(v) in _LEAVES else plain(v) for v in value]
    if isinstance(value, dict):
        return {k: v if type(v) in _LEAVES else plain(v) for k, v in value.items()}
    return value
