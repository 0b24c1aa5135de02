"""The shared frontier on a real redis-server: the seen-store behaves as the SQLite one, claims are
atomic across processes, crawl generations, the JSON request queue, and two crawl processes
splitting one site."""

from __future__ import annotations

import json
import logging
import math
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.utils.request import request_from_dict
from scrapy.utils.test import get_crawler
from scrapy_playwright.page import PageMethod

from core.settings import Settings
from crawlers.frontier import serializer
from crawlers.frontier.base import PageKind
from crawlers.frontier.redis import (
    FrontierUnavailable,
    RedisSeenStore,
    open_generation,
    open_redis_seen_store,
)
from crawlers.frontier.scheduler import NoDupeFilter, SharedScheduler
from crawlers.frontier.scrapy_redis_settings import frontier_scrapy_settings
from crawlers.frontier.sqlite import SqliteSeenStore
from crawlers.render import capture_page, render_meta
from index.store import Store
from tests.redis_server import RedisServer, redis_server

REPO = Path(__file__).resolve().parent.parent
A = "http://site.test/ad/1"
B = "http://site.test/ad/2"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with redis_server(tmp_path_factory.mktemp("redis")) as running:
        yield running


@pytest.fixture
def frontier(server: RedisServer) -> str:
    """The server's URL, emptied for this test."""
    client = server.client()
    client.flushall()
    client.close()
    return server.url


def store(url: str, run: str) -> RedisSeenStore:
    return RedisSeenStore(url, run)


# The protocol cases both stores share are in tests/test_crawlers_frontier.py.


def test_iteration_pages_through_many_urls_while_they_move(frontier: str) -> None:
    seen = RedisSeenStore(frontier, "run1", batch=100)
    urls = [f"http://site.test/ad/{i}" for i in range(2500)]
    for url in urls:
        seen.claim(url, "s", "detail", now=1)  # all with the same score: ties page by member
    assert sorted(seen.known("s")) == sorted(urls)
    for url in urls:
        seen.fetched(url, now=2, status=200, next_fetch=5)
    # A caller that claims each due URL as it goes moves it out of what it iterates: nothing is
    # skipped, nothing comes twice.
    later = RedisSeenStore(frontier, "run2", batch=100)
    claimed = [url for url in later.due("s", now=10) if later.claim(url, "s", "detail", now=10)]
    assert sorted(claimed) == sorted(urls)
    assert list(later.due("s", now=10)) == []


def _apply(seen: Any, op: tuple[Any, ...]) -> Any:
    name, *args = op
    if name == "claim":
        url, kind, now, force = args
        return seen.claim(url, "s", kind, now, force=force)
    if name == "fetched":
        seen.fetched(*args)
    elif name == "failed":
        seen.failed(*args)
    elif name == "listed":
        seen.listed(*args)
    elif name == "removed":
        seen.removed(*args)
    return None


def _snapshot(seen: Any, urls: list[str], now: float) -> dict[str, Any]:
    return {
        "states": [seen.get(url) for url in urls],
        "pending": sorted(seen.pending("s")),
        "due": sorted(seen.due("s", now)),
        "known": sorted(seen.known("s")),
        "details": sorted(seen.known("s", "detail")),
        "unlisted": sorted(seen.unlisted("s", now - 20)),
        "counts": seen.counts("s", now),
        "count": seen.count("s"),
    }


def test_behaves_exactly_as_the_sqlite_store(frontier: str, tmp_path: Path) -> None:
    """A random mix of every operation, from three runs in turn, on both stores: same answers,
    same states."""
    rng = random.Random(7)
    urls = [f"http://site.test/page/{i}" for i in range(40)]
    kinds: list[PageKind] = ["listing", "detail", "detail", "post", "feed"]
    now = 1000.0
    for run in ("run1", "run2", "run3"):
        redis_store = store(frontier, run)
        sqlite_store = SqliteSeenStore(tmp_path / "seen.sqlite", run)
        for _ in range(400):
            now += rng.choice([0, 0.5, 3])
            url = rng.choice(urls)
            op: tuple[Any, ...] = rng.choice(
                [
                    ("claim", url, rng.choice(kinds), now, rng.random() < 0.15),
                    ("claim", url, rng.choice(kinds), now, False),
                    ("fetched", url, now, 200, now + rng.choice([5, 50, math.inf]), None),
                    ("fetched", url, now, 200, now + 10, rng.choice(kinds)),
                    ("failed", url, now, now + 7),
                    ("listed", rng.sample(urls, 3), now),
                    ("removed", url, now),
                ]
            )
            assert _apply(redis_store, op) == _apply(sqlite_store, op), op
        sqlite_store.flush()
        assert _snapshot(redis_store, urls, now) == _snapshot(sqlite_store, urls, now)
        assert redis_store.last_walk("s") == sqlite_store.last_walk("s")
        sqlite_store.close()
        redis_store.close()


# -- atomic claims and generations ----------------------------------------------------------


def test_two_processes_never_both_claim_a_url(frontier: str) -> None:
    urls = [f"http://site.test/ad/{i}" for i in range(1000)]
    generation = open_generation(frontier, "s")
    won: list[list[str]] = [[], []]
    start = threading.Barrier(2)

    def crawl(worker: int) -> None:
        seen = RedisSeenStore(frontier, generation.id)
        order = urls if worker == 0 else list(reversed(urls))
        start.wait()
        won[worker] = [u for u in order if seen.claim(u, "s", "detail", now=1, force=True)]

    threads = [threading.Thread(target=crawl, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won[0] + won[1]) == sorted(urls)  # every URL claimed, and only once
    assert won[0] and won[1]


def test_processes_started_together_join_one_generation(frontier: str) -> None:
    first = open_generation(frontier, "s")
    second = open_generation(frontier, "s")
    other_source = open_generation(frontier, "t")
    assert first.started and not second.started
    assert first.id == second.id != other_source.id
    first_store = RedisSeenStore(frontier, first.id)
    second_store = RedisSeenStore(frontier, second.id)
    assert first_store.claim(A, "s", "listing", now=1, force=True)
    assert not second_store.claim(A, "s", "listing", now=1, force=True)  # a start URL, once

    first.leave()
    assert second.heartbeat()  # one process left: the crawl goes on
    second.leave()
    # The last process left: the next crawl is a new generation, which reads the listing again.
    third = open_generation(frontier, "s")
    assert third.started and third.id != first.id
    assert RedisSeenStore(frontier, third.id).claim(A, "s", "listing", now=2, force=True)


def test_a_generation_whose_processes_died_ends_with_their_heartbeats(frontier: str) -> None:
    dead = open_generation(frontier, "s", ttl=0.2)
    killed = RedisSeenStore(frontier, dead.id)
    killed.claim(A, "s", "detail", now=1)  # then SIGKILL: no leave(), no fetched()
    time.sleep(0.3)  # the time its heartbeat would have kept it alive
    new = open_generation(frontier, "s")
    assert new.started and new.id != dead.id
    assert not dead.heartbeat()  # the silent process learns its generation is gone
    resumed = RedisSeenStore(frontier, new.id)
    assert list(resumed.pending("s")) == [A]
    assert resumed.claim(A, "s", "detail", now=2)


def test_a_running_process_keeps_its_generation_alive(frontier: str) -> None:
    running = open_generation(frontier, "s", ttl=0.3)
    running.keep_alive(every=0.05)  # a thread: however long the crawl itself blocks
    time.sleep(0.6)  # twice the time a silent process stays a member
    later = open_generation(frontier, "s")
    assert not later.started and later.id == running.id
    running.leave()
    assert later.heartbeat()
    later.leave()


def test_the_store_of_a_source_joins_and_leaves_its_generation(frontier: str) -> None:
    one = open_redis_seen_store(frontier, "s")
    two = open_redis_seen_store(frontier, "s")
    assert one.run_id == two.run_id
    assert one.claim(A, "s", "detail", now=1)
    assert not two.claim(A, "s", "detail", now=1)
    one.fetched(A, now=2, status=200, next_fetch=3)
    one.close()
    two.close()
    three = open_redis_seen_store(frontier, "s")
    assert three.run_id != one.run_id
    assert three.claim(A, "s", "detail", now=4)  # due, and a new crawl
    three.close()


def test_unreachable_frontier_says_what_to_do() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(FrontierUnavailable) as error:
        RedisSeenStore(f"redis://:hunter2@127.0.0.1:{port}/0", "run")
    message = str(error.value)
    assert f"cannot reach the frontier at redis://:***@127.0.0.1:{port}/0" in message
    assert "is redis-server running?" in message and "hunter2" not in message


# -- the request queue -------------------------------------------------------------------------


class QueueSpider(Spider):
    name = "ads"

    def parse(self, response: Any) -> None:
        pass

    def _ignore(self, failure: Any) -> None:  # private methods are callbacks too
        pass


def _request() -> Request:
    meta = render_meta(evidence=True)
    meta.update({"lurewatch_key": "http://site.test/ad/1", "depth": 2, "since": 1.5e9})
    return Request(
        "http://site.test/ad/1?x=é",
        callback=QueueSpider().parse,
        errback=QueueSpider()._ignore,
        meta=meta,
        headers={"Referer": "http://site.test/"},
        body=b"\x00\xff raw",
        priority=10,
        dont_filter=True,
        cb_kwargs={"pair": (1, "two"), "missing": math.inf},
    )


def test_serializer_round_trips_a_rendered_request_as_json() -> None:
    spider = QueueSpider()
    request = _request()
    payload = serializer.dumps(request.to_dict(spider=spider))
    json.loads(payload)  # plain JSON, no pickle
    back = request_from_dict(serializer.loads(payload), spider=spider)

    assert back.url == request.url and back.body == request.body
    assert back.headers.getlist("Referer") == [b"http://site.test/"]
    assert back.callback == spider.parse and back.errback == spider._ignore
    assert (back.priority, back.dont_filter) == (10, True)
    assert back.cb_kwargs == {"pair": (1, "two"), "missing": math.inf}
    page_method = back.meta["playwright_page_methods"]["lurewatch_capture"]
    assert isinstance(page_method, PageMethod)
    assert page_method.method is capture_page
    assert page_method.kwargs == request.meta["playwright_page_methods"]["lurewatch_capture"].kwargs
    plain = {k: v for k, v in request.meta.items() if k != "playwright_page_methods"}
    assert {k: v for k, v in back.meta.items() if k != "playwright_page_methods"} == plain


@pytest.mark.parametrize(
    ("tamper", "refused"),
    [
        (("crawlers.render.capture_page", "os.system"), "refusing function 'os.system'"),
        (("crawlers.render.capture_page", "crawlers.render.urlsplit"), "not a function defined"),
        (("crawlers.render.capture_page", "crawlers.render.PageMethod"), "not a function defined"),
        (("crawlers.render.prepare_page", "subprocess.getoutput"), "subprocess.getoutput"),
        (('"callback":"parse"', '"callback":"__init__"'), "not a spider method name"),
        (('"priority":10', '"priority":10,"_class":"os.system"'), "refusing request class"),
    ],
)
def test_serializer_refuses_a_tampered_payload(tamper: tuple[str, str], refused: str) -> None:
    payload = serializer.dumps(_request().to_dict(spider=QueueSpider())).decode()
    assert tamper[0] in payload
    with pytest.raises(serializer.SerializerError, match=refused):
        serializer.loads(payload.replace(*tamper))


def test_serializer_leaves_out_runtime_meta_and_refuses_other_objects(
    caplog: pytest.LogCaptureFixture,
) -> None:
    spider = QueueSpider()
    request = Request("http://site.test/", callback=spider.parse, meta={"browser": object()})
    with caplog.at_level(logging.WARNING):
        back = serializer.loads(serializer.dumps(request.to_dict(spider=spider)))
    assert "browser" not in back["meta"]
    assert "meta['browser'] is a object: left out of the shared request queue" in caplog.text
    with pytest.raises(serializer.SerializerError, match=r"cb_kwargs\['x'\] is a object"):
        serializer.dumps(
            Request("http://site.test/", cb_kwargs={"x": object()}).to_dict(spider=spider)
        )
    with pytest.raises(serializer.SerializerError, match="only module-level functions"):
        serializer.dumps(Request("http://site.test/", meta={"f": PageMethod(json.dumps)}).to_dict())


def _scheduler(frontier: str, source: str = "s", **extra: Any) -> tuple[SharedScheduler, Spider]:
    settings = frontier_scrapy_settings(Settings(frontier=frontier), source)
    crawler = get_crawler(QueueSpider, {**settings, **extra})
    scheduler = SharedScheduler.from_crawler(crawler)
    spider = QueueSpider()
    scheduler.open(spider)
    return scheduler, spider


def test_frontier_settings_only_with_a_frontier(frontier: str) -> None:
    assert frontier_scrapy_settings(Settings(), "s") == {}
    settings = frontier_scrapy_settings(Settings(frontier=frontier), "50% off")
    assert settings["SCHEDULER_QUEUE_KEY"] % {"spider": "ads"} == "lurewatch:s:50% off:requests"
    assert settings["SCHEDULER_SERIALIZER"] == "crawlers.frontier.serializer"
    assert settings["SCHEDULER_PERSIST"] is True and settings["REDIS_URL"] == frontier
    with pytest.raises(ValueError, match="only reads and writes JSON"):
        _scheduler(frontier, SCHEDULER_SERIALIZER="scrapy_redis.picklecompat")


def test_queue_is_shared_and_survives_a_killed_process(frontier: str) -> None:
    first, _ = _scheduler(frontier)
    second, _ = _scheduler(frontier)
    assert first.generation is not None and second.generation is not None
    assert first.generation.id == second.generation.id
    assert isinstance(first.df, NoDupeFilter)
    for i in range(3):
        request = _request().replace(url=f"http://site.test/ad/{i}", priority=i)
        assert first.enqueue_request(request.replace(dont_filter=False))  # nothing filtered
    # `first` is killed here (never closed): the queue stays for the processes still crawling.
    popped = [second.next_request() for _ in range(4)]
    assert [r.url if r else None for r in popped] == [
        "http://site.test/ad/2",  # highest priority first
        "http://site.test/ad/1",
        "http://site.test/ad/0",
        None,
    ]
    assert popped[0] is not None and popped[0].callback == second.spider.parse
    second.close("finished")


def test_a_new_generation_starts_with_an_empty_queue(frontier: str) -> None:
    old, _ = _scheduler(frontier)
    old.enqueue_request(_request())
    old.close("shutdown")  # left in the queue, and pending in the seen-store: resumed from there
    new, _ = _scheduler(frontier)
    assert len(new) == 0 and new.next_request() is None
    new.close("finished")


def test_a_bad_queue_entry_is_skipped(frontier: str, caplog: pytest.LogCaptureFixture) -> None:
    scheduler, _ = _scheduler(frontier)
    scheduler.enqueue_request(_request())
    tampered = b'{"v":1,"request":{"url":"x","_class":"os.system"}}'
    scheduler.server.zadd(scheduler.queue.key, {tampered: -99})  # pops first
    with caplog.at_level(logging.ERROR):
        request = scheduler.next_request()
    assert request is not None and request.url.startswith("http://site.test/ad/1")
    assert "skipped an entry of the shared queue" in caplog.text
    scheduler.close("finished")


def test_an_idle_process_waits_while_others_still_fetch(frontier: str) -> None:
    idle, _ = _scheduler(frontier)
    assert idle.generation is not None
    busy = RedisSeenStore(frontier, idle.generation.id)
    assert not idle.has_pending_requests()  # nothing queued, nothing being fetched: done
    busy.claim(A, "s", "listing", now=1)  # another process fetches a listing...
    assert idle.has_pending_requests()  # ...whose links may come: stay open
    busy.fetched(A, now=2, status=200, next_fetch=3)
    assert not idle.has_pending_requests()
    idle.close("finished")


def test_an_idle_process_stops_waiting_for_a_process_that_died(frontier: str) -> None:
    idle, _ = _scheduler(frontier, LUREWATCH_FRONTIER_IDLE_TIMEOUT=0.2)
    assert idle.generation is not None
    RedisSeenStore(frontier, idle.generation.id).claim(A, "s", "detail", now=1)  # then killed
    assert idle.has_pending_requests()
    time.sleep(0.3)  # no progress for longer than the idle timeout
    assert not idle.has_pending_requests()
    idle.close("finished")


# -- two crawl processes, one site -------------------------------------------------------------

ADS = 200
PER_PAGE = 20


def _write_site(root: Path) -> None:
    (root / "ads").mkdir(parents=True)
    (root / "robots.txt").write_text("User-agent: *\nDisallow:\n")
    pages = ADS // PER_PAGE
    for page in range(1, pages + 1):
        links = "\n".join(
            f'<li><a href="/ads/{n}.html">Job {n}</a></li>'
            for n in range((page - 1) * PER_PAGE, page * PER_PAGE)
        )
        following = f'<a rel="next" href="/page{page + 1}.html">Next</a>' if page < pages else ""
        name = "index.html" if page == 1 else f"page{page}.html"
        (root / name).write_text(
            f"<!DOCTYPE html><html><head><title>Jobs {page}</title></head><body>"
            f"<h1>Latest jobs</h1><ul>{links}</ul><p>{following}</p></body></html>"
        )
    for n in range(ADS):
        posting = {
            "@context": "https://schema.org",
            "@type": "JobPosting",
            "title": f"Warehouse job number {n}",
            "description": f"Packing and shipping work, job {n}, shifts on weekdays.",
            "datePosted": "2026-01-02",
            "hiringOrganization": {"@type": "Organization", "name": f"Employer {n}"},
        }
        (root / "ads" / f"{n}.html").write_text(
            f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Job {n}</title>'
            f'<script type="application/ld+json">{json.dumps(posting)}</script></head>'
            f"<body><h1>Warehouse job number {n}</h1></body></html>"
        )


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog is 5: two crawlers connecting at once on a loaded machine
    # could see connections dropped before the handler counts them.
    request_queue_size = 128


class CountingSite:
    """Counts requests per path. With ``crawlers=N``, ad pages are held back until N crawlers
    (told apart by their User-Agent) have asked for something: a crawler that starts late on
    a loaded machine would otherwise find the work done already."""

    def __init__(self, root: Path, delay: float, crawlers: int = 1) -> None:
        self.requests: Counter[str] = Counter()
        self.agents: set[str] = set()
        all_here = threading.Event()
        lock = threading.Lock()
        site = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                with lock:
                    site.requests[self.path] += 1
                    site.agents.add(self.headers.get("User-Agent", ""))
                    if len(site.agents) >= crawlers:
                        all_here.set()
                if self.path.endswith(".html") and self.path.startswith("/ads/"):
                    all_here.wait(timeout=120)
                time.sleep(delay)  # a real site's latency: both processes get a share
                super().do_GET()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), partial(Handler, directory=str(root)))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


CRAWL = """
import dataclasses, json, sys
from core.settings import Settings
from core.sources import Source
from crawlers.runner import run_crawl

settings = Settings()  # LUREWATCH_HOME and LUREWATCH_FRONTIER from the environment
source = Source(name="jobs", start_urls=[sys.argv[1] + "/"])
overrides = {
    "LUREWATCH_CLASSIFY": False,
    "LUREWATCH_PROGRESS": False,
    "LUREWATCH_INGEST_WORKER": False,  # the store pipeline in-process: no model needed
    "ITEM_PIPELINES": {
        "crawlers.pipelines.normalise.NormalisePipeline": 100,
        "index.pipelines.store.StorePipeline": 300,
    },
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
}
summary = run_crawl(settings, [source], scrapy_overrides=overrides)
print(json.dumps(dataclasses.asdict(summary)))
"""


@pytest.mark.slow
def test_two_crawl_processes_split_one_site(frontier: str, tmp_path: Path) -> None:
    _write_site(tmp_path / "site")
    site = CountingSite(tmp_path / "site", delay=0.02, crawlers=2)
    home = tmp_path / "home"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LUREWATCH_")},
        "LUREWATCH_HOME": str(home),
        "LUREWATCH_FRONTIER": frontier,
        "PYTHONPATH": str(REPO),
    }
    command = [sys.executable, "-W", "error", "-c", CRAWL, site.url]
    # The case store exists before the crawlers start. (Two processes creating its tables at the
    # same moment on a fresh home race: index.store's schema creation is not safe for that.)
    Store(Settings(home=home)).close()
    try:
        crawls = [
            subprocess.Popen(
                command,
                cwd=tmp_path,
                env={**env, "LUREWATCH_USER_AGENT": f"LureWatchTest/{number}"},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for number in range(2)
        ]
        outputs = [crawl.communicate(timeout=240) for crawl in crawls]
    finally:
        site.close()
    for crawl, (_, stderr) in zip(crawls, outputs, strict=True):
        assert crawl.returncode == 0, stderr[-3000:]
    summaries = [json.loads(stdout.strip().splitlines()[-1]) for stdout, _ in outputs]

    # Every page fetched once in all (robots.txt is read by each process for itself).
    fetched = {path: count for path, count in site.requests.items() if path != "/robots.txt"}
    missing = sorted({f"/ads/{n}.html" for n in range(ADS)} - set(fetched))
    # What the crawls said, should this fail again (it failed once in a full run, under load).
    said = [
        [
            line
            for line in stderr.splitlines()
            if any(word in line for word in (" ERROR", " WARNING", "Traceback", "Exception in"))
        ][-20:]
        for _, stderr in outputs
    ]
    assert not missing, f"{len(missing)} ads never fetched: {missing[:10]}; {summaries}; {said}"
    assert [path for path, count in fetched.items() if count > 1] == []
    found = [summary["ads_found"] for summary in summaries]
    assert sum(found) == ADS and min(found) > 0, found  # both did a share of the ads
    assert sum(summary["ads_new"] for summary in summaries) == ADS  # each ad stored once

    stored = Store(Settings(home=home))
    try:
        ads = list(stored.iter_stored())
        assert stored.count() == ADS == len({stored_ad.ad.url for stored_ad in ads})
        assert {stored_ad.versions for stored_ad in ads} == {1}
    finally:
        stored.close()
