"""Entities in what `lurewatch classify` writes, in the store, and the pay_too_good rule
that weighs a wage against the pay where the job is (config/wages.yml)."""

import io
import json
import shutil
from pathlib import Path

import pytest

from classifiers.entities import EntityConfigError, WageReference
from classifiers.indicators import IndicatorExtractor
from classifiers.jsonl import classify_stream
from classifiers.service import AdText, LureClassifier, load_classifier
from core.settings import CONFIG_DIR, Settings
from index.store import Store
from tests.factories import make_ad

LURE = (
    "Slim girls 18-25 for hostess work in Dubai. Earn US$3,000 a month, flight paid. "
    "WhatsApp seven five eight, five five five, zero one three four or wa.me/17585550134."
)


@pytest.fixture(scope="module")
def clf(trained_models: Path, tmp_path_factory: pytest.TempPathFactory) -> LureClassifier:
    """The bundled model, loaded once for the module (as ``trained_settings`` would)."""
    home = tmp_path_factory.mktemp("home")
    shutil.copytree(trained_models, home / "models")
    return load_classifier(Settings(home=home), announce=lambda _: None)


@pytest.fixture(scope="module")
def extractor() -> IndicatorExtractor:
    return IndicatorExtractor.from_file(CONFIG_DIR / "indicators.yml")


def run(clf: LureClassifier, rows: list[object]) -> tuple[int, list[dict], list[str]]:
    out, err = io.StringIO(), io.StringIO()
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    bad = classify_stream(clf, lines, out, err)
    return bad, [json.loads(x) for x in out.getvalue().splitlines()], err.getvalue().splitlines()


def test_classify_output_has_entities_with_offsets_into_the_text(clf: LureClassifier) -> None:
    title = "Call 868 555 0199 now"  # title entities are not reported: offsets index text
    bad, rows, _ = run(clf, [{"id": "a", "title": title, "text": LURE, "lang": "en"}])
    assert bad == 0
    found = rows[0]["entities"]
    assert {"type", "value", "start", "end", "text", "attrs"} <= set(found[0])
    for entity in found:
        assert LURE[entity["start"] : entity["end"]] == entity["text"]
    summary = [(e["type"], e["value"]) for e in found]
    assert summary == [
        ("age", "18-25"),
        ("place", "Dubai, AE"),
        ("wage", "3000 USD/month"),
        ("phone", "+17585550134"),
        ("handle", "whatsapp:+17585550134"),
        ("phone", "+17585550134"),
    ]
    spelled = found[3]
    assert spelled["text"] == "seven five eight, five five five, zero one three four"
    assert spelled["attrs"]["chat"] == "whatsapp"
    codes = {i["code"] for i in rows[0]["indicators"]}
    assert {"pay_too_good", "chat_only_contact", "appearance_age_gender"} <= codes


def test_region_sets_the_default_country_and_bad_regions_are_reported(
    clf: LureClassifier,
) -> None:
    rows_in = [
        {"text": "Call 3712 3456 for the job.", "region": "HT"},
        {"text": "Call 3712 3456 for the job."},
        {"text": "Pay $3,000 a month.", "region": "LC"},
        {"text": "Call us.", "region": "Narnia"},
        {"text": "Call us.", "region": 7},
    ]
    bad, rows, errors = run(clf, rows_in)
    assert bad == 2
    assert errors == [
        "line 4: unknown region 'Narnia': give a two-letter country code such as LC or HT",
        "line 5: 'region' must be a string, got a number",
    ]
    assert [e["value"] for e in rows[0]["entities"]] == ["+50937123456"]
    assert rows[1]["entities"] == []  # eight digits are no Saint Lucian number
    assert [e["value"] for e in rows[2]["entities"]] == ["3000 XCD/month"]


def test_entities_round_trip_through_the_store(
    trained_settings: Settings, clf: LureClassifier
) -> None:
    ad = make_ad("http://127.0.0.1:9/ad/7", "Hostess jobs", LURE)
    ad.apply(clf.classify_many([AdText(ad.text, ad.title, "en")])[0])
    assert ad.entities
    store = Store(trained_settings)
    store.upsert(ad)
    stored = store.get(ad.id)
    assert stored is not None
    assert stored.ad.entities == ad.entities
    phone = next(e for e in stored.ad.entities if e.type == "phone")
    assert stored.ad.text[phone.start : phone.end] == phone.text


# --- pay_too_good against the wage reference ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "region", "fires"),
    [
        # Default reference (no place named): US$1,200 a month, too good from 2.5x.
        ("Salary US$3,500 per month.", None, True),
        ("Salary EC$3,500 per month.", None, False),
        # Dubai's entry pay is far lower than Switzerland's.
        ("Hostess work in Dubai, US$3,000 a month.", None, True),
        ("Hostess work in Switzerland, US$3,000 a month.", None, False),
        # Hourly and weekly pay are converted to a month.
        ("Waitresses in Panama, US$20 per hour.", None, True),
        ("Farm work in Canada, C$16 per hour.", None, False),
        ("Trabajo en Chile, 1500 dólares a la semana.", None, True),
        # A bare "$" on a Saint Lucian site is EC$, weighed against Saint Lucian pay.
        ("Pay $3,000 a month.", "LC", False),
        ("Pay $3,000 a month.", None, True),
        # A fee is no wage, however large.
        ("Registration fee US$5,000 to start.", None, False),
    ],
)
def test_pay_too_good_weighs_wages_against_the_destination(
    extractor: IndicatorExtractor, text: str, region: str | None, fires: bool
) -> None:
    lang = "es" if "Trabajo" in text else "en"
    found = extractor.extract(text, lang=lang, region=region)
    assert ("pay_too_good" in found.codes) is fires
    if fires:
        evidence = next(i for i in found.indicators if i.code == "pay_too_good").evidence
        assert all(text[e.start : e.end] == e.text for e in evidence)


def test_a_place_in_the_title_sets_the_reference_for_the_text(
    extractor: IndicatorExtractor,
) -> None:
    text = "Earn US$4,000 a month, room included."
    assert "pay_too_good" in extractor.extract(text, "Jobs in Qatar", "en").codes
    assert "pay_too_good" not in extractor.extract(text, "Jobs in Geneva", "en").codes


def test_chat_only_comes_from_handles_links_and_whatsapp_phones(
    extractor: IndicatorExtractor,
) -> None:
    assert "chat_only_contact" in extractor.extract("Jobs abroad. t.me/jobsabroad", lang="en").codes
    assert "chat_only_contact" in extractor.extract("Jobs. Telegram: @jobs_abroad", lang="en").codes
    assert "chat_only_contact" in extractor.extract("Jobs. wa.me/17585550134", lang="en").codes
    with_site = extractor.extract("Jobs. t.me/jobsabroad or apply at hotel.example/jobs", lang="en")
    assert "chat_only_contact" not in with_site.codes
    spelled_email = extractor.extract("Jobs. t.me/jobsabroad or hr at hotel dot com", lang="en")
    assert "chat_only_contact" not in spelled_email.codes
    assert "no_company_identity" not in spelled_email.codes
    plain_phone = extractor.extract("Cooks wanted. Call 758 452 1234.", lang="en")
    assert "chat_only_contact" not in plain_phone.codes


def test_a_custom_wage_reference(tmp_path: Path) -> None:
    wages = (CONFIG_DIR / "wages.yml").read_text(encoding="utf-8")
    strict = tmp_path / "wages.yml"
    strict.write_text(wages.replace("factor: 2.5", "factor: 1.5"), encoding="utf-8")
    extractor = IndicatorExtractor.from_file(CONFIG_DIR / "indicators.yml")
    text = "Hotel work in Canada, US$3,500 a month."
    assert "pay_too_good" not in extractor.extract(text, lang="en").codes
    extractor.wages = WageReference.from_file(strict)
    assert "pay_too_good" in extractor.extract(text, lang="en").codes


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("factor: 2.5", "factor: 0.5"), "factor"),
        (("  LC: 500\n", "  Saint Lucia: 500\n"), "ISO 3166"),
        (("  hour: 173\n", ""), "missing: \\['hour'\\]"),
        (("  EUR: 1.08\n", "  EUR: -1\n"), "above 0"),
    ],
)
def test_bad_wage_references_are_refused_with_the_reason(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    wages = (CONFIG_DIR / "wages.yml").read_text(encoding="utf-8")
    assert change[0] in wages
    bad = tmp_path / "wages.yml"
    bad.write_text(wages.replace(*change), encoding="utf-8")
    with pytest.raises(EntityConfigError, match=message):
        WageReference.from_file(bad)
