from __future__ import annotations

from core.urls import ad_id, canonical_url


def test_canonical_url_drops_tracking_but_keeps_ad_parameters() -> None:
    url = "HTTP://Example.COM:80/jobs/ad.html?utm_source=fb&id=42&refno=7&fbclid=x#apply"
    assert canonical_url(url) == "http://example.com/jobs/ad.html?id=42&refno=7"


def test_ad_id_is_stable_across_recrawls_of_the_same_ad() -> None:
    assert ad_id("http://127.0.0.1:8631/a?id=1&utm_medium=x") == ad_id(
        "http://127.0.0.1:8631/a?id=1"
    )
    assert ad_id("http://127.0.0.1:8631/a?id=1") != ad_id("http://127.0.0.1:8631/a?id=2")
    assert ad_id("http://127.0.0.1:8631/a") != ad_id("http://127.0.0.1:8632/a")
