"""Rendered crawl of a local JavaScript-only site: does memory stay bounded on a long crawl?

    nice -n 10 .venv/bin/python -m benchmarks.bench_render_memory --pages 5000

The parent process builds and serves the site on 127.0.0.1 and starts the crawl in a child
process, then sums the resident memory (RSS) of the child and all its descendants (the
Playwright driver and every Chromium process) once a second. Target (issue 3): the peak at
the end of the crawl is at most 1.2 x the peak over its first 500 pages.

The site shows nothing without JavaScript: listing and ad pages are empty shells whose script
fetches JSON and builds the page (links, title, text and a picture). The crawl uses the project's
Scrapy settings and ``crawlers.extensions.rendermemory.Renderer`` the way the ads spider does:
listing pages rendered plain, ad pages as evidence (pictures loaded, full-page screenshot).
The result replaces this benchmark's section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from pathlib import Path
from typing import Any, Self

import psutil

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "benchmarks.md"
SECTION = "render-memory"
PER_LISTING = 50
FIRST_PAGES = 500
TARGET = 1.2
MIB = 1024 * 1024

# -- the site ---------------------------------------------------------------------------------

APP_JS = rb"""(function () {
  "use strict";
  var app = document.getElementById("app");
  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text) { node.textContent = text; }
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }
  fetch("/api/" + app.dataset.view + "/" + app.dataset.id + ".json")
    .then(function (r) { return r.json(); })
    .then(function (d) {
      if (app.dataset.view === "list") {
        var list = el("ul");
        d.ads.forEach(function (a) {
          var li = el("li");
          li.appendChild(el("a", a.title, { href: a.url }));
          list.appendChild(li);
        });
        app.replaceChildren(el("h1", "Jobs, page " + (d.page + 1)), list);
        if (d.next) { app.appendChild(el("a", "Next", { href: d.next, rel: "next" })); }
      } else {
        document.title = d.title;
        var article = el("article");
        article.appendChild(el("h1", d.title));
        article.appendChild(el("img", "", { src: d.picture, width: "320", height: "200" }));
        d.text.forEach(function (p) { article.appendChild(el("p", p)); });
        app.replaceChildren(article);
      }
    });
})();
"""

_PARAGRAPHS = (
    "{job}s wanted for a new hotel abroad, ad number {n}. Travel is paid by the agency and you "
    "pay it back from your first wages; lodging is provided next to the work place.",
    "Earn up to US$ {pay} a month, more than at home. No experience needed, training on arrival. "
    "Send a photo and a copy of your passport on WhatsApp to reserve your place.",
    "Places are limited and the group leaves on Friday. Do not tell anyone before the contract "
    "is signed, the agency handles the visas and keeps the documents safe during the trip.",
)
_JOBS = ("cleaner", "cook", "driver", "waitress", "nurse", "dancer", "nanny", "welder")


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    row = b"\x00" + bytes(rgb) * width
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x02\x00\x00\x00"
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


@dataclass
class JsSite:
    """``pages`` rendered pages: listings of 50 ads each, and the ads."""

    pages: int
    listings: int = 0
    ads: int = 0
    pictures: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.listings = -(-self.pages // (PER_LISTING + 1))
        self.ads = self.pages - self.listings
        colours = [(40 * i % 256, 90 + 15 * i % 160, 200 - 10 * i % 180) for i in range(10)]
        self.pictures = [_png(320, 200, c) for c in colours]

    def shell(self, view: str, number: int) -> bytes:
        return (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Jobs</title>'
            f'</head><body><main id="app" data-view="{view}" data-id="{number}"></main>'
            "<noscript>This job board needs JavaScript.</noscript>"
            '<script src="/app.js" defer></script></body></html>'
        ).encode()

    def listing(self, page: int) -> dict[str, Any]:
        first = page * PER_LISTING
        numbers = range(first, min(first + PER_LISTING, self.ads))
        return {
            "page": page,
            "ads": [{"title": f"Job {n}", "url": f"/ad/{n}.html"} for n in numbers],
            "next": f"/list/{page + 1}.html" if page + 1 < self.listings else None,
        }

    def ad(self, n: int) -> dict[str, Any]:
        job = _JOBS[n % len(_JOBS)]
        return {
            "title": f"URGENT: {job}s wanted abroad (#{n})",
            "text": [p.format(job=job.capitalize(), n=n, pay=1500 + n % 900) for p in _PARAGRAPHS],
            "picture": f"/img/{n % len(self.pictures)}.png",
        }

    def resolve(self, path: str) -> tuple[str, bytes] | None:
        """(content type, body) of ``path``, or None: 404."""
        if path == "/app.js":
            return "text/javascript", APP_JS
        kind, _, rest = path.strip("/").partition("/")
        if kind == "api":
            view, _, item = rest.partition("/")
            number = item.removesuffix(".json")
            if number.isdigit() and view == "list" and int(number) < self.listings:
                return "application/json", json.dumps(self.listing(int(number))).encode()
            if number.isdigit() and view == "ad" and int(number) < self.ads:
                return "application/json", json.dumps(self.ad(int(number))).encode()
            return None
        name, _, ext = rest.partition(".")
        if not name.isdigit():
            return None
        n, html = int(name), "text/html; charset=utf-8"
        if kind == "list" and ext == "html" and n < self.listings:
            return html, self.shell("list", n)
        if kind == "ad" and ext == "html" and n < self.ads:
            return html, self.shell("ad", n)
        if kind == "img" and ext == "png" and n < len(self.pictures):
            return "image/png", self.pictures[n]
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: JsSite) -> None:
        self.site = site
        self.documents = 0  # listing and ad pages served: one per rendered page
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        found = self.server.site.resolve(self.path.split("?", 1)[0])
        if found is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        content_type, body = found
        if content_type.startswith("text/html"):
            with self.server.lock:
                self.server.documents += 1
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


# -- the crawl (child process) ----------------------------------------------------------------


def crawl(
    start_url: str,
    home: Path,
    stats_file: Path,
    evidence: bool,
    concurrency: int,
    recycle: int | None,
) -> None:
    from scrapy import Request, Spider
    from scrapy.crawler import AsyncCrawlerProcess, Crawler
    from scrapy.http import HtmlResponse, Response
    from scrapy.settings import Settings as ScrapySettings

    from core.settings import Settings
    from crawlers.config import SETTINGS_KEY, scrapy_settings_from
    from crawlers.extensions.rendermemory import Renderer
    from crawlers.extract import extract_ad
    from crawlers.render import rendered_capture
    from crawlers.spidermiddlewares.pagination import NEXT_PAGE

    class RenderBenchSpider(Spider):
        name = "bench-render"
        renderer: Renderer

        @classmethod
        def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
            spider = super().from_crawler(crawler, *args, **kwargs)
            spider.renderer = Renderer.from_crawler(crawler)
            return spider

        async def start(self) -> AsyncIterator[Request]:
            yield Request(start_url, meta=self.renderer.meta(evidence=False))

        def parse(self, response: Response) -> Iterator[Request | dict[str, str]]:
            if not isinstance(response, HtmlResponse):
                return
            capture = rendered_capture(response)
            if capture is not None and capture.screenshot is not None:
                self.crawler.stats.inc_value("bench/screenshots")
                self.crawler.stats.inc_value("bench/screenshot_bytes", len(capture.screenshot))
            fields = extract_ad(response.selector, response.url)
            if fields is not None:
                yield {"url": response.url, "title": fields.title}
            for link in response.css("main a"):
                url = response.urljoin(link.attrib.get("href", ""))
                meta = self.renderer.meta(evidence=evidence and "/ad/" in url)
                if link.attrib.get("rel") == "next":
                    meta[NEXT_PAGE] = True  # as the ads spider does: not one level deeper
                yield Request(url, meta=meta)

    settings = Settings(home=home)
    scrapy_settings = ScrapySettings()
    scrapy_settings.setmodule("crawlers.settings", priority="project")
    scrapy_settings.setdict(scrapy_settings_from(settings), priority="project")
    scrapy_settings.set(SETTINGS_KEY, settings, priority="project")
    scrapy_settings.setdict(
        {
            "SPIDER_MODULES": [],  # the spider is this one: no need to import the project's
            "AUTOTHROTTLE_ENABLED": False,
            "DOWNLOAD_DELAY": 0,
            "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
            "ITEM_PIPELINES": {},
            "LUREWATCH_PROGRESS": False,
            "LOG_LEVEL": "INFO",
            "LOGSTATS_INTERVAL": 60,
        },
        priority="cmdline",
    )
    if recycle is not None:
        scrapy_settings.set("LUREWATCH_RENDER_RECYCLE_PAGES", recycle, priority="cmdline")
    process = AsyncCrawlerProcess(scrapy_settings)
    crawler = process.create_crawler(RenderBenchSpider)
    process.crawl(crawler)
    process.start()
    stats_file.write_text(json.dumps(crawler.stats.get_stats(), default=str, indent=1))


# -- measuring (parent process) ---------------------------------------------------------------


def tree_rss(process: psutil.Process) -> tuple[int, int]:
    """Summed RSS in bytes of ``process`` and all its descendants, and how many there are."""
    total, count = 0, 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0, 0
    for member in members:
        try:
            total += member.memory_info().rss
            count += 1
        except psutil.Error:  # exited meanwhile
            pass
    return total, count


@dataclass
class Samples:
    peak_first: int = 0  # peak over the first FIRST_PAGES pages
    peak_all: int = 0
    at_first: int = 0  # the sample when page FIRST_PAGES was served
    last: int = 0
    processes_max: int = 0
    milestones: list[tuple[int, float, int, int]] = field(default_factory=list)
    # (pages, seconds, RSS now, peak so far) every 500 pages


def sample(server: _Server, child: psutil.Process, began: float, stop: threading.Event) -> Samples:
    samples = Samples()
    next_milestone = FIRST_PAGES
    while not stop.is_set():
        rss, processes = tree_rss(child)
        pages = server.documents
        if rss:
            samples.last = rss
            samples.peak_all = max(samples.peak_all, rss)
            samples.processes_max = max(samples.processes_max, processes)
            if pages <= FIRST_PAGES or not samples.at_first:
                samples.peak_first = max(samples.peak_first, rss)
            if pages >= next_milestone:
                if not samples.at_first:
                    samples.at_first = rss
                seconds = time.monotonic() - began
                samples.milestones.append((pages, seconds, rss, samples.peak_all))
                print(
                    f"{pages:6d} pages  {seconds:7.0f} s  {pages / seconds:5.2f} pages/s"
                    f"  RSS {rss / MIB:7.1f} MiB  peak {samples.peak_all / MIB:7.1f} MiB"
                    f"  ({processes} processes)",
                    flush=True,
                )
                next_milestone += FIRST_PAGES
        stop.wait(1.0)
    return samples


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    chromium = subprocess.run(
        ["/usr/bin/chromium", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "cpu": f"{cpu}, {psutil.cpu_count()} cores",
        "memory": f"{psutil.virtual_memory().total / 1024**3:.1f} GiB",
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "chromium": chromium.split(" built")[0] or "unknown",
        "scrapy": version("scrapy"),
        "scrapy-playwright": version("scrapy-playwright"),
        "playwright": version("playwright"),
    }


def report(
    command: str, args: argparse.Namespace, samples: Samples, stats: dict[str, Any], seconds: float
) -> str:
    pages = int(stats.get("lurewatch/pages_rendered", 0))
    ratio = samples.peak_all / samples.peak_first if samples.peak_first else float("nan")
    verdict = "met" if ratio <= TARGET else "NOT met"
    info = machine()
    lines = [
        "## Rendered crawl memory",
        "",
        f"Command: `{command}`  ",
        f"Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}  ",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()),
        "",
        f"A local JavaScript-only site of {args.pages} pages (listings plain, ads as evidence"
        f" with a full-page screenshot: {'yes' if not args.plain else 'no'}), crawled with the"
        f" project settings, {args.concurrency} pages at once,"
        f" LUREWATCH_RENDER_RECYCLE_PAGES={args.recycle or 'default (200)'}."
        " RSS is summed over the crawl process and all its descendants (Playwright driver,"
        " every Chromium process), sampled once a second; shared pages count once per process,"
        " so it overstates the true footprint but compares like with like.",
        "",
        "| | value |",
        "| --- | --- |",
        f"| pages on the site / rendered | {args.pages} / {pages} |",
        f"| of which with a screenshot | {int(stats.get('bench/screenshots', 0))} |",
        f"| ads extracted | {int(stats.get('lurewatch/ads_found', 0))} |",
        f"| time | {seconds:.0f} s ({pages / seconds:.2f} pages/s) |",
        "| render time, summed over pages (lurewatch/render_seconds) |"
        f" {stats.get('lurewatch/render_seconds')} s |",
        f"| browser contexts opened / recycled | {stats.get('playwright/context_count')} /"
        f" {stats.get('lurewatch/render_contexts_recycled', 0)} |",
        "| most pages open at once (scrapy-playwright's count) |"
        f" {stats.get('playwright/page_count/max_concurrent')} |",
        f"| peak RSS over the first {FIRST_PAGES} pages | {samples.peak_first / MIB:.0f} MiB |",
        f"| RSS when page {FIRST_PAGES} was served | {samples.at_first / MIB:.0f} MiB |"
        if samples.at_first
        else f"| RSS when page {FIRST_PAGES} was served | (fewer pages) |",
        f"| peak RSS over the whole crawl | {samples.peak_all / MIB:.0f} MiB |",
        f"| last sample (crawl shutting down) | {samples.last / MIB:.0f} MiB |",
        f"| most processes in the tree | {samples.processes_max} |",
        f"| end peak / first-{FIRST_PAGES} peak | **{ratio:.2f}** (target ≤ {TARGET}: {verdict}) |",
        "",
        "| pages served | seconds | RSS now (MiB) | peak so far (MiB) |",
        "| --- | --- | --- | --- |",
        *(
            f"| {p} | {s:.0f} | {rss / MIB:.0f} | {peak / MIB:.0f} |"
            for p, s, rss, peak in samples.milestones
        ),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=4, help="pages rendered at once")
    parser.add_argument("--recycle", type=int, help="LUREWATCH_RENDER_RECYCLE_PAGES")
    parser.add_argument("--plain", action="store_true", help="no evidence screenshots")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument("--crawl", help=argparse.SUPPRESS)  # child: the start URL
    parser.add_argument("--home", help=argparse.SUPPRESS)
    parser.add_argument("--stats", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.crawl:
        crawl(
            args.crawl,
            Path(args.home),
            Path(args.stats),
            not args.plain,
            args.concurrency,
            args.recycle,
        )
        return 0

    command = "nice -n 10 .venv/bin/python -m benchmarks.bench_render_memory " + shlex.join(
        argv if argv is not None else sys.argv[1:]
    )
    site = JsSite(args.pages)
    server = _Server(site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    start_url = f"http://127.0.0.1:{server.server_address[1]}/list/0.html"
    print(
        f"{site.pages} pages ({site.listings} listings, {site.ads} ads) at {start_url}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="lw-render-bench-") as work:
        stats_file = Path(work) / "stats.json"
        child_args = [
            sys.executable,
            "-m",
            "benchmarks.bench_render_memory",
            "--crawl",
            start_url,
            "--home",
            str(Path(work) / "home"),
            "--stats",
            str(stats_file),
            "--concurrency",
            str(args.concurrency),
        ]
        if args.plain:
            child_args.append("--plain")
        if args.recycle is not None:
            child_args += ["--recycle", str(args.recycle)]
        log = Path(work) / "crawl.log"
        began = time.monotonic()
        with log.open("w") as log_file:
            child = subprocess.Popen(child_args, cwd=REPO, stdout=log_file, stderr=log_file)
            stop = threading.Event()
            result: list[Samples] = []
            sampler = threading.Thread(
                target=lambda: result.append(
                    sample(server, psutil.Process(child.pid), began, stop)
                ),
                daemon=True,
            )
            sampler.start()
            code = child.wait()
            stop.set()
            sampler.join()
        seconds = time.monotonic() - began
        server.shutdown()
        if code != 0 or not stats_file.exists():
            print(log.read_text()[-5000:], file=sys.stderr)
            print(f"crawl failed with exit code {code}", file=sys.stderr)
            return 1
        stats = json.loads(stats_file.read_text())
    text = report(command, args, result[0], stats, seconds)
    from benchmarks.docs import publish

    publish(text, DOC, SECTION, write=not args.no_doc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
