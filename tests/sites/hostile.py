"""A hostile web site for crawler tests, served on 127.0.0.1: every kind of bad page a scraped
site can send, plus a few normal ads that must still come through.

    with serve_hostile() as site:      # site.url: http://127.0.0.1:PORT
        ...                            # site.requests: every path asked for, in order

``python -m tests.sites.hostile`` serves it until Ctrl-C, to look at by hand.

Nothing big is held in memory: the 50 MB pages are generated while they are sent.
"""

from __future__ import annotations

import io
import json
import random
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.sites.serving import serve_in_thread

BIG_BYTES = 50 * 1024 * 1024
HTML = "text/html; charset=utf-8"
CALENDAR_START = date(2026, 11, 22)

# The hidden word of the zero-width and bidi pages, and the text of each normal ad.
HIDDEN_WORD = "passport"
NORMAL_ADS = {
    "/ads/cleaners.html": "Office cleaners in Rotterdam",
    "/ads/pickers.html": "Warehouse pickers for a night shift",
    "/ads/cooks.html": "Line cooks for a hotel kitchen",
    "/ads/drivers.html": "Delivery drivers, own van provided",  # reloads itself every 30 s
}
# Pages that must be skipped, with the kind of failure the crawler reports for each.
SKIPPED = {
    "/big.html": "too-large",
    "/big-declared.html": "too-large",
    "/bomb.html": "too-large",
    "/bin/image.html": "not-html",
    "/bin/archive.html": "not-html",
    "/bin/noise.html": "not-html",
    "/enc/garbage.html": "bad-encoding",
    "/loop/a.html": "redirect-loop",
    "/loop/self.html": "redirect-loop",
    "/loop/chain/1.html": "redirect-loop",
    "/refresh/a.html": "redirect-loop",  # meta refresh to b, which refreshes back to a
    "/stall.html": "timeout",
}


@dataclass
class HostileSite:
    url: str = ""
    requests: list[str] = field(default_factory=list)

    def requested(self, prefix: str) -> list[str]:
        return [path for path in self.requests if path.startswith(prefix)]


def _prose(*sentences: str) -> str:
    filler = (
        "Start as soon as possible, full-time work, contract for twelve months with the option"
        " to extend. Send a short message with your experience and the date you can start."
    )
    return "".join(f"<p>{s}</p>" for s in (*sentences, filler))


def ad_page(title: str, body: str, head: str = "", charset: str = "utf-8") -> str:
    """A plain ad page: a main heading over enough prose for the heuristic extractor."""
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="{charset}"><title>{title}</title>'
        f'{head}</head><body><nav><a href="/">All ads</a></nav>'
        f"<main><h1>{title}</h1>{body}</main></body></html>"
    )


def _jsonld(data: str) -> str:
    return f'<script type="application/ld+json">{data}</script>'


def _normal_ads() -> dict[str, bytes]:
    cleaners = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "JobPosting",
            "title": NORMAL_ADS["/ads/cleaners.html"],
            "description": "<p>Evening office cleaning, 20 hours a week, paid every month into"
            " your own bank account.</p><p>Dutch or English is enough.</p>",
            "datePosted": "2026-11-01",
            "hiringOrganization": {"@type": "Organization", "name": "Maas Facility Services"},
        }
    )
    pages = {
        "/ads/cleaners.html": ad_page(
            NORMAL_ADS["/ads/cleaners.html"], "<p>See above.</p>", head=_jsonld(cleaners)
        ),
        "/ads/pickers.html": ad_page(
            NORMAL_ADS["/ads/pickers.html"],
            _prose(
                "Order pickers wanted for a distribution centre near Venlo, night shifts from"
                " 22:00 to 06:00, with a night allowance on top of the hourly wage."
            ),
        ),
        "/ads/cooks.html": ad_page(
            NORMAL_ADS["/ads/cooks.html"],
            _prose(
                "Experienced line cooks for a four-star hotel kitchen in Graz, breakfast and"
                " dinner service, staff meals included. Повар — приветствуется опыт."
            ),
        ),
        "/ads/drivers.html": ad_page(
            NORMAL_ADS["/ads/drivers.html"],
            _prose(
                "Parcel delivery drivers for routes around Antwerp, a van and fuel card"
                " provided, a category B licence is enough. Start next Monday."
            ),
            head='<meta http-equiv="refresh" content="30; url=/ads/drivers.html">',
        ),
    }
    return {path: page.encode("utf-8") for path, page in pages.items()}


def _encodings() -> dict[str, tuple[str, bytes]]:
    """Path -> (Content-Type, body) of pages with broken or lying encodings."""
    invalid = ad_page(
        "Kitchen porters for Lisbon",
        _prose(
            "Kitchen porters wanted in Lisboa, salário mínimo plus tips, BROKEN_BYTES shared"
            " rooms near the restaurant for the first month."
        ),
    ).encode("utf-8")
    cp1252 = ad_page(
        "Café Européen seeks waiters",
        _prose(
            "Waiters for the “Café Européen” in Brussels: €1.900 a month, meals included,"
            " and we help with the paperwork for the résidence permit."
        ),
    ).encode("cp1252")
    disagreeing = ad_page(
        "Bakers for Zürich and São Paulo",
        _prose(
            "Bakers wanted for our shops in Zürich and São Paulo, early mornings, CHF 4.800"
            " a month, German or Portuguese welcome."
        ),
    ).encode("utf-8")
    utf16 = ad_page(
        "Работа: packers for a fruit farm",
        _prose(
            "Packers for a fruit farm in Huelva, strawberry season March to June, Работа"
            " на ферме, accommodation in shared caravans on the farm."
        ),
    ).encode("utf-16")  # with a byte order mark
    noise = random.Random(3)
    garbage = b"<html><body><p>" + bytes(
        noise.choice([*range(1, 9), *range(14, 32), *range(0x80, 0x100)]) for _ in range(8000)
    )
    return {
        "/enc/invalid-utf8.html": (HTML, invalid.replace(b"BROKEN_BYTES", b"\xff\xfe \xc3\x28")),
        "/enc/cp1252-as-utf8.html": (HTML, cp1252),
        "/enc/meta-disagrees.html": ("text/html; charset=iso-8859-1", disagreeing),
        "/enc/utf16-bom.html": (HTML, utf16),
        "/enc/garbage.html": (HTML, garbage + b"</p></body></html>"),
    }


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ad.html", ad_page("Zipped ad", _prose("Inside a zip file.")))
    return buffer.getvalue()


def _binaries() -> dict[str, bytes]:
    return {
        "/bin/image.html": png_bytes(),
        "/bin/archive.html": zip_bytes(),
        "/bin/noise.html": random.Random(5).randbytes(64 * 1024),
    }


def _json_ld_pages() -> dict[str, bytes]:
    def page(title: str, data: str) -> bytes:
        body = _prose(f"{title}: the structured data of this page is broken on purpose.")
        return ad_page(title, body, head=_jsonld(data)).encode("utf-8")

    wrong_types = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": ["JobPosting", 7],
            "title": ["Forklift drivers", 7, None, {"@value": 3}],
            "description": {"text": 42},
            "hiringOrganization": 12,
            "jobLocation": [None, 5, "Antwerp", {"address": [1, 2]}],
            "baseSalary": {"value": {"minValue": [], "unitText": {}}},
            "datePosted": {"when": True},
            "url": 99,
        }
    )
    skills = json.dumps(["sorting"] * 60_000)
    huge_array = (
        '{"@context": "https://schema.org", "@type": "JobPosting", "title": "Parcel sorters",'
        ' "description": "Parcel sorters for a depot, day shifts.", "skills": ' + skills + "}"
    )
    many_postings = json.dumps(
        [{"@type": "JobPosting", "title": f"Job {i}"} for i in range(30_000)]
    )
    surrogates = (
        '{"@context": "https://schema.org", "@type": "JobPosting",'
        ' "title": "Hotel maids \\ud800 for Oslo",'
        ' "description": "Hotel maids wanted in Oslo \\udfff\\ud83d, paid weekly, rooms provided'
        ' by the hotel, Norwegian lessons in the evenings twice a week."}'
    )
    return {
        "/jsonld/truncated.html": page(
            "Truncated structured data",
            '{"@context": "https://schema.org", "@type": "JobPosting", "title": "Trunc',
        ),
        "/jsonld/wrong-types.html": page("Forklift drivers in Antwerp", wrong_types),
        "/jsonld/deep-lists.html": page("Deep lists", "[" * 10_000 + "]" * 10_000),
        "/jsonld/deep-objects.html": page("Deep objects", '{"a": ' * 10_000 + "1" + "}" * 10_000),
        "/jsonld/huge-array.html": page("Parcel sorters", huge_array),
        "/jsonld/many-postings.html": page("Many postings", many_postings),
        "/jsonld/surrogates.html": page("Hotel maids for Oslo", surrogates),
    }


# Script and event-handler payloads in an ad's own markup and in its JSON-LD description.
XSS_MARKUP = ad_page(
    "Waitresses <script>alert(1)</script>for a beach bar",
    "<p>Waitresses for a beach bar in Ayia Napa, good pay <img src=x onerror=alert(2)> and free"
    " housing next to the beach, flights paid by the employer.</p>"
    '<p onclick=alert(3)>Apply <a href="javascript:alert(4)">here</a> or'
    ' <a href="JaVaScRiPt:alert(5)">here</a> <svg onload=alert(6)><circle r=1 /></svg>'
    " before the end of the month, the season starts in April.</p>"
    '<iframe src="javascript:alert(7)"></iframe><style>p{background:url(javascript:alert(8))}'
    "</style><noscript><img src=x onerror=alert(9)></noscript>"
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(10)></style></mglyph>"
    "</table></mtext></math><object data=javascript:alert(11)></object>"
    '<p><a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxMik8L3NjcmlwdD4=">Photos</a></p>',
)
XSS_JSONLD = json.dumps(
    {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": "Dancers for a cruise ship",
        "description": "<p>Dancers for a cruise ship, contract of nine months.</p>"
        "<script>alert(1)</script><img src=x onerror=alert(2)>"
        '<p>Apply <a href="javascript:alert(3)">here</a><svg onload=alert(4)></svg></p>',
        "hiringOrganization": {"@type": "Organization", "name": "Blue <b onmouseover=alert(5)>"},
    }
).replace("</", "<\\/")


def _hidden_pages() -> dict[str, bytes]:
    zero_width = ad_page(
        "Au pairs for Milan",
        _prose(
            "Au pairs for a family in Milan. Bring your pa\u200bss\u200cp\u200dor\ufefft and"
            " a copy of your pa&#x200B;ss&#8204;port to the interview; pass\u2060port checks are"
            " free."
        ),
    )
    bidi = ad_page(
        "Models for a photo studio",
        _prose(
            "Models for a photo studio abroad. Leave your \u202etropssap\u202c with the agent"
            " on arrival; your pass\u2066port\u2069 is kept safe, and so is your"
            " &#x202E;tropssap&#x202C; copy. Salary \u202bpaid\u202c in cash, \u2067weekly\u2069."
        ),
    )
    return {
        "/hidden/zero-width.html": zero_width.encode("utf-8"),
        "/hidden/bidi.html": bidi.encode("utf-8"),
    }


def _calendar_page(day: date, path_style: bool) -> bytes:
    """A day of an events calendar: links to the day before and after, to its week and month
    views and to every day of the month, in two URL forms, forever (the classic crawler trap)."""

    def query(d: date) -> str:
        return f"/calendar?date={d.isoformat()}"

    def folder(d: date) -> str:
        return f"/calendar/{d.year}/{d.month:02d}/{d.day:02d}/"

    same, other = (folder, query) if path_style else (query, folder)
    first = day.replace(day=1)
    month = [
        first + timedelta(days=i) for i in range(31) if (first + timedelta(i)).month == day.month
    ]
    grid = "".join(f'<a href="{other(d)}">{d.day}</a> ' for d in month)
    body = (
        f"<p>No events on {day.isoformat()}.</p>"
        f'<p><a href="{same(day - timedelta(days=1))}">« Previous day</a>'
        f' <a href="{same(day + timedelta(days=1))}">Next »</a>'
        f' <a href="{same(day + timedelta(days=31))}">Next month</a>'
        f' <a href="{query(day)}&amp;view=week">Week</a>'
        f' <a href="{query(day)}&amp;view=month">Month</a></p>'
        f"<div>{grid}</div>"
    )
    return ad_page(f"Events on {day.isoformat()}", body).encode("utf-8")


def _calendar_day(path: str, query: dict[str, list[str]]) -> tuple[date, bool] | None:
    try:
        if path == "/calendar":
            return date.fromisoformat(query["date"][0]), False
        year, month, day = (int(p) for p in path.removeprefix("/calendar/").strip("/").split("/"))
        return date(year, month, day), True
    except (KeyError, ValueError, OverflowError):
        return None


def _listing(pages: list[str]) -> bytes:
    links = "".join(f'<li><a href="{p}">{p}</a></li>' for p in pages)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Hostile ads</title></head>'
        f"<body><h1>Hostile ads</h1><ul>{links}</ul></body></html>"
    ).encode()


class _Pages:
    def __init__(self) -> None:
        self.static: dict[str, tuple[str, bytes]] = {
            "/robots.txt": ("text/plain", b"User-agent: *\nAllow: /\n"),
        }
        for path, body in {**_normal_ads(), **_json_ld_pages(), **_hidden_pages()}.items():
            self.static[path] = (HTML, body)
        self.static.update(_encodings())
        for path, body in _binaries().items():
            self.static[path] = (HTML, body)
        self.static["/xss/markup.html"] = (HTML, XSS_MARKUP.encode("utf-8"))
        for here, there in (("a", "b"), ("b", "a")):
            refresh = f'<meta http-equiv="refresh" content="0; url=/refresh/{there}.html">'
            page = ad_page(f"Moved to {there}", "<p>One moment.</p>", head=refresh)
            self.static[f"/refresh/{here}.html"] = (HTML, page.encode("utf-8"))
        self.static["/xss/jsonld.html"] = (
            HTML,
            ad_page(
                "Dancers for a cruise ship", "<p>Details below.</p>", head=_jsonld(XSS_JSONLD)
            ).encode("utf-8"),
        )
        self.redirects = {
            "/loop/a.html": "/loop/b.html",
            "/loop/b.html": "/loop/a.html",
            "/loop/self.html": "/loop/self.html",
        }
        linked = [p for p in self.static if p not in ("/robots.txt", "/refresh/b.html")]
        extra = ["/big.html", "/big-declared.html", "/bomb.html", "/stall.html", "/loop/a.html"]
        extra += ["/loop/self.html", "/loop/chain/1.html", f"/calendar?date={CALENDAR_START}"]
        self.static["/"] = (HTML, _listing(linked + extra))


def _handler(site: HostileSite, pages: _Pages, stop: threading.Event, stall: float) -> type:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: a body without Content-Length simply runs until the connection closes.
        protocol_version = "HTTP/1.0"

        def do_GET(self) -> None:
            site.requests.append(self.path)
            parts = urlsplit(self.path)
            path = parts.path
            try:
                if self.path in pages.static or path in pages.static:
                    kind, body = pages.static.get(self.path) or pages.static[path]
                    self._send(200, kind, body)
                elif path in pages.redirects:
                    self._redirect(pages.redirects[path])
                elif path.startswith("/loop/chain/"):
                    number = int(path.rsplit("/", 1)[1].removesuffix(".html") or 0)
                    self._redirect(f"/loop/chain/{number + 1}.html")
                elif path in ("/big.html", "/big-declared.html"):
                    self._big(declared=path == "/big-declared.html")
                elif path == "/bomb.html":
                    self._bomb()
                elif path == "/stall.html":
                    self._stall()
                elif path.startswith("/calendar"):
                    day = _calendar_day(path, parse_qs(parts.query))
                    if day is None:
                        self._send(404, "text/plain", b"no such day")
                    else:
                        self._send(200, HTML, _calendar_page(*day))
                else:
                    self._send(404, "text/plain", b"not found")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the crawler hung up: that is what it should do with these pages

        def _send(self, status: int, kind: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _redirect(self, location: str) -> None:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _big(self, declared: bool) -> None:
            self.send_response(200)
            self.send_header("Content-Type", HTML)
            if declared:
                self.send_header("Content-Length", str(BIG_BYTES))
            self.end_headers()
            chunk = b"<p>" + b"Big page, endless words. " * 2600 + b"</p>\n"
            sent = 0
            self.wfile.write(b"<html><body><h1>Big page</h1>")
            while sent < BIG_BYTES and not stop.is_set():
                self.wfile.write(chunk)
                sent += len(chunk)

        def _bomb(self) -> None:
            body = _gzip_bomb()
            self.send_response(200)
            self.send_header("Content-Type", HTML)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _stall(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", HTML)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"<html><body><h1>Stalled page</h1><p>The rest never comes")
            self.wfile.flush()
            stop.wait(stall)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@cache
def _gzip_bomb() -> bytes:
    """A page of about 200 KB that gzip-decompresses to BIG_BYTES of HTML."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: the gzip format
    line = b"<p>" + b"Unzip me and I fill your memory. " * 30 + b"</p>\n"
    parts = [packer.compress(b"<html><body><h1>Small download</h1>")]
    parts += [packer.compress(line) for _ in range(BIG_BYTES // len(line) + 1)]
    return b"".join([*parts, packer.flush()])


@contextmanager
def serve_hostile(stall_seconds: float = 60.0, port: int = 0) -> Iterator[HostileSite]:
    """Serve the hostile site on 127.0.0.1 (a free port by default) while in the block.
    ``/stall.html`` sends its headers and a few bytes, then waits ``stall_seconds``."""
    site = HostileSite()
    stop = threading.Event()
    handler: Callable[..., Any] = _handler(site, _Pages(), stop, stall_seconds)
    with serve_in_thread(handler, port) as url:
        site.url = url
        try:
            yield site
        finally:
            stop.set()  # wakes the stalled and big responses so their threads end


if __name__ == "__main__":
    with serve_hostile(port=8765) as served:
        print(f"hostile site on {served.url}/ (Ctrl-C to stop)")
        with suppress(KeyboardInterrupt):
            threading.Event().wait()
