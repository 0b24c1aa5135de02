"""A classifieds site the test changes between crawls: ads are added, edited, unlisted, deleted.

Listing ``/ads/`` (10 ads per page, ``rel=next``), detail pages ``/ads/<n>.html`` with
JSON-LD; a deleted ad answers 404 (or 410), an unlisted one still answers but is in no listing.
Every request is counted by path, and ``delay`` slows each response (for kill-and-resume tests).
"""

from __future__ import annotations

import html
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.sites.serving import serve_in_thread

PER_PAGE = 10


@dataclass
class MutableAd:
    title: str
    text: str
    listed: bool = True
    status: int = 200  # 404 / 410 once deleted


@dataclass
class MutableSite:
    url: str = ""
    ads: dict[int, MutableAd] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def start_url(self) -> str:
        return f"{self.url}/ads/"

    def ad_url(self, number: int) -> str:
        return f"{self.url}/ads/{number}.html"

    def add(self, count: int) -> None:
        with self.lock:
            first = max(self.ads, default=0) + 1
            for n in range(first, first + count):
                self.ads[n] = MutableAd(
                    title=f"Kitchen assistant {n} needed",
                    text=f"Hotel kitchen in Castries needs assistant number {n}. "
                    "Day shifts, weekly pay, apply at the front desk with references.",
                )

    def detail_hits(self) -> int:
        return sum(n for path, n in self.hits.items() if path.endswith(".html"))

    def page(self, path: str) -> tuple[int, str]:
        with self.lock:
            if path in ("/ads/", "/ads/index.html") or path.startswith("/ads/?page="):
                page = int(path.split("=", 1)[1]) if "=" in path else 1
                return 200, self._listing(page)
            if path.startswith("/ads/") and path.endswith(".html"):
                try:
                    ad = self.ads[int(path[5:-5])]
                except (KeyError, ValueError):
                    return 404, "<html><body><h1>Not found</h1></body></html>"
                if ad.status != 200:
                    return ad.status, "<html><body><h1>This ad was removed</h1></body></html>"
                return 200, _detail(ad, f"{self.url}{path}")
            if path == "/robots.txt":
                return 200, "User-agent: *\nAllow: /\n"
        return 404, "<html><body><h1>Not found</h1></body></html>"

    def _listing(self, page: int) -> str:
        listed = [n for n, ad in sorted(self.ads.items()) if ad.listed]
        chunk = listed[(page - 1) * PER_PAGE : page * PER_PAGE]
        items = "".join(
            f'<li><a href="/ads/{n}.html">{html.escape(self.ads[n].title)}</a></li>' for n in chunk
        )
        more = len(listed) > page * PER_PAGE
        nxt = f'<a rel="next" href="/ads/?page={page + 1}">Next</a>' if more else ""
        return f"<html><head><title>Ads</title></head><body><ul>{items}</ul>{nxt}</body></html>"


def _detail(ad: MutableAd, url: str) -> str:
    posting = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": ad.title,
        "description": ad.text,
        "url": url,
        "datePosted": "2026-11-01",
    }
    data = json.dumps(posting).replace("</", "<\\/")
    return (
        f"<html><head><title>{html.escape(ad.title)}</title>"
        f'<script type="application/ld+json">{data}</script></head>'
        f"<body><h1>{html.escape(ad.title)}</h1><p>{html.escape(ad.text)}</p></body></html>"
    )


@contextmanager
def serve(site: MutableSite) -> Iterator[MutableSite]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.hits[self.path] += 1
            if site.delay:
                time.sleep(site.delay)
            status, body = site.page(self.path)
            data = body.encode("utf-8")
            self.send_response(status)
            kind = "text/plain" if self.path == "/robots.txt" else "text/html; charset=utf-8"
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with serve_in_thread(Handler) as url:
        site.url = url
        yield site
