"""Explanations: which words and indicator features pushed a score, and where they are."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from classifiers.explain import (
    Explainer,
    char_wb_ngrams,
    find_term,
    indicator_term,
    mean_coefficients,
    place_terms,
)
from classifiers.features import AdInput, ad_input, taxonomy_params
from classifiers.indicators import IndicatorExtractor
from classifiers.model import LureModel
from core.ad import Term

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "data" / "classifiers" / "mini.jsonl"
LURE = (
    "Pretty young ladies wanted as hostesses in Dubai. Registration fee US$300, ticket and "
    "visa paid, you repay from salary. No experience needed. WhatsApp only."
)
BENIGN = "Licensed agency, licence 4471. No fees charged to workers. Apply at the Ministry office."


@pytest.fixture(scope="module")
def extractor() -> IndicatorExtractor:
    return IndicatorExtractor.from_file(ROOT / "config" / "indicators.yml")


@pytest.fixture(scope="module")
def data(extractor: IndicatorExtractor) -> tuple[list[AdInput], list[int]]:
    rows = [json.loads(line) for line in MINI.read_text(encoding="utf-8").splitlines()]
    inputs = [ad_input(extractor.extract(r["text"], r.get("title", ""), r["lang"])) for r in rows]
    return inputs, [int(r["label"]) for r in rows]


def _model(
    extractor: IndicatorExtractor, data: tuple[list[AdInput], list[int]], calibration: str
) -> LureModel:
    codes, strengths = taxonomy_params(extractor.taxonomy)
    return LureModel(codes, strengths, calibration=calibration, cv=3).fit(*data)


@pytest.fixture(scope="module")
def calibrated(extractor: IndicatorExtractor, data: tuple[list[AdInput], list[int]]) -> LureModel:
    return _model(extractor, data, "sigmoid")


@pytest.fixture(scope="module")
def explainer(calibrated: LureModel) -> Explainer:
    return Explainer(calibrated)


def _input(extractor: IndicatorExtractor, text: str, title: str = "") -> AdInput:
    return ad_input(extractor.extract(text, title, "en"))


def test_coefficients_are_the_mean_over_calibration_folds(
    calibrated: LureModel, data: tuple[list[AdInput], list[int]]
) -> None:
    features = calibrated.features(data[0])
    folds = calibrated.classifier_.calibrated_classifiers_
    assert len(folds) == 3
    expected = np.mean([c.estimator.decision_function(features) for c in folds], axis=0)
    intercept = np.mean([c.estimator.intercept_[0] for c in folds])
    got = features @ mean_coefficients(calibrated) + intercept
    assert np.allclose(got, expected)


def test_contributions_add_up_when_every_word_is_known(
    calibrated: LureModel, explainer: Explainer, extractor: IndicatorExtractor
) -> None:
    # Every whitespace-separated token a vocabulary word: each character n-gram lies in one
    # of them, so nothing is left out and the merged terms add up to the linear score.
    vocab = calibrated.word_vectorizer_.vocabulary_
    known = sorted(w for w in vocab if w.isalpha() and w.isascii() and len(w) > 3)[:25]
    features = calibrated.features([_input(extractor, " ".join(known))])
    words, indicators = explainer.contributions(features)
    linear = float((features @ mean_coefficients(calibrated))[0])
    assert words.sum() + indicators.sum() == pytest.approx(linear)
    # ... and words that are not in the ad get nothing.
    absent = [vocab[w] for w in vocab if " " not in w and w not in known]
    assert not words[:, absent].count_nonzero()


def test_char_ngrams_are_those_scikit_learn_makes() -> None:
    analyzer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)).build_analyzer()
    for word in ("a", "ok", "visa", "whatsapp"):
        assert sorted(char_wb_ngrams(word, 2, 5)) == sorted(analyzer(word))


@pytest.mark.parametrize(
    ("name", "readable"),
    [
        ("pair:fee_or_debt&travel_paid_abroad", "fee or debt + travel paid abroad"),
        ("has:chat_only_contact", "indicator: chat only contact"),
        ("absent:fee_or_debt", "ruled out: fee or debt"),
        ("distinct>=3", "3 or more distinct indicators"),
        ("none", "no indicator fired"),
        ("strong+other", "a strong indicator with another"),
    ],
)
def test_indicator_features_read_as_words(name: str, readable: str) -> None:
    assert indicator_term(name) == readable


def test_a_lure_is_explained_in_both_directions(
    calibrated: LureModel, explainer: Explainer, extractor: IndicatorExtractor
) -> None:
    features = calibrated.features([_input(extractor, LURE), _input(extractor, BENIGN)])
    lure, benign = explainer.explain(features, [LURE, BENIGN])
    for terms in (lure, benign):
        assert {t.kind for t in terms} <= {"word", "phrase", "indicator"}
        for kind_terms in (
            [t for t in terms if t.kind != "indicator"],
            [t for t in terms if t.kind == "indicator"],
        ):
            ups = [t.weight for t in kind_terms if t.weight > 0]
            downs = [t.weight for t in kind_terms if t.weight < 0]
            assert [t.weight for t in kind_terms] == ups + downs  # lure side first
            assert ups == sorted(ups, reverse=True) and downs == sorted(downs)
            assert len(ups) <= 8 and len(downs) <= 8
    # Indicator combinations push the lure up; a benign ad with none, and a fee ruled out,
    # is pushed down.
    assert next(t for t in lure if t.kind == "indicator").weight > 0.1
    assert {"no indicator fired", "ruled out: fee or debt"} <= {
        t.term for t in benign if t.weight < 0
    }
    for text, terms in ((LURE, lure), (BENIGN, benign)):
        placed = [t for t in terms if t.start is not None]
        assert placed
        for t in placed:
            assert t.end is not None
            assert " ".join(text[t.start : t.end].lower().split()) == t.term
        assert all(t.start is None for t in terms if t.kind == "indicator")


def test_a_batch_explains_each_ad_as_alone(
    calibrated: LureModel, explainer: Explainer, extractor: IndicatorExtractor
) -> None:
    texts = [LURE, BENIGN, "Cook wanted for beach bar, apply in person."]
    batch = explainer.explain(calibrated.features([_input(extractor, t) for t in texts]), texts)
    alone = [explainer.explain(calibrated.features([_input(extractor, t)]), [t])[0] for t in texts]
    assert batch == alone


def test_model_without_calibration_is_explained(
    extractor: IndicatorExtractor, data: tuple[list[AdInput], list[int]]
) -> None:
    model = _model(extractor, data, "none")
    explainer = Explainer(model)
    features = model.features([_input(extractor, LURE)])
    (terms,) = explainer.explain(features, [LURE])
    assert terms and any(t.weight > 0 for t in terms)
    linear = float(model.classifier_.decision_function(features)[0])
    words, indicators = explainer.contributions(features)
    unplaced = linear - model.classifier_.intercept_[0] - words.sum() - indicators.sum()
    assert abs(unplaced) < 0.5 * abs(linear)  # the n-grams left out are a small remainder


def test_rows_and_texts_must_match(
    calibrated: LureModel, explainer: Explainer, extractor: IndicatorExtractor
) -> None:
    with pytest.raises(ValueError, match="1 feature rows for 2 texts"):
        explainer.explain(calibrated.features([_input(extractor, LURE)]), [LURE, BENIGN])


def test_terms_are_placed_on_their_first_whole_word() -> None:
    text = "Pretty m0dels wanted, NO  EXPERIENCE! Whatsapp-ish app: W h a t s A p p only"
    terms = [
        Term("whatsapp", 1.0),
        Term("models", 0.5),
        Term("no experience", 0.3, kind="phrase"),
        Term("app", 0.2),
        Term("dubai", 0.1),  # only in the title
    ]
    place_terms(terms, text, "Jobs in Dubai")
    spans = {t.term: (t.start, t.end) for t in terms}
    assert text[slice(*spans["whatsapp"])] == "Whatsapp"
    assert text[slice(*spans["models"])] == "m0dels"
    assert text[slice(*spans["no experience"])] == "NO  EXPERIENCE"
    assert text[slice(*spans["app"])] == "app"
    assert spans["dubai"] == (None, None)
    obfuscated = [Term("whatsapp", 1.0)]
    place_terms(obfuscated, "Contact: W h a t s A p p only", "")
    start, end = obfuscated[0].start, obfuscated[0].end
    assert start is not None and end is not None
    assert "Contact: W h a t s A p p only"[start:end] == "W h a t s A p p"


@pytest.mark.parametrize(
    ("text", "term", "placed"),
    [
        ("there, the_ xthe the.", "the", "the"),  # the first one no letter or "_" touches
        ("nox exp no, exp no experiencex no - experience!", "no experience", "no - experience"),
        ("no—experience", "no experience", "no—experience"),
        ("café cafés 2café café", "café", "café"),
        ("wages², wages 3", "wages", "wages"),
    ],
)
def test_a_term_is_placed_where_it_stands_as_whole_words(text: str, term: str, placed: str) -> None:
    terms = [Term(term, 1.0, kind="phrase" if " " in term else "word")]
    place_terms(terms, text, "")
    start, end = terms[0].start, terms[0].end
    assert start is not None and end is not None
    assert text[start:end] == placed
    # ... and not inside another word.
    assert start == 0 or not (text[start - 1].isalnum() or text[start - 1] == "_")
    assert end == len(text) or not (text[end].isalnum() or text[end] == "_")


def _regex_find(lowered: str, term: str) -> tuple[int, int] | None:
    """The regular expression that placed terms before: the oracle for ``place_terms``."""
    first, _, second = term.partition(" ")
    head = re.escape(first)
    source = rf"{head}(?<!\w{head})(?!\w)"
    if second:
        source += rf"\W++{re.escape(second)}(?!\w)"
    found = re.search(source, lowered)
    return found.span() if found is not None else None


def test_terms_are_placed_as_whole_words_as_the_regular_expression_did() -> None:
    rng = random.Random(7)
    alphabet = "ab_1 .,-'\u00e9\u00df\u0661\u00b2\u2019\n\t\U0001f600"
    words = ["a", "ab", "ba", "b1", "a_b", "\u00e9a", "a\u00e9", "\u0661", "ab\u00b2"]
    checked = 0
    for _ in range(5000):
        pieces = [*alphabet, *words, *words]
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 20)))
        term = rng.choice(words)
        if rng.random() < 0.5:
            term = f"{term} {rng.choice(words)}"
        if rng.random() < 0.5:  # the term's words, with what may or may not part them
            spelled = term.replace(" ", rng.choice([" ", ", ", "_", "", "\n-"]))
            cut = rng.randrange(len(text) + 1)
            text = text[:cut] + spelled + text[cut:]
        assert find_term(text, term) == _regex_find(text, term), (text, term)
        checked += _regex_find(text, term) is not None
    assert checked > 300  # the random texts hold the terms often enough to test something
