"""Rescoring every stored ad with one model version (after ``lurewatch models promote``).

Works in batches, each its own short transaction, so crawls writing to the same store keep
going. Ads the version already scored are skipped, so a rerun after an interruption carries
on where the last one stopped; an ad a crawl changed while its batch was being scored is
left alone (the crawl scored it) and counted as skipped. Each batch is then written to the
search index; its ids are kept in ``rescore/pending-index.json`` until that is done, so an
interruption between the two cannot leave the index behind the store.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Row, func, or_, select, update

from classifiers import registry
from classifiers.errors import ModelNotFoundError
from classifiers.service import AdText, LureClassifier, load_classifier
from core.ad import Ad, Classification
from core.settings import Settings
from index import scores
from index.schema import ADS
from index.search import SearchIndex
from index.store import Store

log = logging.getLogger("lurewatch.rescore")
DEFAULT_BATCH = 200
_WORK_DIR = "rescore"
_LOCK_FILE = "lock"
_PENDING_FILE = "pending-index.json"


@dataclass(frozen=True)
class RescoreProgress:
    version: str
    done: int  # ads rescored in this run so far
    total: int  # ads not scored by the version when the run started
    flag_changes: int
    skipped: int
    batches: int


@dataclass(frozen=True)
class RescoreResult:
    version: str
    rescored: int
    flag_changes: int
    skipped: int
    batches: int
    seconds: float
    stopped: str = ""  # why it stopped before the end; empty when every ad was done

    def summary(self) -> str:
        text = (
            f"rescored {self.rescored} ads with model {self.version} in {self.seconds:.1f}s: "
            f"{self.flag_changes} changed flag"
        )
        if self.skipped:
            text += f", {self.skipped} skipped (changed by a crawl while being scored)"
        return text + (f"; stopped: {self.stopped}" if self.stopped else "")


BatchHook = Callable[[RescoreProgress], None]


def rescore(
    settings: Settings,
    version: str | None = None,
    batch_size: int = DEFAULT_BATCH,
    on_batch: BatchHook | None = None,
    announce: Callable[[str], None] = log.info,
) -> RescoreResult:
    """Score every stored ad not yet scored by ``version`` (default: the current model,
    followed: if another version is promoted meanwhile, this run stops and leaves the rest
    to the rescore that promotion started). One rescore runs per home at a time; a second
    waits for the first."""
    if batch_size < 1:
        raise ValueError(f"the batch size must be at least 1, not {batch_size}")
    work = settings.home_dir / _WORK_DIR
    work.mkdir(exist_ok=True)
    with _exclusive(work / _LOCK_FILE, announce):
        models_dir = settings.models_dir
        target = version or registry.current_version(models_dir)
        if target is None:
            raise ModelNotFoundError(
                f"no current model in {models_dir}: train one (lurewatch train) or promote one"
            )
        clf = load_classifier(settings, version=target)
        store = Store(settings)
        try:
            index = SearchIndex(settings)
            _index_pending(work, store, index)
            follow = models_dir if version is None else None
            return _run(work, clf, store, index, batch_size, follow, on_batch, announce)
        finally:
            store.close()


def _run(
    work: Path,
    clf: LureClassifier,
    store: Store,
    index: SearchIndex,
    batch_size: int,
    follow: Path | None,  # the models folder whose current version this run follows
    on_batch: BatchHook | None,
    announce: Callable[[str], None],
) -> RescoreResult:
    started = time.monotonic()
    target = clf.version
    total = _count_outdated(store.engine, target)
    announce(f"rescoring {total} stored ads with model {target}")
    done = flips = skipped = batches = 0
    stopped = ""
    last = ""
    while True:
        if follow is not None:
            now_current = registry.current_version(follow)
            if now_current != target:
                stopped = (
                    f"model {now_current} was made current meanwhile; the stored ads are "
                    "for its rescore (`lurewatch rescore`, started by `models promote`)"
                )
                break
        rows = _outdated_batch(store.engine, target, last, batch_size)
        if not rows:
            break
        last = rows[-1].id
        results = clf.classify_many([AdText.of(Ad.from_dict(json.loads(r.data))) for r in rows])
        _save_pending(work, [r.id for r in rows])
        written, changed_flag = _write(store.engine, rows, results)
        index.add(store.get_many(written).values())
        _save_pending(work, [])
        done += len(written)
        flips += changed_flag
        skipped += len(rows) - len(written)
        batches += 1
        progress = RescoreProgress(target, done, total, flips, skipped, batches)
        announce(f"rescored {done}/{total} ads with model {target} ({flips} changed flag)")
        if on_batch is not None:
            on_batch(progress)
    return RescoreResult(
        version=target,
        rescored=done,
        flag_changes=flips,
        skipped=skipped,
        batches=batches,
        seconds=round(time.monotonic() - started, 1),
        stopped=stopped,
    )


def _not_scored_by(version: str) -> Any:
    return or_(ADS.c.model_version.is_(None), ADS.c.model_version != version)


def _count_outdated(engine: Engine, version: str) -> int:
    query = select(func.count()).select_from(ADS).where(_not_scored_by(version))
    with engine.connect() as conn:
        return int(conn.scalar(query) or 0)


def _outdated_batch(engine: Engine, version: str, after: str, limit: int) -> list[Row[Any]]:
    query = (
        select(ADS.c.id, ADS.c.title, ADS.c.text, ADS.c.lang, ADS.c.data)
        .where(ADS.c.id > after, _not_scored_by(version))
        .order_by(ADS.c.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return list(conn.execute(query))


def _write(
    engine: Engine, rows: Sequence[Row[Any]], results: Sequence[Classification]
) -> tuple[list[str], int]:
    """Apply the scores in one transaction. An ad is only updated while its row is exactly
    as it was read: a crawl that stored it meanwhile wins. Returns the ids updated and how
    many of them changed flag."""
    updated: list[Ad] = []
    changed_flag = 0
    with engine.begin() as conn:
        for row, result in zip(rows, results, strict=True):
            ad = Ad.from_dict(json.loads(row.data))
            was_flagged = ad.flagged
            ad.apply(result)
            outcome = conn.execute(
                update(ADS)
                .where(ADS.c.id == row.id, ADS.c.data == row.data)
                .values(
                    lure_score=ad.lure_score,
                    flagged=ad.flagged,
                    model_version=ad.model_version,
                    lang=ad.lang,
                    data=json.dumps(ad.to_dict(), ensure_ascii=False, sort_keys=True),
                )
            )
            if outcome.rowcount == 1:
                updated.append(ad)
                changed_flag += was_flagged != ad.flagged
        scores.record(conn, updated, "rescore")
    return [ad.id for ad in updated], changed_flag


def _save_pending(work: Path, ad_ids: list[str]) -> None:
    tmp = work / f".{_PENDING_FILE}.{os.getpid()}"
    tmp.write_text(json.dumps(ad_ids))
    os.replace(tmp, work / _PENDING_FILE)


def _index_pending(work: Path, store: Store, index: SearchIndex) -> None:
    """Index the batch an interrupted run stored but may not have indexed."""
    path = work / _PENDING_FILE
    try:
        pending = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return
    if isinstance(pending, list) and pending:
        ids = [i for i in pending if isinstance(i, str)]
        index.add(store.get_many(ids).values())
        log.info("indexed %d ads an interrupted rescore had stored", len(ids))
    _save_pending(work, [])


@contextmanager
def _exclusive(path: Path, announce: Callable[[str], None]) -> Iterator[None]:
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            announce("another rescore is running in this home: waiting for it to finish")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
