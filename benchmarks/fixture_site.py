"""A large local classifieds site for crawl benchmarks, served from its own process(es).

    python -m benchmarks.fixture_site build DIR --ads 5000     # write the pages
    python -m benchmarks.fixture_site serve DIR --workers 2    # serve them; prints the port

Ads are the seed corpus (``classifiers/seed/*.jsonl``) reused round-robin until there are
``--ads`` of them, each with its own URL, place and date; a third carry schema.org JobPosting
JSON-LD, a third microdata, a third nothing (read by the heuristics), so every extractor and the
classifier do real work. Listing pages hold 50 ads each and link to the next with
``rel="next"``; the only links on an ad page lead back to the first listing page.

The server loads every page into memory and answers with prebuilt bytes (HTTP/1.1 keep-alive),
in a process separate from the crawler so it never competes for the crawler's GIL; several
worker processes can share the port (``SO_REUSEPORT``) when one is not enough.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psutil

from demosites.catalogue import DemoAd, slugify
from demosites.metadata import find_employer, find_salary, invent_date, invent_place
from demosites.pages_classifieds import meta_microdata, meta_plain, snippet
from demosites.pages_layout import document, esc, paragraphs
from demosites.seed import SeedAd, read_seed
from demosites.structured import job_posting, script_safe_json

ROOT = "/ads/"
PER_PAGE = 50
MARKUPS = ("jsonld", "microdata", "plain")
SITE_NAME = "Bench Classifieds"

ROBOTS_TXT = """User-agent: *
Disallow: /ads/admin/
Allow: /
"""

# Furniture a real classifieds page carries around the ad: text, not links, so both spiders
# follow exactly the same links.
_SIDEBAR = """<aside class="sidebar">
<section class="tips"><h2>Stay safe</h2>
<p>Never pay a fee to get a job. Never hand your passport to an employer. Meet in public
places and tell someone you trust where you are going. Genuine employers do not ask you to
keep an offer secret, and do not ask for money for visas, uniforms or training.</p></section>
<section class="promo"><h2>Sell faster</h2><p>Boost your ad to the top of its category for
seven days. Featured ads are shown on the home page and in the weekly newsletter.</p></section>
</aside>"""
# Page weight: real classifieds pages carry inline styles and scripts (the HTTP Archive's median
# HTML document is about 30 KB); a 2 KB page would flatter the crawler's parsing.
_STYLE = (
    "<style>\n"
    + "\n".join(
        f".slot-{i} {{ margin: {i % 7}px {i % 5}px; padding: .{i % 9}rem;"
        f" color: #{i * 2654435761 % 0xFFFFFF:06x}; }}"
        for i in range(120)
    )
    + "\n</style>\n"
)
_SCRIPT = (
    '<script>\nwindow.__SITE_CONFIG__ = {"consent": {"version": 3, "vendors": ['
    + ", ".join(
        f'{{"id": {i}, "purposes": [1, 2, {i % 10}], "legit": {str(i % 2 == 0).lower()}}}'
        for i in range(150)
    )
    + ']}, "slots": ['
    + ", ".join(
        f'{{"name": "slot-{i}", "sizes": [[300, 250], [728, 90]], "refresh": {i % 60}}}'
        for i in range(60)
    )
    + "]};\n</script>\n"
)
_FOOTER = f"""<footer class="site-footer">
<p>© 2026 {SITE_NAME}. A LureWatch benchmark site: every ad is fictional and drawn from the
project's seed corpus.</p></footer>"""


@dataclass(frozen=True)
class BenchSite:
    directory: Path
    ads: int
    listing_pages: int

    @property
    def pages(self) -> int:
        """HTML pages a full crawl fetches (robots.txt not counted)."""
        return self.ads + self.listing_pages


def listing_path(page: int) -> str:
    return ROOT if page == 1 else f"{ROOT}page/{page}.html"


def bench_ads(count: int, seed_dir: Path | None = None) -> list[DemoAd]:
    """``count`` ads cycling through the seed corpus; ad ``i`` gets markup ``MARKUPS[i % 3]``."""
    seeds: Sequence[SeedAd] = read_seed(seed_dir)
    if not seeds:
        raise ValueError("the seed corpus is empty")
    ads = []
    for i in range(count):
        seed = seeds[i % len(seeds)]
        number = i + 1
        ad_id = f"{seed.id}-b{number}"
        place = invent_place(ad_id, seed.lang)
        ads.append(
            DemoAd(
                id=ad_id,
                site="bench",
                path=f"{ROOT}ad/{number}-{slugify(seed.title, 40)}.html",
                title=seed.title,
                text=f"{seed.text}\n\nRef. BN-{number:06d}",
                lang=seed.lang,
                label=seed.label,
                kind=seed.kind,
                markup=MARKUPS[i % len(MARKUPS)],
                private=False,
                employer=find_employer(seed.title, seed.text),
                location=str(place),
                date_posted=invent_date(ad_id),
                salary=find_salary(seed.text),
                category=seed.category,
                country_code=place.country_code,
            )
        )
    return ads


def _frame(title: str, main: str, head_extra: str = "", lang: str = "en") -> str:
    body = f"""<header class="masthead"><a class="brand" href="{ROOT}">{SITE_NAME}</a>
<nav class="topnav"><a href="{ROOT}">Browse ads</a></nav></header>
<div class="layout">
{_SIDEBAR}
<main>
{main}
</main>
</div>
{_FOOTER}"""
    return document(f"{title} | {SITE_NAME}", body + _SCRIPT, _STYLE + head_extra, lang)


def listing_page(ads: Sequence[DemoAd], page: int, pages: int, total: int) -> str:
    cards = "\n".join(
        f'<li class="ad-card"><a class="ad-link" href="{esc(ad.path)}">{esc(ad.title)}</a>\n'
        f'<div class="card-meta">{esc(ad.location)} · {esc(ad.date_posted)}</div>\n'
        f'<p class="snippet" lang="{esc(ad.lang)}">{esc(snippet(ad.text))}</p></li>'
        for ad in ads
    )
    pager = []
    if page > 1:
        pager.append(f'<a rel="prev" href="{listing_path(page - 1)}">« Previous</a>')
    pager.append(f"<span>Page {page} of {pages}</span>")
    if page < pages:
        pager.append(f'<a rel="next" class="next" href="{listing_path(page + 1)}">Next »</a>')
    first = (page - 1) * PER_PAGE + 1
    main = f"""<h1>All ads</h1>
<p class="count">Ads {first}–{first + len(ads) - 1} of {total}</p>
<ul class="ad-list">
{cards}
</ul>
<nav class="pager">{" ".join(pager)}</nav>"""
    return _frame("All ads" if page == 1 else f"All ads, page {page}", main)


def detail_page(ad: DemoAd) -> str:
    microdata = ad.markup == "microdata"
    scope = ' itemscope itemtype="https://schema.org/JobPosting"' if microdata else ""
    prop = (lambda name: f' itemprop="{name}"') if microdata else (lambda name: "")
    meta = meta_microdata(ad) if microdata else meta_plain(ad)
    main = f"""<nav class="crumbs"><a href="{ROOT}">All ads</a></nav>
<article class="listing" lang="{esc(ad.lang)}"{scope}>
<h1{prop("title")}>{esc(ad.title)}</h1>
<p class="listing-meta">{meta}</p>
<div class="listing-body"{prop("description")}>
{paragraphs(ad.text)}
</div>
</article>"""
    head = ""
    if ad.markup == "jsonld":
        data = script_safe_json(job_posting(ad))
        head = f'<script type="application/ld+json">\n{data}\n</script>\n'
    return _frame(ad.title, main, head, ad.lang)


def _write(directory: Path, url_path: str, text: str) -> None:
    relative = url_path.lstrip("/")
    if not relative or relative.endswith("/"):
        relative += "index.html"
    target = directory / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def build_site(directory: Path, ads: int, seed_dir: Path | None = None) -> BenchSite:
    """Write robots.txt, the listing pages and ``ads`` ad pages under ``directory``."""
    if ads < 1:
        raise ValueError("ads must be at least 1")
    catalogue = bench_ads(ads, seed_dir)
    pages = -(-ads // PER_PAGE)
    _write(directory, "/robots.txt", ROBOTS_TXT)
    for page in range(1, pages + 1):
        chunk = catalogue[(page - 1) * PER_PAGE : page * PER_PAGE]
        _write(directory, listing_path(page), listing_page(chunk, page, pages, ads))
    for ad in catalogue:
        _write(directory, ad.path, detail_page(ad))
    return BenchSite(directory, ads, pages)


# --- serving ------------------------------------------------------------------------------


def _response(status: str, content_type: str, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nServer: BenchSite\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


def load_responses(directory: Path) -> dict[str, bytes]:
    """URL path -> the whole prebuilt HTTP response."""
    responses = {}
    for path in directory.rglob("*"):
        if not path.is_file():
            continue
        url = "/" + path.relative_to(directory).as_posix()
        kind = "text/plain; charset=utf-8" if path.suffix == ".txt" else "text/html; charset=utf-8"
        responses[url] = _response("200 OK", kind, path.read_bytes())
        if url.endswith("/index.html"):
            responses[url.removesuffix("index.html")] = responses[url]
    return responses


_NOT_FOUND = _response("404 Not Found", "text/plain; charset=utf-8", b"not found\n")


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.wfile.write(self.server.responses.get(self.path.split("?", 1)[0], _NOT_FOUND))

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, port: int, responses: dict[str, bytes]) -> None:
        self.responses = responses
        super().__init__(("127.0.0.1", port), _Handler)

    def server_bind(self) -> None:
        # Several worker processes listen on one port; the kernel spreads connections.
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _die_with_parent() -> None:
    """A forked worker gets SIGTERM when the serving process dies, however it dies (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def serve(directory: Path, port: int = 0, workers: int = 1) -> None:
    """Serve ``directory`` on 127.0.0.1 until killed; prints ``PORT <n>`` once listening."""
    responses = load_responses(directory)
    server = _Server(port, responses)
    port = server.server_address[1]
    for _ in range(workers - 1):
        if os.fork() == 0:
            _die_with_parent()
            _Server(port, responses).serve_forever()
            os._exit(0)
    print(f"PORT {port}", flush=True)
    server.serve_forever()


class FixtureServer:
    """``serve`` in a child process (its own session, so stopping it stops its workers)."""

    def __init__(self, directory: Path, workers: int = 1) -> None:
        self.directory = directory
        self.workers = workers
        self.port = 0
        self._process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{ROOT}"

    def start(self) -> None:
        command = [sys.executable, "-m", "benchmarks.fixture_site", "serve", str(self.directory)]
        self._process = subprocess.Popen(
            [*command, "--workers", str(self.workers)],
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"fixture server did not start: {line!r}")
        self.port = int(line.split()[1])
        deadline = time.monotonic() + 10
        while len(self.processes()) < self.workers and time.monotonic() < deadline:
            time.sleep(0.05)

    def processes(self) -> list[psutil.Process]:
        if self._process is None:
            return []
        main = psutil.Process(self._process.pid)
        return [main, *main.children()]

    def cpu_seconds(self) -> float:
        """User + system CPU time the server has used so far (all workers)."""
        total = 0.0
        for process in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                times = process.cpu_times()
                total += times.user + times.system
        return total

    def stop(self) -> None:
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGTERM)
        self._process.wait(timeout=10)
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process = None


@contextlib.contextmanager
def served(directory: Path, workers: int = 1) -> Iterator[FixtureServer]:
    server = FixtureServer(directory, workers)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fixture_site")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="write the site's pages into DIR")
    build.add_argument("directory", type=Path)
    build.add_argument("--ads", type=int, default=5000)
    run = commands.add_parser("serve", help="serve DIR on 127.0.0.1 until killed")
    run.add_argument("directory", type=Path)
    run.add_argument("--port", type=int, default=0)
    run.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    if args.command == "build":
        site = build_site(args.directory, args.ads)
        print(f"{site.ads} ads on {site.listing_pages} listing pages in {site.directory}")
    else:
        serve(args.directory, args.port, args.workers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
