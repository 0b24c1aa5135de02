"""What happens to crawled ads after extraction, in batches: score them, write them to the
case store, index them. The ingest worker process (``index.worker``) runs this; the Scrapy
pipelines do the same steps one by one in the crawl's own process when it is off."""

from __future__ import annotations

from collections.abc import Sequence
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
from core.settings import Settings
from index.search import SearchIndex
from index.store import Store, StoredAd


@dataclass(frozen=True)
class Steps:
    classify: bool = True
    store: bool = True
    index: bool = True
    index_batch: int = 200

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

    def process(self, items: Sequence[Ad | AdRemoved]) -> list[Outcome]:
        outcomes = [Outcome() for _ in items]
        ads = [(i, item) for i, item in enumerate(items) if isinstance(item, Ad)]
        if self._classifier is not None and ads:
            from classifiers import AdText

            results = self._classifier.classify_many([AdText.of(ad) for _, ad in ads])
            for (i, ad), result in zip(ads, results, strict=True):
                ad.apply(result)
                outcome = outcomes[i]
                outcome.scored, outcome.flagged = True, ad.flagged
                outcome.changed = {name: plain(getattr(ad, name)) for name in SCORED_FIELDS}
        if self._store is not None:
            stored = self._store.upsert_many([ad for _, ad in ads])
            for (i, _), verdict in zip(ads, stored, strict=True):
                outcomes[i].stored = verdict
            for i, item in enumerate(items):
                if isinstance(item, AdRemoved):
                    removed = self._store.mark_removed(item)
                    outcomes[i].stored = "removed" if removed else "not_removed"
        if self._index is not None:
            for item in items:
                if isinstance(item, Ad):
                    self._pending[item.id] = item
                elif self._store is not None:
                    self._pending.setdefault(item.id, None)
            if len(self._pending) >= self.steps.index_batch:
                self.flush()
        return outcomes

    def flush(self) -> None:
        """Indexes what is pending. With the store on, what is indexed is read back from the
        store, so the index holds what the store holds (first/last seen, removals)."""
        if not self._pending or self._index is None:
            return
        docs: list[Ad | StoredAd] = []
        if self._store is not None:
            stored = self._store.get_many(self._pending)
            docs.extend(stored[ad_id] for ad_id in self._pending if ad_id in stored)
        else:
            docs.extend(ad for ad in self._pending.values() if ad is not None)
        self.indexed += self._index.add(docs)
        self._pending = {}

    def close(self) -> None:
        self.flush()
        if self._store is not None:
            self._store.close()


# The scored fields that hold objects, and how each is rebuilt from its plain form.
_FROM_PLAIN: dict[str, Any] = {
    "indicators": indicator_from_dict,
    "top_terms": lambda t: Term(**t),
    "entities": entity_from_dict,
}


def apply_changes(ad: Ad, changed: dict[str, Any]) -> None:
    """Sets on ``ad`` the fields the worker's scoring set on its copy (as ``Ad.from_dict``
    would read them, without rebuilding the rest of the ad)."""
    for name, value in changed.items():
        if name not in SCORED_FIELDS:
            raise ValueError(f"not a scored field: {name!r}")
        convert = _FROM_PLAIN.get(name)
        setattr(ad, name, [convert(v) for v in value or []] if convert else value)


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
