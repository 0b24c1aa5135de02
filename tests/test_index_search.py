from __future__ import annotations

import logging

import pytest

from core.ad import AdRemoved
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
    assert {f.value: f.count for f in facets["status"]} == {"live": 3}
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
        "first_seen",
        "last_seen",
        "removed_at",
    }
    assert (hit["first_seen"], hit["last_seen"], hit["removed_at"]) == (
        "2026-11-01T10:00:00+00:00",
        "2026-11-01T10:00:00+00:00",
        None,
    )


def test_rebuild_from_store(settings: Settings) -> None:
    store = Store(settings)
    store.upsert(lure_ad())
    idx = SearchIndex(settings)
    assert idx.rebuild(store) == 1
    assert idx.search("dubai").total == 1


def removed_and_live_index(settings: Settings) -> tuple[Store, SearchIndex]:
    store = Store(settings)
    gone = lure_ad()
    store.upsert(gone)
    later = lure_ad()
    later.fetched_at = "2026-11-03T10:00:00+00:00"
    store.upsert(later)
    store.upsert(make_ad("http://127.0.0.1:9/job/2", "Cook", "Cook wanted in Dubai, visa paid."))
    reason = "not listed since 2026-11-03T10:00:00+00:00"
    store.mark_removed(AdRemoved(gone.id, gone.url, gone.site, "2026-11-05T10:00:00+00:00", reason))
    index = SearchIndex(settings)
    index.rebuild(store)
    return store, index


def test_removed_ads_stay_searchable_and_filter_by_status(settings: Settings) -> None:
    _store, index = removed_and_live_index(settings)
    everything = index.search("dubai")
    assert everything.total == 2
    hits = {h.title: h for h in everything.hits}
    gone = hits["Hostess work abroad"]
    assert (gone.first_seen, gone.last_seen, gone.removed_at) == (
        "2026-11-01T10:00:00+00:00",
        "2026-11-03T10:00:00+00:00",
        "2026-11-05T10:00:00+00:00",
    )
    assert hits["Cook"].removed_at is None
    assert gone.to_json()["removed_at"] == "2026-11-05T10:00:00+00:00"
    assert hits["Cook"].to_json()["removed_at"] is None
    removed = index.search("dubai", SearchFilters(status="removed"))
    assert [h.title for h in removed.hits] == ["Hostess work abroad"]
    live = index.search("", SearchFilters(status="live"))
    assert [h.title for h in live.hits] == ["Cook"]
    assert {f.value: f.count for f in everything.facets["status"]} == {"live": 1, "removed": 1}


def test_an_index_of_an_older_schema_is_named_and_replaced_by_reindex(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    old = settings.index_dir / "ads-v1"
    old.mkdir(parents=True)
    (old / "meta.json").write_text("{}", encoding="utf-8")
    store = Store(settings)
    store.upsert(lure_ad())
    with caplog.at_level(logging.WARNING, logger="lurewatch.index"):
        index = SearchIndex(settings)
    assert index.outdated == [old]
    assert "lurewatch reindex" in caplog.text and str(old) in caplog.text
    assert index.search("dubai").total == 0  # the new index starts empty, not misread
    assert index.rebuild(store) == 1
    assert index.search("dubai").total == 1
    assert not old.exists()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="lurewatch.index"):
        SearchIndex(settings)
    assert caplog.text == ""
