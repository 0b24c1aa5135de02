import pytest

from classifiers.language import LanguageIdentifier, identify, normalise_lang


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
