"""Ads in SQL through SQLAlchemy: SQLite by default, any SQLAlchemy URL to scale."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Boolean, Float, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.ad import Ad, utc_now_iso
from core.db import Base, make_engine
from core.settings import Settings

UpsertOutcome = Literal["new", "updated", "unchanged"]

# Fields whose change means the ad itself changed (as opposed to a re-fetch of the same ad).
_CONTENT_FIELDS = ("title", "text", "employer", "location", "salary", "date_posted")


class AdRow(Base):
    __tablename__ = "ads"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    site: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    lang: Mapped[str] = mapped_column(String(16), default="")
    lure_score: Mapped[float | None] = mapped_column(Float, nullable=True, index=True)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    model_version: Mapped[str] = mapped_column(String(80), default="")
    fetched_at: Mapped[str] = mapped_column(String(40), default="")
    first_seen: Mapped[str] = mapped_column(String(40))
    last_seen: Mapped[str] = mapped_column(String(40))
    body_sha256: Mapped[str] = mapped_column(String(64), default="")
    versions: Mapped[int] = mapped_column(Integer, default=1)
    # The whole Ad as JSON: new fields need no migration, and reading back is lossless.
    data: Mapped[str] = mapped_column(Text)


@dataclass
class StoredAd:
    ad: Ad
    first_seen: str
    last_seen: str
    versions: int = 1

    def to_dict(self) -> dict[str, Any]:
        data = self.ad.to_dict()
        data.update(first_seen=self.first_seen, last_seen=self.last_seen, versions=self.versions)
        return data


class Store:
    def __init__(self, settings: Settings) -> None:
        self.engine = make_engine(settings.db_url)
        Base.metadata.create_all(self.engine)

    def upsert(self, ad: Ad) -> UpsertOutcome:
        """Insert a new ad or update the one with the same id (same canonical URL)."""
        now = ad.fetched_at or utc_now_iso()
        payload = json.dumps(ad.to_dict(), ensure_ascii=False, sort_keys=True)
        with Session(self.engine) as session, session.begin():
            row = session.get(AdRow, ad.id)
            if row is None:
                session.add(self._row(ad, payload, first_seen=now, last_seen=now))
                return "new"
            old = Ad.from_dict(json.loads(row.data))
            changed = any(getattr(old, f) != getattr(ad, f) for f in _CONTENT_FIELDS)
            outcome: UpsertOutcome = "updated" if changed else "unchanged"
            self._fill(row, ad, payload)
            row.last_seen = max(row.last_seen, now)
            if changed:
                row.versions += 1
            return outcome

    def get(self, ad_id: str) -> StoredAd | None:
        with Session(self.engine) as session:
            row = session.get(AdRow, ad_id)
            return None if row is None else _stored(row)

    def iter_ads(self, batch_size: int = 500) -> Iterator[Ad]:
        last = ""
        while True:
            with Session(self.engine) as session:
                query = select(AdRow).where(AdRow.id > last).order_by(AdRow.id).limit(batch_size)
                rows = list(session.scalars(query))
            if not rows:
                return
            for row in rows:
                yield Ad.from_dict(json.loads(row.data))
            last = rows[-1].id

    def count(self, *, flagged: bool | None = None) -> int:
        query = select(func.count()).select_from(AdRow)
        if flagged is not None:
            query = query.where(AdRow.flagged == flagged)
        with Session(self.engine) as session:
            return int(session.scalar(query) or 0)

    def close(self) -> None:
        self.engine.dispose()

    @staticmethod
    def _row(ad: Ad, payload: str, *, first_seen: str, last_seen: str) -> AdRow:
        row = AdRow(id=ad.id, first_seen=first_seen, last_seen=last_seen, versions=1)
        Store._fill(row, ad, payload)
        return row

    @staticmethod
    def _fill(row: AdRow, ad: Ad, payload: str) -> None:
        row.url, row.site, row.title, row.text = ad.url, ad.site, ad.title, ad.text
        row.lang, row.lure_score, row.flagged = ad.lang, ad.lure_score, ad.flagged
        row.model_version, row.fetched_at = ad.model_version, ad.fetched_at
        row.body_sha256, row.data = ad.body_sha256, payload


def _stored(row: AdRow) -> StoredAd:
    return StoredAd(
        ad=Ad.from_dict(json.loads(row.data)),
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        versions=row.versions,
    )
