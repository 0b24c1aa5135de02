"""A local web site whose pages answer as a test scripts them (status, headers, delay), recording
when each request arrived -- server-side times, so spacing tests do not trust the client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.sites.serving import serve_in_thread

DEFAULT_ROBOTS = "User-agent: *\nDisallow:\n"


@dataclass
class Page:
    body: str = "<html><body><p>ok</p></body></html>"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (longer than DOWNLOAD_TIMEOUT: a timeout)


# A route is a fixed page or a function of how many times the path was asked before (0, 1, ...).
Route = Page | Callable[[int], Page]


@dataclass
class Site:
    url: str = ""
    routes: dict[str, Route] = field(default_factory=dict)
    fallback: Page | None = None  # for paths without a route; None: 404
    hits: list[tuple[float, str]] = field(default_factory=list)  # (time.monotonic(), path)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def times(self, path: str) -> list[float]:
        return [t for t, p in self.hits if p == path]

    def paths(self) -> list[str]:
        return [p for _, p in self.hits]

    def page(self, path: str) -> Page:
        with self.lock:
            count = sum(1 for _, p in self.hits if p == path)
            self.hits.append((time.monotonic(), path))
        route = self.routes.get(path)
        if route is None:
            if path == "/robots.txt":
                return Page(DEFAULT_ROBOTS, headers={"Content-Type": "text/plain"})
            return self.fallback or Page("not found", status=404)
        return route(count) if callable(route) else route


@contextmanager
def serve(routes: dict[str, Route] | None = None, fallback: Page | None = None) -> Iterator[Site]:
    site = Site(routes=dict(routes or {}), fallback=fallback)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = site.page(self.path)
            if page.delay:
                time.sleep(page.delay)
            body = page.body.encode("utf-8")
            try:
                self.send_response(page.status)
                headers = {"Content-Type": "text/html; charset=utf-8", **page.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the crawler gave up waiting (a timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with serve_in_thread(Handler) as url:
        site.url = url
        yield site


def links(*paths: str) -> str:
    items = "".join(f'<li><a href="{p}">{p}</a></li>' for p in paths)
    return f"<html><body><h1>Listing</h1><ul>{items}</ul></body></html>"


REPO = Path(__file__).resolve().parent.parent

# Fast and self-contained: no classifier, store or index; no politeness delays unless a test
# asks for them.
QUICK = {
    "LUREWATCH_CLASSIFY": False,
    "LUREWATCH_PROGRESS": False,
    "ITEM_PIPELINES": {},
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "LOG_LEVEL": "INFO",
}


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without LUREWATCH_* variables, so only the test decides the settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUREWATCH_")}
    return {**env, **extra}


def scrapy_crawl(
    home: Path, url: str, settings: dict[str, Any] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """``scrapy crawl ads -a urls=URL`` in a fresh process (Scrapy's reactor cannot restart)."""
    command = [sys.executable, "-W", "error", "-m", "scrapy", "crawl", "ads", "-a", f"urls={url}"]
    for name, value in {**QUICK, **(settings or {})}.items():
        text = json.dumps(value) if isinstance(value, dict | bool) else str(value)
        command += ["-s", f"{name}={text}"]
    return subprocess.run(
        command,
        cwd=REPO,
        env=clean_env(LUREWATCH_HOME=str(home)),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
