"""The demo sites in Debian's Chromium: the job board renders its ads, hostile text stays text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Dialog, Page, sync_playwright

from crawlers.config import CHROMIUM_ARGS
from demosites import DemoSites
from demosites.testing import write_sample_seed

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSites]:
    seed = write_sample_seed(tmp_path_factory.mktemp("seed"), per_language=80)
    with DemoSites(seed_dir=seed) as running:
        yield running


@pytest.fixture(scope="module")
def page(sites: DemoSites) -> Iterator[Page]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()


def _jsonld(page: Page) -> list[dict[str, object]]:
    blocks = page.eval_on_selector_all(
        'script[type="application/ld+json"]', "nodes => nodes.map(n => n.textContent)"
    )
    return [json.loads(block) for block in blocks]


def test_jobboard_renders_listing_and_ads_in_chromium(sites: DemoSites, page: Page) -> None:
    p = page
    board = [ad for ad in sites.catalogue if ad.site == "jobboard"]
    p.goto(sites.base_url + "/jobboard/?page=2")
    p.wait_for_selector('#app[data-state="ready"]')
    hrefs = p.eval_on_selector_all("a.job-link", "nodes => nodes.map(n => n.getAttribute('href'))")
    assert len(hrefs) == 10 and set(hrefs) <= {ad.path for ad in board}
    assert p.get_attribute("a[rel=next]", "href") == "/jobboard/?page=3"
    first = next(ad for ad in board if ad.path == hrefs[0])
    assert p.inner_text("a.job-link >> nth=0") == first.title

    for markup in ("js-jsonld", "js"):
        ad = next(a for a in board if a.markup == markup)
        p.goto(sites.url(ad))
        p.wait_for_selector('#app[data-state="ready"]')
        assert p.inner_text("h1") == ad.title
        assert ad.text.split("\n")[0][:60] in p.inner_text(".job-description")
        postings = _jsonld(p)
        if markup == "js-jsonld":
            assert [(x["@type"], x["title"]) for x in postings] == [("JobPosting", ad.title)]
        else:
            assert postings == []


def test_hostile_payload_never_runs_in_chromium(sites: DemoSites, page: Page) -> None:
    p = page
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    p.on("dialog", record)
    for ad in (a for a in sites.catalogue if a.hostile):
        p.goto(sites.url(ad))
        assert p.title() != "pwned"
        assert p.title().startswith(ad.title)
        assert "<script>document.title='pwned'</script>" in p.inner_text(".listing-body")
        assert p.query_selector(".listing-body img") is None
    assert dialogs == []
