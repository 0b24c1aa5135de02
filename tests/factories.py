"""Hand-written ads for tests that need stored data without running a crawl."""

from __future__ import annotations

from core.ad import Ad, Capture, Evidence, Indicator
from core.urls import ad_id


def make_ad(url: str, title: str, text: str, **fields: object) -> Ad:
    ad = Ad(id=ad_id(url), url=url, site="test-site", title=title, text=text)
    ad.fetched_at = "2026-11-01T10:00:00+00:00"
    for name, value in fields.items():
        setattr(ad, name, value)
    return ad


def fetched(ad: Ad, when: str, *captures: Capture) -> Ad:
    """A copy of ``ad`` as fetched again at ``when``, with these captures."""
    copy = Ad.from_dict(ad.to_dict())
    copy.fetched_at = when
    copy.captures = list(captures)
    return copy


def lure_ad(url: str = "http://127.0.0.1:9/ad/1") -> Ad:
    text = (
        "Pretty girls 18-25 wanted for hostess work in Dubai. Visa and flight paid. WhatsApp only."
    )
    start = text.index("Visa and flight paid")
    return make_ad(
        url,
        "Hostess work abroad",
        text,
        lang="en",
        lure_score=0.93,
        flagged=True,
        model_version="test-1",
        indicators=[
            Indicator(
                code="travel_paid_abroad",
                label="Travel paid for work abroad",
                evidence=[Evidence(text="Visa and flight paid", start=start, end=start + 20)],
            )
        ],
    )
