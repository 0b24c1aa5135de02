"""The classifier on awkward input, with the bundled seed model: empty and huge texts, wrong
types, unknown languages, and combinations (one weak signal is not a lure)."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from classifiers.errors import ClassifierInputError
from classifiers.jsonl import classify_stream
from classifiers.service import AdText, LureClassifier, load_classifier
from core.settings import Settings

pytestmark = pytest.mark.slow  # trains the bundled seed model once per session

MAX_CHARS = 5_000

# One weak signal ("no experience needed") in an ordinary ad with a way to reach the company.
LONE_NO_EXPERIENCE = {
    "en": "Bayside Supermarket in Castries is hiring a cashier. No experience needed, we train "
    "you on the job. Send your CV to jobs@bayside.example.",
    "es": "Supermercado La Bahía en Colón busca cajera. No se necesita experiencia, te "
    "capacitamos en la tienda. Envía tu hoja de vida a empleo@labahia.example.",
    "fr": "Le supermarché Bel Air à Fort-de-France recrute un caissier. Aucune expérience "
    "requise, formation sur place. Envoyez votre CV à emploi@belair.example.",
    "ht": "Makèt Bèl Vi nan Okap ap chèche yon kesye. Pa bezwen eksperyans, n ap fòme w sou "
    "plas. Voye CV ou nan travay@belvi.example.",
    "pt": "O Supermercado Boa Vista em Belém contrata operador de caixa. Sem experiência, "
    "treinamento na loja. Envie o currículo para vagas@boavista.example.",
}
BLATANT = {
    "en": "Young girls 18-22 wanted for hostess work in Dubai. Earn US$5,000 a month, no "
    "experience needed. We pay your ticket and visa, you repay from salary. We keep your "
    "passport. WhatsApp only, leave this week.",
    "es": "Se buscan chicas de 18 a 22 años para trabajar de anfitrionas en Dubái. Gana 5.000 "
    "dólares al mes, sin experiencia. Te pagamos el pasaje y la visa, lo devuelves con tu "
    "sueldo. Nosotros guardamos tu pasaporte. Solo por WhatsApp, viajas esta semana.",
    "fr": "Jeunes filles de 18 à 22 ans recherchées comme hôtesses à Dubaï. Gagnez 5 000 "
    "dollars par mois, sans expérience. Billet et visa payés, vous remboursez sur votre "
    "salaire. Nous gardons votre passeport. WhatsApp uniquement, départ cette semaine.",
    "ht": "Nou bezwen jenn fi 18 a 22 an pou travay otès Dubai. Ou ap fè 5000 dola US chak "
    "mwa, pa bezwen eksperyans. Nou peye tikè ak viza, w ap ranbouse sou salè w. Nou kenbe "
    "paspò ou. WhatsApp sèlman, ou pati semèn sa a.",
    "pt": "Procuramos moças de 18 a 22 anos para trabalhar como recepcionistas em Dubai. Ganhe "
    "5.000 dólares por mês, sem experiência. Pagamos a passagem e o visto, você paga com o "
    "salário. Nós ficamos com seu passaporte. Só pelo WhatsApp, viagem esta semana.",
}


@pytest.fixture(scope="module")
def clf(trained_models: Path, tmp_path_factory: pytest.TempPathFactory) -> LureClassifier:
    """The seed model of the ``trained_settings`` fixture, shared by this module."""
    home = tmp_path_factory.mktemp("robust-home")
    shutil.copytree(trained_models, home / "models")
    return load_classifier(Settings(home=home, max_ad_chars=MAX_CHARS), announce=pytest.fail)


@pytest.mark.parametrize("lang", sorted(LONE_NO_EXPERIENCE))
def test_a_lone_no_experience_does_not_flag(clf: LureClassifier, lang: str) -> None:
    result = clf.classify(LONE_NO_EXPERIENCE[lang])
    assert result.lang == lang
    assert [i.code for i in result.indicators] == ["no_experience"]
    assert not result.flagged, result.lure_score


@pytest.mark.parametrize("lang", sorted(BLATANT))
def test_a_blatant_lure_is_flagged(clf: LureClassifier, lang: str) -> None:
    result = clf.classify(BLATANT[lang])
    assert result.lang == lang
    assert result.flagged, result.lure_score
    assert {"travel_paid_abroad", "no_experience", "chat_only_contact"} <= {
        i.code for i in result.indicators
    }
    towards_lure = [t for t in result.top_terms if t.weight > 0]
    assert towards_lure, "a flagged ad says what pushed it"


@pytest.mark.parametrize(("text", "title"), [("", ""), ("   \n\t ", ""), ("", "  ")])
def test_nothing_to_read_gets_a_defined_result(clf: LureClassifier, text: str, title: str) -> None:
    result = clf.classify(text, title=title)
    assert (result.lure_score, result.flagged, result.indicators, result.top_terms) == (
        0.0,
        False,
        [],
        [],
    )
    assert result.lang == "other"
    assert result.model_version == clf.version
    assert clf.classify("", lang="es").lang == "es"


def test_a_title_alone_is_scored(clf: LureClassifier) -> None:
    result = clf.classify("", title="Jenn fi pou travay lòt bò, tikè peye, WhatsApp sèlman")
    assert result.lang == "ht"
    assert "travel_paid_abroad" in {i.code for i in result.indicators}


def test_empty_ads_keep_their_place_in_a_batch(clf: LureClassifier) -> None:
    results = clf.classify_many([AdText(BLATANT["en"]), AdText(" "), AdText(BLATANT["fr"])])
    assert [r.flagged for r in results] == [True, False, True]
    assert [r.lang for r in results] == ["en", "other", "fr"]


def test_a_huge_text_is_capped_and_offsets_stay_valid(clf: LureClassifier) -> None:
    text = BLATANT["en"] + " Cook wanted." * 200_000  # 2.6 million characters
    result = clf.classify(text)
    assert result.flagged
    spans: list[tuple[int | None, int | None, str | None]] = [
        (ev.start, ev.end, ev.text) for i in result.indicators for ev in i.evidence
    ]
    spans += [(t.start, t.end, None) for t in result.top_terms if t.start is not None]
    assert spans
    for start, end, words in spans:
        assert start is not None and end is not None and 0 <= start < end <= MAX_CHARS
        if words is not None:
            assert text[start:end] == words
    # What lies beyond the cap is not read.
    late = "Cook wanted. " * 400 + "We keep your passport."
    assert "documents_held" not in {i.code for i in clf.classify(late).indicators}


@pytest.mark.parametrize(
    ("ad", "message"),
    [
        (AdText(text=123), "ad 1 of the batch: text must be a string, got int"),  # type: ignore[arg-type]
        (AdText(text="Cook", title=["a"]), "title must be a string, got list"),  # type: ignore[arg-type]
        (AdText(text=None), "text must be a string, got NoneType"),  # type: ignore[arg-type]
        (AdText(text="Cook", lang=5), "lang must be a string or None, got int"),  # type: ignore[arg-type]
    ],
)
def test_wrong_types_are_refused_clearly(clf: LureClassifier, ad: AdText, message: str) -> None:
    with pytest.raises(ClassifierInputError, match=message):
        clf.classify_many([ad])
    assert issubclass(ClassifierInputError, ValueError)  # the CLI reports it as bad input


@pytest.mark.parametrize(("given", "expected"), [("xx", "ht"), ("de", "ht"), ("klingon", "ht")])
def test_a_language_we_do_not_have_is_identified_instead(
    clf: LureClassifier, given: str, expected: str
) -> None:
    text = "Nou bezwen jenn fi pou travay lòt bò, nou peye tikè avyon."
    assert clf.classify(text, lang=given).lang == expected
    assert clf.classify("Arbeit im Ausland, Flug wird bezahlt", lang="xx").lang == "other"
    assert clf.classify(text, lang="pt-BR").lang == "pt"  # one of ours: trusted


def test_explanations_can_be_left_out(clf: LureClassifier) -> None:
    (result,) = clf.classify_many([AdText(BLATANT["es"])], explain=False)
    assert result.top_terms == [] and result.flagged


def _run(clf: LureClassifier, lines: list[str]) -> tuple[list[dict[str, object]], list[str], int]:
    out, err = io.StringIO(), io.StringIO()
    bad = classify_stream(clf, lines, out, err)
    return [json.loads(x) for x in out.getvalue().splitlines()], err.getvalue().splitlines(), bad


def test_jsonl_reports_wrong_types_and_keeps_good_lines(clf: LureClassifier) -> None:
    lines = [
        json.dumps({"id": 1, "text": BLATANT["pt"]}),
        json.dumps({"id": 2, "text": 42}),
        json.dumps({"id": 3, "text": "Cook wanted", "title": ["Cook"]}),
        json.dumps({"id": 4, "text": "  ", "title": ""}),
        json.dumps({"id": 5, "text": "Cook", "lang": {"code": "en"}}),
        json.dumps({"id": 6, "text": True}),
        json.dumps({"id": 7, "text": LONE_NO_EXPERIENCE["ht"], "lang": "xx"}),
        json.dumps({"id": 8, "text": "", "title": "Hostess jobs abroad, ticket paid"}),
    ]
    rows, errors, bad = _run(clf, lines)
    assert bad == 5
    assert errors == [
        "line 2: 'text' must be a string, got a number",
        "line 3: 'title' must be a string, got an array",
        "line 4: nothing to classify: 'text' is empty and there is no 'title'",
        "line 5: 'lang' must be a string, got an object",
        "line 6: 'text' must be a string, got a boolean",
    ]
    assert [r["id"] for r in rows] == [1, 7, 8]
    assert rows[0]["flagged"] is True and rows[0]["lang"] == "pt"
    assert rows[1]["lang"] == "ht" and rows[1]["flagged"] is False
    terms = rows[0]["top_terms"]
    assert isinstance(terms, list) and terms
    assert set(terms[0]) == {"term", "weight", "start", "end", "kind"}
    text = BLATANT["pt"]
    for term in terms:
        if term["start"] is not None:
            assert text[term["start"] : term["end"]].lower() == term["term"]
