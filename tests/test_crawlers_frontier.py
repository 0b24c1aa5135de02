"""The seen-store protocol, on both stores (SQLite on disk, Redis shared): what a crawl fetches,
when, and what a resumed crawl picks up."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from crawlers.frontier.base import PageKind, SeenStore
from crawlers.frontier.redis import RedisSeenStore
from crawlers.frontier.sqlite import SqliteSeenStore
from tests.redis_server import RedisServer, redis_server

A = "http://site.test/ad/1"
B = "http://site.test/ad/2"

# A store of the kind under test, for a crawl run: store("run1").
OpenStore = Callable[[str], SeenStore]


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with redis_server(tmp_path_factory.mktemp("redis")) as running:
        yield running


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> OpenStore:
    if request.param == "sqlite":
        return lambda run: SqliteSeenStore(tmp_path / "seen.sqlite", run)
    server: RedisServer = request.getfixturevalue("redis")
    client = server.client()
    client.flushall()
    client.close()
    return lambda run: RedisSeenStore(server.url, run)


def test_new_url_is_claimed_once_per_run(store: OpenStore) -> None:
    seen = store("run1")
    assert seen.claim(A, "s", "detail", now=100)
    assert not seen.claim(A, "s", "detail", now=100)
    assert not seen.claim(A + "?utm_source=x", "s", "detail", now=100, force=True)
    state = seen.get(A)
    assert state is not None and state.pending and state.last_fetched is None


def test_fetched_url_comes_back_when_due(store: OpenStore) -> None:
    seen = store("run1")
    seen.claim(A, "s", "detail", now=100)
    seen.fetched(A, now=101, status=200, next_fetch=200)
    seen.close()
    later = store("run2")
    assert not later.claim(A, "s", "detail", now=150)
    assert list(later.due("s", now=150)) == []
    assert list(later.due("s", now=200)) == [A]
    assert later.claim(A, "s", "detail", now=200)
    assert later.claim(B, "s", "detail", now=150)
    assert later.count("s") == 2


@pytest.mark.parametrize("kind", ["listing", "feed", "sitemap"])
def test_listings_feeds_and_sitemaps_are_read_by_every_run(
    store: OpenStore, kind: PageKind
) -> None:
    seen = store("run1")
    seen.claim(A, "s", kind, now=100)
    seen.fetched(A, now=100, status=200, next_fetch=10_000)
    later = store("run2")
    assert later.claim(A, "s", kind, now=101)
    assert not later.claim(A, "s", kind, now=102)


def test_force_claims_what_is_not_due(store: OpenStore) -> None:
    seen = store("run1")
    seen.claim(A, "s", "listing", now=100)
    seen.fetched(A, now=100, status=200, next_fetch=10_000)
    seen.close()
    later = store("run2")
    assert later.claim(A, "s", "listing", now=101, force=True)


def test_killed_run_leaves_pending_urls_for_the_next(store: OpenStore) -> None:
    seen = store("run1")
    for url in (A, B):
        seen.claim(url, "s", "detail", now=100)
    seen.fetched(A, now=101, status=200, next_fetch=5000)
    seen.flush()  # what a crawl has committed when it is killed
    # No close(): the process died. A new run on the same file:
    resumed = store("run2")
    assert list(resumed.pending("s")) == [B]
    assert resumed.claim(B, "s", "detail", now=102)
    assert not resumed.claim(A, "s", "detail", now=102)
    assert list(resumed.pending("s")) == []


def test_removed_ads_are_not_due_until_listed_again(store: OpenStore) -> None:
    seen = store("run1")
    seen.claim(A, "s", "detail", now=100)
    seen.fetched(A, now=100, status=200, next_fetch=150)
    seen.removed(A, now=120)
    seen.close()
    later = store("run2")
    assert list(later.due("s", now=10**9)) == []
    assert not later.claim(A, "s", "detail", now=10**9)
    later.listed([A], now=10**9)
    state = later.get(A)
    assert state is not None and not state.removed
    assert list(later.due("s", now=10**9)) == [A]


def test_unlisted_details_and_walks(store: OpenStore) -> None:
    seen = store("run1")
    for url in (A, B):
        seen.claim(url, "s", "detail", now=100)
        seen.fetched(url, now=100, status=200, next_fetch=math.inf)
    seen.listed([A, B], now=100)
    seen.listed([A], now=500)
    assert seen.last_walk("s") is None
    seen.walk_complete("s", started=500)
    seen.walk_complete("s", started=400)  # an older walk never moves it back
    assert seen.last_walk("s") == 500
    assert list(seen.unlisted("s", before=300)) == [B]
    seen.removed(B, now=600)
    assert list(seen.unlisted("s", before=300)) == []
    assert seen.counts("s", now=700) == {
        "known": 2,
        "fetched": 2,
        "due": 0,
        "pending": 0,
        "removed": 1,
    }


def test_sources_are_kept_apart(store: OpenStore) -> None:
    seen = store("run1")
    seen.claim(A, "one", "detail", now=100)
    seen.claim(B, "two", "listing", now=100)
    assert list(seen.known("one")) == [A]
    assert list(seen.known("two", kind="listing")) == [B]
    assert list(seen.known("two", kind="detail")) == []
    assert list(seen.known("nobody")) == []
    assert seen.count() == 2


def test_iteration_pages_through_many_urls(store: OpenStore) -> None:
    seen = store("run1")
    urls = [f"http://site.test/ad/{i}" for i in range(2500)]
    for url in urls:
        seen.claim(url, "s", "detail", now=1)
    assert sorted(seen.known("s")) == sorted(urls)
