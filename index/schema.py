"""The case store's tables. Portable SQL only: the same tables run on SQLite and PostgreSQL.

Columns added after a release must be nullable (or carry a server default): ``index.migrate``
adds them to an existing database with ``ALTER TABLE ... ADD COLUMN``, which cannot fill a
NOT NULL column without one.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.ad import Ad
from core.db import Base

# Fields whose change means the ad itself changed (as opposed to a re-fetch of the same ad).
CONTENT_FIELDS = ("title", "text", "employer", "location", "salary", "date_posted")


def content_sha256(ad: Ad) -> str:
    """One hash of the content fields: equal hashes, same ad text."""
    content = {name: getattr(ad, name) for name in CONTENT_FIELDS}
    payload = json.dumps(content, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class AdRow(Base):
    """The ad as last fetched, plus when it was first and last seen and whether it is gone."""

    __tablename__ = "ads"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    site: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    lang: Mapped[str] = mapped_column(String(16), default="")
    lure_score: Mapped[float | None] = mapped_column(Float, nullable=True, index=True)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # As long as classifiers.registry lets a version name be (index.migrate widens old columns).
    model_version: Mapped[str] = mapped_column(String(100), default="")
    fetched_at: Mapped[str] = mapped_column(String(40), default="")
    first_seen: Mapped[str] = mapped_column(String(40))
    last_seen: Mapped[str] = mapped_column(String(40))
    body_sha256: Mapped[str] = mapped_column(String(64), default="")
    versions: Mapped[int] = mapped_column(Integer, default=1)
    # The whole Ad as JSON (its latest captures included): new fields need no migration, and
    # reading back is lossless.
    data: Mapped[str] = mapped_column(Text)
    # Added with the ad history (issue 3); NULL while the ad is live.
    removed_at: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    removal_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class AdVersionRow(Base):
    """One version of an ad: written when it is first stored and whenever its content changes."""

    __tablename__ = "ad_versions"
    __table_args__ = (UniqueConstraint("ad_id", "version", name="uq_ad_versions_ad_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ad_id: Mapped[str] = mapped_column(String(40), ForeignKey("ads.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    fetched_at: Mapped[str] = mapped_column(String(40), default="")
    body_sha256: Mapped[str] = mapped_column(String(64), default="")
    content_sha256: Mapped[str] = mapped_column(String(64), default="")
    data: Mapped[str] = mapped_column(Text)  # the Ad as JSON, with this fetch's captures


class AdEventRow(Base):
    """A change of state that is not a new version: ``removed`` or ``reappeared``."""

    __tablename__ = "ad_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ad_id: Mapped[str] = mapped_column(String(40), ForeignKey("ads.id"), index=True)
    at: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    captures: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of core.ad.Capture


class AdCaptureRow(Base):
    """Which evidence files an ad refers to, from any of its versions or events: lets the web
    app serve a file only when a stored ad points to it, and find it by hash."""

    __tablename__ = "ad_captures"
    __table_args__ = (UniqueConstraint("ad_id", "sha256", name="uq_ad_captures_ad_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ad_id: Mapped[str] = mapped_column(String(40), ForeignKey("ads.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    path: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger, default=0)


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


ADS = _table(AdRow)
AD_VERSIONS = _table(AdVersionRow)
AD_EVENTS = _table(AdEventRow)
AD_CAPTURES = _table(AdCaptureRow)
STORE_TABLES = [ADS, AD_VERSIONS, AD_EVENTS, AD_CAPTURES]
