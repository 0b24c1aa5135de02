from __future__ import annotations

import pytest

from core.settings import Settings
from index.search import QueryError, SearchFilters, SearchIndex
from index.store import Store
from tests.factories import lure_ad, make_ad


@pytest.fixture
def index(settings: Settings) -> SearchIndex:
    idx = SearchIndex(settings)
    idx.add(
        [
            lure_ad(),
            make_ad(
                "http://127.0.0.1:9/es/1",
                "Trabajo en Aruba",
                "Se buscan chicas, pasaje pagado, escríbenos por WhatsApp.",
                lang="es",
                lure_score=0.7,
                flagged=True,
            ),
            make_ad(
                "http://127.0.0.1:9/en/2",
                "Nurse at Victoria Hospital",
                "Registered nurse, visa sponsorship via the ministry. <script>alert(1)</script>",
                lang="en",
                lure_score=0.05,
                site="other-site",
            ),
        ]
    )
    return idx


def test_search_finds_and_highlights_escaped(index: SearchIndex) -> None:
    result = index.search("visa")
    assert result.total == 2
    by_title = {h.title: h for h in result.hits}
    assert "<mark>Visa</mark>" in by_title["Hostess work abroad"].highlight
    nurse = by_title["Nurse at Victoria Hospital"].highlight
    assert "<script>" not in nurse
    assert "&lt;script&gt;" in nurse


def test_search_folds_accents(index: SearchIndex) -> None:
    assert index.search("escribenos").total == 1


def test_search_empty_query_lists_most_risky_first(index: SearchIndex) -> None:
    result = index.search("")
    assert [h.lure_score for h in result.hits] == [0.93, 0.7, 0.05]
    assert result.hits[0].indicators == ["travel_paid_abroad"]


def test_search_filters_and_facets(index: SearchIndex) -> None:
    result = index.search("", SearchFilters(flagged=True, lang="es"))
    assert [h.title for h in result.hits] == ["Trabajo en Aruba"]
    facets = index.search("").facets
    assert {f.value: f.count for f in facets["flagged"]} == {"true": 2, "false": 1}
    assert {f.value: f.count for f in facets["site"]} == {"test-site": 2, "other-site": 1}
    assert {f.value: f.count for f in facets["indicator"]} == {"travel_paid_abroad": 1}


def test_search_replaces_documents_by_id(index: SearchIndex) -> None:
    changed = lure_ad()
    changed.title = "Hostess work abroad (edited)"
    index.add([changed])
    assert index.search("").total == 3
    assert index.search("edited").total == 1


def test_search_bad_query_is_a_clear_error(index: SearchIndex) -> None:
    with pytest.raises(QueryError, match="cannot understand"):
        index.search("title:(")


def test_search_json_contract(index: SearchIndex) -> None:
    hit = index.search("hostess").hits[0].to_json()
    assert set(hit) == {
        "id",
        "url",
        "title",
        "site",
        "lure_score",
        "flagged",
        "indicators",
        "fetched_at",
        "highlight",
    }


def test_rebuild_from_store(settings: Settings) -> None:
    store = Store(settings)
    store.upsert(lure_ad())
    idx = SearchIndex(settings)
    assert idx.rebuild(store) == 1
    assert idx.search("dubai").total == 1
