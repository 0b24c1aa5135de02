"""The tantivy search index: derived from the store, rebuilt with ``lurewatch reindex``."""

from __future__ import annotations

import html
import logging
import re
import shutil
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import tantivy
from tantivy import Filter, Occur, Query, TextAnalyzerBuilder, Tokenizer

from core.ad import Ad
from core.settings import Settings
from index.store import StoredAd

if TYPE_CHECKING:
    from index.store import Store

log = logging.getLogger("lurewatch.index")

# Bump when the schema changes: an index of another version is rebuilt, never misread.
# v2: first_seen, last_seen, removed_at and the live/removed status (issue 3).
SCHEMA_VERSION = "2"
_VERSION_DIR = re.compile(r"ads-v(\d+)")
_FOLDED = "lw_folded"
_SEARCH_FIELDS = ["title", "text"]
FACET_FIELDS = ("site", "flagged", "indicator", "lang", "status")
Status = Literal["live", "removed"]
_SNIPPET_CHARS = 240
_WRITER_HEAP = 64_000_000


class QueryError(ValueError):
    """The query could not be parsed; the message is meant for the person who typed it."""


WRITER_WAIT_SECONDS = 10.0


class IndexBusyError(RuntimeError):
    """Another process holds the index writer (a crawl or a reindex is running)."""


@dataclass
class SearchFilters:
    site: str | None = None
    flagged: bool | None = None
    indicator: str | None = None
    lang: str | None = None
    status: Status | None = None  # None: live and removed ads alike


@dataclass
class SearchHit:
    id: str
    url: str
    title: str
    site: str
    lure_score: float | None
    flagged: bool
    indicators: list[str]
    fetched_at: str
    lang: str
    highlight: str  # escaped HTML: only <mark> tags are markup
    first_seen: str = ""
    last_seen: str = ""
    removed_at: str | None = None  # None while the ad is live

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["lang"]
        return data


@dataclass
class Facet:
    value: str
    count: int


@dataclass
class SearchResult:
    total: int
    hits: list[SearchHit]
    facets: dict[str, list[Facet]] = field(default_factory=dict)


def _analyzer() -> tantivy.TextAnalyzer:
    # Folding accents lets "paye" find "payé" and "agencia" find "agência": ads are typed on
    # phones, often without accents, in five languages.
    return (
        TextAnalyzerBuilder(Tokenizer.simple())
        .filter(Filter.remove_long(60))
        .filter(Filter.lowercase())
        .filter(Filter.ascii_fold())
        .build()
    )


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("url", stored=True, tokenizer_name="raw")
    sb.add_text_field("title", stored=True, tokenizer_name=_FOLDED)
    sb.add_text_field("text", stored=True, tokenizer_name=_FOLDED)
    for name in FACET_FIELDS:
        sb.add_text_field(name, stored=True, tokenizer_name="raw", fast=True)
    sb.add_float_field("lure_score", stored=True, indexed=True, fast=True)
    for name in ("fetched_at", "first_seen", "last_seen", "removed_at"):
        sb.add_text_field(name, stored=True, tokenizer_name="raw")
    return sb.build()


def _document(item: Ad | StoredAd) -> tantivy.Document:
    if isinstance(item, StoredAd):
        ad, first_seen, last_seen = item.ad, item.first_seen, item.last_seen
        removed_at = item.removed_at or ""
    else:
        # An ad indexed without the store (tests, LUREWATCH_STORE off): seen once, live.
        ad, first_seen, last_seen, removed_at = item, item.fetched_at, item.fetched_at, ""
    return tantivy.Document(
        id=ad.id,
        url=ad.url,
        title=ad.title,
        text=ad.text,
        site=ad.site,
        flagged="true" if ad.flagged else "false",
        indicator=sorted({i.code for i in ad.indicators}),
        lang=ad.lang or "unknown",
        # Unscored ads sort last: -1 is below every probability.
        lure_score=float(ad.lure_score) if ad.lure_score is not None else -1.0,
        fetched_at=ad.fetched_at,
        first_seen=first_seen,
        last_seen=last_seen,
        removed_at=removed_at,
        status="removed" if removed_at else "live",
    )


def _first(doc: dict[str, list[Any]], name: str, default: Any = "") -> Any:
    values = doc.get(name) or [default]
    return values[0]


def _highlight(snippet: tantivy.Snippet) -> str:
    # tantivy reports byte ranges into the UTF-8 fragment.
    raw = snippet.fragment().encode("utf-8")
    out: list[str] = []
    pos = 0
    for rng in sorted(snippet.highlighted(), key=lambda r: r.start):
        if rng.start < pos:
            continue
        out.append(html.escape(raw[pos : rng.start].decode("utf-8", "replace")))
        out.append("<mark>" + html.escape(raw[rng.start : rng.end].decode("utf-8", "replace")))
        out.append("</mark>")
        pos = rng.end
    out.append(html.escape(raw[pos:].decode("utf-8", "replace")))
    return "".join(out)


def _plain_snippet(text: str) -> str:
    cut = text[:_SNIPPET_CHARS]
    return html.escape(cut + ("…" if len(text) > _SNIPPET_CHARS else ""))


def outdated_indexes(index_dir: Path) -> list[Path]:
    """Index folders of other schema versions: no longer read, rebuilt by ``reindex``."""
    if not index_dir.is_dir():
        return []
    return sorted(
        p
        for p in index_dir.iterdir()
        if p.is_dir() and (m := _VERSION_DIR.fullmatch(p.name)) and m.group(1) != SCHEMA_VERSION
    )


class SearchIndex:
    def __init__(self, settings: Settings) -> None:
        self.path: Path = settings.index_dir / f"ads-v{SCHEMA_VERSION}"
        self.outdated = outdated_indexes(settings.index_dir)
        if self.outdated:
            log.warning(
                "the search index at %s is of an older schema and is no longer read; "
                "run `lurewatch reindex` to rebuild the index from the store",
                ", ".join(str(p) for p in self.outdated),
            )
        self.path.mkdir(parents=True, exist_ok=True)
        self._schema = _schema()
        self._index = tantivy.Index(self._schema, path=str(self.path))
        self._index.register_tokenizer(_FOLDED, _analyzer())

    def _writer(self, wait: float = WRITER_WAIT_SECONDS) -> tantivy.IndexWriter:
        # Crawlers sharing one home (a shared frontier) each commit small batches: the writer
        # lock is held for moments, so wait for it a little before giving up.
        deadline = time.monotonic() + wait
        pause = 0.05
        while True:
            try:
                return self._index.writer(heap_size=_WRITER_HEAP, num_threads=1)
            except ValueError as exc:
                if time.monotonic() >= deadline:
                    raise IndexBusyError(
                        f"the search index at {self.path} is being written by another process "
                        f"(a crawl or reindex); try again when it has finished ({exc})"
                    ) from exc
                time.sleep(pause)
                pause = min(pause * 2, 1.0)

    def add(self, ads: Iterable[Ad | StoredAd]) -> int:
        """Add or replace ads (by id) and commit. Returns how many were written. Give the
        store's ``StoredAd`` to index when it was first and last seen and whether it is gone."""
        writer = self._writer()
        count = 0
        try:
            for item in ads:
                ad_id = item.ad.id if isinstance(item, StoredAd) else item.id
                writer.delete_documents_by_term("id", ad_id)
                writer.add_document(_document(item))
                count += 1
            writer.commit()
            writer.wait_merging_threads()
        except BaseException:
            writer.rollback()
            raise
        self._index.reload()
        return count

    def clear(self) -> None:
        writer = self._writer()
        writer.delete_all_documents()
        writer.commit()
        writer.wait_merging_threads()
        self._index.reload()

    def rebuild(self, store: Store, batch_size: int = 1000) -> int:
        """Recreate the index from the store, the source of truth, then delete the index
        folders of older schema versions (derived data, replaced by this one)."""
        self.clear()
        total = 0
        batch: list[StoredAd] = []
        for stored in store.iter_stored():
            batch.append(stored)
            if len(batch) >= batch_size:
                total += self.add(batch)
                batch = []
        total += self.add(batch)
        for old in self.outdated:
            shutil.rmtree(old, ignore_errors=True)
            log.info("deleted the outdated search index %s", old)
        self.outdated = []
        return total

    def count(self) -> int:
        return int(self._index.searcher().num_docs)

    def _text_query(self, query: str) -> Query | None:
        if not query.strip():
            return None
        try:
            return self._index.parse_query(query, _SEARCH_FIELDS, conjunction_by_default=True)
        except ValueError as exc:
            raise QueryError(f"cannot understand the query {query!r}: {exc}") from exc

    def _filtered(self, text_query: Query | None, filters: SearchFilters | None) -> Query:
        clauses: list[tuple[Occur, Query]] = []
        if text_query is not None:
            clauses.append((Occur.Must, text_query))
        if filters is not None:
            terms = {
                "site": filters.site,
                "flagged": None if filters.flagged is None else str(filters.flagged).lower(),
                "indicator": filters.indicator,
                "lang": filters.lang,
                "status": filters.status,
            }
            for name, value in terms.items():
                if value:
                    clauses.append((Occur.Must, Query.term_query(self._schema, name, value)))
        if not clauses:
            return Query.all_query()
        if len(clauses) == 1:
            return clauses[0][1]
        return Query.boolean_query(clauses)

    def search(
        self,
        query: str,
        filters: SearchFilters | None = None,
        *,
        limit: int = 20,
        offset: int = 0,
        facets: bool = True,
    ) -> SearchResult:
        """Full-text search; an empty query lists every ad, most risky first."""
        if limit < 0 or offset < 0:
            raise QueryError("limit and offset must not be negative")
        text_query = self._text_query(query)
        full = self._filtered(text_query, filters)
        # Another process (the crawler) may have committed since we last looked.
        self._index.reload()
        searcher = self._index.searcher()
        if text_query is None:
            found = searcher.search(
                full, limit, count=True, order_by_field="lure_score", offset=offset
            )
        else:
            found = searcher.search(full, limit, count=True, offset=offset)
        snippets = None
        if text_query is not None:
            snippets = tantivy.SnippetGenerator.create(searcher, text_query, self._schema, "text")
            snippets.set_max_num_chars(_SNIPPET_CHARS)
        hits = []
        for _score, address in found.hits:
            doc = searcher.doc(address)
            values = doc.to_dict()
            text = _first(values, "text")
            highlight = _plain_snippet(text)
            if snippets is not None:
                snippet = snippets.snippet_from_doc(doc)
                if snippet.highlighted():
                    highlight = _highlight(snippet)
            score = float(_first(values, "lure_score", -1.0))
            hits.append(
                SearchHit(
                    id=_first(values, "id"),
                    url=_first(values, "url"),
                    title=_first(values, "title"),
                    site=_first(values, "site"),
                    lure_score=None if score < 0 else score,
                    flagged=_first(values, "flagged") == "true",
                    indicators=list(values.get("indicator") or []),
                    fetched_at=_first(values, "fetched_at"),
                    lang=_first(values, "lang"),
                    highlight=highlight,
                    first_seen=_first(values, "first_seen"),
                    last_seen=_first(values, "last_seen"),
                    removed_at=_first(values, "removed_at") or None,
                )
            )
        # The stub omits `count`, which tantivy sets because count=True was asked for.
        total = int(getattr(found, "count", 0) or 0)
        result = SearchResult(total=total, hits=hits)
        if facets:
            result.facets = self._facets(searcher, full)
        return result

    def _facets(self, searcher: tantivy.Searcher, query: Query) -> dict[str, list[Facet]]:
        spec = {name: {"terms": {"field": name, "size": 50}} for name in FACET_FIELDS}
        raw = searcher.aggregate(query, spec)
        return {
            name: [Facet(str(b["key"]), int(b["doc_count"])) for b in raw[name]["buckets"]]
            for name in FACET_FIELDS
        }
