"""One threaded HTTP server for both demo sites, bound to loopback only."""

from __future__ import annotations

import ipaddress
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from core.sources import Source
from demosites import pages_social, pages_telegram
from demosites.catalogue import DemoAd, load_catalogue
from demosites.posts import CHANNELS, LOCKED_PAGE, SOCIAL_PAGE, DemoPost, load_posts
from demosites.routes import Response, Routes

# Pages are rendered before the server starts; these headers go with every one of them.
_SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy", "default-src 'self'; object-src 'none'; base-uri 'none'"),
    ("Cache-Control", "no-cache"),
)
_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253})(:\d{1,5})?$")


def loopback_host(host: str) -> str:
    """``host`` as an address literal, or ValueError when it is not a loopback address: the
    demo sites must never be reachable from another machine."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        raise ValueError(
            f"DemoSites binds only to a loopback address such as 127.0.0.1, not {host!r}"
        ) from None
    if not address.is_loopback:
        raise ValueError(
            f"DemoSites binds only to a loopback address such as 127.0.0.1, not {host!r}"
        )
    return str(address)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], routes: Routes, verbose: bool) -> None:
        self.routes = routes
        self.verbose = verbose
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up mid-response (crawlers stopping, browsers closing) are normal.
        if self.verbose or not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "LureWatchDemo/1.0"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def _send(self, response: Response, with_body: bool) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        if response.location:
            self.send_header("Location", response.location)
        for name, value in _SECURITY_HEADERS:
            self.send_header(name, value)
        self.end_headers()
        if with_body:
            self.wfile.write(response.body)

    def _origin(self) -> str:
        """``http://`` and the Host the client asked for, so feeds and sitemaps name URLs it
        can reach; the server's own address when the header is missing or malformed."""
        host = (self.headers.get("Host") or "").strip()
        if not _HOST.match(host):
            address, port = self.server.server_address[:2]
            name = address.decode() if isinstance(address, bytes) else address
            host = f"[{name}]:{port}" if ":" in name else f"{name}:{port}"
        return f"http://{host}"

    def do_GET(self) -> None:
        self._send(self.server.routes.resolve(self.path, self._origin()), with_body=True)

    def do_HEAD(self) -> None:
        self._send(self.server.routes.resolve(self.path, self._origin()), with_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class DemoSites:
    """Both demo sites on one local server. ``with DemoSites() as sites:`` serves them from a
    background thread until the block ends."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        seed_dir: Path | None = None,
        verbose: bool = False,
    ) -> None:
        self.host = loopback_host(host)
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
            raise ValueError(f"port must be an integer from 0 to 65535, not {port!r}")
        self.port = port
        self.verbose = verbose
        self.catalogue: list[DemoAd] = load_catalogue(seed_dir)
        self.posts: list[DemoPost] = load_posts(self.catalogue, seed_dir)
        self.routes = Routes(self.catalogue, self.posts)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> DemoSites:
        if self._server is not None:
            raise RuntimeError("DemoSites is already running")
        self._server = _Server((self.host, self.port), self.routes, self.verbose)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="demosites", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=10)

    def __enter__(self) -> DemoSites:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("DemoSites is not running: use it as a context manager or start()")
        port = self._server.server_address[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{port}"

    def url(self, ad: DemoAd | DemoPost) -> str:
        """The detail page of an ad, or the permalink of a post."""
        return self.base_url + ad.path

    def channel_urls(self) -> list[str]:
        return [f"{self.base_url}{pages_telegram.channel_path(c)}" for c in CHANNELS]

    def social_urls(self) -> list[str]:
        """The public page, then the group behind a login wall."""
        return [f"{self.base_url}{pages_social.page_path(p)}" for p in (SOCIAL_PAGE, LOCKED_PAGE)]

    def sources(self) -> list[Source]:
        return [
            Source(name="island-classifieds", start_urls=[f"{self.base_url}/classifieds/"]),
            Source(name="caribjobs-live", start_urls=[f"{self.base_url}/jobboard/"], render=True),
            Source(name="telegram-channels", start_urls=self.channel_urls()),
            Source(name="social-pages", start_urls=self.social_urls()),
        ]

    def ads(self, site: str | None = None, private: bool | None = None) -> list[DemoAd]:
        return [
            ad
            for ad in self.catalogue
            if (site is None or ad.site == site) and (private is None or ad.private == private)
        ]


def describe(sites: DemoSites) -> str:
    base = sites.base_url
    counts: Sequence[tuple[str, int]] = (
        ("classifieds (public)", len(sites.ads("classifieds", private=False))),
        ("classifieds (robots-disallowed)", len(sites.ads("classifieds", private=True))),
        ("job board (JavaScript)", len(sites.ads("jobboard"))),
        ("Telegram posts", sum(p.site == "telegram" for p in sites.posts)),
        ("social posts", sum(p.site == "social" for p in sites.posts)),
    )
    lines = [
        f"LureWatch demo sites at {base}/",
        f"  Island Classifieds  {base}/classifieds/  (RSS, sitemap)",
        f"  CaribJobs Live      {base}/jobboard/  (Atom)",
        *(f"  Telegram channel    {url}" for url in sites.channel_urls()),
        f"  Social page         {sites.social_urls()[0]}",
        f"  Login-walled group  {sites.social_urls()[1]}",
        f"  robots.txt          {base}/robots.txt",
        "  ads: " + ", ".join(f"{n} {what}" for what, n in counts),
    ]
    return "\n".join(lines)


def run(
    host: str = "127.0.0.1",
    port: int = 8631,
    seed_dir: Path | None = None,
    verbose: bool = False,
) -> None:
    """Serve until Ctrl-C or SIGTERM, printing the URLs first."""
    # Both stop it the same way, closing the servers. SIGINT is set explicitly: a process
    # started in the background by a non-interactive shell inherits it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with DemoSites(host, port, seed_dir, verbose) as sites:
        try:  # the banner too: a Ctrl-C right after it must still stop cleanly
            print(describe(sites), flush=True)
            print("Press Ctrl-C to stop.", flush=True)
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("\nStopped.", flush=True)
