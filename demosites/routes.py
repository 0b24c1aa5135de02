"""Every URL of the demo sites, rendered once in memory and looked up per request."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from demosites import pages_classifieds as cl
from demosites import pages_feeds as fd
from demosites import pages_jobboard as jb
from demosites import pages_social as so
from demosites import pages_telegram as tg
from demosites.catalogue import DemoAd
from demosites.pages_layout import CSS, home_page, not_found_page
from demosites.posts import CHANNELS, LOCKED_PAGE, SOCIAL_PAGE, DemoPost

HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=utf-8"
JS = "text/javascript; charset=utf-8"
CSS_TYPE = "text/css; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
XML = "application/xml; charset=utf-8"
GZIP = "application/gzip"


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes
    location: str = ""  # target of a redirect


def _ok(content_type: str, body: str | bytes) -> Response:
    return Response(200, content_type, body.encode("utf-8") if isinstance(body, str) else body)


def _redirect(target: str) -> Response:
    return Response(301, TEXT, f"Moved to {target}\n".encode(), location=target)


def _newest_first(ads: Sequence[DemoAd]) -> list[DemoAd]:
    by_id = sorted(ads, key=lambda a: a.id)
    return sorted(by_id, key=lambda a: a.date_posted, reverse=True)


def _chunks(ads: Sequence[DemoAd], size: int) -> list[list[DemoAd]]:
    return [list(ads[i : i + size]) for i in range(0, len(ads), size)] or [[]]


# Documents that name absolute URLs: rendered per request for the origin the client used.
Dynamic = Callable[[str], Response]


class Routes:
    def __init__(self, catalogue: Sequence[DemoAd], posts: Sequence[DemoPost] = ()) -> None:
        self._static: dict[str, Response] = {}
        self._dynamic: dict[str, Dynamic] = {}
        self._jobs: dict[int, DemoAd] = {}
        self._job_pages: dict[int, bytes] = {}
        self._channels: dict[str, tuple[tg.Channel, list[tg.Message]]] = {}
        self._social: list[so.Entry] = []
        self._sitemap_pages: list[tuple[str, str]] = []
        self._add_common()
        self._add_classifieds([a for a in catalogue if a.site == "classifieds"])
        self._add_jobboard([a for a in catalogue if a.site == "jobboard"])
        self._add_telegram([p for p in posts if p.site == "telegram"])
        self._add_social([p for p in posts if p.site == "social"])

    def _add_common(self) -> None:
        self._static["/"] = _ok(HTML, home_page())
        self._dynamic["/robots.txt"] = lambda origin: _ok(TEXT, fd.robots_txt(origin))
        self._static["/static/demo.css"] = _ok(CSS_TYPE, CSS)

    def _add_listing(
        self, ads: list[DemoAd], base: str, heading: str, sections: list[cl.Section]
    ) -> None:
        pages = _chunks(_newest_first(ads), cl.PAGE_SIZE)
        for number, chunk in enumerate(pages, start=1):
            html = cl.listing_page(chunk, number, len(pages), len(ads), base, heading, sections)
            self._static[cl.listing_path(base, number)] = _ok(HTML, html)
            self._sitemap_pages.append((cl.listing_path(base, number), ""))
        self._static[f"{base}page/1.html"] = _redirect(base)

    def _add_classifieds(self, ads: list[DemoAd]) -> None:
        used = {cl.section_for(ad) for ad in ads}
        sections = [s for s in (*cl.SECTIONS, cl.OTHER) if s in used]
        self._add_listing(ads, cl.ROOT, "Latest job ads", sections)
        for section in sections:
            members = [ad for ad in ads if cl.section_for(ad) == section]
            self._add_listing(members, section.path, section.name, sections)
        for ad in ads:
            self._static[ad.path] = _ok(HTML, cl.detail_page(ad, sections))
        for key in cl.INFO_PAGES:
            self._static[f"{cl.ROOT}{key}.html"] = _ok(HTML, cl.info_page(key, sections))
            self._sitemap_pages.append((f"{cl.ROOT}{key}.html", ""))
        self._static[cl.ROOT.rstrip("/")] = _redirect(cl.ROOT)
        self._add_classifieds_feeds(_newest_first([ad for ad in ads if not ad.private]))

    def _add_classifieds_feeds(self, public: list[DemoAd]) -> None:
        """RSS and sitemaps of the public ads only: members-only ads are in neither."""
        newest = public[0].date_posted if public else "2026-01-01"
        pages = list(self._sitemap_pages)
        ads = [(ad.path, ad.date_posted) for ad in public]
        name = cl.SITE_NAME
        self._dynamic[fd.RSS_PATH] = lambda o: _ok(RSS, fd.rss_feed(public, o, name))
        self._dynamic[fd.SITEMAP_INDEX] = lambda o: _ok(XML, fd.sitemap_index(o, newest))
        self._dynamic[fd.SITEMAP_PAGES] = lambda o: _ok(XML, fd.urlset(o, pages))
        self._dynamic[fd.SITEMAP_ADS] = lambda o: _ok(GZIP, fd.gzipped(fd.urlset(o, ads)))

    def _add_jobboard(self, ads: list[DemoAd]) -> None:
        self._jobs = {jb.ad_number(ad): ad for ad in ads}
        for number, chunk in enumerate(_chunks(_newest_first(ads), jb.PAGE_SIZE), start=1):
            self._job_pages[number] = jb.to_json(jb.list_payload(chunk, number, len(ads)))
        for number, ad in self._jobs.items():
            self._static[f"{jb.ROOT}api/ad/{number}"] = _ok(JSON, jb.to_json(jb.ad_payload(ad)))
        self._static[f"{jb.ROOT}app.js"] = _ok(JS, jb.APP_JS)
        self._static[jb.ROOT.rstrip("/")] = _redirect(jb.ROOT)
        self._list_shell = _ok(HTML, jb.list_shell())
        self._ad_shell = _ok(HTML, jb.ad_shell())
        newest = _newest_first(ads)
        self._dynamic[fd.ATOM_PATH] = lambda o: _ok(ATOM, fd.atom_feed(newest, o, jb.SITE_NAME))

    def _add_telegram(self, posts: list[DemoPost]) -> None:
        for channel in CHANNELS:
            mine = [p for p in posts if p.channel == channel.slug]
            if not mine:
                continue
            messages = tg.timeline(channel, mine)
            self._channels[channel.slug] = (channel, messages)
            for message in messages:
                html = tg.message_page(channel, messages, message)
                self._static[f"/{channel.slug}/{message.number}"] = _ok(HTML, html)

    def _add_social(self, posts: list[DemoPost]) -> None:
        self._social = so.entries(SOCIAL_PAGE, posts)
        for entry in self._social:
            html = so.single_post_page(SOCIAL_PAGE, entry)
            self._static[so.post_path(SOCIAL_PAGE, entry.number)] = _ok(HTML, html)
        self._static[so.page_path(LOCKED_PAGE)] = _ok(HTML, so.login_wall(LOCKED_PAGE))
        self._static[so.LOGIN_PATH] = _ok(HTML, so.login_wall(SOCIAL_PAGE))

    def _telegram(self, path: str, query: dict[str, list[str]]) -> Response:
        found = self._channels.get(path.removeprefix(tg.ROOT))
        before = self._number(query, "before", None) if "before" in query else None
        if found is None or ("before" in query and before is None) or set(query) - {"before"}:
            return self.not_found(path)
        channel, messages = found
        return _ok(HTML, tg.channel_page(channel, messages, before))

    def _social_page(self, path: str, query: dict[str, list[str]]) -> Response:
        cursor = self._number(query, "cursor", None) if "cursor" in query else None
        if ("cursor" in query and cursor is None) or set(query) - {"cursor"}:
            return self.not_found(path)
        return _ok(HTML, so.feed_page(SOCIAL_PAGE, self._social, cursor))

    def _number(self, query: dict[str, list[str]], name: str, default: str | None) -> int | None:
        values = query.get(name, [default] if default is not None else [])
        if len(values) != 1 or not values[0] or not values[0].isascii() or not values[0].isdigit():
            return None
        return int(values[0])

    def resolve(self, target: str, origin: str = "") -> Response:
        """The response for ``target`` (path and query). ``origin`` ("http://host:port") is
        put in front of the absolute URLs of feeds, sitemaps and robots.txt."""
        parts = urlsplit(target)
        path = unquote(parts.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        if path in self._dynamic:
            return self._dynamic[path](origin)
        if path.startswith(tg.ROOT):
            return self._telegram(path, query)
        if path == so.page_path(SOCIAL_PAGE) and self._social:
            return self._social_page(path, query)
        if path == jb.ROOT:
            page = self._number(query, "page", "1")
            found = page in self._job_pages
            return self._list_shell if found else self.not_found(path)
        if path == f"{jb.ROOT}ad.html":
            found = self._number(query, "id", None) in self._jobs
            return self._ad_shell if found else self.not_found(path)
        if path == f"{jb.ROOT}api/list":
            body = self._job_pages.get(self._number(query, "page", "1") or 0)
            if body is None:
                return Response(404, JSON, jb.to_json({"error": "no such page"}))
            return _ok(JSON, body)
        if path.startswith(f"{jb.ROOT}api/") and path not in self._static:
            return Response(404, JSON, jb.to_json({"error": "not found"}))
        return self._static.get(path) or self.not_found(path)

    def not_found(self, path: str) -> Response:
        return Response(404, HTML, not_found_page(path).encode("utf-8"))

    def paths(self) -> list[str]:
        return sorted({*self._static, *self._dynamic})
