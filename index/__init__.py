"""The case store (SQL, source of truth) and the search index derived from it."""

from index.search import (
    Facet,
    IndexBusyError,
    QueryError,
    SearchFilters,
    SearchHit,
    SearchIndex,
    SearchResult,
    Status,
)
from index.store import AdEvent, AdVersion, Store, StoredAd

__all__ = [
    "AdEvent",
    "AdVersion",
    "Facet",
    "IndexBusyError",
    "QueryError",
    "SearchFilters",
    "SearchHit",
    "SearchIndex",
    "SearchResult",
    "Status",
    "Store",
    "StoredAd",
]
