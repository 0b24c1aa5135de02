from pathlib import Path

import pytest

from classifiers.corpus import load_seed
from classifiers.errors import IndicatorConfigError
from classifiers.indicators import IndicatorExtractor, Source
from classifiers.nlp import LANGUAGES
from classifiers.normalize import normalise
from core.ad import Indicator
from core.settings import CONFIG_DIR

INDICATORS = CONFIG_DIR / "indicators.yml"
REQUIRED = {
    "fee_or_debt",
    "travel_paid_abroad",
    "pay_too_good",
    "no_experience",
    "appearance_age_gender",
    "young_or_minor",
    "chat_only_contact",
    "no_company_identity",
    "documents_held",
    "urgency",
    "accommodation_tied",
    "vague_duties",
    "secrecy",
    "photos_requested",
}


@pytest.fixture(scope="module")
def extractor() -> IndicatorExtractor:
    return IndicatorExtractor.from_file(INDICATORS)


def by_code(indicators: list[Indicator]) -> dict[str, list[str]]:
    return {i.code: [e.text for e in i.evidence] for i in indicators}


def assert_offsets(indicators: list[Indicator], text: str, title: str = "") -> None:
    for indicator in indicators:
        for ev in indicator.evidence:
            source = title if ev.field == "title" else text
            assert ev.field in ("title", "text")
            assert source[ev.start : ev.end] == ev.text


def test_taxonomy_has_the_required_indicators(extractor: IndicatorExtractor) -> None:
    specs = {s.code: s for s in extractor.taxonomy.indicators}
    assert set(specs) >= REQUIRED
    for spec in specs.values():
        assert spec.ilo and spec.label and spec.strength in ("strong", "medium", "weak")


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        (
            "en",
            "Slim young ladies wanted in Dubai. Earn US$3,000 a month. Registration fee $200, "
            "we keep your passport for safety. Don't tell your family. Send full body photo.",
            {
                "appearance_age_gender": "Slim young ladies",
                "pay_too_good": "US$3,000 a month",
                "fee_or_debt": "Registration fee",
                "documents_held": "keep your passport",
                "secrecy": "Don't tell your family",
                "photos_requested": "Send full body photo",
            },
        ),
        (
            "es",
            "Se buscan señoritas de 18 a 25 años para trabajar en el exterior, pasaje pagado y "
            "sin experiencia. Cuota de inscripción 500 dólares.",
            {
                "appearance_age_gender": "18 a 25 años",
                "travel_paid_abroad": "pasaje pagado",
                "no_experience": "sin experiencia",
                "fee_or_debt": "Cuota de inscripción",
            },
        ),
        (
            "fr",
            "Jeunes filles recherchées pour travail à l'étranger, billet payé, logée nourrie. "
            "Frais de dossier 200 euros.",
            {
                "appearance_age_gender": "Jeunes filles",
                "travel_paid_abroad": "billet payé",
                "accommodation_tied": "logée nourrie",
                "fee_or_debt": "Frais de dossier",
            },
        ),
        (
            "ht",
            "Nou bezwen jenn fi pou travay lòt bò, pa bezwen eksperyans. Voye foto. Pa di fanmi w.",
            {
                "appearance_age_gender": "jenn fi",
                "travel_paid_abroad": "travay lòt bò",
                "no_experience": "pa bezwen eksperyans",
                "photos_requested": "Voye foto",
                "secrecy": "Pa di fanmi",
            },
        ),
        (
            "pt",
            "Procuramos moças bonitas, passagem paga, sem experiência. "
            "Entregar passaporte na chegada.",
            {
                "appearance_age_gender": "moças bonitas",
                "travel_paid_abroad": "passagem paga",
                "no_experience": "sem experiência",
                "documents_held": "Entregar passaporte",
            },
        ),
    ],
)
def test_indicators_fire_with_evidence_in_the_original_text(
    extractor: IndicatorExtractor, lang: str, text: str, expected: dict[str, str]
) -> None:
    found = extractor.extract(text, lang=lang)
    codes = by_code(found.indicators)
    for code, evidence in expected.items():
        assert evidence in codes.get(code, []), (code, codes)
    assert_offsets(found.indicators, text)


def test_title_evidence_points_into_the_title(extractor: IndicatorExtractor) -> None:
    title, text = "URGENT: hostess jobs abroad", "Call us."
    found = extractor.extract(text, title=title, lang="en")
    urgency = next(i for i in found.indicators if i.code == "urgency")
    assert [(e.field, e.text) for e in urgency.evidence] == [("title", "URGENT")]
    assert_offsets(found.indicators, text, title)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "No fees charged to workers."),
        ("en", "We never charge a registration fee."),
        ("en", "The employer pays all recruitment costs; no placement fee."),
        ("es", "No cobramos cuota de inscripción."),
        ("fr", "Aucun frais de dossier n'est demandé aux candidats."),
        ("ht", "Pa gen frè enskripsyon."),
        ("pt", "Não cobramos taxa de inscrição."),
    ],
)
def test_explicit_absence_does_not_fire_fee_or_debt(
    extractor: IndicatorExtractor, lang: str, text: str
) -> None:
    found = extractor.extract(text, lang=lang)
    assert "fee_or_debt" not in found.codes
    assert "fee_or_debt" in found.absent


def test_a_real_fee_next_to_an_absent_one_still_fires(extractor: IndicatorExtractor) -> None:
    found = extractor.extract(
        "No agency fee. Visa processing fee $300, repay from salary.", lang="en"
    )
    assert "fee_or_debt" in found.codes


def test_obfuscated_words_match_and_evidence_keeps_the_original(
    extractor: IndicatorExtractor,
) -> None:
    text = "M0DELS w4nted, n0 experience, pay r3gistration f3e. Contact W h a t s A p p"
    found = extractor.extract(text, lang="en")
    codes = by_code(found.indicators)
    assert codes["fee_or_debt"] == ["pay r3gistration f3e"]
    assert "W h a t s A p p" in codes["chat_only_contact"]
    assert "n0 experience" in codes["no_experience"]
    assert_offsets(found.indicators, text)


def test_fancy_unicode_and_invisible_characters(extractor: IndicatorExtractor) -> None:
    text = "𝐖𝐡𝐚𝐭𝐬𝐀𝐩𝐩 only. No pass\u200bport needed for the boat."
    found = extractor.extract(text, lang="en")
    codes = by_code(found.indicators)
    assert codes["chat_only_contact"] == ["𝐖𝐡𝐚𝐭𝐬𝐀𝐩𝐩"]
    assert "No pass\u200bport needed" in codes["irregular_travel"]
    assert_offsets(found.indicators, text)


def test_chat_contact_only_counts_without_email_or_website(extractor: IndicatorExtractor) -> None:
    chat_only = extractor.extract("Cooks wanted. WhatsApp 758 555 0101.", lang="en")
    assert "chat_only_contact" in chat_only.codes
    with_email = extractor.extract(
        "Cooks wanted. WhatsApp 758 555 0101 or email jobs@bakery.example.", lang="en"
    )
    assert "chat_only_contact" not in with_email.codes


def test_company_identity(extractor: IndicatorExtractor) -> None:
    anonymous = extractor.extract("An international agency needs drivers abroad.", lang="en")
    assert "no_company_identity" in anonymous.codes
    named = extractor.extract(
        "Harbour Freight Ltd, 14 Bridge Street, Castries needs drivers.", lang="en"
    )
    assert "no_company_identity" not in named.codes


def test_ages_and_minors(extractor: IndicatorExtractor) -> None:
    found = extractor.extract("Girls 16-22 years wanted, no parental consent needed.", lang="en")
    codes = by_code(found.indicators)
    assert "16-22 years" in codes["young_or_minor"]
    assert "16-22 years" in codes["appearance_age_gender"]
    experience = extractor.extract("Cook with 15 years of experience.", lang="en")
    assert "young_or_minor" not in experience.codes


def test_minors_with_parental_safeguards_are_marked_absent(extractor: IndicatorExtractor) -> None:
    found = extractor.extract(
        "Minors must attend with a parent who signs the consent form.", lang="en"
    )
    assert "young_or_minor" in found.absent


def test_pay_amounts_are_converted(extractor: IndicatorExtractor) -> None:
    high = extractor.extract("Salary US$3,500 per month.", lang="en")
    low = extractor.extract("Salary EC$3,500 per month.", lang="en")
    assert "pay_too_good" in high.codes
    assert "pay_too_good" not in low.codes


def test_a_batch_extracts_each_ad_as_alone(extractor: IndicatorExtractor) -> None:
    seed = load_seed()[::9]  # more ads than one pass of each stage takes
    ads = [
        Source(
            ad.text,
            ad.title if i % 4 else "",
            ad.lang if ad.lang in LANGUAGES else "en",
            "LC" if i % 3 == 0 else None,
        )
        for i, ad in enumerate(seed)
    ]
    ads.append(Source("", "Hostesses wanted, fee US$300", "en"))
    batch = extractor.extract_many(ads)
    assert len(batch) == len(ads) > 130
    assert batch == [extractor.extract(*ad) for ad in ads]
    assert any(e.indicators for e in batch) and any(e.entities for e in batch)
    assert extractor.extract_many([]) == []


def test_normalised_text_maps_back_to_original_offsets() -> None:
    original = "Ｆｒｅｅ  t\u200bicket, W-h-a-t-s-A-p-p"
    norm = normalise(original)
    assert "free" in norm.text and "ticket" in norm.text and "whatsapp" in norm.text
    start = norm.text.index("whatsapp")
    a, b = norm.original_span(start, start + len("whatsapp"))
    assert original[a:b] == "W-h-a-t-s-A-p-p"


def test_bad_pattern_is_reported_with_indicator_and_pattern(tmp_path: Path) -> None:
    config = tmp_path / "indicators.yml"
    config.write_text(
        "version: 1\nindicators:\n"
        "  - code: fee_or_debt\n    label: Fee\n    ilo: debt\n    strength: strong\n"
        "    patterns:\n      en: ['pay ... ... fee']\n"
    )
    with pytest.raises(IndicatorConfigError, match=r"fee_or_debt.*pay \.\.\. \.\.\. fee"):
        IndicatorExtractor.from_file(config).extract("pay the fee", lang="en")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("version: 1\nindicators: []\n", "indicators"),
        ("version: [1\n", "not valid YAML"),
        (
            "version: 1\nindicators:\n  - {code: x, label: X, ilo: y, strength: huge}\n",
            "strength",
        ),
        (
            "version: 1\nindicators:\n"
            "  - {code: x, label: X, ilo: y, strength: weak, patterns: {de: [a]}}\n",
            "unknown language",
        ),
    ],
)
def test_invalid_config_files(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "indicators.yml"
    config.write_text(content)
    with pytest.raises(IndicatorConfigError, match=message):
        IndicatorExtractor.from_file(config)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(IndicatorConfigError, match="not found"):
        IndicatorExtractor.from_file(tmp_path / "nope.yml")
