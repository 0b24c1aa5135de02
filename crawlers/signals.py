"""Signals LureWatch's crawler components send each other (``crawler.signals.send_catch_log``)."""

from __future__ import annotations

from dataclasses import dataclass

# A page could not be used: fetch failed (timeout, DNS, refused, HTTP 5xx/4xx after retries), or
# it was skipped (too large, not HTML, redirect loop). Sent once per page, with keyword arguments
# ``url: str`` (the page asked for), ``kind: str`` (short, stable: "timeout", "http-500",
# "too-large", "not-html", "connection", "redirect-loop", "dns", "other") and ``reason: str``
# (one human line). Receivers: stats (errors by kind), the run log (failed pages, retry-failed).
page_failed = object()

# Before a crawl fetches again the pages a stopped crawl had claimed, the spider asks which of
# them the case store already holds (the crawl may have died after its ads were stored and
# before their pages were marked fetched). Sent with ``urls: list[str]`` (canonical page URLs);
# each receiver returns a ``dict[str, StoredPage]`` of those it holds. With no receiver (the
# store is off), every such page is fetched again.
stored_pages = object()


@dataclass(frozen=True)
class StoredPage:
    last_stored: float  # when the stored ad was last fetched, in seconds since the epoch
    status: int  # that fetch's HTTP status
    removed_at: float | None  # when the ad was found removed; None while it is live
