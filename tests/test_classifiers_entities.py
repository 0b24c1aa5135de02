"""Entities read from ad text: phones (however obfuscated), handles, emails, links, wages,
ages and places, each with a span that slices the original text exactly."""

import json
from pathlib import Path

import pytest

from classifiers.entities import (
    EntityConfigError,
    UnknownRegionError,
    extract_entities,
    region_from_host,
)
from classifiers.entities.places import load_gazetteer
from classifiers.indicators import IndicatorExtractor
from core.ad import Entity
from core.settings import CONFIG_DIR

SEED = Path(__file__).resolve().parents[1] / "classifiers" / "seed"


def entities(text: str, lang: str = "en", region: str | None = None) -> list[Entity]:
    found = extract_entities(text, lang, region)
    for e in found:
        assert text[e.start : e.end] == e.text, e
    return found


def values(text: str, kind: str, lang: str = "en", region: str | None = None) -> list[str]:
    return [e.value for e in entities(text, lang, region) if e.type == kind]


def only(text: str, kind: str, lang: str = "en", region: str | None = None) -> Entity:
    found = [e for e in entities(text, lang, region) if e.type == kind]
    assert len(found) == 1, found
    return found[0]


# --- phones -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "e164", "span"),
    [
        ("en", "Call +1 (758) 555-0134 today", "+17585550134", "+1 (758) 555-0134"),
        ("en", "Call 758 five five five 0 one 3 4", "+17585550134", "758 five five five 0 one 3 4"),
        ("en", "Text seven five eight, five five five, oh one three four.", "+17585550134", None),
        (
            "en",
            "call seven five eight, double five five, zero one three four",
            "+17585550134",
            None,
        ),
        ("en", "Call 7 5 8 . 5 5 5 . 0 1 3 4", "+17585550134", "7 5 8 . 5 5 5 . 0 1 3 4"),
        ("en", "WhatsApp 758 then 555 then 0134", "+17585550134", "758 then 555 then 0134"),
        ("en", "tel 758 dash 555 dash 0134", "+17585550134", "758 dash 555 dash 0134"),
        ("en", "Call seven five eight, four five two, twelve thirty four", "+17584521234", None),
        ("en", "Contact: plus one eight six eight 555 0199", "+18685550199", None),
        ("en", "Call 868 555 0422 evenings", "+18685550422", "868 555 0422"),
        ("en", "Send your photo to 246 555 0402.", "+12465550402", "246 555 0402"),
        ("ht", "oswa rele +509 3755 0305 aprè 3è.", "+50937550305", "+509 3755 0305"),
        # Kwéyòl / Haitian Creole: a Saint Lucian number, then a Haitian one.
        (
            "ht",
            "Rele sèt senk uit senk senk senk zewo en twa kat",
            "+17585550134",
            "sèt senk uit senk senk senk zewo en twa kat",
        ),
        ("ht", "WhatsApp: twa sèt en de twa kat senk sis", "+50937123456", None),
        ("ht", "Rele nou nan +509 3455 0312 oswa pase", "+50934550312", "+509 3455 0312"),
        (
            "es",
            "Llámame al ocho cero nueve, cinco cinco cinco, uno dos tres cuatro",
            "+18095551234",
            None,
        ),
        ("es", "Escríbenos al 0414-555-0134", "+584145550134", "0414-555-0134"),
        ("es", "WhatsApp 809 555 1234, sueldo fijo", "+18095551234", "809 555 1234"),
        ("fr", "Appelez le 0696 12 34 56", "+596696123456", "0696 12 34 56"),
        (
            "fr",
            "Appelez le zéro six, douze, trente-quatre, cinquante-six, soixante-dix-huit",
            "+33612345678",
            None,
        ),
        ("fr", "tél : cinq cinq cinq, zéro un trois quatre", "+17585550134", None),
        ("pt", "Ligue (11) 98765-4321 hoje", "+5511987654321", "(11) 98765-4321"),
        ("pt", "Zap: onze, nove oito sete seis cinco, quatro três dois um", "+5511987654321", None),
        (
            "pt",
            "Zap: cinquenta e cinco, vinte e sete, nove cinco cinco cinco cinco, zero um cinco um",
            "+5527955550151",
            None,
        ),
    ],
)
def test_obfuscated_phones_become_e164(lang: str, text: str, e164: str, span: str | None) -> None:
    phone = only(text, "phone", lang)
    assert phone.value == e164
    if span is not None:
        assert phone.text == span


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("WhatsApp 7️⃣5️⃣8️⃣ 5️⃣5️⃣5️⃣ 0️⃣1️⃣3️⃣4️⃣ now", "7️⃣5️⃣8️⃣ 5️⃣5️⃣5️⃣ 0️⃣1️⃣3️⃣4️⃣"),
        ("Tel: ７５８ ５５５ ０１３４", "７５８ ５５５ ０１３４"),
        ("call 𝟕𝟓𝟖 𝟓𝟓𝟓 𝟎𝟏𝟑𝟒", "𝟕𝟓𝟖 𝟓𝟓𝟓 𝟎𝟏𝟑𝟒"),
        ("call ⑦⑤⑧ ⑤⑤⑤ ⓪①③④", "⑦⑤⑧ ⑤⑤⑤ ⓪①③④"),
        ("call 7\u200b5\u200b8 555 0134", "7\u200b5\u200b8 555 0134"),
        ("WhatsApp ＋１ ７５８ ５５５ ０１３４", "＋１ ７５８ ５５５ ０１３４"),
    ],
)
def test_emoji_and_unicode_digits(text: str, span: str) -> None:
    phone = only(text, "phone")
    assert phone.value == "+17585550134"
    assert phone.text == span


def test_the_keycap_ten_emoji_is_two_digits() -> None:
    assert values("call 758 555 01🔟", "phone") == ["+17585550110"]


def test_phone_region_comes_from_the_hint_then_the_language() -> None:
    # Seven digits with a contact word: a local number of the region.
    assert values("Call 452 1234", "phone") == ["+17584521234"]
    assert values("Call 452 1234", "phone", region="LC") == ["+17584521234"]
    # A Haitian number needs no "+" in a Creole ad, nor with a Haitian site.
    assert values("Rele 3712 3456", "phone", lang="ht") == ["+50937123456"]
    assert values("Call 3712 3456", "phone", region="HT") == ["+50937123456"]
    # +1 numbers need no region at all.
    assert values("call +1 876 555 0441", "phone", lang="pt") == ["+18765550441"]


def test_phone_attributes_say_which_app_and_whether_valid() -> None:
    phone = only("Message us on WhatsApp: +1 758 452 1234", "phone")
    assert phone.attrs == {"region": "LC", "valid": True, "chat": "whatsapp"}
    plain = only("Office 758 452 1234", "phone")
    assert "chat" not in plain.attrs
    assert only("Telegram 868 555 0422", "phone").attrs["chat"] == "telegram"


def test_two_numbers_in_a_row_are_two_phones() -> None:
    text = "Call 758 555 0134 or 758 555 0199, and 758 555 0142 and 555 0177"
    assert values(text, "phone") == [
        "+17585550134",
        "+17585550199",
        "+17585550142",
        "+17585550177",
    ]


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Salary US$ 2,500,000 per year. Bonus 1 500 000 HTG."),
        ("en", "Fee 3 500 000 pesos, price 7 500 000"),
        ("en", "Posted 12/05/2024, interviews 2024-06-15 at 10:30, call before 30.06.2024"),
        ("en", "Licence No. 2023-0456-78. Reg. 7584521234. Ref 1234567890."),
        ("en", "Licence number 7584521234, registration number 758 452 1234"),
        ("fr", "SIRET 523 555 017 00041, appelez-nous"),
        ("pt", "CNPJ 12.345.678/0001-90, ligue para a agência"),
        ("ht", "ajans ki gen pèmi nimewo AP-2024-0183 otorite travay"),
        ("en", "Girls 18-25, 25-35 welcome. Ages 16 to 22."),
        ("en", "We need 12 cooks, 6 waiters and 2 drivers for 2024 2025."),
        ("en", "Season 1998 - 2024. Open 7 days, 9 to 5, 365 days a year."),
        ("en", "Order AB7585550134 shipped"),
        ("en", "We need seven cooks, five waiters, two cleaners and eight drivers."),
        ("es", "Buscamos dos cocineros y una ayudante, de 18 a 25 años."),
        ("fr", "Un deux trois, soleil ! Neuf postes, un salaire de 500 euros."),
    ],
)
def test_no_phone_from_prices_dates_licences_or_ages(lang: str, text: str) -> None:
    assert values(text, "phone", lang) == []


# Ads often put the number on its own line under a label: it is read as it would be on the
# label's line (a line break does not glue it to the label as a code).
@pytest.mark.parametrize(
    ("lang", "region", "text", "e164", "span"),
    [
        ("en", "LC", "Kitchen staff wanted, Castries.\nTEL\n2472644", "+17582472644", "2472644"),
        ("en", None, "No experience. Send the deposit\n9029401491", "+19029401491", "9029401491"),
        ("en", "LC", "Hotel jobs. Call Kendra\n758 284 5678", "+17582845678", "758 284 5678"),
        ("en", None, "Waitresses wanted\nWhatsApp:\n+1 758 555 0134", "+17585550134", None),
        ("en", "LC", "Dancers for Trinidad\nWhatsApp\n+1 868 555 0422", "+18685550422", None),
        ("es", None, "Trabajo en Panamá. Llámanos\n809 555 0142", "+18095550142", None),
        ("es", "LC", "Empleo en hoteles\nEscríbenos\n0414-555-0134", "+584145550134", None),
        ("fr", None, "Postes en Guadeloupe. Contactez Marie\n0696 12 34 56", "+596696123456", None),
        ("fr", None, "Salaire 2500 EUR\n0696 12 34 56", "+596696123456", "0696 12 34 56"),
        ("ht", None, "Bon travay Kanada, rele nou\n3712 3456", "+50937123456", "3712 3456"),
        ("ht", "LC", "Travay otèl, WhatsApp\n+509 3455 0312", "+50934550312", None),
        ("pt", None, "Vagas em Portugal. Chama no zap\n11 98765-4321", "+5511987654321", None),
        # A "+" ending the line before is not the number's.
        ("en", "LC", "Girls 18+\n758 452 1234", "+17584521234", "758 452 1234"),
    ],
)
def test_a_number_on_the_line_after_its_label_is_a_phone(
    lang: str, region: str | None, text: str, e164: str, span: str | None
) -> None:
    phone = only(text, "phone", lang, region)
    assert phone.value == e164
    if span is not None:
        assert phone.text == span


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Ref:\n2023045678"),
        ("en", "Licence\n7584521234"),
        ("en", "Agency code\n758 452 1234"),
        ("en", "Worker ID\n7584521234"),
        ("es", "Referencia:\n8095551234"),
        ("fr", "SIRET\n523 555 017 00041"),
        ("en", "Order\nAB7585550134"),
    ],
)
def test_a_reference_on_the_line_after_its_label_is_no_phone(lang: str, text: str) -> None:
    assert values(text, "phone", lang) == []
    assert values(text.replace("\n", " "), "phone", lang) == []


def test_a_contact_word_after_a_licence_makes_the_next_line_a_phone() -> None:
    assert values("Licence 2023.\nCall\n7584521234", "phone") == ["+17584521234"]


def test_bad_regions_are_refused_and_hosts_give_regions() -> None:
    with pytest.raises(UnknownRegionError, match="unknown region 'XX'"):
        extract_entities("call 758 555 0134", "en", region="XX")
    assert values("call 7911 123456", "phone", region="uk") == ["+447911123456"]
    assert region_from_host("empleos.com.do") == "DO"
    assert region_from_host("jobs.example.lc") == "LC"
    assert region_from_host("www.example.co.uk") == "GB"
    assert region_from_host("jobs.example.com") is None
    with pytest.raises(TypeError, match="text must be a string"):
        extract_entities(None, "en")  # type: ignore[arg-type]


# --- handles and links -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "handle"),
    [
        ("Apply: wa.me/17585550134", "whatsapp:+17585550134"),
        ("https://api.whatsapp.com/send?phone=50937123456&text=hi", "whatsapp:+50937123456"),
        ("Join https://chat.whatsapp.com/AbCdEf123 now", "whatsapp:group/AbCdEf123"),
        ("t.me/jobsabroad", "telegram:jobsabroad"),
        ("https://t.me/+AbC123xyz", "telegram:+AbC123xyz"),
        ("Telegram: @jobs_abroad for details", "telegram:jobs_abroad"),
        ("telegram @jobs_abroad", "telegram:jobs_abroad"),
        ("Insta: @maria.models", "instagram:maria.models"),
        ("IG @maria.models", "instagram:maria.models"),
        ("follow instagram.com/maria.models/", "instagram:maria.models"),
        ("signal.me/#p/+17585550134", "signal:+17585550134"),
        ("Signal: @safe.jobs.01", "signal:safe.jobs.01"),
        ("tiktok.com/@dance.crew.tt", "tiktok:dance.crew.tt"),
        ("Snap @triniclubgirls", "snapchat:triniclubgirls"),
        ("DM @contenido.paisa.mgmt", "@contenido.paisa.mgmt"),
        ("Ekri sou Telegram @kanada_djòb_slu.", "telegram:kanada_djòb_slu"),
    ],
)
def test_messaging_handles_and_links(text: str, handle: str) -> None:
    assert values(text, "handle") == [handle]


def test_a_whatsapp_link_also_gives_its_phone() -> None:
    found = entities("Apply: wa.me/17585550134")
    phone = next(e for e in found if e.type == "phone")
    assert (phone.value, phone.text, phone.attrs["chat"]) == (
        "+17585550134",
        "17585550134",
        "whatsapp",
    )


def test_other_links_are_urls_and_words_after_a_colon_are_not_handles() -> None:
    assert values("Apply at www.Hotel.example/Jobs/.", "url") == ["hotel.example/Jobs"]
    assert values("See https://careers.sandals.example/apply?id=3", "url") == [
        "careers.sandals.example/apply"
    ]
    assert values("Telegram: send your photos", "handle") == []
    assert only("facebook.com/groups/jobs", "url").attrs["chat"] is True


# --- emails ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "address"),
    [
        ("en", "CV to Careers@FreshMart.example by Friday.", "careers@freshmart.example"),
        ("en", "write to maria.lopez at gmail dot com", "maria.lopez@gmail.com"),
        ("en", "jobs [at] hotel [dot] com", "jobs@hotel.com"),
        ("en", "email name(at)domain.com today", "name@domain.com"),
        ("en", "recruit {at} agency {dot} co {dot} uk", "recruit@agency.co.uk"),
        ("en", "hr @ caribjobs . net", "hr@caribjobs.net"),
        ("es", "escribe a reclutamiento arroba empresa punto com", "reclutamiento@empresa.com"),
        ("fr", "contact arobase agence point fr", "contact@agence.fr"),
        ("pt", "vagas arroba empresa ponto com ponto br", "vagas@empresa.com.br"),
        ("ht", "ekri djob at ajans pwen ht", "djob@ajans.ht"),
    ],
)
def test_emails_plain_and_spelled_out(lang: str, text: str, address: str) -> None:
    assert values(text, "email", lang) == [address]


def test_an_email_span_holds_the_whole_address() -> None:
    text = "CV to\nmaria\n@gmail.com or jobs@hotel.example"
    found = [e for e in entities(text) if e.type == "email"]
    assert [e.value for e in found] == ["maria@gmail.com", "jobs@hotel.example"]
    assert [text[e.start : e.end] for e in found] == ["maria\n@gmail.com", "jobs@hotel.example"]
    assert [e.type for e in entities(text)] == ["email", "email"]  # no "@gmail.com" handle


def test_an_address_wrapped_at_the_at_sign_is_an_email_not_a_chat_handle() -> None:
    extraction = IndicatorExtractor.from_file(CONFIG_DIR / "indicators.yml").extract(
        "Cooks wanted for our hotel. Send your CV: maria.lopez\n@gmail.com", lang="en"
    )
    assert [(e.type, e.value) for e in extraction.entities] == [("email", "maria.lopez@gmail.com")]
    assert "chat_only_contact" not in {i.code for i in extraction.indicators}


@pytest.mark.parametrize(
    "text",
    [
        "Apply at our office at 9am. Meet us at the hotel dot matrix.",
        "Write to us at jobs dot com",
        "Contact me at 7 or at noon",
    ],
)
def test_sentences_with_at_are_not_emails(text: str) -> None:
    assert values(text, "email") == []


# --- wages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "value", "attrs"),
    [
        (
            "en",
            "US$ 2,500 per month",
            "2500 USD/month",
            {"amount": 2500, "currency": "USD", "period": "month"},
        ),
        (
            "es",
            "€800/semana",
            "800 EUR/week",
            {"amount": 800, "currency": "EUR", "period": "week"},
        ),
        (
            "en",
            "1500 dollars a week",
            "1500 USD/week",
            {"amount": 1500, "currency": "USD", "period": "week", "currency_guessed": True},
        ),
        (
            "en",
            "EC$8.50 per hour",
            "8.50 XCD/hour",
            {"amount": 8.5, "currency": "XCD", "period": "hour"},
        ),
        (
            "pt",
            "R$ 3.000 por mês",
            "3000 BRL/month",
            {"amount": 3000, "currency": "BRL", "period": "month"},
        ),
        (
            "fr",
            "500 euros par mois",
            "500 EUR/month",
            {"amount": 500, "currency": "EUR", "period": "month"},
        ),
        (
            "es",
            "salario mensual de 1.200 dólares",
            "1200 USD/month",
            {"amount": 1200, "currency": "USD", "period": "month", "currency_guessed": True},
        ),
        (
            "en",
            "US$2,000-3,000 a month",
            "2000-3000 USD/month",
            {"amount": 3000, "amount_min": 2000, "currency": "USD", "period": "month"},
        ),
        (
            "ht",
            "Salè 40 000 goud chak mwa",
            "40000 HTG/month",
            {"amount": 40000, "currency": "HTG", "period": "month"},
        ),
        (
            "ht",
            "2 800 dola EC chak mwa",
            "2800 XCD/month",
            {"amount": 2800, "currency": "XCD", "period": "month"},
        ),
        (
            "en",
            "Private room, BBD $2,800/month",
            "2800 BBD/month",
            {"amount": 2800, "currency": "BBD", "period": "month"},
        ),
        (
            "en",
            "TT$300 a day",
            "300 TTD/day",
            {"amount": 300, "currency": "TTD", "period": "day"},
        ),
        (
            "en",
            "Earn 3k USD",
            "3000 USD",
            {"amount": 3000, "currency": "USD"},
        ),
    ],
)
def test_wages_with_currency_and_period(
    lang: str, text: str, value: str, attrs: dict[str, object]
) -> None:
    wage = only(text, "wage", lang)
    assert (wage.value, wage.attrs) == (value, attrs)


def test_fees_are_money_not_wages() -> None:
    text = "Registration fee $200. You only pay EC$450 for the medical. Salary EC$1,800 a month."
    found = entities(text)
    assert [(e.type, e.value) for e in found] == [
        ("money", "200 USD"),
        ("money", "450 XCD"),
        ("wage", "1800 XCD/month"),
    ]


def test_a_bare_dollar_is_the_currency_of_the_place_or_region() -> None:
    assert values("Pay $3,000 a month in Toronto", "wage") == ["3000 CAD/month"]
    assert values("Pay $3,000 a month", "wage", region="LC") == ["3000 XCD/month"]
    assert values("Pay $3,000 a month", "wage") == ["3000 USD/month"]
    assert values("Sueldo 2.000.000 pesos al mes en Bogotá", "wage", "es") == ["2000000 COP/month"]


# --- ages --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "value", "span"),
    [
        ("en", "Girls 18-25 years wanted", "18-25", "18-25 years"),
        ("en", "aged 18 to 25", "18-25", "18 to 25"),
        ("es", "chicas entre 18 y 25 años", "18-25", "18 y 25 años"),
        ("fr", "filles de 16 ans", "16", "16 ans"),
        ("en", "Girls under 30", "<=29", "under 30"),
        ("en", "Requirements: female, under 30, slim", "<=29", "under 30"),
        ("en", "Girls under \n30", "<=29", "under \n30"),  # a line break in the bound
        ("en", "Must be 18 or older", "18+", "18 or older"),
        ("en", "Dancers 18+ with training", "18+", "18+"),
        ("es", "mayores de 18", "18+", "mayores de 18"),
        ("fr", "moins de 25 ans", "<=24", "moins de 25 ans"),
        ("fr", "18 ans minimum", "18+", "18 ans minimum"),
        ("ht", "jèn fi 18 a 26 an", "18-26", "18 a 26 an"),
        ("ht", "fi mwens pase 25 an", "<=24", "mwens pase 25 an"),
        ("pt", "moças de 18 a 24", "18-24", "18 a 24"),
        ("pt", "até 25 anos", "<=25", "até 25 anos"),
        ("pt", "Maiores de 18 anos com formação", "18+", "Maiores de 18 anos"),
    ],
)
def test_ages_and_ranges(lang: str, text: str, value: str, span: str) -> None:
    age = only(text, "age", lang)
    assert (age.value, age.text) == (value, span)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Cook with 15 years of experience"),
        ("en", "Established 20 years ago"),
        ("en", "Earn 25 an hour"),
        ("en", "Room 18-25"),
        ("en", "Work 18 to 25 days a month"),
        ("en", "Delivery under 30 minutes"),
        ("fr", "depuis 15 ans dans le métier, contrat de 12 ans"),
        ("es", "de 8 a 17 horas"),
    ],
)
def test_numbers_that_are_not_ages(lang: str, text: str) -> None:
    assert values(text, "age", lang) == []


def test_age_attributes_are_inclusive_bounds() -> None:
    assert only("Girls 16-22 years", "age").attrs == {"min": 16, "max": 22}
    assert only("Girls under 30", "age").attrs == {"max": 29}
    assert only("18+ only", "age").attrs == {"min": 18}


# --- places ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "places"),
    [
        ("en", "Hotel jobs in Canada and Dubai", ["CA", "Dubai, AE"]),
        ("en", "Work in St. Lucia or the Dominican Republic, not Dominica", ["LC", "DO", "DM"]),
        ("es", "Trabajo en España y Santo Domingo", ["ES", "Santo Domingo, DO"]),
        (
            "fr",
            "Travail en Guyane française, départ de Port-au-Prince",
            ["GF", "Port-au-Prince, HT"],
        ),
        ("fr", "Emploi à Sainte-Lucie et au Chili", ["LC", "CL"]),
        (
            "ht",
            "Travay nan Kanada ak Dibai, depa Pòtoprens",
            ["CA", "Dubai, AE", "Port-au-Prince, HT"],
        ),
        ("pt", "Vagas em Portugal e Lisboa, também nos EUA", ["PT", "Lisbon, PT", "US"]),
        ("pt", "trabalho na Guiana Francesa e em Caiena", ["GF", "Cayenne, GF"]),
        ("en", "Jobs abroad 🇨🇦 🇦🇪", ["CA", "AE"]),
    ],
)
def test_places_in_five_languages(lang: str, text: str, places: list[str]) -> None:
    assert values(text, "place", lang) == places


def test_place_names_that_are_ordinary_words_elsewhere() -> None:
    # "Chili" is Chile only in French and Creole; Latin America is not the United States.
    assert values("Hot chili sauce, Latin America tours", "place") == []
    assert values("Hot chili sauce", "place", "fr") == ["CL"]
    assert only("jobs in Toronto", "place").attrs == {"country": "CA", "kind": "city"}


def test_gazetteer_errors_name_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "places.yml"
    bad.write_text("version: 1\ncountries:\n  Canada:\n    en: [Canada]\n", encoding="utf-8")
    with pytest.raises(EntityConfigError, match="ISO 3166"):
        load_gazetteer(bad)
    clash = tmp_path / "clash.yml"
    clash.write_text(
        "version: 1\ncountries:\n  CA:\n    en: [Georgia]\n  GE:\n    en: [Georgia]\n",
        encoding="utf-8",
    )
    with pytest.raises(EntityConfigError, match="'Georgia' names both"):
        load_gazetteer(clash).index("en")
    with pytest.raises(EntityConfigError, match="not found"):
        load_gazetteer(tmp_path / "missing.yml")


# --- the whole list ----------------------------------------------------------------------


def test_entities_are_sorted_and_not_duplicated() -> None:
    text = (
        "Slim girls 18-25 for Dubai. US$3,000 a month. WhatsApp +1 758 555 0134 or "
        "wa.me/17585550134. Email jobs at gulfstars dot com. Girls 18-25 only."
    )
    found = entities(text)
    assert [e.start for e in found] == sorted(e.start for e in found)
    assert [(e.type, e.value) for e in found] == [
        ("age", "18-25"),
        ("place", "Dubai, AE"),
        ("wage", "3000 USD/month"),
        ("phone", "+17585550134"),
        ("handle", "whatsapp:+17585550134"),
        ("phone", "+17585550134"),
        ("email", "jobs@gulfstars.com"),
        ("age", "18-25"),
    ]


def test_empty_text_has_no_entities() -> None:
    assert extract_entities("", "en") == []
    assert extract_entities("   \n", "ht") == []


def test_every_span_of_the_seed_corpus_slices_its_text() -> None:
    count = 0
    for path in sorted(SEED.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            ad = json.loads(line)
            for e in extract_entities(ad["text"], ad.get("lang", "en")):
                assert ad["text"][e.start : e.end] == e.text, (path.name, e)
                count += 1
    assert count > 1000  # phones, wages, ages and places are common in the seed ads
