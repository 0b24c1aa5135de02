from __future__ import annotations

from core.urls import MAX_CACHED_URL_CHARS, ad_id, canonical_url, url_cache


def test_canonical_url_drops_tracking_but_keeps_ad_parameters() -> None:
    url = "HTTP://Example.COM:80/jobs/ad.html?utm_source=fb&id=42&refno=7&fbclid=x#apply"
    assert canonical_url(url) == "http://example.com/jobs/ad.html?id=42&refno=7"


def test_ad_id_is_stable_across_recrawls_of_the_same_ad() -> None:
    assert ad_id("http://127.0.0.1:8631/a?id=1&utm_medium=x") == ad_id(
        "http://127.0.0.1:8631/a?id=1"
    )
    assert ad_id("http://127.0.0.1:8631/a?id=1") != ad_id("http://127.0.0.1:8631/a?id=2")
    assert ad_id("http://127.0.0.1:8631/a") != ad_id("http://127.0.0.1:8632/a")


def test_url_cache_keeps_short_urls_and_never_long_ones() -> None:
    calls: list[str] = []

    @url_cache(maxsize=4)
    def length(url: str) -> int:
        calls.append(url)
        return len(url)

    short, long = "http://127.0.0.1/a", "http://127.0.0.1/" + "x" * MAX_CACHED_URL_CHARS
    assert [length(short), length(short)] == [len(short)] * 2
    assert [length(long), length(long)] == [len(long)] * 2
    # The short one was computed once and kept; the long one, megabytes on a hostile page,
    # is computed each time and never held.
    assert calls == [short, long, long]
