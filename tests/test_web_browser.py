"""A reviewer's path through the app in Debian's Chromium: log in, search, read an ad, and
meet a hostile ad whose markup must stay text."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, expect, sync_playwright

from crawlers.config import CHROMIUM_ARGS
from tests.test_web_app import (
    ADS,
    HOSTILE_IMG,
    HOSTILE_SCRIPT,
    HOSTILE_TEXT,
    LURE_TITLE,
    PASSWORD,
    fill_home,
)
from web.app import create_app
from web.users import add_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = fill_home(tmp_path_factory.mktemp("home"), list(ADS.values()))
    add_user(settings, "rita", "reviewer", PASSWORD)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(settings), log_level="warning", ws="none", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)
    sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"Debian Chromium is needed at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A page with every dialog and console error recorded."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("console", self._console)

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, message: ConsoleMessage) -> None:
        # CSP violations are reported here too: none may happen on our own pages.
        if message.type == "error":
            self.errors.append(message.text)


@pytest.fixture
def watched(browser: Browser, base_url: str) -> Iterator[Watched]:
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield Watched(page)
    context.close()


def log_in(page: Page) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
    page.get_by_label("User name").fill("rita")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Signed in as")).to_be_visible()


def test_search_and_read_a_flagged_ad(watched: Watched, base_url: str) -> None:
    page = watched.page
    log_in(page)
    expect(page).to_have_url(f"{base_url}/")

    # "/" jumps to the search box from anywhere on the page.
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("/")
    expect(page.get_by_label("Search ads")).to_be_focused()
    page.keyboard.type("passport")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="1 ad matches")).to_be_visible()
    expect(page.locator(".snippet mark")).to_have_text(["passport"])
    expect(page.locator(".hit .badge-flagged")).to_have_text("Flagged")
    expect(page.locator(".hit .chip", has_text="document retention")).to_be_visible()

    page.get_by_role("link", name=LURE_TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(LURE_TITLE)
    lure = ADS["lure"]
    for indicator in lure.indicators:
        expect(page.locator(".indicator-label", has_text=indicator.label)).to_be_visible()
    marks = page.locator(".ad-text mark.evidence")
    expect(marks.filter(has_text="registration fee")).to_be_visible()
    expect(marks.filter(has_text="keeps your passport")).to_be_visible()

    # An evidence link takes the reviewer to the words in the text.
    page.get_by_role("link", name="“keeps your passport”").click()
    expect(page).to_have_url(re.compile(r"#ev-\d+$"))
    target = page.evaluate("document.querySelector(':target').textContent")
    assert target == "keeps your passport"

    page.get_by_role("link", name="‹ Back to search").click()
    expect(page.get_by_label("Search ads")).to_have_value("passport")
    assert watched.dialogs == [] and watched.errors == []


def test_hostile_ad_stays_text(watched: Watched) -> None:
    page = watched.page
    log_in(page)
    page.get_by_label("Search ads").fill("pasaje")
    page.get_by_role("button", name="Search").click()
    snippet = page.locator(".snippet")
    expect(snippet).to_contain_text(HOSTILE_SCRIPT)

    hostile = ADS["hostile"]
    page.get_by_role("link", name=hostile.title).click()
    captured = page.get_by_role("region", name="Text as captured").locator(".ad-text")
    expect(captured).to_have_text(HOSTILE_TEXT)
    expect(page.get_by_role("heading", level=1)).to_have_text(hostile.title)
    expect(captured.locator("mark.evidence")).to_have_text(["pasaje pagado"])

    assert page.title() == f"{hostile.title} · LureWatch"
    assert "pwned" not in page.title()
    assert page.locator(".ad-text script, .ad-text img, h1 img").count() == 0
    assert page.evaluate("document.querySelectorAll('script:not([src])').length") == 0
    assert HOSTILE_IMG in page.locator("h1").inner_text()
    # Give a payload that slipped through the time to fire.
    page.wait_for_timeout(300)
    assert watched.dialogs == []
    assert watched.errors == []
