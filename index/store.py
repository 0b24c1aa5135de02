"""Ads in SQL through SQLAlchemy: SQLite by default, any SQLAlchemy URL to scale.

The ``ads`` row is the ad as last fetched. Its history sits beside it: ``ad_versions`` holds
every changed version (with that fetch's captures), ``ad_events`` when it was removed and when
it reappeared, ``ad_captures`` every evidence file any of them points to.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any, Literal

import orjson
from sqlalchemy import Connection, Row, bindparam, func, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from core.ad import Ad, AdRemoved, Capture, field_names, plain, utc_now_iso
from core.db import make_engine
from core.settings import Settings
from index import scores
from index.migrate import migrate
from index.schema import (
    AD_CAPTURES,
    AD_EVENTS,
    AD_VERSIONS,
    ADS,
    CONTENT_FIELDS,
    AdCaptureRow,
    AdEventRow,
    AdRow,
    AdVersionRow,
    content_sha256,
)

UpsertOutcome = Literal["new", "updated", "unchanged"]
EventKind = Literal["removed", "reappeared"]
# PostgreSQL's "deadlock detected" and "could not serialize access": it rolled the transaction
# back, and running it again is the remedy.
_RETRY_SQLSTATES = frozenset({"40P01", "40001"})
# A row of any columns, read by name.
_AnyRow = Row[*tuple[Any, ...]]
# The ids of one IN (...) query: well under SQLite's variable limit.
_CHUNK = 500
# What reading an ad back needs of its row.
_STORED_COLUMNS = (
    ADS.c.id,
    ADS.c.data,
    ADS.c.first_seen,
    ADS.c.last_seen,
    ADS.c.versions,
    ADS.c.removed_at,
    ADS.c.removal_reason,
)


@dataclass
class StoredAd:
    ad: Ad
    first_seen: str
    last_seen: str
    versions: int = 1
    removed_at: str | None = None  # None while the ad is live
    removal_reason: str = ""

    @property
    def removed(self) -> bool:
        return self.removed_at is not None

    def to_dict(self) -> dict[str, Any]:
        data = self.ad.to_dict()
        data.update(
            first_seen=self.first_seen,
            last_seen=self.last_seen,
            versions=self.versions,
            removed_at=self.removed_at,
            removal_reason=self.removal_reason,
        )
        return data


@dataclass
class AdVersion:
    """One stored version of an ad. ``changed`` names the content fields that differ from the
    version before (empty for the first one kept)."""

    version: int
    fetched_at: str
    body_sha256: str
    content_sha256: str
    ad: Ad
    changed: list[str] = field(default_factory=list)

    @property
    def captures(self) -> list[Capture]:
        return self.ad.captures

    def summary(self) -> dict[str, Any]:
        """The version without its text: what the API lists."""
        return {
            "version": self.version,
            "fetched_at": self.fetched_at,
            "body_sha256": self.body_sha256,
            "content_sha256": self.content_sha256,
            "changed": list(self.changed),
            "captures": [asdict(c) for c in self.captures],
        }


@dataclass
class AdEvent:
    at: str
    kind: str  # EventKind
    reason: str
    http_status: int | None = None
    captures: list[Capture] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "kind": self.kind,
            "reason": self.reason,
            "http_status": self.http_status,
            "captures": [asdict(c) for c in self.captures],
        }


class Store:
    def __init__(self, settings: Settings) -> None:
        self.engine = make_engine(settings.db_url)
        migrate(self.engine)
        scores.ensure_table(self.engine)
        # By ad id, the ad this store last wrote to the row and the JSON it wrote, while the ad
        # lives: ``get_many`` gives a caller that still holds the ad that ad, rather than
        # parse it back from the row (see ``_remember``).
        self._wrote: dict[str, tuple[weakref.ref[Ad], str]] = {}

    # --- writing ---------------------------------------------------------------------------

    def upsert(self, ad: Ad) -> UpsertOutcome:
        """Insert a new ad or update the one with the same id (same canonical URL).

        A new version is kept when the content changed; a re-fetch of the same content only
        moves ``last_seen`` on (and the row's latest captures). Upserting the same ad twice
        leaves one row and one version."""
        return self.upsert_many([ad])[0]

    def upsert_many(self, ads: Sequence[Ad]) -> list[UpsertOutcome]:
        """``upsert`` for a batch in one transaction (a commit per ad bounds a crawl at the
        disk's sync rate). Outcomes are in the order of ``ads``."""
        if not ads:
            return []
        # Written in id order (stable: the same ad twice keeps its order): processes storing
        # overlapping batches then lock the rows in one order, rather than deadlocking.
        order = sorted(range(len(ads)), key=lambda i: ads[i].id)
        try:
            with self.engine.begin() as conn:
                verdicts, wrote = _write(conn, [ads[i] for i in order])
        except DBAPIError as exc:
            if not _conflict(exc):
                raise
            # Another process stored one of these ads (or its next version) between our read
            # and write, or locked rows we wanted: do each again on top of theirs, alone.
            return [self._upsert_alone(ad) for ad in ads]
        self._remember(wrote)
        outcomes: list[UpsertOutcome] = ["unchanged"] * len(ads)
        for i, verdict in zip(order, verdicts, strict=True):
            outcomes[i] = verdict
        return outcomes

    def _upsert_alone(self, ad: Ad) -> UpsertOutcome:
        for attempt in (1, 2, 3):
            try:
                with self.engine.begin() as conn:
                    verdicts, wrote = _write(conn, [ad])
                self._remember(wrote)
                return verdicts[0]
            except DBAPIError as exc:
                if attempt == 3 or not _conflict(exc):
                    raise
        raise AssertionError("unreachable")

    def _remember(self, wrote: Mapping[str, tuple[Ad, str]]) -> None:
        """Notes what a committed write left in each row. Only while the ad lives (a weak
        reference): a caller can hand it back only then, and a crawl's worth of JSON would
        otherwise stay in memory."""
        for ad_id, (ad, payload) in wrote.items():
            self._wrote[ad_id] = (weakref.ref(ad, _forget(self._wrote, ad_id)), payload)

    def mark_removed(self, item: AdRemoved) -> bool:
        """Record that the ad is gone. False when there is nothing to mark: the ad is unknown,
        or already removed (the first ``removed_at`` is kept)."""
        at = item.removed_at or utc_now_iso()
        reason = _sql_text(item.reason)
        try:
            with Session(self.engine) as session, session.begin():
                row = session.get(AdRow, item.id)
                if row is None or row.removed_at is not None:
                    return False
                row.removed_at, row.removal_reason = at, reason
                session.add(
                    AdEventRow(
                        ad_id=item.id,
                        at=at,
                        kind="removed",
                        reason=reason,
                        http_status=item.http_status,
                        captures=_json([asdict(c) for c in item.captures]),
                    )
                )
                _add_captures(session, item.id, item.captures)
                return True
        except IntegrityError:
            return False  # another process marked it (or stored the same capture) first

    # --- reading ---------------------------------------------------------------------------

    def get(self, ad_id: str) -> StoredAd | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(*_STORED_COLUMNS).where(ADS.c.id == ad_id)).first()
        return None if row is None else _stored(row)

    def get_many(
        self, ad_ids: Iterable[str], held: Mapping[str, Ad | None] | None = None
    ) -> dict[str, StoredAd]:
        """The stored ads of these ids that exist. ``held``: ads the caller gave this store to
        upsert and has not changed since, by id; where the row still holds what this store
        wrote for one of them, its ``StoredAd`` is that ad rather than a copy parsed from the
        row (the ingest worker indexes what it has just stored)."""
        wanted = sorted(set(ad_ids))
        found: dict[str, StoredAd] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                query = select(*_STORED_COLUMNS).where(ADS.c.id.in_(chunk))
                for row in conn.execute(query):
                    found[row.id] = _stored(row, self._written(row, held))
        return found

    def _written(self, row: _AnyRow, held: Mapping[str, Ad | None] | None) -> Ad | None:
        """The caller's ad, if the row holds exactly what this store wrote for it."""
        if held is None:
            return None
        ad = held.get(row.id)
        wrote = self._wrote.get(row.id)
        if ad is None or wrote is None or wrote[0]() is not ad or wrote[1] != row.data:
            return None  # not written here, written for another copy, or changed since
        return ad

    def history(self, ad_id: str) -> list[AdVersion]:
        """Every kept version of the ad, oldest first; empty for an unknown ad."""
        query = (
            select(AdVersionRow).where(AdVersionRow.ad_id == ad_id).order_by(AdVersionRow.version)
        )
        with Session(self.engine) as session:
            rows = list(session.scalars(query))
        out: list[AdVersion] = []
        previous: Ad | None = None
        for row in rows:
            ad = Ad.from_dict(json.loads(row.data))
            changed = (
                []
                if previous is None
                else [f for f in CONTENT_FIELDS if getattr(previous, f) != getattr(ad, f)]
            )
            out.append(
                AdVersion(
                    version=row.version,
                    fetched_at=row.fetched_at,
                    body_sha256=row.body_sha256,
                    content_sha256=row.content_sha256,
                    ad=ad,
                    changed=changed,
                )
            )
            previous = ad
        return out

    def events(self, ad_id: str) -> list[AdEvent]:
        """Removals and reappearances of the ad, oldest first."""
        query = (
            select(AdEventRow)
            .where(AdEventRow.ad_id == ad_id)
            .order_by(AdEventRow.at, AdEventRow.id)
        )
        with Session(self.engine) as session:
            rows = list(session.scalars(query))
        return [
            AdEvent(
                at=row.at,
                kind=row.kind,
                reason=row.reason,
                http_status=row.http_status,
                captures=[Capture(**c) for c in json.loads(row.captures or "[]")],
            )
            for row in rows
        ]

    def captures(self, ad_id: str) -> list[Capture]:
        """Every evidence file the ad points to, from any version or event."""
        query = select(AdCaptureRow).where(AdCaptureRow.ad_id == ad_id).order_by(AdCaptureRow.id)
        with Session(self.engine) as session:
            return [_capture(row) for row in session.scalars(query)]

    def find_capture(self, sha256: str, ad_id: str | None = None) -> Capture | None:
        """The evidence file with this hash, if a stored ad (``ad_id``, or any) points to it."""
        query = select(AdCaptureRow).where(AdCaptureRow.sha256 == sha256)
        if ad_id is not None:
            query = query.where(AdCaptureRow.ad_id == ad_id)
        with Session(self.engine) as session:
            row = session.scalars(query.order_by(AdCaptureRow.id).limit(1)).first()
            return None if row is None else _capture(row)

    def iter_stored(self, batch_size: int = 500) -> Iterator[StoredAd]:
        last = ""
        while True:
            query = (
                select(*_STORED_COLUMNS).where(ADS.c.id > last).order_by(ADS.c.id).limit(batch_size)
            )
            with self.engine.connect() as conn:
                rows = [_stored(row) for row in conn.execute(query)]
            if not rows:
                return
            yield from rows
            last = rows[-1].ad.id

    def iter_ads(self, batch_size: int = 500) -> Iterator[Ad]:
        for stored in self.iter_stored(batch_size):
            yield stored.ad

    def count(self, *, flagged: bool | None = None, removed: bool | None = None) -> int:
        query = select(func.count()).select_from(AdRow)
        if flagged is not None:
            query = query.where(AdRow.flagged == flagged)
        if removed is True:
            query = query.where(AdRow.removed_at.is_not(None))
        elif removed is False:
            query = query.where(AdRow.removed_at.is_(None))
        with Session(self.engine) as session:
            return int(session.scalar(query) or 0)

    def close(self) -> None:
        self.engine.dispose()


@dataclass
class _Current:
    """What ``_write`` knows of an ad's row, kept up to date as it writes the batch."""

    data: str
    last_seen: str
    removed_at: str | None
    versions: int


@dataclass
class _Batch:
    """The rows ``_write`` writes, one statement per kind for the batch."""

    new: list[dict[str, Any]] = field(default_factory=list)
    updated: dict[str, dict[str, Any]] = field(default_factory=dict)
    returned: list[dict[str, Any]] = field(default_factory=list)  # ads no longer removed
    versions: list[dict[str, Any]] = field(default_factory=list)
    captures: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def execute(self, conn: Connection) -> None:
        # Rows of ``ads`` first: the others refer to them. A list of parameters is one
        # executemany (SQLAlchemy's "insertmanyvalues" for the INSERTs): one round trip
        # per table, not one per ad.
        if self.new:
            conn.execute(insert(ADS), self.new)
        if self.updated:
            conn.execute(_UPDATE_AD, list(self.updated.values()))
        if self.returned:
            conn.execute(_UPDATE_RETURNED, self.returned)
        if self.versions:
            conn.execute(insert(AD_VERSIONS), self.versions)
        if self.captures:
            conn.execute(insert(AD_CAPTURES), self.captures)
        if self.events:
            conn.execute(insert(AD_EVENTS), self.events)


_AD_COLUMNS = (
    "url",
    "site",
    "title",
    "text",
    "lang",
    "lure_score",
    "flagged",
    "model_version",
    "fetched_at",
    "body_sha256",
    "data",
)
# An updated row: the ad's columns and last_seen set; versions counted up by ``b_bump`` (1
# for a new version) rather than set, and removed_at left alone (``_UPDATE_RETURNED`` clears
# it), so a version or removal another process wrote meanwhile is not written over.
_UPDATE_AD = (
    update(ADS)
    .where(ADS.c.id == bindparam("b_id"))
    .values(
        {name: bindparam(name) for name in (*_AD_COLUMNS, "last_seen")}
        | {"versions": ADS.c.versions + bindparam("b_bump")}
    )
)
_UPDATE_RETURNED = (
    update(ADS).where(ADS.c.id == bindparam("b_id")).values(removed_at=None, removal_reason=None)
)
# A missing content field reads as Ad.from_dict would fill it.
_CONTENT_DEFAULTS = {f.name: f.default for f in fields(Ad) if f.name in CONTENT_FIELDS}


def _write(
    conn: Connection, ads: Sequence[Ad]
) -> tuple[list[UpsertOutcome], dict[str, tuple[Ad, str]]]:
    """Writes ``ads`` (in id order) in the caller's transaction, each as ``Store.upsert``
    would one after the other, with one query for the batch's rows and one statement per
    table. Returns each ad's outcome and, by id, the ad whose JSON its row now holds."""
    current = _current(conn, {ad.id for ad in ads})
    linked = _linked(
        conn, set(current), {c.sha256 for ad in ads if ad.id in current for c in ad.captures}
    )
    batch = _Batch()
    outcomes: list[UpsertOutcome] = []
    written: list[Ad] = []  # for the score history
    wrote: dict[str, tuple[Ad, str]] = {}
    for ad in ads:
        now = ad.fetched_at or utc_now_iso()
        row = current.get(ad.id)
        if row is None:
            payload = _json(ad)
            batch.new.append(
                {"id": ad.id, "first_seen": now, "last_seen": now, "versions": 1}
                | _row_values(ad, payload)
            )
            batch.versions.append(_version_values(ad, 1, payload, content_sha256(ad)))
            # A second copy of the ad in the batch is then an update of this row.
            current[ad.id] = _Current(data=payload, last_seen=now, removed_at=None, versions=1)
            outcomes.append("new")
        else:
            if row.removed_at is not None and not _before(now, row.removed_at):
                batch.events.append(
                    {
                        "ad_id": ad.id,
                        "at": now,
                        "kind": "reappeared",
                        "reason": f"fetched again, http {ad.http_status}",
                        "http_status": ad.http_status,
                        "captures": _json(ad.captures),
                    }
                )
                batch.returned.append({"b_id": ad.id})
                row.removed_at = None
            if _before(now, row.last_seen):
                # An older fetch arriving late (a resumed crawl): it must not replace the
                # newer state, nor count as a change.
                outcomes.append("unchanged")
                continue
            changed = _content_changed(row.data, ad)
            payload = _json(ad)
            if changed:
                row.versions += 1
                batch.versions.append(
                    _version_values(ad, row.versions, payload, content_sha256(ad))
                )
            previous = batch.updated.get(ad.id)
            bump = int(changed) + (previous["b_bump"] if previous else 0)
            batch.updated[ad.id] = {"b_id": ad.id, "b_bump": bump, "last_seen": now} | (
                _row_values(ad, payload)
            )
            row.data, row.last_seen = payload, now
            outcomes.append("updated" if changed else "unchanged")
        for cap in ad.captures:
            if (ad.id, cap.sha256) not in linked:
                linked.add((ad.id, cap.sha256))
                batch.captures.append(_capture_values(ad.id, cap))
        written.append(ad)
        wrote[ad.id] = (ad, payload)
    batch.execute(conn)
    scores.record(conn, written, "crawl")  # one query for the batch
    return outcomes, wrote


def _current(conn: Connection, ad_ids: set[str]) -> dict[str, _Current]:
    """The rows of these ads that exist, in as many queries as chunks of ids."""
    wanted = sorted(ad_ids)
    found: dict[str, _Current] = {}
    for start in range(0, len(wanted), _CHUNK):
        query = select(
            ADS.c.id, ADS.c.data, ADS.c.last_seen, ADS.c.removed_at, ADS.c.versions
        ).where(ADS.c.id.in_(wanted[start : start + _CHUNK]))
        for row in conn.execute(query):
            found[row.id] = _Current(row.data, row.last_seen, row.removed_at, row.versions)
    return found


def _content_changed(data: str, ad: Ad) -> bool:
    """The content fields of ``ad`` differ from those of the stored JSON ``data``. Read with
    orjson, twice as fast as json: it reads strings as json does, and only these string
    fields are compared (it would read an integer past 64 bits as a float). What it refuses
    (NaN, lone surrogates), json reads."""
    try:
        old = orjson.loads(data)
    except orjson.JSONDecodeError:
        old = json.loads(data)
    return any(old.get(f, _CONTENT_DEFAULTS[f]) != getattr(ad, f) for f in CONTENT_FIELDS)


def _forget(wrote: dict[str, tuple[weakref.ref[Ad], str]], ad_id: str) -> Callable[..., None]:
    """The callback that drops ``Store._wrote``'s entry of an ad that is gone."""

    def forget(ref: weakref.ref[Ad]) -> None:
        entry = wrote.get(ad_id)
        if entry is not None and entry[0] is ref:
            wrote.pop(ad_id, None)

    return forget


def _conflict(exc: DBAPIError) -> bool:
    """The write lost to another process's and may be done again."""
    if isinstance(exc, IntegrityError):
        return True
    return getattr(exc.orig, "sqlstate", None) in _RETRY_SQLSTATES


def _sql_text(value: str) -> str:
    """``value`` as a text column takes it: PostgreSQL refuses NUL characters (a page can hold
    them). The ad itself is kept whole in the JSON ``data`` column, which escapes them."""
    return value.replace("\x00", "") if "\x00" in value else value


def _json(value: Any) -> str:
    """``value`` as JSON text, dataclasses as dicts of their fields (as ``core.ad.plain``
    makes them), keys sorted. orjson writes it several times faster than the json module,
    which writes it where orjson would refuse the value (lone surrogates, integers past 64
    bits, keys that are not strings) or write other values (NaN and infinities as null).
    The two differ only in spacing and how some numbers are spelt (1e-05, 0.00001): each
    reads the other's text to the same values."""
    if _finite(value):
        try:
            return orjson.dumps(value, default=_fields, option=_ORJSON_OPTIONS).decode()
        except TypeError:  # orjson.JSONEncodeError, also for what _fields raised
            pass
    return json.dumps(plain(value), ensure_ascii=False, sort_keys=True)


# Dataclasses go to _fields rather than orjson's own conversion, which writes attributes
# that are not fields too; so do datetimes, which json does not write.
_ORJSON_OPTIONS = (
    orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
)
# Types with no float inside for _finite to look for; _fields adds the dataclasses it sees
# (it looks inside them itself).
_NO_FLOATS: set[type] = {str, int, bool, type(None)}


def _fields(value: Any) -> dict[str, Any]:
    """orjson's ``default``: a dataclass as the dict of its fields."""
    names = field_names(value)
    if names is None:
        raise TypeError(f"{type(value).__name__} is not JSON")
    _NO_FLOATS.add(type(value))
    out: dict[str, Any] = {}
    for name in names:
        v = out[name] = getattr(value, name)
        kind = type(v)
        if kind in _NO_FLOATS:
            continue
        # The float test inline: an ad's terms each carry one, and a call per term cost
        # more than the rest of this function.
        if (v - v != 0.0) if kind is float else not _finite(v):
            raise ValueError("NaN or infinity: for json to write")
    return out


def _finite(value: Any) -> bool:
    """No NaN or infinity in ``value``, outside the dataclasses in it (``_fields`` looks
    inside those as orjson reaches them)."""
    if type(value) is float:
        return value - value == 0.0  # NaN for NaN and both infinities
    if isinstance(value, dict):
        items: Iterable[Any] = value.values()
    elif isinstance(value, list | tuple):
        items = value
    else:
        return True
    return all(type(v) in _NO_FLOATS or _finite(v) for v in items)


def _before(a: str, b: str) -> bool:
    """``a`` is earlier than ``b``; both ISO 8601, compared as times when they parse."""
    try:
        return datetime.fromisoformat(a) < datetime.fromisoformat(b)
    except (TypeError, ValueError):
        return a < b


def _row_values(ad: Ad, payload: str) -> dict[str, Any]:
    """The ``ads`` columns that come from the ad itself."""
    return {
        "url": _sql_text(ad.url),
        "site": _sql_text(ad.site),
        "title": _sql_text(ad.title),
        "text": _sql_text(ad.text),
        "lang": ad.lang,
        "lure_score": ad.lure_score,
        "flagged": ad.flagged,
        "model_version": ad.model_version,
        "fetched_at": ad.fetched_at,
        "body_sha256": ad.body_sha256,
        "data": payload,
    }


def _version_values(ad: Ad, version: int, payload: str, digest: str) -> dict[str, Any]:
    return {
        "ad_id": ad.id,
        "version": version,
        "fetched_at": ad.fetched_at,
        "body_sha256": ad.body_sha256,
        "content_sha256": digest,
        "data": payload,
    }


def _capture_values(ad_id: str, cap: Capture) -> dict[str, Any]:
    return {
        "ad_id": ad_id,
        "sha256": cap.sha256,
        "kind": cap.kind,
        "path": cap.path,
        "size": cap.size,
    }


def _linked(
    session: Connection | Session, ad_ids: set[str], hashes: set[str]
) -> set[tuple[str, str]]:
    """The (ad id, sha256) links among these that exist already, in one query."""
    if not ad_ids or not hashes:
        return set()
    query = select(AdCaptureRow.ad_id, AdCaptureRow.sha256).where(
        AdCaptureRow.ad_id.in_(ad_ids), AdCaptureRow.sha256.in_(hashes)
    )
    return {(row.ad_id, row.sha256) for row in session.execute(query)}


def _add_captures(session: Session, ad_id: str, captures: list[Capture]) -> None:
    """Links the captures not linked yet."""
    if not captures:
        return
    linked = _linked(session, {ad_id}, {c.sha256 for c in captures})
    known = {sha for owner, sha in linked if owner == ad_id}
    for cap in captures:
        if cap.sha256 not in known:
            known.add(cap.sha256)
            session.add(AdCaptureRow(**_capture_values(ad_id, cap)))


def _capture(row: AdCaptureRow) -> Capture:
    return Capture(kind=row.kind, sha256=row.sha256, path=row.path, size=row.size)


def _stored(row: _AnyRow, ad: Ad | None = None) -> StoredAd:
    """The stored ad of ``row`` (``_STORED_COLUMNS`` at least); ``ad``: the ad its JSON was
    written from, unchanged since, when the caller has it."""
    return StoredAd(
        ad=Ad.from_dict(json.loads(row.data)) if ad is None else ad,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        versions=row.versions,
        removed_at=row.removed_at,
        removal_reason=row.removal_reason or "",
    )
