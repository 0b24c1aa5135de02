"""``lurewatch monitor``: crawl every source on its own interval until stopped.

Each round crawls the sources that are due in a child process (``lurewatch crawl --source ...``):
Scrapy's reactor cannot restart, and a fresh process per round keeps a week-long monitor's
memory where it started. The sources file is read again every round, so edits apply without a
restart. SIGINT/SIGTERM stop it cleanly: a running crawl is asked to finish what it has in hand
(what it leaves pending, the next crawl resumes).
"""

from __future__ import annotations

import logging
import math
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from types import FrameType

from core.durations import format_duration
from core.settings import Settings
from core.sources import Source, find_source, load_sources

logger = logging.getLogger("lurewatch.monitor")

# Crawl command of one round; tests and packagers may point it elsewhere.
CrawlCommand = Callable[[list[str]], list[str]]


def crawl_command(names: list[str]) -> list[str]:
    command = [sys.executable, "-m", "cli.main", "crawl"]
    for name in names:
        command += ["--source", name]
    return command


class Monitor:
    def __init__(
        self,
        settings: Settings,
        names: list[str] | None = None,
        *,
        rounds: int | None = None,
        command: CrawlCommand = crawl_command,
    ) -> None:
        self.settings = settings
        self.names = names
        self.rounds = rounds
        self.command = command
        self.stopping = threading.Event()
        self.child: subprocess.Popen[bytes] | None = None
        self.last_started: dict[str, float] = {}

    def sources(self) -> list[Source]:
        configured = load_sources(self.settings.sources_file)
        if self.names:
            return [find_source(configured, name) for name in self.names]
        return configured

    def due(self, sources: list[Source], now: float) -> list[Source]:
        return [s for s in sources if now - self._last(s.name) >= s.revisit]

    def seconds_to_next(self, sources: list[Source], now: float) -> float:
        return max(0.0, min(self._last(s.name) + s.revisit - now for s in sources))

    def run(self) -> int:
        """Rounds until stopped (or ``rounds`` are done); returns how many rounds ran."""
        done = 0
        while not self.stopping.is_set():
            sources = self.sources()
            if not sources:
                raise ValueError(f"nothing to monitor: no sources in {self.settings.sources_file}")
            now = time.time()
            due = self.due(sources, now)
            if not due:
                wait = self.seconds_to_next(sources, now)
                logger.info("next crawl in %s", format_duration(max(1, round(wait))))
                self.stopping.wait(wait)
                continue
            for source in due:
                self.last_started[source.name] = now
            self._crawl([s.name for s in due])
            done += 1
            if self.rounds is not None and done >= self.rounds:
                break
        return done

    def stop(self, signum: int = signal.SIGTERM, frame: FrameType | None = None) -> None:
        if not self.stopping.is_set():
            logger.info("stopping: the running crawl finishes what it has in hand")
        self.stopping.set()
        child = self.child
        if child is not None and child.poll() is None:
            # SIGINT is Scrapy's "finish gracefully"; what is left stays pending for next time.
            child.send_signal(signal.SIGINT)

    def _crawl(self, names: list[str]) -> None:
        logger.info("crawling %s", ", ".join(names))
        began = time.monotonic()
        self.child = subprocess.Popen(self.command(names))
        try:
            code = self.child.wait()
        finally:
            self.child = None
        seconds = time.monotonic() - began
        if code == 0:
            logger.info("crawled %s in %.0f s", ", ".join(names), seconds)
        else:
            logger.warning(
                "crawl of %s ended with exit code %d after %.0f s; next try on schedule",
                ", ".join(names),
                code,
                seconds,
            )

    def _last(self, name: str) -> float:
        if name not in self.last_started:
            self.last_started[name] = _last_run_start(self.settings, name)
        return self.last_started[name]


def _last_run_start(settings: Settings, name: str) -> float:
    """When the last crawl of ``name`` started (from the run log), so a restarted monitor does
    not crawl everything at once again."""
    from crawlers.state.runs import RunLog

    log = RunLog(settings)
    try:
        run = log.last_run(name)
    finally:
        log.close()
    return -math.inf if run is None else datetime.fromisoformat(run.started_at).timestamp()


def run_monitor(settings: Settings, names: list[str] | None, rounds: int | None) -> int:
    monitor = Monitor(settings, names, rounds=rounds)
    previous = {sig: signal.signal(sig, monitor.stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return monitor.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
