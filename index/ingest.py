"""What happens to crawled ads after extraction, in batches: score them, write them to the
case store, index them. The ingest worker process (``index.worker``) runs this; the Scrapy
pipelines do the same steps one by one in the crawl's own process when it is off."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.ad import (
    SCORED_FIELDS,
    Ad,
    AdRemoved,
    Capture,
    Term,
    entity_from_dict,
    indicator_from_dict,
    plain,
)
from core.evidence import EvidenceStore, FetchRecord, capture_fetch
from core.evidence.wire import Blobs, WireError, fetch_from_wire, fetch_to_wire
from core.settings import Settings
from crawlers.evidence import PendingCaptures
from index.search import SearchIndex
from index.store import Store, StoredAd

# A fetch whose evidence the worker writes, with its key (crawlers.evidence.PendingCaptures).
Fetch = tuple[int, FetchRecord]
CAPTURED_KEPT = 256


@dataclass(frozen=True)
class Steps:
    classify: bool = True
    store: bool = True
    index: bool = True
    # Ads are indexed (searchable) in commits of this many, or once the first waiting has
    # waited this long, whichever comes first: each commit costs the index a segment and its
    # merges, so a fast crawl commits seldom and a slow one still shows its ads soon.
    index_batch: int = 1000
    index_seconds: float = 5.0
    evidence_fsync: bool = True  # for the evidence of fetches the worker writes

    def any(self) -> bool:
        return self.classify or self.store or self.index


@dataclass
class Outcome:
    """What became of one item: the store's verdict (``new``, ``updated``, ``unchanged``,
    ``removed``, ``not_removed``, or ``""`` with the store off), whether it was scored, and the
    ad's fields that scoring set (as ``Ad.to_dict`` writes them)."""

    stored: str = ""
    scored: bool = False
    flagged: bool = False
    changed: dict[str, Any] = field(default_factory=dict)


@dataclass
class Ingest:
    settings: Settings
    steps: Steps
    announce: Any = None  # callable(str) for first-run messages (model training)
    indexed: int = 0
    _store: Store | None = None
    _index: SearchIndex | None = None
    _classifier: Any = None
    _pending: dict[str, Ad | None] = field(default_factory=dict)
    _pending_since: float = 0.0  # time.monotonic() when the first of them came
    _evidence: EvidenceStore | None = None
    # Captures of the latest fetches by key: the posts of one page may come in two batches.
    _captured: OrderedDict[int, list[Capture]] = field(default_factory=OrderedDict)

    def open(self) -> str | None:
        """Loads what the steps need; returns the model version when scoring."""
        if self.steps.store:
            self._store = Store(self.settings)
        if self.steps.index:
            self._index = SearchIndex(self.settings)
        if self.steps.classify:
            from classifiers import load_classifier

            kwargs = {"announce": self.announce} if self.announce else {}
            # Warmed before the worker says it is ready, not on a thread: the crawl waits
            # seconds to start, but then no ad batch competes for the CPU with pattern
            # compilation and spaCy set-up (the crawl process is busy on the other core).
            self._classifier = load_classifier(self.settings, **kwargs).warm()
            return str(self._classifier.version)
        return None

    def process(
        self,
        items: Sequence[Ad | AdRemoved],
        fetches: Mapping[int, Fetch] | None = None,
        *,
        scored_back: bool = True,
    ) -> list[Outcome]:
        """``fetches``: by item position, the fetch whose evidence is to be written first
        (the item's captures, sent back in its outcome). ``scored_back``: put each ad's scored
        fields in its outcome's ``changed`` (for a caller whose items are read after it)."""
        outcomes = [Outcome() for _ in items]
        fetches = fetches or {}
        self._capture(items, fetches)
        ads = [(i, item) for i, item in enumerate(items) if isinstance(item, Ad)]
        if self._classifier is not None and ads:
            from classifiers import AdText

            results = self._classifier.classify_many([AdText.of(ad) for _, ad in ads])
            for (i, ad), result in zip(ads, results, strict=True):
                ad.apply(result)
                outcome = outcomes[i]
                outcome.scored, outcome.flagged = True, ad.flagged
                if scored_back:
                    outcome.changed = {name: plain(getattr(ad, name)) for name in SCORED_FIELDS}
        for i in fetches:
            outcomes[i].changed["captures"] = plain(items[i].captures)
        if self._store is not None:
            stored = self._store.upsert_many([ad for _, ad in ads])
            for (i, _), verdict in zip(ads, stored, strict=True):
                outcomes[i].stored = verdict
            for i, item in enumerate(items):
                if isinstance(item, AdRemoved):
                    removed = self._store.mark_removed(item)
                    outcomes[i].stored = "removed" if removed else "not_removed"
        if self._index is not None:
            if not self._pending:
                self._pending_since = time.monotonic()
            for item in items:
                if isinstance(item, Ad):
                    self._pending[item.id] = item
                elif self._store is not None:
                    self._pending.setdefault(item.id, None)
            if (
                len(self._pending) >= self.steps.index_batch
                or time.monotonic() - self._pending_since >= self.steps.index_seconds
            ):
                self.flush()
        return outcomes

    def _capture(self, items: Sequence[Ad | AdRemoved], fetches: Mapping[int, Fetch]) -> None:
        """Writes the evidence of the fetches; sets the captures of their items."""
        for i, (key, fetch) in fetches.items():
            captures = self._captured.get(key)
            if captures is None:
                if self._evidence is None:
                    self._evidence = EvidenceStore(
                        self.settings.evidence_dir,
                        fsync=self.steps.evidence_fsync,
                        background_sync=True,
                    )
                captures = capture_fetch(self._evidence, fetch)
                self._captured[key] = captures
                if len(self._captured) > CAPTURED_KEPT:
                    self._captured.popitem(last=False)
            items[i].captures = list(captures)

    def flush(self) -> None:
        """Indexes what is pending. With the store on, what is indexed is read back from the
        store, so the index holds what the store holds (first/last seen, removals). The ads
        pending are those this process stored, unchanged since: where a row still holds
        what was written from one, the store hands that ad back rather than parse its copy."""
        if not self._pending or self._index is None:
            return
        docs: list[Ad | StoredAd] = []
        if self._store is not None:
            stored = self._store.get_many(self._pending, held=self._pending)
            docs.extend(stored[ad_id] for ad_id in self._pending if ad_id in stored)
        else:
            docs.extend(ad for ad in self._pending.values() if ad is not None)
        self.indexed += self._index.add(docs)
        self._pending = {}

    def close(self) -> None:
        self.flush()
        if self._store is not None:
            self._store.close()
        if self._evidence is not None:
            self._evidence.close()  # waits until the evidence written is on disk


# The scored fields that hold objects, and how each is rebuilt from its plain form.
_FROM_PLAIN: dict[str, Any] = {
    "indicators": indicator_from_dict,
    "top_terms": lambda t: Term(**t),
    "entities": entity_from_dict,
    "captures": lambda c: Capture(**c),
}


def apply_changes(item: Ad | AdRemoved, changed: dict[str, Any]) -> None:
    """Sets on ``item`` the fields the worker set on its copy: the scored fields of an ad,
    the captures of either (as ``Ad.from_dict`` would read them, without rebuilding the rest
    of the item)."""
    allowed = _CHANGED_AD if isinstance(item, Ad) else _CHANGED_REMOVAL
    for name, value in changed.items():
        if name not in allowed:
            raise ValueError(f"not a field the worker sets: {name!r}")
        convert = _FROM_PLAIN.get(name)
        setattr(item, name, [convert(v) for v in value or []] if convert else value)


_CHANGED_AD = frozenset((*SCORED_FIELDS, "captures"))
_CHANGED_REMOVAL = frozenset(("captures",))


def item_to_wire(item: Ad | AdRemoved) -> dict[str, Any]:
    kind = "ad" if isinstance(item, Ad) else "removed"
    return {"kind": kind, "data": item.to_dict()}


def item_from_wire(message: dict[str, Any]) -> Ad | AdRemoved:
    data = message["data"]
    if message["kind"] == "ad":
        return Ad.from_dict(data)
    if message["kind"] == "removed":
        values = dict(data)
        values["captures"] = [Capture(**c) for c in data.get("captures") or []]
        return AdRemoved(**values)
    raise ValueError(f"unknown item kind {message['kind']!r}")


def fetches_to_wire(
    items: Sequence[Ad | AdRemoved], wire: dict[str, Any], blobs: Blobs, settings_sent: set[str]
) -> None:
    """Adds to a batch's ``wire`` the fetches whose evidence is still to be written (items
    whose captures are ``PendingCaptures``), each once; an item names its fetch by position."""
    fetches: list[dict[str, Any]] = []
    position: dict[int, int] = {}
    for item, entry in zip(items, wire["items"], strict=True):
        pending = item.captures
        if not isinstance(pending, PendingCaptures):
            continue
        at = position.get(pending.key)
        if at is None:
            at = position[pending.key] = len(fetches)
            fetches.append(
                {"key": pending.key, **fetch_to_wire(pending.fetch, blobs, settings_sent)}
            )
        entry["fetch"] = at
    if fetches:
        wire["fetches"] = fetches


def fetches_from_wire(
    message: dict[str, Any], blob: memoryview, settings_seen: dict[str, dict[str, Any]]
) -> dict[int, Fetch]:
    """The fetches of a batch by item position (``fetches_to_wire``'s other end)."""
    sent = message.get("fetches") or []
    fetches = [(int(f["key"]), fetch_from_wire(f, blob, settings_seen)) for f in sent]
    out: dict[int, Fetch] = {}
    for i, entry in enumerate(message["items"]):
        at = entry.get("fetch")
        if at is not None:
            if not 0 <= at < len(fetches):
                raise WireError(f"item {i} names fetch {at} of {len(fetches)}")
            out[i] = fetches[at]
    return out
