"""One crawl of the throughput benchmark, in its own process (Scrapy's reactor runs once).

    python -m benchmarks.crawl_child {bare,lurewatch} URL --home DIR --out RESULT.json

Writes the crawler's Scrapy stats, the process's peak RSS and CPU time to ``RESULT.json``.
With ``BENCH_PROFILE=FILE`` in the environment the crawl runs under cProfile and the profile
is written to ``FILE`` (numbers from a profiled run are not comparable with unprofiled ones).

LureWatch is driven only through ``crawlers.runner.run_crawl``, ``core.sources.Source`` and
``core.settings.Settings``, so the benchmark keeps working however the spider changes inside.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import resource
import sqlite3
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector
from scrapy.utils.misc import load_object

from benchmarks.bare_spider import run_bare
from core.settings import Settings
from core.sources import Politeness, Source
from crawlers.runner import run_crawl, scrapy_settings

# The same for both crawls: no politeness delay (it would make both crawls equally slow and
# measure nothing), AutoThrottle off, 32 requests in flight.
BENCH_CONCURRENCY = 32
BENCH_OVERRIDES: dict[str, Any] = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": BENCH_CONCURRENCY,
    "CONCURRENT_REQUESTS_PER_DOMAIN": BENCH_CONCURRENCY,
}
SOURCE_NAME = "bench"

_collected: list[dict[str, Any]] = []


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def stats_class(settings: Settings) -> type[StatsCollector]:
    """The stats collector LureWatch is configured with, keeping a copy of each crawler's final
    stats for this process to report."""
    base = load_object(scrapy_settings(settings).get("STATS_CLASS"))

    class KeepingStats(base):  # type: ignore[misc,valid-type]
        def __init__(self, crawler: Crawler) -> None:
            super().__init__(crawler)
            # This process's CPU between spider open and close: the crawl's share, without
            # start-up and shut-down.
            crawler.signals.connect(self._cpu_at_open, signal=signals.spider_opened)
            crawler.signals.connect(self._cpu_at_close, signal=signals.spider_closed)

        def _cpu_at_open(self) -> None:
            self._opened_cpu = time.process_time()

        def _cpu_at_close(self) -> None:
            opened = getattr(self, "_opened_cpu", time.process_time())
            self.set_value("bench/crawl_process_cpu_seconds", time.process_time() - opened)

        def _persist_stats(self, stats: dict[str, Any]) -> None:
            super()._persist_stats(stats)
            _collected.append({key: _plain(value) for key, value in stats.items()})

    return KeepingStats


def bench_source(url: str) -> Source:
    politeness = Politeness(delay=0, concurrency=BENCH_CONCURRENCY)
    return Source(name=SOURCE_NAME, start_urls=[url], politeness=politeness)


def _crawl(kind: str, url: str, settings: Settings) -> Callable[[], None]:
    overrides = {**BENCH_OVERRIDES, "STATS_CLASS": stats_class(settings)}

    def crawl() -> None:
        if kind == "bare":
            run_bare(settings, url, overrides)
        else:
            run_crawl(settings, [bench_source(url)], scrapy_overrides=overrides)

    return crawl


def stored_ads(settings: Settings) -> int | None:
    """Rows in the SQLite case store, or None when there is none."""
    path = settings.home_dir / "lurewatch.db"
    if not path.is_file():
        return None
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT count(*) FROM ads").fetchone()[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.crawl_child")
    parser.add_argument("kind", choices=("bare", "lurewatch"))
    parser.add_argument("url")
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    settings = Settings(home=args.home)
    crawl = _crawl(args.kind, args.url, settings)
    began = time.monotonic()
    profile_path = os.environ.get("BENCH_PROFILE")
    if profile_path:
        profiler = cProfile.Profile()
        profiler.runcall(crawl)
        profiler.dump_stats(profile_path)
    else:
        crawl()
    seconds = time.monotonic() - began
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result = {
        "kind": args.kind,
        "stats": _collected,
        "run_seconds": seconds,
        "max_rss_kb": usage.ru_maxrss,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "stored_ads": stored_ads(settings) if args.kind == "lurewatch" else None,
    }
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
