"""Ads in SQL through SQLAlchemy: SQLite by default, any SQLAlchemy URL to scale.

The ``ads`` row is the ad as last fetched. Its history sits beside it: ``ad_versions`` holds
every changed version (with that fetch's captures), ``ad_events`` when it was removed and when
it reappeared, ``ad_captures`` every evidence file any of them points to.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from core.ad import Ad, AdRemoved, Capture, utc_now_iso
from core.db import make_engine
from core.settings import Settings
from index import scores
from index.migrate import migrate
from index.schema import (
    AD_CAPTURES,
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
            with Session(self.engine) as session, session.begin():
                # One query loads the batch's existing rows: each ad's get() then finds its
                # row (or its absence) without a query of its own.
                ids = list({ad.id for ad in ads})
                known = {r.id for r in session.scalars(select(AdRow).where(AdRow.id.in_(ids)))}
                written: list[Ad] = []
                outcomes: dict[int, UpsertOutcome] = {}
                # Ads new to the store go in with one INSERT per table for the batch (the ORM
                # would flush each separately); the rest, and a second copy of a new ad in the
                # same batch, go through _upsert.
                new: list[int] = []
                for i in order:
                    if ads[i].id not in known:
                        known.add(ads[i].id)
                        new.append(i)
                        outcomes[i] = "new"
                _insert_new(session, [ads[i] for i in new], written)
                rest = [i for i in order if i not in outcomes]
                linked = _linked(
                    session,
                    {ads[i].id for i in rest},
                    {c.sha256 for i in rest for c in ads[i].captures},
                )
                for i in rest:
                    outcomes[i] = _upsert(session, ads[i], written, linked)
                scores.record(session, written, "crawl")  # one query for the batch
                return [outcomes[i] for i in range(len(ads))]
        except DBAPIError as exc:
            if not _conflict(exc):
                raise
            # Another process stored one of these ads (or its next version) between our read
            # and write, or locked rows we wanted: do each again on top of theirs, alone.
            return [self._upsert_alone(ad) for ad in ads]

    def _upsert_alone(self, ad: Ad) -> UpsertOutcome:
        for attempt in (1, 2, 3):
            try:
                with Session(self.engine) as session, session.begin():
                    written: list[Ad] = []
                    outcome = _upsert(session, ad, written)
                    scores.record(session, written, "crawl")
                    return outcome
            except DBAPIError as exc:
                if attempt == 3 or not _conflict(exc):
                    raise
        raise AssertionError("unreachable")

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
        with Session(self.engine) as session:
            row = session.get(AdRow, ad_id)
            return None if row is None else _stored(row)

    def get_many(self, ad_ids: Iterable[str]) -> dict[str, StoredAd]:
        wanted = sorted(set(ad_ids))
        found: dict[str, StoredAd] = {}
        with Session(self.engine) as session:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                for row in session.scalars(select(AdRow).where(AdRow.id.in_(chunk))):
                    found[row.id] = _stored(row)
        return found

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
            with Session(self.engine) as session:
                query = select(AdRow).where(AdRow.id > last).order_by(AdRow.id).limit(batch_size)
                rows = [_stored(row) for row in session.scalars(query)]
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


def _upsert(
    session: Session, ad: Ad, written: list[Ad], linked: set[tuple[str, str]] | None = None
) -> UpsertOutcome:
    """Writes one ad in the caller's transaction; an ad whose row it wrote is added to
    ``written`` (for the score history). A row the session already loaded costs no query;
    ``linked``: the (ad id, sha256) captures already linked, when the caller looked them up."""
    row = session.get(AdRow, ad.id)
    if row is None:
        _insert_new(session, [ad], written)
        return "new"
    now = ad.fetched_at or utc_now_iso()
    payload = _json(ad.to_dict())
    old = Ad.from_dict(json.loads(row.data))
    changed = any(getattr(old, f) != getattr(ad, f) for f in CONTENT_FIELDS)
    if row.removed_at is not None and not _before(now, row.removed_at):
        session.add(
            AdEventRow(
                ad_id=ad.id,
                at=now,
                kind="reappeared",
                reason=f"fetched again, http {ad.http_status}",
                http_status=ad.http_status,
                captures=_json([asdict(c) for c in ad.captures]),
            )
        )
        row.removed_at, row.removal_reason = None, None
    if _before(now, row.last_seen):
        # An older fetch arriving late (a resumed crawl): it must not replace the newer
        # state, nor count as a change.
        return "unchanged"
    _fill(row, ad, payload)
    row.last_seen = now
    if changed:
        row.versions += 1
        session.add(_version_row(ad, row.versions, payload, content_sha256(ad)))
    _add_captures(session, ad.id, ad.captures, linked)
    written.append(ad)
    return "updated" if changed else "unchanged"


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
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _before(a: str, b: str) -> bool:
    """``a`` is earlier than ``b``; both ISO 8601, compared as times when they parse."""
    try:
        return datetime.fromisoformat(a) < datetime.fromisoformat(b)
    except (TypeError, ValueError):
        return a < b


def _insert_new(session: Session, ads: Sequence[Ad], written: list[Ad]) -> None:
    """Ads not in the store yet (distinct ids): their rows, first versions and captures."""
    if not ads:
        return
    rows, versions, captures = [], [], []
    for ad in ads:
        now = ad.fetched_at or utc_now_iso()
        payload = _json(ad.to_dict())
        rows.append(
            {"id": ad.id, "first_seen": now, "last_seen": now, "versions": 1}
            | _row_values(ad, payload)
        )
        versions.append(_version_values(ad, 1, payload, content_sha256(ad)))
        seen: set[str] = set()
        for cap in ad.captures:
            if cap.sha256 not in seen:
                seen.add(cap.sha256)
                captures.append(_capture_values(ad.id, cap))
    session.execute(insert(ADS), rows)  # first: the other two refer to these rows
    session.execute(insert(AD_VERSIONS), versions)
    if captures:
        session.execute(insert(AD_CAPTURES), captures)
    written.extend(ads)


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


def _fill(row: AdRow, ad: Ad, payload: str) -> None:
    for name, value in _row_values(ad, payload).items():
        setattr(row, name, value)


def _version_values(ad: Ad, version: int, payload: str, digest: str) -> dict[str, Any]:
    return {
        "ad_id": ad.id,
        "version": version,
        "fetched_at": ad.fetched_at,
        "body_sha256": ad.body_sha256,
        "content_sha256": digest,
        "data": payload,
    }


def _version_row(ad: Ad, version: int, payload: str, digest: str) -> AdVersionRow:
    return AdVersionRow(**_version_values(ad, version, payload, digest))


def _capture_values(ad_id: str, cap: Capture) -> dict[str, Any]:
    return {
        "ad_id": ad_id,
        "sha256": cap.sha256,
        "kind": cap.kind,
        "path": cap.path,
        "size": cap.size,
    }


def _linked(session: Session, ad_ids: set[str], hashes: set[str]) -> set[tuple[str, str]]:
    """The (ad id, sha256) links among these that exist already, in one query."""
    if not ad_ids or not hashes:
        return set()
    query = select(AdCaptureRow.ad_id, AdCaptureRow.sha256).where(
        AdCaptureRow.ad_id.in_(ad_ids), AdCaptureRow.sha256.in_(hashes)
    )
    return {(row.ad_id, row.sha256) for row in session.execute(query)}


def _add_captures(
    session: Session,
    ad_id: str,
    captures: list[Capture],
    linked: set[tuple[str, str]] | None = None,
) -> None:
    """Links the captures not linked yet (``linked``: as ``_linked`` found them)."""
    if not captures:
        return
    if linked is None:
        linked = _linked(session, {ad_id}, {c.sha256 for c in captures})
    known = {sha for owner, sha in linked if owner == ad_id}
    for cap in captures:
        if cap.sha256 not in known:
            known.add(cap.sha256)
            session.add(AdCaptureRow(**_capture_values(ad_id, cap)))


def _capture(row: AdCaptureRow) -> Capture:
    return Capture(kind=row.kind, sha256=row.sha256, path=row.path, size=row.size)


def _stored(row: AdRow) -> StoredAd:
    return StoredAd(
        ad=Ad.from_dict(json.loads(row.data)),
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        versions=row.versions,
        removed_at=row.removed_at,
        removal_reason=row.removal_reason or "",
    )
