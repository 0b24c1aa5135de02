"""Progress for long-running commands: a rich bar on a terminal, plain log lines otherwise."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

log = logging.getLogger("lurewatch")


class Reporter(Protocol):
    def advance(self, n: int = 1, note: str = "") -> None: ...


class _RichReporter:
    def __init__(self, progress: Progress, task: int) -> None:
        self._progress = progress
        self._task = task

    def advance(self, n: int = 1, note: str = "") -> None:
        self._progress.update(self._task, advance=n, note=note)  # type: ignore[arg-type]


class _LogReporter:
    """Logs at most every ``every`` seconds so piped output stays readable."""

    def __init__(self, label: str, total: int | None, every: float = 2.0) -> None:
        self._label, self._total, self._every = label, total, every
        self._done = 0
        self._last = 0.0

    def advance(self, n: int = 1, note: str = "") -> None:
        self._done += n
        now = time.monotonic()
        if now - self._last >= self._every or (self._total and self._done >= self._total):
            self._last = now
            of = f"/{self._total}" if self._total else ""
            log.info("%s: %d%s %s", self._label, self._done, of, note)


@contextmanager
def progress(label: str, total: int | None = None) -> Iterator[Reporter]:
    if sys.stderr.isatty():
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[note]}"),
        )
        with Progress(*columns, transient=False) as bar:
            task = bar.add_task(label, total=total, note="")
            yield _RichReporter(bar, task)
    else:
        yield _LogReporter(label, total)
