"""``lurewatch status``: the last run of every source, and the pages that failed.

Everything shown comes from the run log (``crawlers.state.runs``). Failed page URLs and reasons
come from the sites: they are printed with rich markup off and unprintable characters replaced.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table

from core.settings import Settings
from core.sources import load_sources
from crawlers.state.runs import FailedPage, RunLog, RunRecord

# More rows for a source, by label: how the seen-store counts get into `status` (known URLs,
# due, removed, ...). Called once per source shown.
ExtraRows = Callable[[str], Mapping[str, object]]


@dataclass
class SourceStatus:
    source: str
    configured: bool  # declared in the sources file (else: only crawled, e.g. generic mode)
    last_run: RunRecord | None
    unresolved_failures: int
    extra: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "configured": self.configured,
            "last_run": None if self.last_run is None else self.last_run.to_json(),
            "unresolved_failures": self.unresolved_failures,
            "extra": self.extra,
        }


def source_statuses(
    settings: Settings, names: Iterable[str] | None = None, extra: ExtraRows | None = None
) -> list[SourceStatus]:
    """Configured sources first (in file order), then any other source with runs."""
    configured = [s.name for s in load_sources(settings.sources_file)]
    runs = RunLog(settings)
    try:
        known = configured + [n for n in runs.sources() if n not in configured]
        wanted = list(names) if names else known
        failures: dict[str, int] = {}
        for page in runs.failed():
            failures[page.source] = failures.get(page.source, 0) + 1
        return [
            SourceStatus(
                source=name,
                configured=name in configured,
                last_run=runs.last_run(name),
                unresolved_failures=failures.get(name, 0),
                extra=dict(extra(name)) if extra is not None else {},
            )
            for name in wanted
        ]
    finally:
        runs.close()


def failed_pages(settings: Settings, names: Iterable[str] | None = None) -> list[FailedPage]:
    runs = RunLog(settings)
    try:
        wanted = list(names or [])
        pages = runs.failed()
        return [p for p in pages if not wanted or p.source in wanted]
    finally:
        runs.close()


def printable(text: object) -> str:
    """``text`` safe for a terminal: control, format (bidi, zero-width) and other unprintable
    characters become U+FFFD."""
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in str(text))


def human_bytes(size: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"  # pragma: no cover - the loop always returns


def human_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def _kinds(errors: Mapping[str, Any]) -> str:
    return " ".join(f"{kind}:{count}" for kind, count in sorted(errors.items())) or "-"


def _when(iso: str) -> str:
    return iso.replace("+00:00", "Z").replace("T", " ")


def status_table(statuses: list[SourceStatus]) -> Table:
    extra_labels: list[str] = []
    for status in statuses:
        extra_labels += [k for k in status.extra if k not in extra_labels]
    table = Table(title="Sources")
    columns = ["source", "last run", "took", "result", "pages", "ads new/changed/removed"]
    columns += ["errors", "failed", "bytes", "render", *extra_labels]
    for column in columns:
        table.add_column(printable(column))
    for status in statuses:
        run = status.last_run
        if run is None:
            row = [status.source, "never", "-", "-", "-", "-", "-"]
            row += [str(status.unresolved_failures), "-", "-"]
        else:
            stats = run.stats
            ads = "/".join(
                str(int(stats.get(k) or 0)) for k in ("ads_new", "ads_updated", "ads_removed")
            )
            render = float(stats.get("render_seconds") or 0.0)
            row = [
                status.source,
                _when(run.started_at),
                human_seconds(run.seconds),
                run.state,
                str(int(stats.get("pages_fetched") or 0)),
                ads,
                _kinds(stats.get("errors_by_kind") or {}),
                str(status.unresolved_failures),
                human_bytes(float(stats.get("bytes") or 0)),
                human_seconds(render) if render else "-",
            ]
        row += [str(status.extra.get(label, "-")) for label in extra_labels]
        table.add_row(*(printable(cell) for cell in row))
    return table


def failed_table(pages: list[FailedPage]) -> Table:
    table = Table(title=f"{len(pages)} failed pages (unresolved)")
    for column in ("source", "kind", "reason", "attempts", "last failed", "url"):
        table.add_column(column, overflow="fold")
    for page in pages:
        table.add_row(
            *(
                printable(cell)
                for cell in (
                    page.source,
                    page.kind,
                    page.reason,
                    str(page.attempts),
                    _when(page.last_failed_at),
                    page.url,
                )
            )
        )
    return table


def plain_console() -> Console:
    # markup off: scraped URLs and reasons are never rich markup.
    return Console(markup=False, highlight=False, emoji=False)


def run_status(
    settings: Settings,
    names: list[str] | None = None,
    *,
    failed: bool = False,
    as_json: bool = False,
    extra: ExtraRows | None = None,
) -> None:
    """Print the status of ``names`` (default: every source), or their failed pages."""
    if failed:
        pages = failed_pages(settings, names)
        if as_json:
            print(json.dumps({"failed": [p.to_json() for p in pages]}, indent=2))
        else:
            plain_console().print(failed_table(pages))
        return
    statuses = source_statuses(settings, names, extra)
    if as_json:
        print(json.dumps({"sources": [s.to_json() for s in statuses]}, indent=2, default=str))
    else:
        plain_console().print(status_table(statuses))


def seen_counts(settings: Settings) -> ExtraRows:
    """The seen-store's counts per source: URLs known, fetched, due now, pending, removed."""

    def rows(name: str) -> Mapping[str, object]:
        import time

        from crawlers.frontier import open_seen_store

        seen = open_seen_store(settings, name, "status")
        try:
            return seen.counts(name, time.time())
        finally:
            seen.close()

    return rows
