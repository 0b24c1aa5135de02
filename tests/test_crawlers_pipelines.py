"""The crawler's item pipelines: normalise (always on) and classify (switchable)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from core.ad import Ad, AdRemoved, Capture
from core.settings import Settings
from core.urls import ad_id
from crawlers.logformatter import LureLogFormatter
from crawlers.pipelines.classify import ClassifyPipeline
from crawlers.pipelines.normalise import NormalisePipeline
from crawlers.spiders.ads import AdsSpider


def crawler_with(settings: Settings, **scrapy_settings: object) -> Crawler:
    return get_crawler(AdsSpider, {"LUREWATCH_SETTINGS": settings, **scrapy_settings})


def test_normalise_cleans_caps_and_canonicalises(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, max_ad_chars=60)
    pipeline = build_from_crawler(NormalisePipeline, crawler_with(settings))
    ad = Ad(
        id="stale",
        url="HTTP://127.0.0.1:8000/ads/1.html?utm_campaign=x&fbclid=y#top",
        site="s",
        title="  Free\u200b visa\u202e  and   flight \n",
        text="Line one\u200b   with  spaces.\n\n\n\nLine two " + "x" * 200,
        employer=" Acme\x07 Ltd ",
    )
    out = pipeline.process_item(ad)
    assert out.url == "http://127.0.0.1:8000/ads/1.html"
    assert out.id == ad_id(out.url)
    assert out.title == "Free visa and flight"
    assert out.text.startswith("Line one with spaces.\n\nLine two ")
    assert len(out.text) <= 60
    assert out.employer == "Acme Ltd"


@pytest.mark.parametrize("text", ["", "   \n\t ", "\u200b\u200d\ufeff"])
def test_normalise_drops_ads_without_text(settings: Settings, text: str) -> None:
    pipeline = build_from_crawler(NormalisePipeline, crawler_with(settings))
    ad = Ad(id="x", url="http://127.0.0.1:8000/ads/2.html", site="s", title="T", text=text)
    with pytest.raises(DropItem, match=r"no text in ad http://127.0.0.1:8000/ads/2.html"):
        pipeline.process_item(ad)


def test_dropped_ads_are_logged_on_one_line_without_their_content(settings: Settings) -> None:
    crawler = crawler_with(settings)
    crawler.spider = AdsSpider.from_crawler(crawler, urls="http://127.0.0.1:8000/")
    ad = Ad(id="x", url="http://127.0.0.1:8000/ads/3.html", site="s", text="SECRET " * 1000)
    entry = LureLogFormatter().dropped(ad, DropItem("no text in ad X"), None, crawler.spider)
    message = entry["msg"] % entry["args"]
    assert message == "Dropped: no text in ad X"
    assert entry["level"] in (logging.WARNING, "WARNING")


def removal() -> AdRemoved:
    return AdRemoved(
        id="kept-id",
        url="HTTP://127.0.0.1:8000/ads/9.html?utm_source=x",
        site="s",
        removed_at="2026-11-05T10:00:00+00:00",
        reason="http 410",
        http_status=410,
        captures=[Capture("warc", "f" * 64, "ff/x.warc.gz", 10)],
    )


def test_removals_pass_normalise_and_classify_untouched(settings: Settings) -> None:
    crawler = crawler_with(settings)
    normalise = build_from_crawler(NormalisePipeline, crawler)
    # Not opened: a removal must not need (nor load) the classifier.
    classify = build_from_crawler(ClassifyPipeline, crawler)
    item = removal()
    assert asyncio.run(classify.process_item(normalise.process_item(item))) is item
    assert item == removal()
    assert crawler.stats is not None
    assert crawler.stats.get_value("lurewatch/ads_classified") is None


def test_classify_switches_off_with_lurewatch_classify_false(settings: Settings) -> None:
    with pytest.raises(NotConfigured, match="LUREWATCH_CLASSIFY"):
        build_from_crawler(ClassifyPipeline, crawler_with(settings, LUREWATCH_CLASSIFY=False))


@pytest.mark.slow
def test_classify_scores_ads_and_counts_them(request: pytest.FixtureRequest) -> None:
    settings: Settings = request.getfixturevalue("trained_settings")
    crawler = crawler_with(settings)
    pipeline = build_from_crawler(ClassifyPipeline, crawler)
    asyncio.run(pipeline.open_spider())
    lure = Ad(
        id="a",
        url="http://127.0.0.1:8000/ads/1.html",
        site="s",
        title="Hostesses wanted abroad",
        text="Pretty girls 18-22 wanted for a club abroad. We pay your flight and visa, you repay"
        " from your earnings. Give your passport to our agent. Keep this secret, WhatsApp only.",
    )
    plain = Ad(
        id="b",
        url="http://127.0.0.1:8000/ads/2.html",
        site="s",
        title="Accountant",
        text="Accounting firm in Kingston hiring a qualified accountant. Salary per collective"
        " agreement, written contract, apply with CV and references at our office.",
    )
    calls: list[int] = []
    assert pipeline.classifier is not None
    classify_many = pipeline.classifier.classify_many

    def counting(ads: Any) -> Any:
        calls.append(len(ads))
        return classify_many(ads)

    pipeline.classifier.classify_many = counting  # type: ignore[method-assign]

    async def score_together() -> None:
        await asyncio.gather(*(pipeline.process_item(ad) for ad in (lure, plain)))

    asyncio.run(score_together())
    assert calls == [2]  # ads that arrive together are scored in one batch
    for ad in (lure, plain):
        assert ad.lure_score is not None and 0.0 <= ad.lure_score <= 1.0
        assert ad.model_version and ad.lang
    assert lure.flagged and lure.indicators and not plain.flagged
    assert crawler.stats is not None
    assert crawler.stats.get_value("lurewatch/ads_classified") == 2
    assert crawler.stats.get_value("lurewatch/ads_flagged") == 1
