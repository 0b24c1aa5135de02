"""Crawl throughput: LureWatch's full crawl -> classify -> store -> index against a bare spider.

    python -m benchmarks.bench_crawl_throughput --ads 5000 --repeat 2
    python -m benchmarks.bench_crawl_throughput --ads 500              # a quick run
    python -m benchmarks.bench_crawl_throughput --ads 500 --profile    # + one cProfiled crawl

Builds the fixture site (``benchmarks.fixture_site``), serves it from a separate process,
trains the model once (not timed), then runs the bare spider and LureWatch each in a fresh
process, alternating which goes first, ``--repeat`` times. Pages/s is pages fetched (Scrapy's
``response_received_count``) over the crawl's own time (Scrapy's ``start_time`` to
``finish_time``: from the spider opening to its close, so model loading is not counted but the
final index commit is). The results replace this benchmark's section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import scrapy

from benchmarks.crawl_child import BENCH_OVERRIDES
from benchmarks.docs import publish
from benchmarks.fixture_site import BenchSite, FixtureServer, build_site

REPO = Path(__file__).resolve().parent.parent
SECTION = "crawl-throughput"
TARGET_RATIO = 0.8


@dataclass
class Run:
    kind: str  # bare | lurewatch
    repetition: int
    pages: int
    crawl_seconds: float
    process_seconds: float
    ads_stored: int | None
    max_rss_mb: float
    crawl_cpu_seconds: float  # the crawl process, whole life
    crawl_window_cpu_seconds: float  # the crawl process, from spider open to close
    worker_cpu_seconds: float | None  # LureWatch's ingest worker, from ready to closed
    server_cpu_seconds: float
    other_cpu_seconds: float  # everything else on the machine while it ran
    finish_reason: str

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.crawl_seconds

    @property
    def ads_per_second(self) -> float | None:
        return None if self.ads_stored is None else self.ads_stored / self.crawl_seconds


def _seconds(stats: dict[str, Any]) -> float:
    start = datetime.fromisoformat(stats["start_time"])
    finish = datetime.fromisoformat(stats["finish_time"])
    return (finish - start).total_seconds()


def _busy_cpu_seconds() -> float:
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


def crawl_once(
    kind: str,
    repetition: int,
    server: FixtureServer,
    work: Path,
    models: Path,
    profile: Path | None = None,
) -> Run:
    home = work / f"home-{kind}-{repetition}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    if kind == "lurewatch":
        shutil.copytree(models, home / "models")
    out = work / f"result-{kind}-{repetition}.json"
    log = work / f"crawl-{kind}-{repetition}.log"
    env = {**os.environ, "LUREWATCH_HOME": str(home)}
    env.pop("BENCH_PROFILE", None)
    if profile is not None:
        env["BENCH_PROFILE"] = str(profile)
    command = [sys.executable, "-m", "benchmarks.crawl_child", kind, server.url]
    server_before, busy_before = server.cpu_seconds(), _busy_cpu_seconds()
    began = time.monotonic()
    with log.open("w") as handle:
        subprocess.run(
            [*command, "--home", str(home), "--out", str(out)],
            cwd=REPO,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=True,
        )
    process_seconds = time.monotonic() - began
    server_cpu = server.cpu_seconds() - server_before
    result = json.loads(out.read_text())
    if len(result["stats"]) != 1:
        raise RuntimeError(f"expected the stats of one crawler, got {len(result['stats'])}: {log}")
    stats = result["stats"][0]
    other = _busy_cpu_seconds() - busy_before - result["cpu_seconds"] - server_cpu
    return Run(
        kind=kind,
        repetition=repetition,
        pages=int(stats.get("response_received_count", 0)),
        crawl_seconds=_seconds(stats),
        process_seconds=process_seconds,
        ads_stored=result["stored_ads"],
        max_rss_mb=result["max_rss_kb"] / 1024,
        crawl_cpu_seconds=result["cpu_seconds"],
        crawl_window_cpu_seconds=float(stats.get("bench/crawl_process_cpu_seconds", 0.0)),
        worker_cpu_seconds=stats.get("lurewatch/ingest_worker_cpu_seconds"),
        server_cpu_seconds=server_cpu,
        other_cpu_seconds=max(0.0, other),
        finish_reason=str(stats.get("finish_reason", "")),
    )


def train_model(work: Path) -> tuple[Path, float]:
    """The model every LureWatch run copies in; trained in a child process (not timed)."""
    home = work / "model-home"
    code = (
        "from pathlib import Path; from classifiers import train; from core.settings import "
        f"Settings; train(Settings(home=Path({str(home)!r})))"
    )
    began = time.monotonic()
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    return home / "models", time.monotonic() - began


# --- profile -------------------------------------------------------------------------------


def _module_of(filename: str) -> str:
    """A readable module name for a profiled file: ``crawlers/extract/heuristic.py`` or
    ``lxml`` or ``<built-in>``."""
    path = Path(filename)
    try:
        return path.relative_to(REPO).as_posix()
    except ValueError:
        pass
    parts = path.parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1]
    if "python3" in filename and "lib" in parts:
        return f"stdlib:{path.stem}"
    return filename


def profile_summary(profile: Path, top: int = 25) -> str:
    stats = pstats.Stats(str(profile))
    by_module: dict[str, float] = defaultdict(float)
    total = 0.0
    rows = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, function), (_cc, _nc, tottime, _ct, _callers) in rows.items():
        name = _module_of(filename) if filename != "~" else f"<built-in> {function}"
        by_module[name] += tottime
        total += tottime
    lines = [f"Own time by module (total {total:.1f} s of profiled CPU):", ""]
    for name, seconds in sorted(by_module.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"{seconds:8.2f} s {100 * seconds / total:5.1f} %  {name}")
    ours = [
        (key, value)
        for key, value in rows.items()
        if _module_of(key[0]).split("/")[0] in {"core", "classifiers", "crawlers", "index"}
    ]
    lines += ["", "LureWatch functions by cumulative time:", ""]
    for (filename, line, function), (_cc, calls, _tt, cumtime, _c) in sorted(
        ours, key=lambda kv: -kv[1][3]
    )[:top]:
        where = f"{_module_of(filename)}:{line} {function}"
        lines.append(f"{cumtime:8.2f} s {100 * cumtime / total:5.1f} %  {calls:>8}  {where}")
    return "\n".join(lines)


# --- report --------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "memory": f"{psutil.virtual_memory().total / 2**30:.0f} GiB",
        "python": platform.python_version(),
        "scrapy": scrapy.__version__,
        "os": platform.platform(terse=True),
    }


def _ad_page_kb(site: BenchSite) -> float:
    sizes = [p.stat().st_size for p in (site.directory / "ads" / "ad").iterdir()]
    return _mean([float(s) for s in sizes]) / 1024


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def report(
    runs: list[Run],
    site: BenchSite,
    args: argparse.Namespace,
    train_seconds: float,
    load: tuple[float, float],
) -> str:
    bare = [r for r in runs if r.kind == "bare"]
    lure = [r for r in runs if r.kind == "lurewatch"]
    bare_rate = _mean([r.pages_per_second for r in bare])
    lure_rate = _mean([r.pages_per_second for r in lure])
    ratio = lure_rate / bare_rate if bare_rate else 0.0
    verdict = "meets" if ratio >= TARGET_RATIO else "misses"
    info = machine()
    niced = os.nice(0)
    command = f"python -m benchmarks.bench_crawl_throughput --ads {args.ads} --repeat {args.repeat}"
    if args.servers != 1:
        command += f" --servers {args.servers}"
    lines = [
        "## Crawl throughput: LureWatch against a bare Scrapy spider",
        "",
        f"Command: `{'nice ' if niced else ''}{command}`  ",
        f"Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}  ",
        f"Machine: {info['cpus']} CPUs ({info['cpu']}), {info['memory']} RAM, {info['os']}, "
        f"Python {info['python']}, Scrapy {info['scrapy']}",
        "",
        f"**LureWatch ran at {ratio:.2f}x the bare spider's pages/s "
        f"({lure_rate:.1f} against {bare_rate:.1f}); the target is {TARGET_RATIO}x, "
        f"which it {verdict}.**",
        "",
        "| run | crawler | pages | crawl s | pages/s | ads stored | ads/s | peak RSS MB "
        "| crawler CPU s | of which in the crawl | ingest worker CPU s | server CPU s "
        "| other CPU s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: |",
    ]
    for r in runs:
        ads = "" if r.ads_stored is None else str(r.ads_stored)
        ads_rate = "" if r.ads_per_second is None else f"{r.ads_per_second:.1f}"
        worker = "" if r.worker_cpu_seconds is None else f"{r.worker_cpu_seconds:.1f}"
        lines.append(
            f"| {r.repetition + 1} | {r.kind} | {r.pages} | {r.crawl_seconds:.1f} "
            f"| {r.pages_per_second:.1f} | {ads} | {ads_rate} | {r.max_rss_mb:.0f} "
            f"| {r.crawl_cpu_seconds:.1f} | {r.crawl_window_cpu_seconds:.1f} | {worker} "
            f"| {r.server_cpu_seconds:.1f} | {r.other_cpu_seconds:.1f} |"
        )
    lure_ads = [r.ads_per_second for r in lure if r.ads_per_second is not None]
    bare_rss, lure_rss = _mean([r.max_rss_mb for r in bare]), _mean([r.max_rss_mb for r in lure])
    lines += [
        "",
        f"Means: bare {bare_rate:.1f} pages/s, peak RSS {bare_rss:.0f} MB;"
        f" LureWatch {lure_rate:.1f} pages/s, {_mean(lure_ads):.1f} ads stored/s,"
        f" peak RSS {lure_rss:.0f} MB.",
        "",
        "How it was measured:",
        "",
        f"- The fixture site (`benchmarks/fixture_site.py`): {site.ads} ads from the seed corpus "
        f"on {site.listing_pages} listing pages of 50 with `rel=next` pagination "
        f"({site.pages} pages + robots.txt), a third JSON-LD, a third microdata, a third plain "
        f"HTML; ad pages weigh {_ad_page_kb(site):.0f} KB on average with inline style and script. "
        "It is served from "
        f"memory by {args.servers} separate server process(es) on 127.0.0.1.",
        "- The bare spider (`benchmarks/bare_spider.py`) follows the same links and yields each "
        "raw page, with LureWatch's own Scrapy settings (`crawlers.runner.scrapy_settings`: "
        "robots.txt, user agent, size caps, download handlers, middlewares) minus LureWatch's "
        "item pipelines and extensions. LureWatch runs through `crawlers.runner.run_crawl` "
        "with one `Source` for the site and a fresh `LUREWATCH_HOME` each run, holding a model "
        f"trained once beforehand ({train_seconds:.0f} s, not counted).",
        "- Politeness is set identically for both and for the benchmark only: "
        + ", ".join(f"`{k} = {v}`" for k, v in BENCH_OVERRIDES.items())
        + ". A politeness delay would hold both crawlers to the same pace and measure nothing.",
        "- Each crawl runs in its own process, alternating which goes first. Pages/s is "
        "Scrapy's `response_received_count` (robots.txt included) over `start_time` to "
        "`finish_time` (spider open to close: model loading is outside, the final index "
        "commit inside). Peak RSS is the crawl process's `ru_maxrss`.",
        "- *crawler CPU s* is the crawl process's CPU time over its whole life; *of which in "
        "the crawl* is the part between spider open and close: near the crawl's seconds means "
        "that process was busy all along, the bottleneck. *ingest worker CPU s* is LureWatch's "
        "second process (evidence files, classify, store, index) from when it was ready (model "
        "loaded, matchers built, before the spider opened) to its close. "
        "*server CPU s* is the fixture server's CPU time during the crawl: well under the "
        "crawl's seconds means the server was not the bottleneck. *other CPU s* is CPU time "
        "used by everything else on the machine while the crawl process ran, the ingest "
        "worker's start-up and work included (and other work sharing the "
        f"{info['cpus']} CPUs); load average {load[0]:.2f} before and {load[1]:.2f} after.",
    ]
    if args.profile_text:
        lines += ["", "Profile of one extra LureWatch crawl (cProfile; not in the numbers above):"]
        lines += ["", "```", args.profile_text, "```"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_crawl_throughput")
    parser.add_argument("--ads", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--servers", type=int, default=1, help="fixture server processes")
    parser.add_argument("--profile", action="store_true", help="also one cProfiled crawl")
    parser.add_argument("--work", type=Path, help="keep the site, homes and logs here")
    parser.add_argument("--doc", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--no-doc", action="store_true", help="print only")
    args = parser.parse_args(argv)

    work = args.work or Path(tempfile.mkdtemp(prefix="lw-bench-crawl-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"working in {work}", flush=True)
    shutil.rmtree(work / "site", ignore_errors=True)
    site = build_site(work / "site", args.ads)
    print(f"site: {site.ads} ads, {site.listing_pages} listing pages", flush=True)
    models, train_seconds = train_model(work)
    print(f"model trained in {train_seconds:.0f} s (not counted)", flush=True)

    runs: list[Run] = []
    load_before = os.getloadavg()[0]
    server = FixtureServer(work / "site", workers=args.servers)
    server.start()
    try:
        for repetition in range(args.repeat):
            order = ("bare", "lurewatch") if repetition % 2 == 0 else ("lurewatch", "bare")
            for kind in order:
                run = crawl_once(kind, repetition, server, work, models, None)
                runs.append(run)
                print(
                    f"{kind:9} run {repetition + 1}: {run.pages} pages in {run.crawl_seconds:.1f} s"
                    f" = {run.pages_per_second:.1f} pages/s, RSS {run.max_rss_mb:.0f} MB,"
                    f" server CPU {run.server_cpu_seconds:.1f} s",
                    flush=True,
                )
        args.profile_text = ""
        if args.profile:
            profile = work / "lurewatch.prof"
            crawl_once("lurewatch", args.repeat, server, work, models, profile)
            args.profile_text = profile_summary(profile)
            print(args.profile_text, flush=True)
    finally:
        server.stop()
    load_after = os.getloadavg()[0]

    text = report(runs, site, args, train_seconds, (load_before, load_after))
    publish(text, args.doc, SECTION, write=not args.no_doc)
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
