"""Reviewers' decisions on stored ads (lure or not), with their history.

Every decision is a new ``ad_labels`` row, never an update: the latest one per ad (by
``decided_at``, then by when it was recorded) is the ad's current label, and the earlier ones
stay as its history. The table is created when the store is first opened here, on new and on
existing databases alike (nothing else in the store is touched).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, ForeignKey, Index, Integer, String, Table, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from classifiers.corpus import LabelledAd
from classifiers.errors import ClassifierError
from classifiers.labelqueue import DEFAULT_THRESHOLD, Candidate, LabelledText
from classifiers.language import normalise_lang
from classifiers.registry import read_meta
from core.db import Base, create_tables, make_engine
from core.settings import Settings
from index.migrate import migrate
from index.schema import AdRow
from index.store import Store

SOURCES: frozenset[str] = frozenset({"label-studio", "jsonl", "web"})
MAX_REVIEWER_CHARS = 200
MAX_NOTE_CHARS = 2_000
_CHUNK = 500


class DecisionError(ValueError):
    """A decision cannot be recorded; nothing of the batch was."""


@dataclass(frozen=True)
class Decision:
    ad_id: str
    label: int
    reviewer: str
    decided_at: str
    source: str
    note: str = ""


class AdLabelRow(Base):
    __tablename__ = "ad_labels"
    __table_args__ = (Index("ix_ad_labels_ad_decided", "ad_id", "decided_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ad_id: Mapped[str] = mapped_column(String(40), ForeignKey("ads.id"))
    label: Mapped[int] = mapped_column(Integer)
    reviewer: Mapped[str] = mapped_column(String(MAX_REVIEWER_CHARS))
    decided_at: Mapped[str] = mapped_column(String(40))  # UTC ISO 8601, seconds
    source: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")


def _table() -> Table:
    table = AdLabelRow.__table__
    assert isinstance(table, Table)
    return table


AD_LABELS = _table()


def _create(engine: Engine) -> None:
    migrate(engine)  # the ads table the labels point to
    create_tables(engine, [AD_LABELS])


class Decisions:
    def __init__(self, settings: Settings) -> None:
        self.engine = make_engine(settings.db_url)
        _create(self.engine)

    def record(self, decisions: Iterable[Decision]) -> int:
        """Store the decisions, all or none; returns how many were new (a decision identical
        to one already stored, as when the same export is imported twice, is not repeated).
        Refuses labels other than 0/1, unknown sources, times that are not ISO 8601 and ads
        not in the store."""
        batch = [_checked(d, n) for n, d in enumerate(decisions, start=1)]
        if not batch:
            return 0
        ids = sorted({d.ad_id for d in batch})
        added = 0
        with Session(self.engine) as session, session.begin():
            missing = set(ids) - _existing_ads(session, ids)
            if missing:
                shown = ", ".join(repr(m) for m in sorted(missing)[:5])
                more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
                raise DecisionError(
                    f"{len(missing)} decision(s) on ads not in the store, nothing recorded: "
                    f"{shown}{more}"
                )
            known = {_key(d) for d in _rows_for(session, ids)}
            for decision in batch:
                key = _key(decision)
                if key in known:
                    continue
                known.add(key)
                session.add(
                    AdLabelRow(
                        ad_id=decision.ad_id,
                        label=decision.label,
                        reviewer=decision.reviewer,
                        decided_at=decision.decided_at,
                        source=decision.source,
                        note=decision.note,
                    )
                )
                added += 1
        return added

    def latest(self) -> dict[str, Decision]:
        """The current label of every ad that has one."""
        current: dict[str, Decision] = {}
        query = select(AdLabelRow).order_by(AdLabelRow.ad_id, AdLabelRow.decided_at, AdLabelRow.id)
        with Session(self.engine) as session:
            for row in session.scalars(query.execution_options(yield_per=2000)):
                current[row.ad_id] = _decision(row)  # later rows replace earlier ones
        return current

    def history(self, ad_id: str) -> list[Decision]:
        """Every decision on the ad, oldest first (the last one is current)."""
        with Session(self.engine) as session:
            return list(_rows_for(session, [ad_id]))

    def close(self) -> None:
        self.engine.dispose()


def _checked(decision: Decision, number: int) -> Decision:
    where = f"decision {number} (ad {decision.ad_id!r})"
    if not isinstance(decision.ad_id, str) or not decision.ad_id.strip():
        raise DecisionError(f"decision {number}: empty ad id")
    if isinstance(decision.label, bool) or decision.label not in (0, 1):
        raise DecisionError(f"{where}: label must be 0 or 1, got {decision.label!r}")
    if decision.source not in SOURCES:
        raise DecisionError(
            f"{where}: source must be one of {', '.join(sorted(SOURCES))}, got {decision.source!r}"
        )
    reviewer = (decision.reviewer or "").strip()
    if not reviewer or len(reviewer) > MAX_REVIEWER_CHARS:
        raise DecisionError(f"{where}: reviewer must be 1 to {MAX_REVIEWER_CHARS} characters")
    note = decision.note or ""
    if len(note) > MAX_NOTE_CHARS:
        raise DecisionError(f"{where}: note longer than {MAX_NOTE_CHARS} characters")
    return Decision(
        ad_id=decision.ad_id,
        label=int(decision.label),
        reviewer=reviewer,
        decided_at=_utc(decision.decided_at, where),
        source=decision.source,
        note=note,
    )


def _utc(value: str, where: str) -> str:
    """UTC ISO 8601 to the second: one fixed format, so strings sort in time order. A time
    without a zone is taken as UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise DecisionError(f"{where}: decided_at {value!r} is not an ISO 8601 time") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _key(decision: Decision) -> tuple[str, int, str, str, str, str]:
    d = decision
    return (d.ad_id, d.label, d.reviewer, d.decided_at, d.source, d.note)


def _existing_ads(session: Session, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        found.update(session.scalars(select(AdRow.id).where(AdRow.id.in_(chunk))))
    return found


def _rows_for(session: Session, ids: list[str]) -> Iterator[Decision]:
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        query = (
            select(AdLabelRow)
            .where(AdLabelRow.ad_id.in_(chunk))
            .order_by(AdLabelRow.ad_id, AdLabelRow.decided_at, AdLabelRow.id)
        )
        for row in session.scalars(query):
            yield _decision(row)


def _decision(row: AdLabelRow) -> Decision:
    return Decision(
        ad_id=row.ad_id,
        label=row.label,
        reviewer=row.reviewer,
        decided_at=row.decided_at,
        source=row.source,
        note=row.note or "",
    )


def known_ads(settings: Settings, ad_ids: Iterable[str]) -> set[str]:
    """Which of these ad ids are in the store."""
    wanted = sorted(set(ad_ids))
    engine = make_engine(settings.db_url)
    try:
        migrate(engine)
        with Session(engine) as session:
            return _existing_ads(session, wanted)
    finally:
        engine.dispose()


def labelled_ads(settings: Settings) -> list[LabelledAd]:
    """The reviewers' current labels joined with the stored ads' text, for training. Ads with
    neither text nor title are left out (there is nothing to learn from)."""
    decisions = Decisions(settings)
    try:
        current = decisions.latest()
    finally:
        decisions.close()
    store = Store(settings)
    try:
        stored = store.get_many(current)
    finally:
        store.close()
    out: list[LabelledAd] = []
    for ad_id in sorted(current):
        found = stored.get(ad_id)
        if found is None:
            continue
        ad = found.ad
        text = ad.text.strip() or ad.title.strip()
        if not text:
            continue
        decision = current[ad_id]
        out.append(
            LabelledAd(
                id=ad_id,
                text=text,
                label=decision.label,
                title=ad.title,
                lang=normalise_lang(ad.lang),
                source=f"store:{ad_id} ({decision.source}, {decision.reviewer})",
            )
        )
    return out


def queue_candidates(settings: Settings) -> tuple[list[Candidate], list[LabelledText]]:
    """Every stored ad with some text as a label-queue candidate, its threshold that of the
    model version that scored it (0.5 when that version is not in the registry), and the
    ads that already have a label."""
    decisions = Decisions(settings)
    try:
        labelled_ids = set(decisions.latest())
    finally:
        decisions.close()
    columns = (
        AdRow.id,
        AdRow.title,
        AdRow.text,
        AdRow.lure_score,
        AdRow.lang,
        AdRow.site,
        AdRow.url,
        AdRow.model_version,
    )
    candidates: list[Candidate] = []
    labelled: list[LabelledText] = []
    engine = make_engine(settings.db_url)
    try:
        with Session(engine) as session:
            versions = session.scalars(select(AdRow.model_version).distinct())
            thresholds = model_thresholds(settings, [v for v in versions if v])
            rows = session.execute(select(*columns).execution_options(yield_per=2000))
            for row in rows:
                text, title = row.text or "", row.title or ""
                if not text.strip() and not title.strip():
                    continue
                if row.id in labelled_ids:
                    labelled.append(LabelledText(id=row.id, text=text, title=title))
                    continue
                candidates.append(
                    Candidate(
                        id=row.id,
                        text=text,
                        title=title,
                        lure_score=row.lure_score,
                        lang=row.lang or "",
                        site=row.site or "",
                        url=row.url or "",
                        model_version=row.model_version or "",
                        threshold=thresholds.get(row.model_version or "", DEFAULT_THRESHOLD),
                    )
                )
    finally:
        engine.dispose()
    return candidates, labelled


def model_thresholds(settings: Settings, versions: Iterable[str]) -> dict[str, float]:
    """The decision threshold recorded for each model version that is in the registry."""
    found: dict[str, float] = {}
    for version in versions:
        try:
            meta = read_meta(settings.models_dir, version)
        except ClassifierError:
            continue  # a version trained elsewhere, or removed: 0.5 applies
        threshold = meta.get("threshold")
        if isinstance(threshold, int | float) and 0.0 <= threshold <= 1.0:
            found[version] = float(threshold)
    return found
