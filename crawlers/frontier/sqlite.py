"""The default seen-store: one SQLite file under ``LUREWATCH_HOME/crawl/``, one crawl process.

Rows live on disk; the process keeps only SQLite's page cache (``cache_size``), so ten million
URLs cost disk, not memory. Writes are grouped into transactions of ``batch`` operations or
``flush_seconds`` (whichever first) because a commit per URL would bound a crawl at the disk's
fsync rate; what a SIGKILL loses of them is rediscovered from the listings a resumed crawl
always re-reads. ``fetched`` and ``removed`` are grouped too: a page whose mark was lost stays
pending, and a resumed crawl asks the case store about its pending pages before fetching them
(``AdsSpider._not_stored``), so an ad stored before the kill is not fetched again.
"""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from core.urls import canonical_url
from crawlers.frontier.base import PageKind, PageState

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
    last_walk REAL);
CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, run TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS pages (
    key TEXT PRIMARY KEY,
    source INTEGER NOT NULL,
    kind TEXT NOT NULL,
    first_seen REAL NOT NULL,
    last_fetched REAL,
    next_fetch REAL NOT NULL,
    last_listed REAL,
    status INTEGER,
    removed INTEGER NOT NULL DEFAULT 0,
    pending INTEGER NOT NULL DEFAULT 0,
    claimed_run INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS pages_due ON pages (source, next_fetch);
CREATE INDEX IF NOT EXISTS pages_pending ON pages (source) WHERE pending = 1;
"""

ALWAYS_READ = ("listing", "feed", "sitemap")
# Posts found on a channel page are never fetched on their own: they are never "due".
NEVER = math.inf


class _Database:
    """One connection per file and process, shared by the spiders of one crawl: two connections
    in the reactor's one thread would wait for each other's write transaction forever."""

    _open: ClassVar[dict[Path, _Database]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: Path, batch: int, flush_seconds: float, cache_kib: int) -> None:
        self.path = path
        # check_same_thread=False: Scrapy calls from the reactor thread, tests may from others;
        # the lock keeps one statement at a time.
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self.lock = threading.RLock()
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(f"PRAGMA cache_size=-{int(cache_kib)}")
        self.db.executescript(_SCHEMA)
        self.batch, self.flush_seconds = batch, flush_seconds
        self.ops, self.since = 0, time.monotonic()
        self.in_tx = False
        self.users = 0

    @classmethod
    def acquire(cls, path: Path, batch: int, flush_seconds: float, cache_kib: int) -> _Database:
        key = path.resolve()
        with cls._registry_lock:
            database = cls._open.get(key)
            if database is None:
                database = cls._open[key] = _Database(key, batch, flush_seconds, cache_kib)
            database.users += 1
            return database

    def release(self) -> None:
        with self._registry_lock:
            self.users -= 1
            if self.users > 0:
                return
            self._open.pop(self.path, None)
        with self.lock:
            self.flush()
            self.db.close()

    def write(self) -> None:
        """Called before each write: open a transaction, or commit one that is big or old."""
        if self.in_tx and (
            self.ops >= self.batch or time.monotonic() - self.since >= self.flush_seconds
        ):
            self.flush()
        if not self.in_tx:
            self.db.execute("BEGIN IMMEDIATE")
            self.in_tx = True
            self.since = time.monotonic()
        self.ops += 1

    def flush(self) -> None:
        with self.lock:
            if self.in_tx:
                self.db.execute("COMMIT")
                self.in_tx = False
            self.ops, self.since = 0, time.monotonic()


class SqliteSeenStore:
    def __init__(
        self,
        path: Path,
        run_id: str,
        *,
        batch: int = 500,
        flush_seconds: float = 0.25,
        cache_kib: int = 16_384,
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._database = _Database.acquire(path, batch, flush_seconds, cache_kib)
        self._db = self._database.db
        self._lock = self._database.lock
        self._closed = False
        self._sources: dict[str, int] = {}
        self._run = self._id("runs", "run", run_id)
        self.run_id = run_id

    # -- the protocol ------------------------------------------------------------------------

    def claim(
        self, url: str, source: str, kind: PageKind, now: float, *, force: bool = False
    ) -> bool:
        key = canonical_url(url)
        with self._lock:
            self._write()
            row = self._db.execute(
                "SELECT next_fetch, removed, pending, claimed_run, kind FROM pages WHERE key = ?",
                (key,),
            ).fetchone()
            if row is None:
                self._db.execute(
                    "INSERT INTO pages (key, source, kind, first_seen, next_fetch, pending,"
                    " claimed_run) VALUES (?, ?, ?, ?, ?, 1, ?)",
                    (key, self._source(source), kind, now, now, self._run),
                )
                return True
            next_fetch, removed, pending, claimed_run, known_kind = row
            if claimed_run == self._run:
                return False
            # Listings, feeds and sitemaps are read by every crawl: that is how new ads are found.
            wanted = (
                force or pending or known_kind in ALWAYS_READ or (not removed and next_fetch <= now)
            )
            if wanted:
                self._db.execute(
                    "UPDATE pages SET pending = 1, claimed_run = ? WHERE key = ?",
                    (self._run, key),
                )
            return bool(wanted)

    def fetched(
        self, url: str, now: float, status: int, next_fetch: float, kind: PageKind | None = None
    ) -> None:
        self._update(
            url,
            "pending = 0, last_fetched = ?, status = ?, next_fetch = ?, kind = COALESCE(?, kind)",
            (now, status, _finite(next_fetch), kind),
        )

    def failed(self, url: str, now: float, retry_at: float) -> None:
        self._update(url, "pending = 0, next_fetch = ?", (retry_at,))

    def listed(self, urls: Iterable[str], now: float) -> None:
        with self._lock:
            self._write()
            # A removed ad listed again is live again, and due at once.
            self._db.executemany(
                "UPDATE pages SET last_listed = ?, removed = 0,"
                " next_fetch = CASE WHEN removed = 1 THEN ? ELSE next_fetch END WHERE key = ?",
                [(now, now, canonical_url(u)) for u in urls],
            )

    def removed(self, url: str, now: float) -> None:
        self._update(url, "removed = 1, pending = 0, next_fetch = ?", (_finite(NEVER),))

    def pending(self, source: str) -> Iterator[str]:
        yield from self._keys("pending = 1 AND claimed_run != ?", (self._run,), source)

    def due(self, source: str, now: float) -> Iterator[str]:
        yield from self._keys("removed = 0 AND pending = 0 AND next_fetch <= ?", (now,), source)

    def known(self, source: str, kind: PageKind | None = None) -> Iterator[str]:
        if kind is None:
            yield from self._keys("1 = 1", (), source)
        else:
            yield from self._keys("kind = ?", (kind,), source)

    def unlisted(self, source: str, before: float) -> Iterator[str]:
        yield from self._keys(
            "kind IN ('detail', 'post') AND removed = 0 AND COALESCE(last_listed, first_seen) < ?",
            (before,),
            source,
        )

    def walk_complete(self, source: str, started: float) -> None:
        """Every listing of ``source`` was read by a crawl that started at ``started``."""
        with self._lock:
            self._write()
            self._db.execute(
                "UPDATE sources SET last_walk = MAX(COALESCE(last_walk, 0), ?) WHERE id = ?",
                (started, self._source(source)),
            )

    def last_walk(self, source: str) -> float | None:
        with self._lock:
            row = self._db.execute(
                "SELECT last_walk FROM sources WHERE name = ?", (source,)
            ).fetchone()
        return None if row is None else row[0]

    def get(self, url: str) -> PageState | None:
        with self._lock:
            row = self._db.execute(
                "SELECT p.key, s.name, p.kind, p.first_seen, p.last_fetched, p.next_fetch,"
                " p.last_listed, p.status, p.removed, p.pending"
                " FROM pages p JOIN sources s ON s.id = p.source WHERE p.key = ?",
                (canonical_url(url),),
            ).fetchone()
        if row is None:
            return None
        key, source, kind, first, last, nxt, listed, status, removed, pending = row
        return PageState(
            url=key,
            source=source,
            kind=kind,
            first_seen=first,
            last_fetched=last,
            next_fetch=nxt,
            last_listed=listed,
            status=status,
            removed=bool(removed),
            pending=bool(pending),
        )

    def count(self, source: str | None = None) -> int:
        with self._lock:
            if source is None:
                row = self._db.execute("SELECT COUNT(*) FROM pages").fetchone()
            else:
                row = self._db.execute(
                    "SELECT COUNT(*) FROM pages p JOIN sources s ON s.id = p.source"
                    " WHERE s.name = ?",
                    (source,),
                ).fetchone()
        return int(row[0])

    def counts(self, source: str, now: float) -> dict[str, int]:
        """Known, fetched, due, pending and removed URLs of ``source`` (for ``status``)."""
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*), COUNT(p.last_fetched),"
                " COALESCE(SUM(p.removed = 0 AND p.pending = 0 AND p.next_fetch <= ?), 0),"
                " COALESCE(SUM(p.pending), 0), COALESCE(SUM(p.removed), 0)"
                " FROM pages p JOIN sources s ON s.id = p.source WHERE s.name = ?",
                (now, source),
            ).fetchone()
        return dict(zip(("known", "fetched", "due", "pending", "removed"), row, strict=True))

    def flush(self) -> None:
        self._database.flush()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._database.release()

    # -- internals -----------------------------------------------------------------------------

    def _write(self) -> None:
        self._database.write()

    def _update(self, url: str, assignments: str, values: tuple[Any, ...]) -> None:
        with self._lock:
            self._write()
            self._db.execute(
                f"UPDATE pages SET {assignments} WHERE key = ?",  # noqa: S608 - fixed strings
                (*values, canonical_url(url)),
            )

    def _keys(
        self, where: str, values: tuple[Any, ...], source: str, size: int = 1000
    ) -> Iterator[str]:
        """Keys matching ``where`` in pages of ``size``, so no result is ever held whole."""
        source_id = self._source_id(source)
        if source_id is None:
            return
        last = ""
        while True:
            with self._lock:
                rows = self._db.execute(
                    f"SELECT key FROM pages WHERE source = ? AND key > ? AND ({where})"  # noqa: S608
                    " ORDER BY key LIMIT ?",
                    (source_id, last, *values, size),
                ).fetchall()
            if not rows:
                return
            for (key,) in rows:
                yield key
            last = rows[-1][0]

    def _source(self, name: str) -> int:
        found = self._sources.get(name)
        if found is None:
            found = self._id("sources", "name", name)
            self._sources[name] = found
        return found

    def _source_id(self, name: str) -> int | None:
        if name in self._sources:
            return self._sources[name]
        with self._lock:
            row = self._db.execute("SELECT id FROM sources WHERE name = ?", (name,)).fetchone()
        return None if row is None else int(row[0])

    def _id(self, table: str, column: str, value: str) -> int:
        with self._lock:
            self._db.execute(
                f"INSERT OR IGNORE INTO {table} ({column}) VALUES (?)",  # noqa: S608
                (value,),
            )
            row = self._db.execute(
                f"SELECT id FROM {table} WHERE {column} = ?",  # noqa: S608
                (value,),
            ).fetchone()
        return int(row[0])


def _finite(value: float) -> float:
    # SQLite stores inf as a REAL fine, but keep values JSON-friendly for status output.
    return 1e18 if math.isinf(value) else value
