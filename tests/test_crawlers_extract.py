"""Extraction from saved pages: each kind of markup, pages that are not ads, hostile content."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from parsel import Selector

from core.sources import Selectors
from crawlers.extract import AdFields, extract_ad
from crawlers.extract.fields import MAX_ITEMS, MAX_STRING, bounded
from crawlers.extract.jsonld import extract_jsonld

PAGES = Path(__file__).resolve().parent / "pages"
URL = "http://127.0.0.1:8000/ads/page.html"


def page(name: str) -> Selector:
    return Selector(text=(PAGES / name).read_text(encoding="utf-8"))


def extract(name: str, selectors: Selectors | None = None) -> AdFields | None:
    return extract_ad(page(name), URL, selectors)


def test_extract_jsonld_jobposting_with_html_description() -> None:
    ad = extract("jsonld_detail.html")
    assert ad is not None and ad.extraction == "jsonld"
    assert ad.title == "Hotel hostess wanted abroad & bar staff"
    assert ad.employer == "Golden Star Placement"
    assert ad.location == "Lisbon, PT"
    assert ad.salary == "USD 2500-4000 per month"
    assert ad.date_posted == "2025-03-02"
    assert ad.text.startswith("A new hotel in Europe is looking for young hostesses.")
    assert "Free flight and visa arranged by our agent" in ad.text
    assert "Send a copy of your passport by WhatsApp" in ad.text
    # Markup is gone, the description's own script is dropped, an escaped tag stays as text.
    assert "<p>" not in ad.text and "<li>" not in ad.text
    assert "DESC-SCRIPT-MARKER" not in ad.text
    assert "Questions about <script> tags in your CV are welcome." in ad.text
    # Nothing from the page's own scripts and styles.
    assert "SCRIPT-MARKER-JSONLD" not in ad.text and "STYLE-MARKER-JSONLD" not in ad.text
    assert ad.structured["@type"] == "JobPosting"
    assert ad.structured["hiringOrganization"]["name"] == "Golden Star Placement"


def test_extract_jsonld_inside_graph() -> None:
    ad = extract("jsonld_graph.html")
    assert ad is not None and ad.extraction == "jsonld"
    assert ad.title == "Seasonal farm workers for fruit picking"  # "name" when there is no title
    assert ad.employer == "Green Valley Growers"
    assert ad.location == "Ontario, Canada"
    assert ad.salary == "15 CAD per hour"
    assert "Your documents will be kept safe by the supervisor" in ad.text
    assert ad.structured["@id"] == "https://jobs.example/ads/77#job"


def test_extract_skips_malformed_jsonld_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="crawlers"):
        ad = extract("jsonld_malformed.html")
    # The broken script is skipped and the page is still read, from its plain text.
    assert ad is not None and ad.extraction == "heuristic"
    assert ad.title == "Delivery drivers needed in the capital"
    assert "A company van is provided" in ad.text
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "malformed JSON-LD" in warnings[0].getMessage() and URL in warnings[0].getMessage()


@pytest.mark.parametrize(
    "script",
    [
        "[" * 100_000 + "]" * 100_000,  # deeper than the JSON parser's recursion limit
        '{"@type": "JobPosting", "title": "x" ',  # cut short
        "<!-- -->",
    ],
)
def test_extract_jsonld_survives_hostile_scripts(script: str) -> None:
    html = f'<html><head><script type="application/ld+json">{script}</script></head></html>'
    assert extract_jsonld(Selector(text=html), URL) is None


def test_extract_jsonld_plain_description_keeps_literal_tags() -> None:
    posting = {
        "@type": "JobPosting",
        "title": "Support agent",
        "description": "Never paste <script> into the chat window & never share passwords.",
    }
    html = (
        '<html><head><script type="application/ld+json">'
        + json.dumps(posting)
        + "</script></head><body></body></html>"
    )
    ad = extract_jsonld(Selector(text=html), URL)
    assert ad is not None
    assert ad.text == "Never paste <script> into the chat window & never share passwords."


def test_extract_jsonld_listing_of_postings_is_not_an_ad() -> None:
    assert extract("jsonld_listing.html") is None


def test_extract_jsonld_picks_the_posting_of_this_page_among_several() -> None:
    html = (PAGES / "jsonld_listing.html").read_text(encoding="utf-8")
    ad = extract_jsonld(Selector(text=html), "http://127.0.0.1:8000/ads/2.html?utm_source=x")
    assert ad is not None and ad.title == "Cleaner"


def test_extract_jsonld_posting_url_that_is_no_url_is_not_fatal() -> None:
    postings = [
        {"@type": "JobPosting", "title": "Bogus", "url": "http://[::1", "description": "x"},
        {"@type": "JobPosting", "title": "Cook", "url": "/ads/page.html", "description": "y"},
    ]
    html = f'<script type="application/ld+json">{json.dumps(postings)}</script>'
    ad = extract_jsonld(Selector(text=html), URL)
    assert ad is not None and ad.title == "Cook"


def test_extract_microdata_jobposting() -> None:
    ad = extract("microdata_detail.html")
    assert ad is not None and ad.extraction == "microdata"
    assert ad.title == "Live-in nanny for a family overseas"
    assert ad.employer == "Sunrise Domestic Agency"
    assert ad.location == "Dubai, AE"
    assert ad.salary == "USD 900"
    assert ad.date_posted == "2025-04-18"
    assert ad.text.startswith("A kind family needs a nanny for two children.")
    assert "Only women between 18 and 30." in ad.text
    assert "MICRODATA-SCRIPT-MARKER" not in ad.text and "MICRODATA-STYLE-MARKER" not in ad.text
    assert ad.structured["@type"] == "https://schema.org/JobPosting"
    assert ad.structured["hiringOrganization"]["name"] == "Sunrise Domestic Agency"


def test_extract_plain_page_by_heuristics() -> None:
    ad = extract("plain_detail.html")
    assert ad is not None and ad.extraction == "heuristic"
    # The article's heading, not the site's logo heading in the page header.
    assert ad.title == "Models wanted for promotional work in Panama"
    assert ad.employer == "Elite Events Group"
    assert ad.location == "Panama City"
    assert ad.salary == "Up to 3000 USD a month"
    assert ad.date_posted == "2025-06-01"
    assert "attractive young women to work as promotional models" in ad.text
    assert ad.text.rstrip().endswith("a copy of your passport to our recruiter on WhatsApp.")
    # Page furniture, related-ad links, hidden text and scripts are not part of the ad.
    for absent in (
        "Caribbean Classifieds",
        "Related ads",
        "Dancers for a cruise ship",
        "Terms",
        "HIDDEN-TEXT-MARKER",
        "PLAIN-SCRIPT-MARKER",
        "PLAIN-STYLE-MARKER",
    ):
        assert absent not in ad.text, absent
    assert ad.structured == {}


@pytest.mark.parametrize("name", ["listing.html", "listing_cards.html", "index.html"])
def test_extract_listing_and_index_pages_are_not_ads(name: str) -> None:
    assert extract(name) is None


def test_extract_last_page_of_a_listing_is_not_an_ad() -> None:
    html = (PAGES / "listing.html").read_text(encoding="utf-8")
    # Only two cards left, as on the last page of a listing, and a link back to the previous page.
    for n in (3, 4):
        start = html.index(f'<article class="card"><h2><a href="/ads/{n}.html">')
        html = html[:start] + html[html.index("</article>", start) + len("</article>") :]
    html = html.replace(
        '<a href="/jobs/page2.html">Next page</a>', '<a rel="prev" href="/jobs/">Back</a>'
    )
    assert extract_ad(Selector(text=html), URL) is None


def test_extract_site_pages_are_not_ads_even_with_prose() -> None:
    html = (PAGES / "jsonld_malformed.html").read_text(encoding="utf-8")
    assert extract_ad(Selector(text=html), "http://127.0.0.1:8000/about.html") is None


def test_extract_configured_selectors() -> None:
    selectors = Selectors(
        title=".posting-title", text=".posting-body", salary=".pay", location=".where"
    )
    ad = extract("selectors_detail.html", selectors)
    assert ad is not None and ad.extraction == "selectors"
    assert ad.title == "Cleaners for hotels in the Bahamas"
    assert ad.salary == "500 USD per week"
    assert ad.location == "Nassau"
    assert "Flights are advanced by the company and deducted from wages." in ad.text
    assert "QuickAds" not in ad.text
    # Without the selectors the page has no heading: nothing to go on.
    assert extract("selectors_detail.html") is None


def test_extract_selectors_text_strings() -> None:
    selectors = Selectors(text=".posting-body span::text", title=".posting-title::text")
    ad = extract("selectors_detail.html", selectors)
    assert ad is not None
    assert ad.title == "Cleaners for hotels in the Bahamas"
    assert ad.text.splitlines()[0] == "Hotel group needs cleaners for rooms and laundry."


def test_extract_literal_script_stays_text_and_page_scripts_never_are() -> None:
    ad = extract("script_literal.html")
    assert ad is not None and ad.extraction == "heuristic"
    assert "a comment like <script>alert(1)</script> typed into a form" in ad.text
    for marker in ("LITERAL-SCRIPT-MARKER", "LITERAL-STYLE-MARKER", "INLINE-SCRIPT-MARKER"):
        assert marker not in ad.text
    assert "NOSCRIPT-MARKER" not in ad.text


def test_extract_jsonld_without_description_takes_text_from_the_page() -> None:
    posting = {"@type": "JobPosting", "title": "Kitchen porter", "hiringOrganization": "Bay Diner"}
    body = (PAGES / "jsonld_malformed.html").read_text(encoding="utf-8").split("<body>")[1]
    html = (
        '<html><head><script type="application/ld+json">'
        + json.dumps(posting)
        + f"</script></head><body>{body}"
    )
    ad = extract_ad(Selector(text=html), URL)
    assert ad is not None and ad.extraction == "jsonld"
    assert ad.title == "Kitchen porter" and ad.employer == "Bay Diner"
    assert "Our courier company is growing" in ad.text


def test_bounded_caps_structured_data() -> None:
    huge = {"description": "x" * (MAX_STRING * 3), "list": list(range(1000)), "deep": {}}
    node = huge["deep"]
    for _ in range(50):
        node["next"] = {}
        node = node["next"]
    capped = bounded(huge)
    assert len(capped["description"]) == MAX_STRING
    assert len(capped["list"]) == MAX_ITEMS
    assert len(json.dumps(capped)) < 10_000
    json.dumps(capped)  # always JSON-safe
