"""`lurewatch status`: each source's last run and the failed pages, as text and JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlalchemy import update
from sqlalchemy.orm import Session

from cli.status import human_bytes, human_seconds, printable, source_statuses, status_table
from core.settings import Settings
from crawlers.state.runs import CrawlRunRow, RunLog


def lurewatch(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUREWATCH_")}
    env["LUREWATCH_HOME"] = str(settings.home_dir)
    env["COLUMNS"] = "250"  # rich wraps tables to the terminal width
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def seed(settings: Settings) -> None:
    """island-classifieds: a finished run with errors; caribjobs-live: a run that was killed;
    a generic-mode site with a hostile failure reason."""
    runs = RunLog(settings)
    try:
        done = runs.start_run("island-classifieds")
        runs.record_failure(done, "island-classifieds", "http://h/a.html", "http-500", "HTTP 500")
        runs.record_failure(done, "island-classifieds", "http://h/b.html", "timeout", "slow")
        runs.finish_run(
            done,
            {
                "pages_fetched": 40,
                "ads_new": 5,
                "ads_updated": 2,
                "ads_removed": 1,
                "errors_by_kind": {"http-500": 1, "timeout": 1},
                "bytes": 1_500_000,
                "render_seconds": 0.0,
            },
            "finished",
        )
        killed = runs.start_run("caribjobs-live")
        runs.update_run(killed, {"pages_fetched": 7, "render_seconds": 12.5})
        with Session(runs.engine) as session, session.begin():
            # A process id no process has (far above Linux's pid_max).
            session.execute(update(CrawlRunRow).where(CrawlRunRow.id == killed).values(pid=2**30))
        other = runs.start_run("evil-example")
        runs.record_failure(
            other, "evil-example", "http://evil.example/x", "other", "[bold]boom[/] \u202e\x1b[2J"
        )
        runs.finish_run(other, {}, "finished")
    finally:
        runs.close()


def test_status_shows_every_source_with_its_last_run(settings: Settings) -> None:
    seed(settings)
    result = lurewatch(settings, "status")
    assert result.returncode == 0, result.stderr
    lines = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if "│" in line}
    island = lines["island-classifieds"]
    for text in ("finished", "40", "5/2/1", "http-500:1 timeout:1", "1.5 MB"):
        assert text in island, island
    assert "interrupted" in lines["caribjobs-live"]  # not "running": its process is gone
    assert "12.5 s" in lines["caribjobs-live"]
    assert "evil-example" in lines


def test_status_json_and_one_source(settings: Settings) -> None:
    seed(settings)
    result = lurewatch(settings, "status", "--json", "--source", "caribjobs-live")
    assert result.returncode == 0, result.stderr
    [only] = json.loads(result.stdout)["sources"]
    assert only["source"] == "caribjobs-live" and only["configured"] is True
    assert only["last_run"]["state"] == "interrupted"
    assert only["last_run"]["finished_at"] is None
    assert only["last_run"]["stats"]["pages_fetched"] == 7


def test_failed_pages_text_is_escaped_and_json_is_complete(settings: Settings) -> None:
    seed(settings)
    result = lurewatch(settings, "status", "--failed")
    assert result.returncode == 0, result.stderr
    assert "[bold]boom[/]" in result.stdout  # shown as text, not as rich markup
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "http://h/a.html" in result.stdout and "http-500" in result.stdout

    data = json.loads(lurewatch(settings, "status", "--failed", "--json").stdout)["failed"]
    assert {(p["source"], p["kind"]) for p in data} == {
        ("island-classifieds", "http-500"),
        ("island-classifieds", "timeout"),
        ("evil-example", "other"),
    }
    assert all(p["resolved_at"] is None and p["attempts"] == 1 for p in data)


def test_a_never_run_source_and_extra_rows(settings: Settings) -> None:
    statuses = source_statuses(
        settings, ["island-classifieds"], extra=lambda name: {"known URLs": len(name)}
    )
    assert statuses[0].last_run is None
    assert statuses[0].to_json()["extra"] == {"known URLs": 18}
    table = status_table(statuses)
    assert [c.header for c in table.columns][-1] == "known URLs"


def test_display_helpers() -> None:
    assert printable("a\x1b[31mb\u200bc") == "a\ufffd[31mb\ufffdc"
    assert human_bytes(999) == "999 B" and human_bytes(1_500_000) == "1.5 MB"
    assert human_seconds(None) == "-" and human_seconds(75) == "1m15s"
    assert human_seconds(3 * 3600 + 120) == "3h02m"
