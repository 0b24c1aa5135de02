"""Bring a case store written by an older LureWatch up to the current tables, losing nothing.

Missing tables are created; missing columns are added with ``ALTER TABLE ... ADD COLUMN``
(portable to SQLite and PostgreSQL); ads stored before versions were kept get their current
state recorded as their latest version. Safe to run on every open: it only acts on what is
missing, and a run killed halfway is finished by the next one (the columns are added last, so
they mark a finished migration).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import Column, Engine, String, Table, exists, inspect, select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.schema import CreateColumn

from core.ad import Ad
from core.db import create_tables
from index.schema import (
    AD_CAPTURES,
    AD_VERSIONS,
    ADS,
    STORE_TABLES,
    AdRow,
    AdVersionRow,
    content_sha256,
)

log = logging.getLogger("lurewatch.store")

_BACKFILL_BATCH = 500


def add_column_sql(table: Table, column: Column[Any], dialect: Dialect) -> str:
    """``ALTER TABLE t ADD COLUMN c TYPE`` in the dialect's own quoting and type names."""
    definition = str(CreateColumn(column).compile(dialect=dialect)).strip()
    name = dialect.identifier_preparer.format_table(table)
    return f"ALTER TABLE {name} ADD COLUMN {definition}"


def missing_columns(engine: Engine, table: Table) -> list[Column[Any]]:
    present = {c["name"] for c in inspect(engine).get_columns(table.name)}
    return [c for c in table.columns if c.name not in present]


def migrate(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    # Two processes may open a fresh store at once (two crawlers sharing a frontier).
    create_tables(engine, STORE_TABLES)
    if AdRow.__tablename__ not in tables:
        return  # a new database: create_all made everything
    widen_columns(engine, ADS)
    missing = missing_columns(engine, ADS)
    if AdVersionRow.__tablename__ in tables and not missing:
        return
    log.info("upgrading the case store: keeping each stored ad as its latest version")
    done = backfill_versions(engine)
    if done:
        log.info("recorded %d stored ads as their latest version", done)
    for column in missing:
        _add_column(engine, ADS, column)


def widen_columns(engine: Engine, table: Table) -> None:
    """Give existing VARCHAR columns the length the table now declares (model version names
    may have 100 characters; the column once had 80). PostgreSQL enforces these lengths,
    SQLite does not (nothing to do there)."""
    if engine.dialect.name != "postgresql":
        return
    present = {c["name"]: c["type"] for c in inspect(engine).get_columns(table.name)}
    quote = engine.dialect.identifier_preparer
    for column in table.columns:
        wanted = column.type.length if isinstance(column.type, String) else None
        length = getattr(present.get(column.name), "length", None)
        if wanted is None or length is None or length >= wanted:
            continue
        kind = column.type.compile(dialect=engine.dialect)
        with engine.begin() as conn:
            # Widening a VARCHAR changes no stored value and rewrites nothing.
            conn.exec_driver_sql(
                f"ALTER TABLE {quote.format_table(table)}"
                f" ALTER COLUMN {quote.format_column(column)} TYPE {kind}"
            )
        log.info("widened column %s.%s to %s", table.name, column.name, kind)


def _add_column(engine: Engine, table: Table, column: Column[Any]) -> None:
    sql = add_column_sql(table, column, engine.dialect)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(sql)
    except DBAPIError:
        # Another process (the web app and a crawl open the store together) may have added it.
        if column.name not in {c.name for c in missing_columns(engine, table)}:
            raise
    for index in table.indexes:
        if column.name in {c.name for c in index.columns}:
            index.create(engine, checkfirst=True)
    log.info("added column %s.%s", table.name, column.name)


def backfill_versions(engine: Engine) -> int:
    """Record every ad that has no version yet as a version numbered by its ``versions``
    counter (the earlier versions were not kept by the code that stored it). Returns how many."""
    no_version = ~exists().where(AdVersionRow.ad_id == AdRow.id)
    query = (
        # Named columns only: the ads table may still lack columns added since.
        select(AdRow.id, AdRow.versions, AdRow.fetched_at, AdRow.body_sha256, AdRow.data)
        .where(no_version)
        .order_by(AdRow.id)
        .limit(_BACKFILL_BATCH)
    )
    total = 0
    conflicts = 0
    while True:
        try:
            with engine.begin() as conn:
                rows = list(conn.execute(query))
                if not rows:
                    return total
                versions, captures = [], []
                for row in rows:
                    ad = Ad.from_dict(json.loads(row.data))
                    versions.append(
                        {
                            "ad_id": row.id,
                            "version": row.versions or 1,
                            "fetched_at": row.fetched_at or "",
                            "body_sha256": row.body_sha256 or "",
                            "content_sha256": content_sha256(ad),
                            "data": row.data,
                        }
                    )
                    seen: set[str] = set()
                    for cap in ad.captures:
                        if cap.sha256 not in seen:
                            seen.add(cap.sha256)
                            captures.append(
                                {
                                    "ad_id": row.id,
                                    "sha256": cap.sha256,
                                    "kind": cap.kind,
                                    "path": cap.path,
                                    "size": cap.size,
                                }
                            )
                conn.execute(AD_VERSIONS.insert(), versions)
                if captures:
                    conn.execute(AD_CAPTURES.insert(), captures)
                total += len(rows)
        except IntegrityError:
            # Another process backfilled some of these first; the next query skips them.
            conflicts += 1
            if conflicts > 10:
                raise
