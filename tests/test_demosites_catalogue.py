"""The demo catalogue: which seed ads are published where, and with what metadata."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from demosites import HOSTILE_PAYLOAD, DemoAd, SeedError, load_catalogue
from demosites.metadata import find_employer, find_salary
from demosites.seed import DEFAULT_SEED_DIR, LANGS
from demosites.structured import base_salary
from demosites.testing import write_sample_seed


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample_seed(tmp_path_factory.mktemp("seed"), per_language=80)


@pytest.fixture(scope="module")
def catalogue(seed: Path) -> list[DemoAd]:
    return load_catalogue(seed)


def test_same_corpus_gives_same_catalogue(seed: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(seed, copy)
    assert load_catalogue(seed) == load_catalogue(copy)


def test_selection_spreads_over_languages_and_labels(catalogue: list[DemoAd]) -> None:
    assert len(catalogue) == 300
    assert Counter((ad.lang, ad.label) for ad in catalogue) == {
        (lang, label): 30 for lang in LANGS for label in (0, 1)
    }
    for site in ("classifieds", "jobboard"):
        on_site = [ad for ad in catalogue if ad.site == site]
        assert {ad.lang for ad in on_site} == set(LANGS)
        assert {ad.label for ad in on_site} == {0, 1}


def test_counts_per_site_and_markup(catalogue: list[DemoAd]) -> None:
    counts = Counter((ad.site, ad.private, ad.markup) for ad in catalogue)
    assert counts == {
        ("classifieds", False, "jsonld"): 60,
        ("classifieds", False, "microdata"): 60,
        ("classifieds", False, "plain"): 60,
        ("classifieds", True, "jsonld"): 10,
        ("classifieds", True, "microdata"): 10,
        ("classifieds", True, "plain"): 10,
        ("jobboard", False, "js"): 45,
        ("jobboard", False, "js-jsonld"): 45,
    }


def test_paths_are_unique_and_match_placement(catalogue: list[DemoAd]) -> None:
    assert len({ad.path for ad in catalogue}) == len(catalogue)
    assert len({ad.id for ad in catalogue}) == len(catalogue)
    for ad in catalogue:
        if ad.site == "jobboard":
            assert ad.path.startswith("/jobboard/ad.html?id=")
        elif ad.private:
            assert ad.path.startswith("/classifieds/private/ad/") and ad.path.endswith(".html")
        else:
            assert ad.path.startswith("/classifieds/ad/") and ad.path.endswith(".html")
    numbers = sorted(int(ad.path.split("=")[1]) for ad in catalogue if ad.site == "jobboard")
    assert numbers == list(range(1, 91))


def test_two_public_classifieds_ads_carry_the_hostile_payload(catalogue: list[DemoAd]) -> None:
    hostile = [ad for ad in catalogue if ad.hostile]
    assert sorted(ad.markup for ad in hostile) == ["jsonld", "plain"]
    for ad in hostile:
        assert ad.site == "classifieds" and not ad.private
        assert HOSTILE_PAYLOAD in ad.text
    assert not any(HOSTILE_PAYLOAD in ad.text for ad in catalogue if not ad.hostile)


def test_metadata_is_plausible(catalogue: list[DemoAd]) -> None:
    for ad in catalogue:
        assert ad.date_posted.startswith("2026-"), ad
        assert ad.location and ad.country_code
    english_benign = next(ad for ad in catalogue if ad.lang == "en" and ad.label == 0)
    assert english_benign.employer == "Coral Bay Hotel Ltd"
    assert english_benign.salary == "$900 a month"
    english_lure = next(ad for ad in catalogue if ad.lang == "en" and ad.label == 1)
    assert english_lure.employer == ""
    assert english_lure.salary == "US$ 2,000 per month"


def test_small_corpus_uses_every_ad_and_every_page_kind(tmp_path: Path) -> None:
    ads = load_catalogue(write_sample_seed(tmp_path, per_language=2))
    assert len(ads) == 10
    kinds = {(ad.site, ad.private, ad.markup) for ad in ads}
    for markup in ("jsonld", "microdata", "plain"):
        assert ("classifieds", False, markup) in kinds
    assert {("jobboard", False, "js"), ("jobboard", False, "js-jsonld")} <= kinds
    assert any(ad.private for ad in ads)


def _write(seed_dir: Path, lines: list[str], lang: str = "en") -> Path:
    seed_dir.mkdir(exist_ok=True)
    (seed_dir / f"{lang}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return seed_dir


def _record(n: int, **changes: object) -> str:
    record = {"id": f"en-{n:04d}", "lang": "en", "label": n % 2, "kind": "lure",
              "category": "other", "title": f"Ad {n}", "text": f"Text of ad {n}."}  # fmt: skip
    record.update(changes)
    return json.dumps(record)


def test_too_few_ads_is_a_clear_error(tmp_path: Path) -> None:
    seed_dir = _write(tmp_path / "seed", [_record(n) for n in range(1, 6)])
    with pytest.raises(SeedError, match="has 5 ads"):
        load_catalogue(seed_dir)


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("{not json", "not valid JSON"),
        (_record(9, label=2), "label must be 0 or 1"),
        (_record(9, title=""), "'title' must be a non-empty string"),
        (_record(9, lang="de"), "lang must be one of"),
        (_record(1), "duplicate id 'en-0001'"),
        ("[1, 2]", "must be a JSON object"),
    ],
)
def test_bad_seed_lines_name_file_and_line(tmp_path: Path, bad_line: str, message: str) -> None:
    lines = [_record(n) for n in range(1, 8)] + [bad_line]
    seed_dir = _write(tmp_path / "seed", lines)
    with pytest.raises(SeedError, match=message) as info:
        load_catalogue(seed_dir)
    assert "en.jsonl:8" in str(info.value)


def test_missing_seed_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match="not found"):
        load_catalogue(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("text", "salary"),
    [
        ("Salaire 2500 USD/mois + pourboires.", "2500 USD/mois"),
        ("Frais de dossier 150 €. Gains 200€/jour possibles.", "200€/jour"),
        ("Pay back US$ 300 a month from your wages.", ""),
        ("Gana hasta 4.000 $ mensuales más propinas.", "4.000 $ mensuales"),
        ("Registration fee 50 USD, nothing else.", ""),
        ("No amount at all.", ""),
    ],
)
def test_salary_is_read_from_the_text_only_when_offered(text: str, salary: str) -> None:
    assert find_salary(text) == salary


def test_salary_becomes_schema_org_amount() -> None:
    assert base_salary("$800 - $1,200 a month") == {
        "@type": "MonetaryAmount",
        "currency": "USD",
        "value": {"@type": "QuantitativeValue", "minValue": 800, "maxValue": 1200,
                  "unitText": "MONTH"},
    }  # fmt: skip
    assert base_salary("25 000 pesos par mois")["value"]["value"] == 25000  # type: ignore[index]
    assert base_salary("") is None


def test_employer_only_when_named() -> None:
    assert find_employer("Cook wanted", "Join Sécurité Plus S.A. today.") == "Sécurité Plus S.A."
    assert find_employer("Camarero", "El Hotel Brisas del Mar busca camarero.") == (
        "Hotel Brisas del Mar"
    )
    assert find_employer("URGENT girls wanted", "Our agency pays the ticket.") == ""


def test_real_seed_corpus_gives_a_usable_catalogue() -> None:
    files = [DEFAULT_SEED_DIR / f"{lang}.jsonl" for lang in LANGS]
    present = [f for f in files if f.is_file() and f.stat().st_size]
    if not present:
        pytest.skip("the seed corpus has not been written yet")
    ads = load_catalogue()
    assert ads == load_catalogue()
    assert 6 <= len(ads) <= 300
    corpus_langs = {
        json.loads(line)["lang"]
        for f in present
        for line in f.read_text(encoding="utf-8").splitlines()
        if line.strip()
    }
    assert {ad.lang for ad in ads} == corpus_langs
    assert sum(ad.hostile for ad in ads) == 2
    assert {ad.site for ad in ads} == {"classifieds", "jobboard"}
