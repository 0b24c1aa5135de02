"""The run log extension: a run per crawl of a source, failed pages with their kind, and failures
resolved when the page answers again. On a fake crawler, and in a real crawl of a local site
where one page answers 500 and one never answers in time."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    NotConfigured,
)
from scrapy.http import HtmlResponse
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.test import get_crawler

from core.settings import Settings
from core.sources import Source
from crawlers.config import SETTINGS_KEY
from crawlers.downloadermiddlewares.failures import FailedPageReporter
from crawlers.extensions.errorstats import ErrorStats
from crawlers.extensions.runlog import RunLogExtension
from crawlers.signals import page_failed
from crawlers.state.runs import RunLog
from tests.scripted_site import Page, links, scrapy_crawl, serve


class SourceSpider(Spider):
    name = "ads"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.source = Source(name="island", start_urls=["http://a.example/"])
        self.run_id = f"spider-{uuid.uuid4().hex[:8]}"

    def parse(self, response: object) -> None:
        pass


def fake_crawl(settings: Settings) -> tuple[RunLogExtension, SourceSpider]:
    crawler = get_crawler(SourceSpider, {SETTINGS_KEY: settings, "LUREWATCH_RUNLOG_INTERVAL": 0})
    spider = SourceSpider()
    crawler.spider = spider
    ext = RunLogExtension.from_crawler(crawler)
    # Signal receivers are weak references: keep the other extension alive with this one.
    ext.error_stats = ErrorStats.from_crawler(crawler)  # type: ignore[attr-defined]
    ext.spider_opened(spider)
    return ext, spider


def ok(url: str, status: int = 200, callback: object = None) -> tuple[HtmlResponse, Request]:
    request = Request(url, callback=callback)  # type: ignore[arg-type]
    return HtmlResponse(url, status=status, request=request), request


def test_a_run_takes_the_spiders_id_and_records_failures_once(settings: Settings) -> None:
    ext, spider = fake_crawl(settings)
    stats = ext.crawler.stats
    assert stats is not None
    run_id = spider.run_id
    assert run_id.startswith("spider-")
    assert stats.get_value("lurewatch/run_id") == run_id

    signals = ext.crawler.signals
    signals.send_catch_log(
        page_failed, url="http://a.example/1", kind="http-500", reason="HTTP 500"
    )
    # The spider's errback reports it again, with its own words: still one failure.
    signals.send_catch_log(page_failed, url="http://a.example/1", kind="other", reason="HttpError")
    signals.send_catch_log(page_failed, url="http://a.example/2", kind="timeout", reason="slow")
    stats.inc_value("lurewatch/pages_fetched", 3)
    ext.spider_closed(spider, "finished")

    runs = RunLog(settings)
    try:
        run = runs.get_run(run_id)
        pages = {p.url: (p.kind, p.attempts) for p in runs.failed("island")}
    finally:
        runs.close()
    assert run is not None and run.state == "finished" and run.source == "island"
    assert run.stats["errors_by_kind"] == {"http-500": 1, "timeout": 1}
    assert run.stats["pages_fetched"] == 3
    assert pages == {"http://a.example/1": ("http-500", 1), "http://a.example/2": ("timeout", 1)}


def test_a_page_that_answers_again_is_resolved(settings: Settings) -> None:
    ext, spider = fake_crawl(settings)
    ext.crawler.signals.send_catch_log(
        page_failed, url="http://a.example/1", kind="timeout", reason="slow"
    )
    ext.crawler.signals.send_catch_log(
        page_failed, url="http://a.example/2", kind="timeout", reason="slow"
    )
    ext.spider_closed(spider, "finished")

    # The next run: the first page answers, the second still fails (a 503, not resolved).
    ext, spider = fake_crawl(settings)
    ext.response_received(*ok("http://a.example/2", status=503))
    response, request = ok("http://a.example/1?utm_source=feed")
    ext.response_received(response, request)
    robots, robots_request = ok("http://a.example/2", callback=NO_CALLBACK)
    ext.response_received(robots, robots_request)  # not a page of the spider
    ext.spider_closed(spider, "finished")

    runs = RunLog(settings)
    try:
        assert [p.url for p in runs.failed("island")] == ["http://a.example/2"]
    finally:
        runs.close()


def test_off_with_the_setting(settings: Settings) -> None:
    crawler = get_crawler(SourceSpider, {SETTINGS_KEY: settings, "LUREWATCH_RUNLOG": False})
    with pytest.raises(NotConfigured):
        RunLogExtension.from_crawler(crawler)


@pytest.mark.slow
def test_a_crawl_records_a_500_and_a_timeout_and_status_shows_them(settings: Settings) -> None:
    routes = {
        "/": Page(links("/ok.html", "/broken.html", "/slow.html")),
        "/ok.html": Page("<html><body><p>fine</p></body></html>"),
        "/broken.html": Page("<h1>oops</h1>", status=500),
        "/slow.html": Page("late", delay=4),
    }
    with serve(routes) as site:
        began = time.monotonic()
        result = scrapy_crawl(
            settings.home_dir,
            f"{site.url}/",
            {"DOWNLOAD_TIMEOUT": 1, "RETRY_TIMES": 1, "LUREWATCH_RETRY_BACKOFF": 0.1},
        )
        assert time.monotonic() - began < 90
    assert result.returncode == 0, result.stderr[-3000:]
    assert site.paths().count("/broken.html") == 2  # one retry

    runs = RunLog(settings)
    try:
        [run] = runs.recent_runs()
        failed = {p.url.removeprefix(site.url): p for p in runs.failed()}
    finally:
        runs.close()
    assert run.state == "finished"
    assert run.source == "127-0-0-1-" + site.url.rsplit(":", 1)[1]
    assert run.stats["errors_by_kind"] == {"http-500": 1, "timeout": 1}
    assert run.stats["pages_fetched"] >= 2 and run.stats["bytes"] > 0
    assert sorted(failed) == ["/broken.html", "/slow.html"]
    assert (failed["/broken.html"].kind, failed["/broken.html"].reason) == ("http-500", "HTTP 500")
    assert failed["/slow.html"].kind == "timeout"
    assert "1" in failed["/slow.html"].reason  # "took longer than 1.0 seconds"

    from tests.test_cli_status import lurewatch

    shown = lurewatch(settings, "status", "--json")
    assert shown.returncode == 0, shown.stderr
    [mine] = [s for s in json.loads(shown.stdout)["sources"] if s["source"] == run.source]
    assert mine["last_run"]["stats"]["errors_by_kind"] == {"http-500": 1, "timeout": 1}
    assert mine["unresolved_failures"] == 2
    listed = lurewatch(settings, "status", "--failed")
    assert listed.returncode == 0, listed.stderr
    assert "http-500" in listed.stdout and "timeout" in listed.stdout
    assert "broken.html" in listed.stdout


def test_page_keys_survive_bad_urls(settings: Settings) -> None:
    ext, spider = fake_crawl(settings)
    ext.crawler.signals.send_catch_log(
        page_failed, url="http://a.example:99999/x", kind="other", reason="bad port"
    )
    ext.spider_closed(spider, "finished")
    runs = RunLog(settings)
    try:
        assert [p.url for p in runs.failed()] == ["http://a.example:99999/x"]
    finally:
        runs.close()


def test_stats_are_written_while_the_crawl_runs(settings: Settings) -> None:
    ext, spider = fake_crawl(settings)
    assert ext.crawler.stats is not None
    ext.crawler.stats.inc_value("lurewatch/pages_fetched", 4)
    ext._flush()  # what the looping call does every LUREWATCH_RUNLOG_INTERVAL seconds
    runs = RunLog(settings)
    try:
        run = runs.get_run(spider.run_id)
    finally:
        runs.close()
    assert run is not None and run.finished_at is None
    assert run.stats["pages_fetched"] == 4
    ext.spider_closed(spider, "shutdown")


def reported(status: int | None = None, error: Exception | None = None, **request: Any) -> list:
    crawler = get_crawler(SourceSpider)
    got: list[tuple[str, str]] = []

    def receiver(url: str, kind: str, reason: str) -> None:
        got.append((kind, reason))

    crawler.signals.connect(receiver, signal=page_failed)
    mw = FailedPageReporter.from_crawler(crawler)
    req = Request("http://a.example/page", **request)
    if status is not None:
        mw.process_response(req, HtmlResponse(req.url, status=status, request=req))
    if error is not None:
        mw.process_exception(req, error)
    return got


def test_the_downloader_reports_what_finally_failed() -> None:
    assert reported(500) == [("http-500", "HTTP 500")]
    assert reported(429) == [("http-429", "HTTP 429")]
    assert reported(200) == reported(404) == reported(410) == []  # 404/410: takedowns
    assert reported(500, callback=NO_CALLBACK) == []  # robots.txt
    assert reported(error=IgnoreRequest("Forbidden by robots.txt")) == []
    [(kind, reason)] = reported(error=CannotResolveHostError("no.such.host"))
    assert kind == "dns" and "no.such.host" in reason
    [(kind, _)] = reported(error=DownloadTimeoutError("Getting x took longer than 1.0 seconds."))
    assert kind == "timeout"
    [(kind, _)] = reported(error=DownloadConnectionRefusedError())
    assert kind == "connection"
