"""The web app through HTTP, on a temporary home filled through the real store and index."""

from __future__ import annotations

import hashlib
import html
import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.ad import Ad, AdRemoved, Capture, Evidence, Indicator
from core.settings import Settings
from core.urls import ad_id
from index.search import SearchIndex
from index.store import Store
from web.app import create_app
from web.captures import download_name
from web.history import MAX_DIFF_WORDS, MAX_PIECES, DiffPiece, TextChange, text_change
from web.security import safe_highlight
from web.users import add_user, set_password

with warnings.catch_warnings():
    # Starlette 1.x prefers the httpx2 package for its test client and warns when it finds
    # only httpx; the client works the same with either.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

PASSWORD = "a long test password"
HOSTILE_SCRIPT = "<script>document.title='pwned'</script>"
HOSTILE_IMG = "<img src=x onerror=alert(1)>"

LURE_TITLE = "Hostess jobs abroad, travel paid"
LURE_TEXT = (
    "Hostess positions in Panama for young ladies 18-25. Earn US$3,000 a month, no experience "
    "needed. We advance your ticket and visa, you repay from salary. A registration fee of $150 "
    "is required. Our agency keeps your passport for safety. Contact on WhatsApp only, you leave "
    "this week."
)
HOSTILE_TEXT = (
    f"Buscamos modelos para eventos, pasaje pagado. {HOSTILE_SCRIPT}{HOSTILE_IMG} "
    "Escribe por Telegram."
)
BENIGN_TEXT = (
    "Seasonal farm work in Canada through the official government programme. Licensed agency, "
    "licence number 4471. No fees are charged to workers. Apply at the Ministry of Labour office."
)


def evidence(source: str, words: str, field: str = "text") -> Evidence:
    start = source.index(words)
    return Evidence(words, start, start + len(words), field)


def sample_ads() -> dict[str, Ad]:
    lure_url = "https://carib-jobs.test/ads/101"
    hostile_url = "https://carib-jobs.test/ads/77"
    benign_url = "https://gov-jobs.test/seasonal/4471"
    odd_url = "javascript:alert(document.domain)"
    lure = Ad(
        id=ad_id(lure_url),
        url=lure_url,
        site="carib-jobs",
        title=LURE_TITLE,
        text=LURE_TEXT,
        extraction="jsonld",
        employer="",
        location="Panama City",
        salary="US$3,000 a month",
        lang="en",
        fetched_at="2025-11-20T14:03:00+00:00",
        rendered=False,
        body_sha256=hashlib.sha256(b"lure page").hexdigest(),
        lure_score=0.93,
        flagged=True,
        model_version="lexicon-test-1",
        indicators=[
            Indicator(
                "fee_or_debt",
                "Fees or debt to the recruiter",
                [
                    evidence(LURE_TEXT, "advance your ticket"),
                    evidence(LURE_TEXT, "registration fee"),
                ],
            ),
            Indicator(
                "travel_paid",
                "Travel paid for work abroad",
                # Overlaps the fee evidence above, and one span is in the title.
                [
                    evidence(LURE_TEXT, "ticket and visa"),
                    evidence(LURE_TITLE, "travel paid", "title"),
                ],
            ),
            Indicator(
                "document_retention",
                "Identity documents kept by the agency",
                [evidence(LURE_TEXT, "keeps your passport")],
            ),
            Indicator(
                "appearance_age",
                "Age or appearance requirements",
                [evidence(LURE_TEXT, "young ladies 18-25")],
            ),
        ],
    )
    hostile = Ad(
        id=ad_id(hostile_url),
        url=hostile_url,
        site="carib-jobs",
        title=f"Modelos VIP {HOSTILE_IMG}",
        text=HOSTILE_TEXT,
        employer="<b>Agencia</b>",
        lang="es",
        fetched_at="2025-11-21T09:30:00+00:00",
        rendered=True,
        body_sha256=hashlib.sha256(b"hostile page").hexdigest(),
        lure_score=0.71,
        flagged=True,
        model_version="lexicon-test-1",
        indicators=[
            Indicator(
                "travel_paid",
                "Travel paid for work abroad",
                [evidence(HOSTILE_TEXT, "pasaje pagado")],
            )
        ],
    )
    benign = Ad(
        id=ad_id(benign_url),
        url=benign_url,
        site="gov-jobs",
        title="Seasonal farm workers, official programme",
        text=BENIGN_TEXT,
        employer="Ministry of Labour",
        lang="en",
        fetched_at="2025-11-19T08:00:00+00:00",
        body_sha256=hashlib.sha256(b"benign page").hexdigest(),
        lure_score=0.06,
        flagged=False,
        model_version="lexicon-test-1",
    )
    odd = Ad(
        id=ad_id(odd_url),
        url=odd_url,
        site="odd-site",
        title="Office cleaner, part time",
        text="Office cleaning in Castries, mornings only.",
        lang="en",
        fetched_at="2025-11-18T07:00:00+00:00",
    )
    return {"lure": lure, "hostile": hostile, "benign": benign, "odd": odd}


def fill_home(home: Path, ads: list[Ad]) -> Settings:
    settings = Settings(home=home, secret_key="test-session-secret-" + "s" * 32)
    store = Store(settings)
    try:
        for ad in ads:
            store.upsert(ad)
    finally:
        store.close()
    SearchIndex(settings).add(ads)
    return settings


def csrf_from(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token in the page"
    return match.group(1)


def log_in(client: TestClient, name: str, password: str, next_url: str = "/") -> None:
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": token, "next": next_url},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def visible_text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


ADS = sample_ads()


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = fill_home(tmp_path_factory.mktemp("home"), list(ADS.values()))
    add_user(settings, "rita", "reviewer", PASSWORD)
    return settings


@pytest.fixture
def anon(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def client(anon: TestClient) -> TestClient:
    log_in(anon, "rita", PASSWORD)
    return anon


# --- login ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/?q=ticket", f"/ads/{ADS['lure'].id}", "/api/docs"])
def test_pages_need_login(anon: TestClient, path: str) -> None:
    response = anon.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert "Hostess" not in response.text


@pytest.mark.parametrize(
    "path",
    ["/api/search?q=ticket", f"/api/ads/{ADS['lure'].id}", "/api/health", "/api/openapi.json"],
)
def test_api_needs_login(anon: TestClient, path: str) -> None:
    response = anon.get(path)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")
    assert "login required" in response.json()["detail"]


def test_login_page_has_labelled_fields(anon: TestClient) -> None:
    page = anon.get("/login").text
    assert '<label for="name">' in page and 'id="name"' in page
    assert '<label for="password">' in page and 'type="password"' in page


def test_login_opens_the_page_asked_for(anon: TestClient) -> None:
    first = anon.get("/?q=passport", follow_redirects=False)
    next_url = first.headers["location"].split("next=", 1)[1]
    assert next_url == "%2F%3Fq%3Dpassport"
    log_in(anon, "rita", PASSWORD, next_url="/?q=passport")
    page = anon.get("/?q=passport")
    assert page.status_code == 200
    assert "rita" in page.text and LURE_TITLE in page.text


def test_wrong_password_is_refused(anon: TestClient) -> None:
    token = csrf_from(anon.get("/login").text)
    response = anon.post(
        "/login", data={"name": "rita", "password": "not it at all", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "Wrong user name or password." in response.text
    assert anon.get("/", follow_redirects=False).status_code == 303


def test_unknown_user_gets_the_same_answer(anon: TestClient) -> None:
    token = csrf_from(anon.get("/login").text)
    response = anon.post(
        "/login", data={"name": "nobody", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 401
    assert "Wrong user name or password." in response.text


@pytest.mark.parametrize(
    "target", ["//evil.test/x", "https://evil.test/", "/\\evil.test", "javascript:alert(1)"]
)
def test_login_never_redirects_off_site(anon: TestClient, target: str) -> None:
    token = csrf_from(anon.get("/login").text)
    response = anon.post(
        "/login",
        data={"name": "rita", "password": PASSWORD, "csrf_token": token, "next": target},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_repeated_failures_block_the_name(anon: TestClient, settings: Settings) -> None:
    add_user(settings, "tomas", "analyst", PASSWORD)
    token = csrf_from(anon.get("/login").text)
    for _ in range(5):
        wrong = {"name": "tomas", "password": "guess guess guess", "csrf_token": token}
        assert anon.post("/login", data=wrong).status_code == 401
    right = {"name": "tomas", "password": PASSWORD, "csrf_token": token}
    response = anon.post("/login", data=right, follow_redirects=False)
    assert response.status_code == 429
    assert "Too many failed attempts" in response.text


def test_login_without_csrf_token_is_refused(anon: TestClient) -> None:
    anon.get("/login")
    for token in ("", "forged-token"):
        response = anon.post(
            "/login",
            data={"name": "rita", "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert response.status_code == 403
    assert anon.get("/", follow_redirects=False).status_code == 303


def test_logout_needs_the_csrf_token(client: TestClient) -> None:
    refused = client.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert refused.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200
    token = csrf_from(client.get("/").text)
    done = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).status_code == 303


def test_csrf_token_of_another_session_is_refused(settings: Settings, client: TestClient) -> None:
    with TestClient(create_app(settings)) as other:
        log_in(other, "rita", PASSWORD)
        foreign = csrf_from(other.get("/").text)
    response = client.post("/logout", data={"csrf_token": foreign}, follow_redirects=False)
    assert response.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200


def test_password_change_ends_open_sessions(settings: Settings, anon: TestClient) -> None:
    add_user(settings, "olga", "investigator", PASSWORD)
    log_in(anon, "olga", PASSWORD)
    assert anon.get("/", follow_redirects=False).status_code == 200
    set_password(settings, "olga", "another long password")
    assert anon.get("/", follow_redirects=False).status_code == 303
    assert anon.get("/api/health").status_code == 401


def test_session_cookie_is_http_only_and_same_site(anon: TestClient) -> None:
    response = anon.get("/login")
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("lurewatch_session=")
    assert "httponly" in cookie and "samesite=lax" in cookie


# --- search page -----------------------------------------------------------------------------


def test_search_shows_hits_with_highlights_badges_and_chips(client: TestClient) -> None:
    page = client.get("/", params={"q": "passport"}).text
    assert "1 ad matches" in page
    assert f'href="/ads/{ADS["lure"].id}?back=q%3Dpassport"' in page
    assert "<mark>passport</mark>" in page
    assert 'class="badge badge-flagged">Flagged<' in page
    assert "score 0.93" in page
    assert '<li class="chip">document retention</li>' in page
    assert "Seasonal farm" not in page


def test_empty_query_lists_all_most_risky_first(client: TestClient) -> None:
    page = client.get("/").text
    assert "4 ads" in page and "most risky first" in page
    positions = [page.index(ADS[k].id) for k in ("lure", "hostile", "benign", "odd")]
    assert positions == sorted(positions)
    assert "score not scored" in page


def test_facets_show_counts_and_link_to_filters(client: TestClient) -> None:
    page = client.get("/").text
    facet = re.search(
        r'<a href="/\?site=carib-jobs">\s*<span class="facet-value">carib-jobs</span>\s*'
        r'<span class="count">(\d+)</span>',
        page,
    )
    assert facet and facet.group(1) == "2"
    assert re.search(
        r'href="/\?flagged=false">\s*<span class="facet-value">Not flagged</span>', page
    )
    assert 'href="/?indicator=travel_paid"' in page
    assert 'href="/?lang=es"' in page


@pytest.mark.parametrize(
    ("params", "present", "absent"),
    [
        ({"site": "gov-jobs"}, ["benign"], ["lure", "hostile", "odd"]),
        ({"flagged": "true"}, ["lure", "hostile"], ["benign", "odd"]),
        ({"flagged": "false"}, ["benign", "odd"], ["lure", "hostile"]),
        ({"indicator": "travel_paid"}, ["lure", "hostile"], ["benign", "odd"]),
        ({"lang": "es"}, ["hostile"], ["lure", "benign", "odd"]),
        ({"q": "work", "site": "gov-jobs"}, ["benign"], ["lure", "hostile", "odd"]),
    ],
)
def test_filters_narrow_the_results(
    client: TestClient, params: dict[str, str], present: list[str], absent: list[str]
) -> None:
    page = client.get("/", params=params).text
    for key in present:
        assert f"/ads/{ADS[key].id}" in page, key
    for key in absent:
        assert f"/ads/{ADS[key].id}" not in page, key
    # The active filter is shown, with a link that removes it.
    assert 'class="filter-chip"' in page


def test_selected_facet_link_clears_the_filter(client: TestClient) -> None:
    page = client.get("/", params={"site": "gov-jobs"}).text
    assert re.search(r'<a href="/" class="selected" aria-current="true">', page)


def test_bad_query_shows_the_message(client: TestClient) -> None:
    response = client.get("/", params={"q": "ticket AND ("})
    assert response.status_code == 400
    assert 'role="alert"' in response.text and "cannot understand the query" in response.text


def test_bad_page_parameters_get_a_readable_page(client: TestClient) -> None:
    for params in ({"page": "0"}, {"page": "many"}, {"flagged": "maybe"}):
        response = client.get("/", params=params)
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("text/html")
        assert "Bad request" in response.text


def test_pagination(tmp_path: Path) -> None:
    ads = [
        Ad(
            id=f"filler{i:03d}",
            url=f"https://filler.test/{i}",
            site="filler",
            title=f"Filler ad {i}",
            text=f"Warehouse job number {i}",
            lure_score=i / 100,
            lang="en",
        )
        for i in range(45)
    ]
    settings = fill_home(tmp_path, ads)
    add_user(settings, "pat", "reviewer", PASSWORD)
    with TestClient(create_app(settings)) as client:
        log_in(client, "pat", PASSWORD)
        first = client.get("/", params={"q": "warehouse"}).text
        assert "Showing 1–20" in first
        assert 'href="/?q=warehouse&amp;page=2" rel="next"' in first
        assert 'href="/?q=warehouse&amp;page=3"' in first
        last = client.get("/", params={"q": "warehouse", "page": "3"}).text
        assert "Showing 41–45" in last and 'rel="next"' not in last
        assert 'aria-current="page">3<' in last
        everything = set()
        for page in (1, 2, 3):
            text = client.get("/", params={"q": "warehouse", "page": str(page)}).text
            everything |= set(re.findall(r"/ads/(filler\d+)", text))
        assert len(everything) == 45


# --- ad page ---------------------------------------------------------------------------------


def ad_text_block(page: str) -> str:
    match = re.search(r'<div class="ad-text">(.*?)</div>', page, re.S)
    assert match, "no ad text on the page"
    return match.group(1)


def test_ad_page_shows_indicators_and_their_evidence(client: TestClient) -> None:
    lure = ADS["lure"]
    page = client.get(f"/ads/{lure.id}").text
    for indicator in lure.indicators:
        assert f'<span class="indicator-label">{indicator.label}</span>' in page
        assert f'<code class="indicator-code">{indicator.code}</code>' in page
        for ev in indicator.evidence:
            assert f"“{ev.text}”</a>" in page
    text = ad_text_block(page)
    assert re.search(
        r'<mark class="evidence" id="ev-\d+" title="[^"]*">registration fee</mark>', text
    )
    assert re.search(
        r'<mark class="evidence" id="ev-\d+" title="Identity documents kept by the agency">'
        r"keeps your passport</mark>",
        text,
    )
    # Title evidence is marked in the heading.
    assert re.search(
        r'<h1 id="ad-title">Hostess jobs abroad, <mark class="evidence"[^>]*>travel paid', page
    )


def test_ad_page_evidence_links_point_at_marks(client: TestClient) -> None:
    page = client.get(f"/ads/{ADS['lure'].id}").text
    targets = re.findall(r'<a href="#(ev-\d+)">', page)
    assert len(targets) == 6
    for target in targets:
        assert f'id="{target}"' in page


def test_overlapping_evidence_keeps_the_text_exact(client: TestClient) -> None:
    page = client.get(f"/ads/{ADS['lure'].id}").text
    text = ad_text_block(page)
    assert visible_text(text) == LURE_TEXT
    # "ticket" is evidence of both indicators at once, and looks it.
    assert re.search(
        r'<mark class="evidence evidence-multi"[^>]*'
        r'title="Fees or debt to the recruiter; Travel paid for work abroad">ticket<',
        text,
    )


def test_ad_page_shows_capture_details(client: TestClient) -> None:
    lure = ADS["lure"]
    page = client.get(f"/ads/{lure.id}").text
    assert f'<span class="url-text">{lure.url}</span>' in page
    assert f'<a href="{lure.url}" rel="noopener noreferrer nofollow"' in page
    assert lure.body_sha256 in page
    assert "2025-11-20 14:03 UTC" in page
    assert "lexicon-test-1" in page and "score 0.93" in page
    assert "Panama City" in page and "US$3,000 a month" in page
    assert "<dt>Employer</dt><dd>not stated</dd>" in page
    assert "no, HTML as served" in page
    assert "<dt>Language</dt><dd>en</dd>" in page
    hostile_page = client.get(f"/ads/{ADS['hostile'].id}").text
    assert "yes, in Chromium" in hostile_page


def test_ad_page_back_link_returns_to_the_search(client: TestClient) -> None:
    page = client.get(f"/ads/{ADS['lure'].id}", params={"back": "q=passport&site=carib-jobs"}).text
    assert '<a href="/?q=passport&amp;site=carib-jobs">‹ Back to search</a>' in page
    hostile = client.get(f"/ads/{ADS['lure'].id}", params={"back": "//evil.test&x=1"}).text
    assert '<a href="/">‹ Back to search</a>' in hostile


def test_javascript_url_is_shown_but_never_linked(client: TestClient) -> None:
    page = client.get(f"/ads/{ADS['odd'].id}").text
    assert '<span class="url-text">javascript:alert(document.domain)</span>' in page
    assert 'href="javascript:' not in page
    assert "Open the live page" not in page
    assert "score not scored" in page


def test_unknown_ads_and_pages_are_404(client: TestClient) -> None:
    page = client.get("/ads/0000000000000000dead")
    assert page.status_code == 404 and "Ad not found" in page.text
    assert client.get("/ads/not%20an%20id").status_code in (400, 404)
    assert client.get("/no-such-page").status_code == 404
    api = client.get("/api/ads/0000000000000000dead")
    assert api.status_code == 404 and api.json() == {"detail": "no ad with id 0000000000000000dead"}
    assert client.get("/api/no-such-call").status_code == 404


# --- hostile content -------------------------------------------------------------------------


def test_hostile_text_is_escaped_on_every_page(client: TestClient) -> None:
    hostile = ADS["hostile"]
    pages = {
        "search": client.get("/", params={"q": "pasaje"}).text,
        "all": client.get("/").text,
        "ad": client.get(f"/ads/{hostile.id}").text,
    }
    for name, page in pages.items():
        assert "<script>document" not in page, name
        assert "<img src=x" not in page, name
        assert "<b>Agencia" not in page, name
        assert "&lt;img src=x onerror=alert(1)&gt;" in page or "&lt;img src=x onerror" in page, name
    ad_page = pages["ad"]
    assert visible_text(ad_text_block(ad_page)) == HOSTILE_TEXT
    assert "&lt;b&gt;Agencia&lt;/b&gt;" in ad_page
    # The only scripts are our own file.
    for page in pages.values():
        assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/app.js" defer>']


def test_hostile_text_is_escaped_in_json(client: TestClient) -> None:
    hostile = ADS["hostile"]
    for response in (
        client.get("/api/search", params={"q": "pasaje"}),
        client.get(f"/api/ads/{hostile.id}"),
    ):
        assert response.headers["content-type"].startswith("application/json")
        assert "<script" not in response.text and "<img" not in response.text
    data = client.get(f"/api/ads/{hostile.id}").json()
    # Escaped on the wire, the same string once parsed.
    assert data["text"] == HOSTILE_TEXT and data["employer"] == "<b>Agencia</b>"
    hit = client.get("/api/search", params={"q": "pasaje"}).json()["hits"][0]
    assert "<script" not in hit["highlight"] and "&lt;script&gt;" in hit["highlight"]


def test_highlights_can_carry_only_mark_tags() -> None:
    # The index escapes its snippets; should it ever fail to, a tag still shows as text.
    shown = safe_highlight("a <mark>lure</mark> <img src=x onerror=alert(1)> &amp; b</mark>")
    assert shown == "a <mark>lure</mark> &lt;img src=x onerror=alert(1)&gt; &amp; b</mark>"


# --- JSON API --------------------------------------------------------------------------------


def test_api_search_contract(client: TestClient) -> None:
    response = client.get("/api/search", params={"q": "ticket"})
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"total", "hits", "facets"}
    assert data["total"] == 1
    hit = data["hits"][0]
    assert set(hit) == {
        "id", "url", "title", "site", "lure_score", "flagged", "indicators", "fetched_at",
        "highlight", "first_seen", "last_seen", "removed_at",
    }  # fmt: skip
    lure = ADS["lure"]
    assert (hit["id"], hit["url"], hit["site"], hit["title"]) == (
        lure.id, lure.url, lure.site, lure.title
    )  # fmt: skip
    assert hit["lure_score"] == pytest.approx(0.93) and hit["flagged"] is True
    assert sorted(hit["indicators"]) == sorted(i.code for i in lure.indicators)
    assert "<mark>ticket</mark>" in hit["highlight"]
    assert (hit["first_seen"], hit["removed_at"]) == (lure.fetched_at, None)
    assert set(data["facets"]) == {"site", "flagged", "indicator", "lang", "status"}
    assert data["facets"]["status"] == [{"value": "live", "count": 1}]
    assert data["facets"]["site"] == [{"value": "carib-jobs", "count": 1}]


def test_api_search_filters_and_paging(client: TestClient) -> None:
    flagged = client.get("/api/search", params={"flagged": "true"}).json()
    assert flagged["total"] == 2
    assert {h["id"] for h in flagged["hits"]} == {ADS["lure"].id, ADS["hostile"].id}
    es = client.get("/api/search", params={"lang": "es"}).json()
    assert [h["id"] for h in es["hits"]] == [ADS["hostile"].id]
    by_indicator = client.get("/api/search", params={"indicator": "document_retention"}).json()
    assert [h["id"] for h in by_indicator["hits"]] == [ADS["lure"].id]
    pages = [
        client.get("/api/search", params={"limit": 1, "offset": n}).json()["hits"] for n in range(4)
    ]
    assert [len(p) for p in pages] == [1, 1, 1, 1]
    assert [p[0]["id"] for p in pages] == [ADS[k].id for k in ("lure", "hostile", "benign", "odd")]
    facets = client.get("/api/search").json()["facets"]
    counts = {f["value"]: f["count"] for f in facets["flagged"]}
    assert counts == {"true": 2, "false": 2}


def test_api_rejects_bad_input(client: TestClient) -> None:
    bad = client.get("/api/search", params={"q": "ticket AND ("})
    assert bad.status_code == 400 and "cannot understand the query" in bad.json()["detail"]
    for params in ({"limit": 0}, {"limit": 1000}, {"offset": -1}, {"flagged": "maybe"}):
        response = client.get("/api/search", params=params)
        assert response.status_code == 422, params
        assert response.json()["detail"]


def test_api_ad_contract(client: TestClient, settings: Settings) -> None:
    lure = ADS["lure"]
    data = client.get(f"/api/ads/{lure.id}").json()
    store = Store(settings)
    stored = store.get(lure.id)
    store.close()
    assert stored is not None
    expected = lure.to_dict()
    expected.update(
        first_seen=stored.first_seen,
        last_seen=stored.last_seen,
        removed_at=None,
        removal_reason="",
        events=[],
    )
    assert {k: data[k] for k in expected} == json.loads(json.dumps(expected))
    assert Ad.from_dict(data) == lure
    [version] = data["versions"]
    assert version["version"] == 1 and version["fetched_at"] == lure.fetched_at
    assert version["body_sha256"] == lure.body_sha256 and version["changed"] == []
    assert "text" not in version


def test_api_health(client: TestClient) -> None:
    assert client.get("/api/health").json() == {
        "status": "ok",
        "ads": 4,
        "flagged": 2,
        "removed": 0,
        "indexed": 4,
    }


def test_openapi_schema_and_docs(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    assert set(schema["paths"]) == {"/api/search", "/api/ads/{ad_id}", "/api/health"}
    params = {p["name"] for p in schema["paths"]["/api/search"]["get"]["parameters"]}
    assert params == {"q", "site", "flagged", "indicator", "lang", "status", "limit", "offset"}
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert "<code>/api/search</code>" in docs.text and "/api/openapi.json" in docs.text
    # No Swagger bundle from a CDN: the docs page is rendered here.
    assert "cdn" not in docs.text.lower()


# --- headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/login", "/", f"/ads/{ADS['lure'].id}", "/api/health", "/no-such-page", "/static/style.css"],
)
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    if not path.startswith("/static/"):
        assert headers["cache-control"] == "no-store"


def test_templates_have_no_inline_script_or_style(client: TestClient) -> None:
    for path in ("/", f"/ads/{ADS['lure'].id}", "/api/docs"):
        page = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), path
        assert not re.search(r"<[^>]*\son[a-z]+=", page), path
        assert not re.search(r"<[^>]*\sstyle=", page) and "<style" not in page, path


# --- history, removals and evidence files ----------------------------------------------------

GONE_V1_TEXT = f"Dancers wanted in Curaçao, flight paid. {HOSTILE_SCRIPT} Contact on WhatsApp."
GONE_V2_TEXT = "Dancers wanted in Curaçao, flight and visa paid, leave this week. WhatsApp only."
CAPTURED = {
    "v1": b"WARC/1.1\r\n\r\n<html><script>alert(1)</script>v1</html>",
    "v2": b"WARC/1.1\r\n\r\n<html>v2</html>",
    "gone": b"WARC/1.1\r\n\r\nHTTP/1.1 404 Not Found",
    "tampered": b"what was captured",
    "missing": b"never written to disk",
    "outside": b"a file outside the evidence folder",
}
SHA = {name: hashlib.sha256(body).hexdigest() for name, body in CAPTURED.items()}


def capture_of(settings: Settings, name: str, *, write: bool = True) -> Capture:
    sha = SHA[name]
    path = f"{sha[:2]}/{sha}.warc.gz"
    if name == "outside":
        path = "../outside.warc.gz"
    if write:
        target = (settings.evidence_dir / path).resolve()
        target.parent.mkdir(parents=True, exist_ok=True)
        body = b"changed since" if name == "tampered" else CAPTURED[name]
        target.write_bytes(body)
    return Capture("warc", sha, path, len(CAPTURED[name]))


def history_ads(settings: Settings) -> dict[str, Ad]:
    """One ad edited and then removed, one removed and back, one live all along."""
    url = "https://carib-jobs.test/ads/500"
    v1 = Ad(
        id=ad_id(url),
        url=url,
        site="carib-jobs",
        title="Dancers abroad",
        text=GONE_V1_TEXT,
        lang="en",
        fetched_at="2026-11-01T10:00:00+00:00",
        body_sha256=SHA["v1"],
        lure_score=0.88,
        flagged=True,
        captures=[capture_of(settings, "v1")],
    )
    v2 = Ad.from_dict(v1.to_dict())
    v2.title = "Dancers abroad, leave now"
    v2.text = GONE_V2_TEXT
    v2.fetched_at = "2026-11-03T10:00:00+00:00"
    v2.body_sha256 = SHA["v2"]
    v2.captures = [
        capture_of(settings, "v2"),
        capture_of(settings, "tampered"),
        capture_of(settings, "missing", write=False),
        capture_of(settings, "outside"),
    ]
    back_url = "https://carib-jobs.test/ads/600"
    back = Ad(
        id=ad_id(back_url),
        url=back_url,
        site="carib-jobs",
        title="Waitress in a beach bar",
        text="Beach bar in Curaçao hiring a waitress, contract and work permit arranged.",
        lang="en",
        fetched_at="2026-11-01T10:00:00+00:00",
        lure_score=0.2,
    )
    return {"v1": v1, "v2": v2, "back": back}


@pytest.fixture(scope="module")
def history_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict[str, Ad]]:
    settings = fill_home(tmp_path_factory.mktemp("history"), [])
    ads = history_ads(settings)
    store = Store(settings)
    store.upsert(ads["v1"])
    store.upsert(ads["v2"])
    store.upsert(ads["back"])
    store.mark_removed(
        AdRemoved(
            ads["v2"].id,
            ads["v2"].url,
            "carib-jobs",
            "2026-11-05T10:00:00+00:00",
            "http 404",
            404,
            [capture_of(settings, "gone")],
        )
    )
    back = ads["back"]
    store.mark_removed(
        AdRemoved(back.id, back.url, back.site, "2026-11-02T10:00:00+00:00", "http 410", 410)
    )
    returned = Ad.from_dict(back.to_dict())
    returned.fetched_at = "2026-11-04T10:00:00+00:00"
    store.upsert(returned)
    SearchIndex(settings).rebuild(store)
    store.close()
    add_user(settings, "ivan", "investigator", PASSWORD)
    return settings, ads


@pytest.fixture
def hist(history_home: tuple[Settings, dict[str, Ad]]) -> Iterator[TestClient]:
    with TestClient(create_app(history_home[0])) as client:
        log_in(client, "ivan", PASSWORD)
        yield client


def gone_id() -> str:
    return ad_id("https://carib-jobs.test/ads/500")


def test_a_removed_ad_is_still_found_and_marked_removed(hist: TestClient) -> None:
    page = hist.get("/", params={"q": "dancers"}).text
    assert "1 ad matches" in page
    assert f"/ads/{gone_id()}" in page
    assert 'class="badge badge-removed">Removed 2026-11-05 10:00 UTC<' in page
    assert "first seen 2026-11-01 10:00 UTC" in page


def test_search_filters_live_and_removed(hist: TestClient) -> None:
    everything = hist.get("/").text
    assert re.search(
        r'href="/\?status=removed">\s*<span class="facet-value">Removed</span>\s*'
        r'<span class="count">1</span>',
        everything,
    )
    removed = hist.get("/", params={"status": "removed"}).text
    assert f"/ads/{gone_id()}" in removed and "Beach bar" not in removed
    assert 'aria-label="Remove filter Removed"' in removed
    live = hist.get("/", params={"status": "live"}).text
    assert f"/ads/{gone_id()}" not in live and "Waitress in a beach bar" in live
    assert hist.get("/", params={"status": "gone"}).status_code == 400
    api = hist.get("/api/search", params={"status": "removed"}).json()
    assert [h["id"] for h in api["hits"]] == [gone_id()]
    assert api["hits"][0]["removed_at"] == "2026-11-05T10:00:00+00:00"
    assert api["hits"][0]["last_seen"] == "2026-11-03T10:00:00+00:00"


def test_ad_page_shows_the_removal_banner_and_when_seen(hist: TestClient) -> None:
    page = hist.get(f"/ads/{gone_id()}").text
    banner = re.search(r'<div class="removed-banner" role="status">(.*?)</div>', page, re.S)
    assert banner
    assert " ".join(visible_text(banner.group(1)).split()).startswith(
        "Removed 2026-11-05 10:00 UTC (http 404)."
    )
    assert "first seen 2026-11-01 10:00 UTC" in page
    assert "last seen 2026-11-03 10:00 UTC" in page
    events = re.search(r'<ul class="events"[^>]*>(.*?)</ul>', page, re.S)
    assert events and "Removed" in events.group(1)
    assert SHA["gone"] in events.group(1)  # the evidence of the 404


def test_ad_page_of_a_reappeared_ad_has_no_banner(hist: TestClient) -> None:
    back = ad_id("https://carib-jobs.test/ads/600")
    page = hist.get(f"/ads/{back}").text
    assert "removed-banner" not in page
    text = " ".join(visible_text(page).split())
    assert "Removed 2026-11-02 10:00 UTC (http 410)" in text
    assert "Reappeared 2026-11-04 10:00 UTC (fetched again, http 200)" in text


def test_ad_page_lists_versions_with_what_changed_escaped(hist: TestClient) -> None:
    page = hist.get(f"/ads/{gone_id()}").text
    assert page.index('id="version-2"') < page.index('id="version-1"')  # newest first
    version_2 = page[page.index('id="version-2"') : page.index('id="version-1"')]
    assert "title, text" in version_2
    assert "<del>Dancers abroad</del> → <ins>Dancers abroad, leave now</ins>" in version_2
    assert re.search(r"Text: \d+ words added,\s+\d+ removed", version_2)
    # The older version's text, script included, only ever as text.
    assert "<script>document" not in page
    version_1 = page[page.index('id="version-1"') :]
    assert "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" in version_1
    assert "&lt;script&gt;" in version_2  # the removed words, in the diff
    assert "first version kept" in version_1
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/app.js" defer>']
    for name in ("v1", "v2"):
        assert f'href="/evidence/{SHA[name]}"' in page


def test_evidence_download_is_an_attachment_never_a_page(hist: TestClient) -> None:
    response = hist.get(f"/evidence/{SHA['v1']}")
    assert response.status_code == 200
    assert response.content == CAPTURED["v1"]
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="warc-{SHA["v1"]}.warc.gz"'
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_evidence_download_needs_login(history_home: tuple[Settings, dict[str, Ad]]) -> None:
    with TestClient(create_app(history_home[0])) as anon:
        response = anon.get(f"/evidence/{SHA['v1']}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize(
    "ref",
    [
        "not-a-hash",
        SHA["v1"].upper(),
        SHA["v1"][:63],
        SHA["v1"] + "0",
        hashlib.sha256(b"stored by no ad").hexdigest(),
        "..%2F..%2Fsecret.key",
        SHA["missing"],
        SHA["outside"],
    ],
)
def test_evidence_download_of_an_unknown_hash_is_404(hist: TestClient, ref: str) -> None:
    response = hist.get(f"/evidence/{ref}")
    assert response.status_code == 404
    assert "WARC" not in response.text and "outside the evidence" not in response.text


def test_evidence_file_changed_on_disk_is_refused(hist: TestClient) -> None:
    response = hist.get(f"/evidence/{SHA['tampered']}")
    assert response.status_code == 409
    assert "changed since" not in response.text and "lurewatch verify" in response.text


def test_api_ad_has_state_history_and_captures(hist: TestClient) -> None:
    data = hist.get(f"/api/ads/{gone_id()}").json()
    assert (data["first_seen"], data["last_seen"]) == (
        "2026-11-01T10:00:00+00:00",
        "2026-11-03T10:00:00+00:00",
    )
    assert (data["removed_at"], data["removal_reason"]) == ("2026-11-05T10:00:00+00:00", "http 404")
    assert [(v["version"], v["changed"]) for v in data["versions"]] == [
        (1, []),
        (2, ["title", "text"]),
    ]
    assert [c["sha256"] for c in data["versions"][0]["captures"]] == [SHA["v1"]]
    assert data["captures"][0]["sha256"] == SHA["v2"]
    [event] = data["events"]
    assert (event["kind"], event["http_status"]) == ("removed", 404)
    assert [c["sha256"] for c in event["captures"]] == [SHA["gone"]]
    health = hist.get("/api/health").json()
    assert (health["ads"], health["removed"], health["indexed"]) == (2, 1, 2)


def test_downloads_are_named_so_no_captured_page_opens_in_a_browser() -> None:
    sha = SHA["v1"]
    names = {
        kind: download_name(Capture(kind, sha, f"sha256/{sha[:2]}/{sha[2:4]}/{sha}.{ext}", 1))
        for kind, ext in (
            ("warc", "warc.gz"),
            ("dom", "html"),
            ("screenshot", "png"),
            ("manifest", "manifest.json"),
        )
    }
    assert names == {
        "warc": f"warc-{sha}.warc.gz",
        "dom": f"dom-{sha}.bin",
        "screenshot": f"screenshot-{sha}.png",
        "manifest": f"manifest-{sha}.json",
    }


def test_text_change_of_long_texts_is_a_bounded_summary() -> None:
    old = " ".join(f"w{i}" for i in range(20_000))
    new = " ".join(f"w{i}" if i % 50 else f"x{i}" for i in range(20_000))
    change = text_change(old, new)
    assert change.partial and len(change.pieces) == MAX_PIECES
    assert change.words_added == change.words_removed == MAX_DIFF_WORDS // 50
    assert text_change("a b c", "a c d") == TextChange(
        1, 1, [DiffPiece("removed", "b"), DiffPiece("added", "d")], False
    )


def test_only_the_newest_versions_are_shown_each_against_the_one_before(tmp_path: Path) -> None:
    settings = fill_home(tmp_path, [])
    store = Store(settings)
    url = "https://carib-jobs.test/ads/many"
    for n in range(53):
        store.upsert(
            Ad(
                id=ad_id(url),
                url=url,
                site="carib-jobs",
                title="Often edited",
                text=f"Edit number {n} of this ad.",
                fetched_at=f"2026-11-01T10:{n:02d}:00+00:00",
            )
        )
    store.close()
    add_user(settings, "pat", "reviewer", PASSWORD)
    with TestClient(create_app(settings)) as client:
        log_in(client, "pat", PASSWORD)
        page = client.get(f"/ads/{ad_id(url)}").text
    shown = re.findall(r'id="version-(\d+)"', page)
    assert shown == [str(n) for n in range(53, 3, -1)]
    assert "3 older versions not shown" in page
    assert "first version kept" not in page
    oldest = page[page.index('id="version-4"') :]
    # Version 4 says "Edit number 3"; it is compared with version 3, which is not shown.
    assert "<del>2</del>" in oldest and "<ins>3</ins>" in oldest
