"""Every score an ad was given: by the crawl that stored it, by each rescore after a model
was promoted, by a reviewer's re-classification. The ``ads`` row holds the latest score;
``ad_scores`` keeps them all, so an analyst can see how a new model changed an ad's score.

An entry is added only when the version, score or flag differs from the ad's latest entry:
a daily re-crawl of an unchanged ad adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

from sqlalchemy import (
    Boolean,
    Connection,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    func,
    inspect,
    literal,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.ad import Ad, utc_now_iso
from core.db import Base, create_tables
from index.migrate import widen_columns
from index.schema import ADS

Reason = Literal["crawl", "rescore", "classify"]
REASONS: tuple[str, ...] = get_args(Reason)
# The ids of one IN (...) query: well under SQLite's variable limit.
_CHUNK = 500


class ScoreRow(Base):
    __tablename__ = "ad_scores"
    __table_args__ = (Index("ix_ad_scores_ad_id_id", "ad_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ad_id: Mapped[str] = mapped_column(String(40), ForeignKey("ads.id"))
    model_version: Mapped[str] = mapped_column(String(100), default="")  # as in ads
    lure_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    scored_at: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(20))  # one of REASONS


_table = ScoreRow.__table__
assert isinstance(_table, Table)
SCORES: Table = _table


@dataclass(frozen=True)
class ScoreEntry:
    model_version: str
    lure_score: float | None
    flagged: bool
    scored_at: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def ensure_table(engine: Engine) -> None:
    """Create ``ad_scores`` when missing. A store that had ads before the table existed gets
    each scored ad's current score as its first entry, so a later rescore shows both."""
    if SCORES.name in inspect(engine).get_table_names():
        widen_columns(engine, SCORES)
        return
    create_tables(engine, [SCORES])
    with engine.begin() as conn:
        # NOT EXISTS: two processes creating the table at once do not both copy the scores.
        has_entry = select(SCORES.c.id).where(SCORES.c.ad_id == ADS.c.id).exists()
        current = select(
            ADS.c.id,
            ADS.c.model_version,
            ADS.c.lure_score,
            ADS.c.flagged,
            func.coalesce(func.nullif(ADS.c.fetched_at, ""), ADS.c.last_seen),
            literal("crawl", String(20)),  # how stored ads were scored until now
        ).where(ADS.c.lure_score.is_not(None), ADS.c.model_version != "", ~has_entry)
        conn.execute(
            SCORES.insert().from_select(
                ["ad_id", "model_version", "lure_score", "flagged", "scored_at", "reason"], current
            )
        )


def record(
    conn: Connection | Session,
    ads: Sequence[Ad],
    reason: Reason,
    at: str | None = None,
) -> int:
    """Add an entry for each scored ad whose version, score or flag differs from its latest
    entry, in the caller's transaction (the ads must already be in ``ads``). Returns how many
    were added."""
    if reason not in REASONS:
        raise ValueError(f"score reason must be one of {', '.join(REASONS)}, not {reason!r}")
    scored = {ad.id: ad for ad in ads if ad.lure_score is not None and ad.model_version}
    if not scored:
        return 0
    latest = _latest(conn, list(scored))
    when = at or utc_now_iso()
    rows = [
        {
            "ad_id": ad.id,
            "model_version": ad.model_version,
            "lure_score": ad.lure_score,
            "flagged": bool(ad.flagged),
            "scored_at": when,
            "reason": reason,
        }
        for ad in scored.values()
        if latest.get(ad.id) != (ad.model_version, ad.lure_score, bool(ad.flagged))
    ]
    if rows:
        conn.execute(SCORES.insert(), rows)
    return len(rows)


def _latest(
    conn: Connection | Session, ad_ids: list[str]
) -> dict[str, tuple[str, float | None, bool]]:
    out: dict[str, tuple[str, float | None, bool]] = {}
    for start in range(0, len(ad_ids), _CHUNK):
        chunk = ad_ids[start : start + _CHUNK]
        newest = (
            select(func.max(SCORES.c.id)).where(SCORES.c.ad_id.in_(chunk)).group_by(SCORES.c.ad_id)
        )
        query = select(
            SCORES.c.ad_id, SCORES.c.model_version, SCORES.c.lure_score, SCORES.c.flagged
        ).where(SCORES.c.id.in_(newest))
        for row in conn.execute(query):
            out[row.ad_id] = (row.model_version, row.lure_score, bool(row.flagged))
    return out


def history(engine: Engine, ad_id: str) -> list[ScoreEntry]:
    """Every score the ad was given, oldest first; empty for an unknown or unscored ad."""
    query = select(SCORES).where(SCORES.c.ad_id == ad_id).order_by(SCORES.c.id)
    with engine.connect() as conn:
        return [
            ScoreEntry(
                model_version=row.model_version,
                lure_score=row.lure_score,
                flagged=bool(row.flagged),
                scored_at=row.scored_at,
                reason=row.reason,
            )
            for row in conn.execute(query)
        ]
