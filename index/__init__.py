"""The case store (SQL, source of truth) and the search index derived from it."""

from index.search import (
    Facet,
    IndexBusyError,
    QueryError,
    SearchFilters,
    SearchHit,
    SearchIndex,
    SearchResult,
)
from index.store import Store, StoredAd

__all__ = [
    "Facet",
    "IndexBusyError",
    "QueryError",
    "SearchFilters",
    "SearchHit",
    "SearchIndex",
    "SearchResult",
    "Store",
    "StoredAd",
]
