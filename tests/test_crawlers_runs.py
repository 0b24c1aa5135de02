"""The run log in the case database: runs, their stats, failed pages and their resolution."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from core.settings import Settings
from crawlers.state.runs import CrawlRunRow, RunLog, failed_urls


@pytest.fixture
def runs(settings: Settings) -> Iterator[RunLog]:
    log = RunLog(settings)
    yield log
    log.close()


def dead_pid() -> int:
    """The id of a process that has exited."""
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(proc.stdout)


def test_a_run_is_recorded_with_its_stats_and_finish_reason(runs: RunLog) -> None:
    run_id = runs.start_run("island")
    record = runs.get_run(run_id)
    assert record is not None
    assert record.state == "running"  # this test's own process is alive
    assert (record.pid, record.hostname) == (os.getpid(), socket.gethostname())

    stats = {"pages_fetched": 12, "errors_by_kind": {"http-500": 1}, "bytes": 2048}
    runs.finish_run(run_id, stats, "finished")
    record = runs.last_run("island")
    assert record is not None and record.id == run_id
    assert record.state == "finished"
    assert record.stats == stats
    assert record.finished_at is not None and record.seconds is not None
    assert record.to_json()["state"] == "finished"


def test_a_run_whose_process_died_shows_as_interrupted(runs: RunLog) -> None:
    run_id = runs.start_run("island")
    runs.update_run(run_id, {"pages_fetched": 3})
    with Session(runs.engine) as session, session.begin():
        session.execute(update(CrawlRunRow).where(CrawlRunRow.id == run_id).values(pid=dead_pid()))
    record = runs.get_run(run_id)
    assert record is not None
    assert record.state == "interrupted"
    assert record.finished_at is None
    assert record.stats == {"pages_fetched": 3}  # what it got done before it died

    # The next run of the source marks it for good.
    runs.start_run("island")
    again = runs.get_run(run_id)
    assert again is not None and again.finish_reason == "interrupted"


def test_recent_runs_newest_first_per_source(runs: RunLog) -> None:
    first = runs.start_run("a", run_id="20260101T000000Z-aaaaaa")
    second = runs.start_run("a", run_id="20260101T000001Z-bbbbbb")
    other = runs.start_run("b")
    assert [r.id for r in runs.recent_runs("a")] == [second, first]
    assert {r.id for r in runs.recent_runs()} == {first, second, other}
    assert runs.sources() == ["a", "b"]
    assert runs.last_run("missing") is None


def test_failed_pages_count_runs_and_resolve(runs: RunLog, settings: Settings) -> None:
    one = runs.start_run("island")
    runs.record_failure(one, "island", "http://h/a.html?utm_source=x", "http-500", "HTTP 500")
    # Reported again in the same run (the spider's errback after the downloader): one attempt.
    runs.record_failure(one, "island", "http://h/a.html", "other", "HttpError")
    runs.record_failure(one, "island", "http://h/b.html", "timeout", "took too long\n\x1b[31m")
    [a, b] = sorted(runs.failed("island"), key=lambda p: p.url)
    assert (a.kind, a.reason, a.attempts, a.run_id) == ("http-500", "HTTP 500", 1, one)
    assert b.reason == "took too long \x1b[31m"  # one line (display escapes the rest)

    two = runs.start_run("island")
    runs.record_failure(two, "island", "http://h/a.html", "timeout", "slow")
    [a] = [p for p in runs.failed("island") if p.url.endswith("a.html")]
    assert (a.kind, a.attempts, a.run_id) == ("timeout", 2, two)

    assert runs.resolve("island", "http://h/a.html")
    assert not runs.resolve("island", "http://h/a.html")  # already resolved
    assert [p.url for p in runs.failed("island")] == ["http://h/b.html"]
    assert len(runs.failed("island", unresolved=False)) == 2
    assert failed_urls(settings, "island") == ["http://h/b.html"]
    assert failed_urls(settings, "other-source") == []

    # Failing again after it worked starts a new episode.
    runs.record_failure(two, "island", "http://h/a.html", "dns", "no such host")
    [a] = [p for p in runs.failed("island") if p.url.endswith("a.html")]
    assert (a.attempts, a.resolved_at, a.kind) == (1, None, "dns")


def test_failed_pages_are_kept_per_source(runs: RunLog) -> None:
    run = runs.start_run("a")
    runs.record_failure(run, "a", "http://h/x", "timeout", "t")
    runs.record_failure(run, "b", "http://h/x", "timeout", "t")
    assert len(runs.failed()) == 2
    runs.resolve("a", "http://h/x")
    assert [p.source for p in runs.failed()] == ["b"]
