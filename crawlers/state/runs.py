"""The run log: one row per crawl of a source, and the pages that could not be fetched.

Both tables live in the case database (SQLite or PostgreSQL), next to the ads they explain.
A crawl killed with SIGKILL never writes ``finished_at``: its row keeps the process id and host,
so ``lurewatch status`` can tell a run still going from one that died ("interrupted").
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, String, Text, UniqueConstraint, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.ad import utc_now_iso
from core.db import Base, create_tables, make_engine
from core.settings import Settings
from crawlers.state.failures import one_line, page_key

INTERRUPTED = "interrupted"
RUNNING = "running"


class CrawlRunRow(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    source: Mapped[str] = mapped_column(String(200), index=True)
    started_at: Mapped[str] = mapped_column(String(40), index=True)
    # Last time the running crawl wrote its stats: how far an interrupted run got.
    updated_at: Mapped[str] = mapped_column(String(40))
    finished_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    finish_reason: Mapped[str | None] = mapped_column(String(80), nullable=True)
    pid: Mapped[int] = mapped_column(Integer)
    hostname: Mapped[str] = mapped_column(String(255))
    stats: Mapped[str] = mapped_column(Text, default="{}")  # JSON, see crawlers.state.runstats


class FailedPageRow(Base):
    __tablename__ = "failed_pages"
    __table_args__ = (UniqueConstraint("source", "url_key", name="uq_failed_pages_source_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(200), index=True)
    # SHA-256 of the canonical URL: a fixed-size unique key on every database.
    url_key: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    first_failed_at: Mapped[str] = mapped_column(String(40))
    last_failed_at: Mapped[str] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    run_id: Mapped[str] = mapped_column(String(40))
    resolved_at: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)


_TABLES = [Base.metadata.tables[t.__tablename__] for t in (CrawlRunRow, FailedPageRow)]


@dataclass
class RunRecord:
    id: str
    source: str
    started_at: str
    updated_at: str
    finished_at: str | None
    finish_reason: str | None
    pid: int
    hostname: str
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def state(self) -> str:
        """The finish reason; ``running`` or ``interrupted`` for a run that has not finished."""
        if self.finished_at is not None:
            return self.finish_reason or "finished"
        if self.finish_reason == INTERRUPTED:
            return INTERRUPTED
        if self.hostname != socket.gethostname():
            return RUNNING  # cannot look at another machine's processes
        return RUNNING if pid_alive(self.pid) else INTERRUPTED

    @property
    def seconds(self) -> float | None:
        """How long it ran: so far, while running; until its last stats write, if interrupted."""
        end = self.finished_at or (utc_now_iso() if self.state == RUNNING else self.updated_at)
        try:
            return (_parse(end) - _parse(self.started_at)).total_seconds()
        except ValueError:
            return None

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.id,
            "source": self.source,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "state": self.state,
            "seconds": self.seconds,
            "pid": self.pid,
            "hostname": self.hostname,
            "stats": self.stats,
        }


@dataclass
class FailedPage:
    source: str
    url: str
    kind: str
    reason: str
    first_failed_at: str
    last_failed_at: str
    attempts: int
    run_id: str
    resolved_at: str | None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def _parse(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def _url_key(url: str) -> str:
    return hashlib.sha256(page_key(url).encode("utf-8")).hexdigest()


def new_run_id() -> str:
    """Sortable and readable: ``20261120T101500Z-3f9a2c``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(3)}"


class RunLog:
    def __init__(self, settings: Settings) -> None:
        self.engine = make_engine(settings.db_url)
        create_tables(self.engine, _TABLES)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with Session(self.engine) as session, session.begin():
            yield session

    # Runs -----------------------------------------------------------------------------------

    def start_run(self, source: str, run_id: str | None = None) -> str:
        """Record a run of ``source`` starting now; its id: ``run_id`` if given and not taken
        yet, else a new one."""
        now = utc_now_iso()
        host = socket.gethostname()
        with self._session() as session:
            if not run_id or session.get(CrawlRunRow, run_id) is not None:
                run_id = new_run_id()
            # Earlier runs of this source on this machine whose process is gone were killed.
            for row in session.scalars(
                select(CrawlRunRow).where(
                    CrawlRunRow.source == source,
                    CrawlRunRow.finished_at.is_(None),
                    CrawlRunRow.finish_reason.is_(None),
                    CrawlRunRow.hostname == host,
                )
            ):
                if not pid_alive(row.pid):
                    row.finish_reason = INTERRUPTED
            session.add(
                CrawlRunRow(
                    id=run_id,
                    source=source,
                    started_at=now,
                    updated_at=now,
                    pid=os.getpid(),
                    hostname=host,
                    stats="{}",
                )
            )
        return run_id

    def update_run(self, run_id: str, stats: dict[str, Any]) -> None:
        """Stats so far of a run still going (what an interrupted run got done)."""
        with self._session() as session:
            session.execute(
                update(CrawlRunRow)
                .where(CrawlRunRow.id == run_id)
                .values(stats=json.dumps(stats, sort_keys=True), updated_at=utc_now_iso())
            )

    def finish_run(self, run_id: str, stats: dict[str, Any], finish_reason: str) -> None:
        now = utc_now_iso()
        with self._session() as session:
            session.execute(
                update(CrawlRunRow)
                .where(CrawlRunRow.id == run_id)
                .values(
                    stats=json.dumps(stats, sort_keys=True),
                    updated_at=now,
                    finished_at=now,
                    finish_reason=one_line(finish_reason, 80) or "finished",
                )
            )

    def get_run(self, run_id: str) -> RunRecord | None:
        with Session(self.engine) as session:
            row = session.get(CrawlRunRow, run_id)
            return None if row is None else _run(row)

    def recent_runs(self, source: str | None = None, limit: int = 20) -> list[RunRecord]:
        query = select(CrawlRunRow).order_by(CrawlRunRow.started_at.desc(), CrawlRunRow.id.desc())
        if source is not None:
            query = query.where(CrawlRunRow.source == source)
        with Session(self.engine) as session:
            return [_run(row) for row in session.scalars(query.limit(limit))]

    def last_run(self, source: str) -> RunRecord | None:
        runs = self.recent_runs(source, limit=1)
        return runs[0] if runs else None

    def sources(self) -> list[str]:
        """Every source that has a run, by name."""
        with Session(self.engine) as session:
            return sorted(session.scalars(select(CrawlRunRow.source).distinct()))

    # Failed pages ----------------------------------------------------------------------------

    def record_failure(self, run_id: str, source: str, url: str, kind: str, reason: str) -> None:
        """``url`` of ``source`` failed in run ``run_id``.

        One row per page; ``attempts`` counts the runs it failed in. Within one run the first
        report stands (the downloader reports before the spider's errback does).
        """
        now = utc_now_iso()
        key = _url_key(url)
        kind, reason = one_line(kind, 40), one_line(reason)
        with self._session() as session:
            row = session.scalar(
                select(FailedPageRow).where(
                    FailedPageRow.source == source, FailedPageRow.url_key == key
                )
            )
            if row is None:
                session.add(
                    FailedPageRow(
                        source=source,
                        url_key=key,
                        url=url,
                        kind=kind,
                        reason=reason,
                        first_failed_at=now,
                        last_failed_at=now,
                        attempts=1,
                        run_id=run_id,
                        resolved_at=None,
                    )
                )
                return
            if row.run_id == run_id and row.resolved_at is None:
                return
            if row.resolved_at is not None:
                row.first_failed_at = now  # failing again after it worked: a new episode
                row.attempts = 0
            row.url, row.kind, row.reason, row.run_id = url, kind, reason, run_id
            row.last_failed_at, row.resolved_at = now, None
            row.attempts += 1

    def resolve(self, source: str, url: str) -> bool:
        """``url`` was fetched fine after failing; True when it was an unresolved failure."""
        with self._session() as session:
            result = session.execute(
                update(FailedPageRow)
                .where(
                    FailedPageRow.source == source,
                    FailedPageRow.url_key == _url_key(url),
                    FailedPageRow.resolved_at.is_(None),
                )
                .values(resolved_at=utc_now_iso())
            )
            return bool(getattr(result, "rowcount", 0))

    def failed(
        self, source: str | None = None, unresolved: bool = True, limit: int | None = None
    ) -> list[FailedPage]:
        query = select(FailedPageRow).order_by(
            FailedPageRow.source, FailedPageRow.last_failed_at.desc(), FailedPageRow.id
        )
        if source is not None:
            query = query.where(FailedPageRow.source == source)
        if unresolved:
            query = query.where(FailedPageRow.resolved_at.is_(None))
        if limit is not None:
            query = query.limit(limit)
        with Session(self.engine) as session:
            return [_failed(row) for row in session.scalars(query)]


def _run(row: CrawlRunRow) -> RunRecord:
    try:
        stats = json.loads(row.stats or "{}")
    except ValueError:
        stats = {}
    return RunRecord(
        id=row.id,
        source=row.source,
        started_at=row.started_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
        finish_reason=row.finish_reason,
        pid=row.pid,
        hostname=row.hostname,
        stats=stats if isinstance(stats, dict) else {},
    )


def _failed(row: FailedPageRow) -> FailedPage:
    return FailedPage(
        source=row.source,
        url=row.url,
        kind=row.kind,
        reason=row.reason,
        first_failed_at=row.first_failed_at,
        last_failed_at=row.last_failed_at,
        attempts=row.attempts,
        run_id=row.run_id,
        resolved_at=row.resolved_at,
    )


def failed_urls(settings: Settings, source_name: str) -> list[str]:
    """The unresolved failed pages of a source, oldest failure first
    (``lurewatch crawl --source NAME --retry-failed`` crawls these)."""
    log = RunLog(settings)
    try:
        pages = log.failed(source_name)
    finally:
        log.close()
    return [p.url for p in sorted(pages, key=lambda p: p.first_failed_at)]
