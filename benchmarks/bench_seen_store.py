"""Seen-store memory and speed at 10M URLs, against Scrapy's in-memory RFPDupeFilter.

    python -m benchmarks.bench_seen_store --urls 10000000
    python -m benchmarks.bench_seen_store --urls 200000 --no-doc       # a quick run

Each store runs in its own process so its RSS is its own. The seen-store
(``crawlers.frontier.open_seen_store``: SQLite under ``LUREWATCH_HOME/crawl/``) is driven as the
spider drives it: per listing page of 50 ads, ``listed`` for its links, ``claim`` per link,
``fetched`` per ad page and for the listing. The baseline builds a Scrapy ``Request`` per URL
and asks ``RFPDupeFilter.request_seen``, which keeps every request fingerprint in a set. A run
that would take longer than ``--time-limit`` stops there and extrapolates, and says so.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from benchmarks.bench_crawl_throughput import machine
from benchmarks.docs import publish

REPO = Path(__file__).resolve().parent.parent
SECTION = "seen-store"
PER_LISTING = 50
SITES = 50
SOURCE = "bench"
DAY = 86_400.0


def urls(count: int) -> Iterator[str]:
    """Realistic ad URLs spread over ``SITES`` hosts, about 90 characters each."""
    for i in range(count):
        yield (
            f"https://www.classifieds{i % SITES}.example/jobs/ad/{i:09d}"
            f"-hotel-staff-wanted-abroad.html?ref=list"
        )


def _rss_mb() -> float:
    return float(psutil.Process().memory_info().rss) / 2**20


def _dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


@dataclass
class Checkpoint:
    urls: int
    seconds: float
    rss_mb: float
    file_mb: float


def _checkpoints(total: int) -> set[int]:
    step = max(PER_LISTING, total // 20 // PER_LISTING * PER_LISTING)
    return {n for n in range(step, total + 1, step)} | {total}


def run_seen_store(total: int, home: Path, time_limit: float) -> dict[str, Any]:
    from core.settings import Settings
    from crawlers.frontier import new_run_id, open_seen_store

    settings = Settings(home=home)
    store = open_seen_store(settings, SOURCE, new_run_id())
    marks = _checkpoints(total)
    points: list[Checkpoint] = []
    began = time.monotonic()
    batch: list[str] = []
    done = 0
    listing = 0
    claimed = 0
    for url in urls(total):
        batch.append(url)
        if len(batch) < PER_LISTING and done + len(batch) < total:
            continue
        now = time.time()
        listing += 1
        listing_url = f"https://www.classifieds0.example/jobs/page/{listing}.html"
        store.claim(listing_url, SOURCE, "listing", now)
        store.listed(batch, now)
        claimed += sum(store.claim(u, SOURCE, "detail", now) for u in batch)
        store.fetched(listing_url, now, 200, now + 3600)
        for u in batch:
            store.fetched(u, now, 200, now + DAY)
        done += len(batch)
        batch = []
        seconds = time.monotonic() - began
        if done in marks or seconds > time_limit:
            points.append(Checkpoint(done, seconds, _rss_mb(), _dir_mb(settings.crawl_dir)))
            print(f"seen-store {done:>10} URLs {seconds:8.1f} s {points[-1]}", flush=True)
        if seconds > time_limit:
            break
    store.close()
    closed = time.monotonic() - began

    # A later crawl at full size: every known ad is looked up and none is due yet.
    store = open_seen_store(settings, SOURCE, new_run_id())
    sample = min(done, 100_000)
    step = max(1, done // sample)
    lookup_began = time.monotonic()
    again = sum(
        store.claim(u, SOURCE, "detail", time.time())
        for i, u in enumerate(urls(done))
        if i % step == 0
    )
    lookup_seconds = time.monotonic() - lookup_began
    store.close()
    return {
        "store": "seen-store (SQLite)",
        "urls": done,
        "claimed": claimed,
        "seconds": closed,
        "points": [p.__dict__ for p in points],
        "file_mb": _dir_mb(settings.crawl_dir),
        "lookups": sample,
        "lookups_true": again,
        "lookup_seconds": lookup_seconds,
    }


def run_dupefilter(total: int, time_limit: float) -> dict[str, Any]:
    from scrapy import Request
    from scrapy.dupefilters import RFPDupeFilter

    dupefilter = RFPDupeFilter()
    marks = _checkpoints(total)
    points: list[Checkpoint] = []
    began = time.monotonic()
    seen = 0
    done = 0
    for url in urls(total):
        seen += dupefilter.request_seen(Request(url))
        done += 1
        if done in marks or (done % 10_000 == 0 and time.monotonic() - began > time_limit):
            seconds = time.monotonic() - began
            points.append(Checkpoint(done, seconds, _rss_mb(), 0.0))
            print(f"dupefilter {done:>10} URLs {seconds:8.1f} s {points[-1]}", flush=True)
            if seconds > time_limit:
                break
    return {
        "store": "Scrapy RFPDupeFilter (in memory)",
        "urls": done,
        "claimed": done - seen,
        "seconds": time.monotonic() - began,
        "points": [p.__dict__ for p in points],
        "file_mb": 0.0,
    }


def child(kind: str, total: int, out: Path, time_limit: float) -> None:
    # Imports first, so the RSS growth is the store's alone.
    import scrapy.dupefilters  # noqa: F401

    import crawlers.frontier.sqlite  # noqa: F401

    base_rss = _rss_mb()
    with tempfile.TemporaryDirectory(prefix="lw-bench-seen-") as home:
        if kind == "sqlite":
            result = run_seen_store(total, Path(home), time_limit)
        else:
            result = run_dupefilter(total, time_limit)
    result["base_rss_mb"] = base_rss
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")


def _extrapolated(result: dict[str, Any], total: int) -> str:
    if result["urls"] >= total:
        return ""
    rate = result["urls"] / result["seconds"]
    return (
        f" Stopped at the time limit after {result['urls']:,} URLs; at that rate {total:,} "
        f"would take about {total / rate / 60:.0f} min (extrapolated, not measured)."
    )


def report(results: list[dict[str, Any]], total: int, args: argparse.Namespace) -> str:
    info = machine()
    command = f"python -m benchmarks.bench_seen_store --urls {total}"
    lines = [
        "## Seen-store at 10M URLs",
        "",
        f"Command: `{'nice ' if os.nice(0) else ''}{command}`  ",
        f"Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}  ",
        f"Machine: {info['cpus']} CPUs ({info['cpu']}), {info['memory']} RAM, {info['os']}, "
        f"Python {info['python']}, Scrapy {info['scrapy']}",
        "",
        "| store | URLs | seconds | URLs/s | RSS growth MB | peak RSS MB | on disk MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        last = r["points"][-1]
        lines.append(
            f"| {r['store']} | {r['urls']:,} | {r['seconds']:.0f} | {r['urls'] / r['seconds']:,.0f}"
            f" | {last['rss_mb'] - r['base_rss_mb']:.0f} | {r['peak_rss_mb']:.0f}"
            f" | {r['file_mb']:.0f} |"
        )
    lines += ["", "RSS (MB) as the stores grow:", ""]
    header = "| URLs | " + " | ".join(r["store"] for r in results) + " |"
    lines += [header, "| ---: |" + " ---: |" * len(results)]
    by_count: dict[int, list[str]] = {}
    for index, r in enumerate(results):
        for p in r["points"]:
            row = by_count.setdefault(p["urls"], [""] * len(results))
            row[index] = f"{p['rss_mb']:.0f}"
    for count in sorted(by_count):
        lines.append(f"| {count:,} | " + " | ".join(by_count[count]) + " |")
    lines.append("")
    for r in results:
        lines.append(f"- {r['store']}: {r['claimed']:,} of {r['urls']:,} URLs were new to it.")
        note = _extrapolated(r, total)
        if note:
            lines.append(f"- {r['store']}:{note}")
        if "lookups" in r:
            lines.append(
                f"- {r['store']}: a later crawl looking up {r['lookups']:,} of the "
                f"{r['urls']:,} known ads (none due yet) ran at "
                f"{r['lookups'] / r['lookup_seconds']:,.0f} claims/s and claimed "
                f"{r['lookups_true']} of them."
            )
    lines += [
        "",
        "How it was measured: each store in its own process. The seen-store "
        "(`crawlers.frontier.open_seen_store`, SQLite in WAL mode under `LUREWATCH_HOME/crawl/`) "
        f"is driven as the spider drives it, per listing page of {PER_LISTING} ads: `claim` the "
        "listing, `listed` its links, `claim` each link, `fetched` each ad page and the listing "
        "(canonicalising every URL, as it does). The baseline builds a Scrapy `Request` per URL "
        "and calls `RFPDupeFilter.request_seen`, which keeps each 20-byte request fingerprint in "
        "a Python set. URLs are synthetic, about 90 characters, spread over "
        f"{SITES} hosts. RSS growth is the RSS at the last count minus the RSS after imports; "
        "on disk is the seen-store's files (database, WAL, shared memory). Load average "
        f"{args.load[0]:.2f} before and {args.load[1]:.2f} after (other work sharing the "
        f"{info['cpus']} CPUs slows the rates, not the memory).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_seen_store")
    parser.add_argument("--urls", type=int, default=10_000_000)
    parser.add_argument("--time-limit", type=float, default=1800.0, help="seconds per store")
    parser.add_argument("--only", choices=("sqlite", "dupefilter"))
    parser.add_argument("--child", choices=("sqlite", "dupefilter"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--doc", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--no-doc", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.urls, args.out, args.time_limit)
        return 0

    results = []
    before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="lw-bench-seen-out-") as work:
        for kind in [args.only] if args.only else ["dupefilter", "sqlite"]:
            out = Path(work) / f"{kind}.json"
            command = [sys.executable, "-m", "benchmarks.bench_seen_store", "--child", kind]
            options = ["--urls", str(args.urls), "--out", str(out)]
            subprocess.run(
                [*command, *options, "--time-limit", str(args.time_limit)],
                cwd=REPO,
                check=True,
            )
            results.append(json.loads(out.read_text()))
    args.load = (before, os.getloadavg()[0])
    text = report(results, args.urls, args)
    publish(text, args.doc, SECTION, write=not args.no_doc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
