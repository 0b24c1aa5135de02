import json
from collections import Counter
from pathlib import Path

import pytest

from classifiers.language import LanguageIdentifier, identify, normalise_lang
from classifiers.nlp import LANGUAGES, MAX_CACHED_WORD


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Waitress needed for our beach bar, call after 5pm.", "en"),
        ("Earn big money abroad, no experience, WhatsApp only", "en"),
        ("Se buscan chicas para trabajar en el exterior, pasaje pagado.", "es"),
        ("Empresa busca vendedora con experiencia en tienda de ropa", "es"),
        ("Recherche jeunes filles pour travail à l'étranger, billet payé", "fr"),
        ("Boulangerie cherche vendeur, débutants acceptés", "fr"),
        ("Nou bezwen jenn fi pou travay lòt bò, tikè peye", "ht"),
        ("Ajans ka chèché nouvo figi, voyé dé foto", "ht"),
        ("Procuramos moças para trabalho no exterior, passagem paga", "pt"),
        ("Padaria precisa de atendente, não precisa de experiência", "pt"),
    ],
)
def test_short_ads_in_each_language(text: str, lang: str) -> None:
    assert identify(text) == lang


@pytest.mark.parametrize(
    "text",
    ["", "12345 !!!", "我们正在招聘服务员", "Zoekt medewerkers voor ons magazijn in Amsterdam"],
)
def test_other_languages_and_empty_text(text: str) -> None:
    assert identify(text) == "other"


def test_without_profiles_function_words_still_decide() -> None:
    bare = LanguageIdentifier()
    assert bare.identify("Nous recherchons une serveuse pour notre restaurant") == "fr"
    assert bare.identify("Estamos buscando una mesera para el restaurante") == "es"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("pt-BR", "pt"),
        ("en_US", "en"),
        ("acf", "ht"),
        ("HT", "ht"),
        ("de", "other"),
        ("", None),
        (None, None),
    ],
)
def test_language_tags_are_normalised(given: str | None, expected: str | None) -> None:
    assert normalise_lang(given) == expected


# --- held-out short ads (tests/data/lang_short.jsonl, written for this test, not in the seed)

SHORT = Path(__file__).parent / "data" / "lang_short.jsonl"


def _short_ads() -> list[dict[str, str]]:
    with SHORT.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def test_held_out_set_covers_every_language() -> None:
    ads = _short_ads()
    counts = Counter(ad["lang"] for ad in ads)
    assert set(counts) == {*LANGUAGES, "other"}
    assert min(counts.values()) >= 40
    assert {ad["kind"] for ad in ads} == {"short", "mixed", "other"}


@pytest.mark.parametrize("lang", [*LANGUAGES, "other"])
def test_short_ads_are_identified_per_language(lang: str) -> None:
    ads = [ad for ad in _short_ads() if ad["lang"] == lang]
    wrong = [(ad["text"], identify(ad["text"])) for ad in ads if identify(ad["text"]) != lang]
    assert len(wrong) <= 0.1 * len(ads), wrong


def test_short_ads_overall_accuracy() -> None:
    ads = _short_ads()
    right = sum(identify(ad["text"]) == ad["lang"] for ad in ads)
    assert right / len(ads) >= 0.95


def test_mixed_language_ads_take_the_main_language() -> None:
    mixed = [ad for ad in _short_ads() if ad["kind"] == "mixed"]
    assert len(mixed) >= 10
    assert [identify(ad["text"]) for ad in mixed] == [ad["lang"] for ad in mixed]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Travay lakay Kanada, viza peye, WhatsApp", "ht"),
        ("Nou ka chèché moun pou twavay asou bato", "ht"),  # Saint Lucian Kwéyòl
        ("Nous cherchons du personnel pour le bateau", "fr"),
        ("Niñera para cuidar dos niños", "es"),  # "dos" is Portuguese too; "ñ" is not
        ("Babá para cuidar de duas crianças", "pt"),
        ("Offre d'emploi pour cuisiniers", "fr"),  # elided "d'" counts as French
        ("Lavoro all'estero, biglietto pagato", "other"),  # Italian "all'"
        ("Straße Arbeit", "other"),
    ],
)
def test_close_pairs_and_elisions(text: str, lang: str) -> None:
    assert identify(text) == lang


@pytest.mark.parametrize(
    "text",
    [
        "💰💰💰 📱📱",
        "+1 758 555 0123",
        "🔥🔥 $$$ 🔥🔥",
        "  \n\t ",
        "招聘年轻女性，无需经验 WhatsApp",
        "Кельнер потрібен терміново",
        "WhatsApp",
    ],
)
def test_no_language_evidence_is_other(text: str) -> None:
    assert identify(text) == "other"


def test_only_the_beginning_of_a_long_ad_is_read() -> None:
    text = "Nou bezwen fanm pou travay nan otèl, nou peye tikè. " * 10 + "the and of " * 5000
    assert identify(text) == "ht"


def test_partial_profiles_do_not_favour_the_languages_without_one() -> None:
    only_en = LanguageIdentifier({"en": {" th": -2.0, "the": -2.0}})
    assert only_en.identify("Nous recherchons une serveuse pour notre restaurant") == "fr"


def test_hostile_long_words_are_read_but_not_remembered() -> None:
    identifier = LanguageIdentifier.from_texts([("en", "we pay the flight and the visa")])
    long_words = " ".join("w" + "x" * 200 + str(n) for n in range(50))
    text = f"we pay the flight {long_words}"
    first = identifier.guess(text)
    assert identifier.guess(text) == first
    assert all(len(word) <= MAX_CACHED_WORD for word in identifier._cache)
    assert {"we", "pay", "the", "flight"} <= set(identifier._cache)
