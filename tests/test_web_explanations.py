"""The ad page's "Why flagged" panel and entity table, through HTTP on a real store."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from markupsafe import escape

from core.ad import Ad, Entity, Evidence, Indicator, Term
from core.settings import Settings
from core.urls import ad_id
from index.store import Store
from tests.test_web_app import PASSWORD, TestClient, fill_home, log_in
from web.app import create_app
from web.users import add_user

SCRIPT = "<script>alert('x')</script>"
TEXT = (
    "Hostess jobs in Dubai. Registration fee US$300, we keep your passport. "
    f"Contact <b>Mr X</b> on WhatsApp +1 758 555 0101. {SCRIPT}"
)


def _span(words: str) -> tuple[int, int]:
    start = TEXT.index(words)
    return start, start + len(words)


def _explained_ad() -> Ad:
    url = "https://carib-jobs.test/ads/why-1"
    return Ad(
        id=ad_id(url),
        url=url,
        site="carib-jobs",
        title="Hostess jobs abroad",
        text=TEXT,
        lang="en",
        fetched_at="2025-11-20T14:03:00+00:00",
        lure_score=0.91,
        flagged=True,
        model_version="test-model",
        indicators=[
            Indicator(
                "fee_or_debt",
                "Fee or debt charged to the worker",
                [Evidence("Registration fee", *_span("Registration fee"))],
            )
        ],
        top_terms=[
            Term("registration", 0.412, *_span("Registration")),
            Term(SCRIPT, 0.2, *_span(SCRIPT)),
            Term("passport", 0.15, 999, 1010),  # offsets beyond the text: not shown as placed
            Term("dubai", -0.08, *_span("Dubai")),
            Term("fee or debt + documents held", 1.37, kind="indicator"),
            Term("ruled out: urgency", -0.5, kind="indicator"),
        ],
        entities=[
            Entity("phone", "+17585550101", *_span("+1 758 555 0101"), text="+1 758 555 0101"),
            Entity("handle", f"whatsapp:{SCRIPT}", *_span(SCRIPT), text=SCRIPT),
            Entity("person", "Mr X", *_span("<b>Mr X</b>"), text="<b>Mr X</b>"),
        ],
    )


def _plain_ad() -> Ad:
    url = "https://gov-jobs.test/plain"
    return Ad(
        id=ad_id(url),
        url=url,
        site="gov-jobs",
        title="Clerk",
        text="Accounts clerk, Ministry of Finance.",
        fetched_at="2025-11-19T08:00:00+00:00",
        lure_score=0.04,
        flagged=False,
    )


AD, PLAIN = _explained_ad(), _plain_ad()


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = fill_home(tmp_path_factory.mktemp("why-home"), [AD, PLAIN])
    add_user(settings, "rita", "reviewer", PASSWORD)
    return settings


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        log_in(client, "rita", PASSWORD)
        yield client


def _section(page: str, heading_id: str) -> str:
    match = re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', page, re.S)
    assert match, f"no section {heading_id}"
    return match.group(0)


def test_store_keeps_terms_and_entities(settings: Settings) -> None:
    store = Store(settings)
    try:
        stored = store.get(AD.id)
    finally:
        store.close()
    assert stored is not None
    assert stored.ad.top_terms == AD.top_terms
    assert stored.ad.entities == AD.entities


def test_why_flagged_lists_terms_both_ways(client: TestClient) -> None:
    page = client.get(f"/ads/{AD.id}").text
    why = _section(page, "why-title")
    assert "Why flagged" in why
    assert "1 indicator fired" in why
    up = re.search(r'aria-label="Words that raised the score">(.*?)</ul>', why, re.S)
    down = re.search(r'aria-label="Words that lowered the score">(.*?)</ul>', why, re.S)
    assert up and down
    assert "registration" in up.group(1) and "+0.41" in up.group(1)
    assert "passport" in up.group(1)
    assert "dubai" in down.group(1) and "-0.08" in down.group(1)
    # A placed word is shown in its context, the word itself marked.
    assert '<mark class="term-match">Registration</mark> fee US$300' in up.group(1)
    # Offsets that do not fit the text show the term without a context.
    passport = re.search(r"<li><span class=\"term\">passport</span>.*?</li>", up.group(1), re.S)
    assert passport and "term-context" not in passport.group(0)
    assert "fee or debt + documents held" in why and "+1.37" in why
    assert "ruled out: urgency" in why and "-0.50" in why


def test_terms_and_entities_are_escaped(client: TestClient) -> None:
    page = client.get(f"/ads/{AD.id}").text
    assert SCRIPT not in page and "<b>Mr X</b>" not in page
    escaped = str(escape(SCRIPT))
    why = _section(page, "why-title")
    assert f'<span class="term">{escaped}</span>' in why
    assert f'<mark class="term-match">{escaped}</mark>' in why
    entities = _section(page, "entities-title")
    assert entities.count(escaped) == 2  # the handle's value and its text
    assert str(escape("<b>Mr X</b>")) in entities


def test_entity_table_shows_type_value_and_text(client: TestClient) -> None:
    entities = _section(client.get(f"/ads/{AD.id}").text, "entities-title")
    assert "Entities (3)" in entities
    rows = re.findall(r"<tr><td>(.*?)</td><td><code>(.*?)</code></td><td>(.*?)</td></tr>", entities)
    assert rows[0] == ("phone", "+17585550101", "+1 758 555 0101")
    assert [r[0] for r in rows] == ["phone", "handle", "person"]


def test_an_ad_without_explanations_says_so(client: TestClient) -> None:
    page = client.get(f"/ads/{PLAIN.id}").text
    why = _section(page, "why-title")
    assert "Why not flagged" in why
    assert "No word-level explanation was stored" in why
    assert "No entities found." in _section(page, "entities-title")


def test_api_returns_terms_and_entities(client: TestClient) -> None:
    data = client.get(f"/api/ads/{AD.id}").json()
    assert data["top_terms"][0] == {
        "term": "registration",
        "weight": 0.412,
        "start": TEXT.index("Registration"),
        "end": TEXT.index("Registration") + len("Registration"),
        "kind": "word",
    }
    assert data["top_terms"][4]["kind"] == "indicator" and data["top_terms"][4]["start"] is None
    assert [e["type"] for e in data["entities"]] == ["phone", "handle", "person"]
    assert data["entities"][1]["text"] == SCRIPT  # the same string once parsed
    raw = client.get(f"/api/ads/{AD.id}").text
    assert "<script>" not in raw
    assert client.get(f"/api/ads/{PLAIN.id}").json()["top_terms"] == []
