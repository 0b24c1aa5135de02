"""The SQLAlchemy engine and the declarative base every table of ours derives from."""

from __future__ import annotations

from importlib.util import find_spec

from sqlalchemy import URL, Engine, Table, create_engine, event, make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


def create_tables(engine: Engine, tables: list[Table]) -> None:
    """CREATE the ``tables`` that are missing. Processes opening a new database together (two
    crawlers, a crawl and the web app) may each find a table missing: the one whose CREATE
    loses finds the other's tables on a second look. The loser sees "already exists" (SQLite:
    OperationalError; PostgreSQL: ProgrammingError) or, on PostgreSQL while both CREATEs are
    open, a duplicate key in its catalogue (IntegrityError)."""
    try:
        Base.metadata.create_all(engine, tables=tables)
    except (OperationalError, ProgrammingError, IntegrityError):
        Base.metadata.create_all(engine, tables=tables)


def engine_url(url: str) -> URL:
    """The URL with its driver: a plain ``postgresql://`` means SQLAlchemy's default driver,
    psycopg2, which LureWatch does not install; it gets psycopg (3), which it does."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql" and find_spec("psycopg2") is None:
        return parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str) -> Engine:
    parsed = engine_url(url)
    if parsed.get_backend_name() != "sqlite":
        # A server may close idle connections (restarts, timeouts): test each one taken from
        # the pool rather than fail the web request or crawl batch that gets it.
        return create_engine(parsed, pool_pre_ping=True)
    engine = create_engine(parsed)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        # WAL lets the web app read while a crawl writes.
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    return engine
