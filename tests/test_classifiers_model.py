"""The model scores through its own fast road (classifiers/textfeatures.py and the stacked
calibration folds) and gets exactly what scikit-learn's transforms and CalibratedClassifierCV
give; what is saved does not change by scoring."""

from __future__ import annotations

import random
import tracemalloc
from typing import Any

import numpy as np
import pytest
import skops.io as sio
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from classifiers import registry
from classifiers.corpus import LabelledAd, load_seed
from classifiers.features import AdInput, IndicatorVectorizer, ad_input, taxonomy_params
from classifiers.indicators import IndicatorExtractor
from classifiers.model import LureModel
from classifiers.nlp import LANGUAGES
from classifiers.textfeatures import FastTfidf, char_wb_ngrams
from core.settings import CONFIG_DIR

ODD_TEXTS = ["", " ", "a", "ΣΑΣ σας", "tab\there  and\u2003em space", "x" * 300, "été 3 000 €"]


@pytest.fixture(scope="module")
def data() -> tuple[list[AdInput], list[int], list[AdInput]]:
    extractor = IndicatorExtractor.from_file(CONFIG_DIR / "indicators.yml")
    seed: list[LabelledAd] = load_seed()[::3]

    def inputs(ads: list[LabelledAd]) -> list[AdInput]:
        return [
            ad_input(extractor.extract(a.text, a.title, a.lang if a.lang in LANGUAGES else "en"))
            for a in ads
        ]

    held_out = inputs(seed[400:])
    held_out += [AdInput(t, ("fee_or_debt",)) for t in ODD_TEXTS]
    return inputs(seed[:400]), [a.label for a in seed[:400]], held_out


def _taxonomy() -> tuple[tuple[str, ...], tuple[str, ...]]:
    return taxonomy_params(IndicatorExtractor.from_file(CONFIG_DIR / "indicators.yml").taxonomy)


def _model(data: tuple[list[AdInput], list[int], list[AdInput]], calibration: str) -> LureModel:
    codes, strengths = taxonomy_params(
        IndicatorExtractor.from_file(CONFIG_DIR / "indicators.yml").taxonomy
    )
    return LureModel(codes, strengths, C=4.0, calibration=calibration).fit(data[0], data[1])


@pytest.mark.parametrize("calibration", ["sigmoid", "isotonic", "none"])
def test_scores_are_scikit_learns_exactly(
    data: tuple[list[AdInput], list[int], list[AdInput]], calibration: str
) -> None:
    model = _model(data, calibration)
    held_out = data[2]
    reference = model._features(held_out)  # scikit-learn's transforms
    fast = model.features(held_out)
    assert fast.shape == reference.shape
    assert abs(fast - reference).max() == 0.0
    expected = np.asarray(model.classifier_.predict_proba(reference))
    assert np.array_equal(model.predict_proba(held_out), expected)
    one_by_one = np.vstack([model.predict_proba([x]) for x in held_out[:20]])
    assert np.array_equal(one_by_one, expected[:20])


def test_scoring_changes_nothing_that_is_saved(
    data: tuple[list[AdInput], list[int], list[AdInput]],
) -> None:
    model = _model(data, "isotonic")
    before = registry.dump_model(model)
    model.predict_proba(data[2])
    assert registry.dump_model(model) == before


def test_a_refit_model_scores_with_its_new_fit(
    data: tuple[list[AdInput], list[int], list[AdInput]],
) -> None:
    model = _model(data, "sigmoid")
    model.predict_proba(data[2])
    texts, labels = data[0][:200], data[1][:200]
    model.fit(texts, labels)
    fresh = _model((texts, labels, data[2]), "sigmoid")
    assert np.array_equal(model.predict_proba(data[2]), fresh.predict_proba(data[2]))


def test_training_twice_on_the_same_data_gives_the_same_model(
    data: tuple[list[AdInput], list[int], list[AdInput]],
) -> None:
    first = registry.dump_model(_model(data, "isotonic"))
    assert registry.dump_model(_model(data, "isotonic")) == first


@pytest.mark.parametrize("word", ["a", "ab", "abc", "abcd", "été", "x" * 9])
def test_char_wb_ngrams_are_scikit_learns(word: str) -> None:
    analyzer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)).build_analyzer()
    assert char_wb_ngrams(word, 2, 5) == analyzer(word)


def test_word_cache_is_bounded(
    data: tuple[list[AdInput], list[int], list[AdInput]], monkeypatch: pytest.MonkeyPatch
) -> None:
    import classifiers.textfeatures as textfeatures

    model = _model(data, "none")
    monkeypatch.setattr(textfeatures, "CACHE_WORDS", 50)
    fast = FastTfidf(model.char_vectorizer_)
    texts = [x.text for x in data[2]]
    # Batches of a few ads fill the cache, start it again and reuse what it kept.
    for batch in [texts, *(texts[i : i + 3] for i in range(0, 60, 3)), texts]:
        _assert_same(fast.transform(batch), model.char_vectorizer_.transform(batch))
        assert len(fast._words) <= 50


def test_word_cache_is_bounded_by_size_when_hostile_words_are_long(
    data: tuple[list[AdInput], list[int], list[AdInput]], monkeypatch: pytest.MonkeyPatch
) -> None:
    import classifiers.textfeatures as textfeatures

    model = _model(data, "none")
    monkeypatch.setattr(textfeatures, "CACHE_CHARS", 20_000)
    monkeypatch.setattr(textfeatures, "CACHE_CELLS", 30_000)
    fast = FastTfidf(model.char_vectorizer_)
    rng = random.Random(7)
    # Few words, each thousands of distinct characters: the word count alone never fills.
    hostile = [
        " ".join("".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=3_000)) for _ in range(3))
        for _ in range(12)
    ]
    for batch in [hostile[i : i + 2] for i in range(0, 12, 2)]:
        _assert_same(fast.transform(batch), model.char_vectorizer_.transform(batch))
        assert sum(map(len, fast._words)) <= 20_000
        assert fast._grams.n_cells <= 30_000
    _assert_same(fast.transform(hostile), model.char_vectorizer_.transform(hostile))


def test_a_batch_of_long_texts_of_new_words_is_read_in_bounded_memory(
    data: tuple[list[AdInput], list[int], list[AdInput]],
) -> None:
    model = _model(data, "none")
    fast = FastTfidf(model.char_vectorizer_)
    rng = random.Random(3)
    # 32 ads at the size cap (20,000 characters), every word new.
    hostile = [
        " ".join("".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=8)) for _ in range(2_200))
        for _ in range(32)
    ]
    tracemalloc.start()
    try:
        fast.transform(hostile)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Holding the n-gram strings of all those words at once, this measured about 200 MB.
    assert peak < 80_000_000


def _assert_same(got: sparse.csr_matrix, expected: sparse.csr_matrix) -> None:
    """The same matrix, stored alike: the same entries in the same order, bit for bit."""
    assert got.shape == expected.shape
    assert np.array_equal(got.indptr, expected.indptr)
    assert np.array_equal(got.indices, expected.indices)
    assert np.array_equal(got.data, expected.data)


_LETTERS = [*"abcde  xyz__-'.,0129", "é", "Σ", "ς", "İ", "²", "٣", "\u2003", "\t", "\n", "ß", "ﬁ"]


def _random_texts(rng: random.Random, count: int) -> list[str]:
    return ["".join(rng.choices(_LETTERS, k=rng.randint(0, 80))) for _ in range(count)]


@pytest.mark.parametrize(
    "settings",
    [
        {"analyzer": "word", "ngram_range": (1, 2), "token_pattern": r"(?u)\b\w+\b"},
        {"analyzer": "word", "ngram_range": (1, 2), "sublinear_tf": True},  # its own pattern
        {"analyzer": "word", "ngram_range": (2, 2), "token_pattern": r"(?u)\b\w+\b"},
        {"analyzer": "word", "ngram_range": (1, 3), "token_pattern": r"(?u)\b\w+\b"},
        {"analyzer": "word", "ngram_range": (1, 2), "token_pattern": r"[a-z]+", "norm": "l1"},
        {"analyzer": "char_wb", "ngram_range": (2, 5), "sublinear_tf": True},
        {"analyzer": "char_wb", "ngram_range": (1, 3), "norm": None},
    ],
)
def test_fast_transforms_are_scikit_learns_for_other_settings(settings: dict[str, Any]) -> None:
    rng = random.Random(5)
    vectorizer = TfidfVectorizer(min_df=2, **settings).fit(_random_texts(rng, 300))
    fast = FastTfidf(vectorizer)
    texts = [*_random_texts(rng, 200), "", " "]
    for batch in (texts[:1], texts[:7], texts):
        _assert_same(fast.transform(batch), vectorizer.transform(batch))


def test_char_counts_too_large_to_pack_are_summed_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    import classifiers.textfeatures as textfeatures

    rng = random.Random(6)
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2)
    vectorizer.fit(_random_texts(rng, 300))
    texts = _random_texts(rng, 100)
    monkeypatch.setattr(textfeatures, "_PACKED_CELLS", 0)
    _assert_same(FastTfidf(vectorizer).transform(texts), vectorizer.transform(texts))


def test_a_loaded_model_builds_its_scorer_and_scores_alike() -> None:
    """A model file holds no scorer: loading builds it on first use."""
    codes, strengths = taxonomy_params(
        IndicatorExtractor.from_file(CONFIG_DIR / "indicators.yml").taxonomy
    )
    texts = [AdInput(f"job {i} pay fee" if i % 2 else f"office work {i}", ()) for i in range(40)]
    model = LureModel(codes, strengths, calibration="sigmoid").fit(
        texts, [i % 2 for i in range(40)]
    )
    data = registry.dump_model(model)
    loaded = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    assert isinstance(loaded, LureModel)
    assert np.array_equal(loaded.predict_proba(texts), model.predict_proba(texts))


def test_indicator_block_counts_and_combines_what_fired() -> None:
    codes, strengths = _taxonomy()
    vectorizer = IndicatorVectorizer(codes, strengths).fit([])
    names = vectorizer.get_feature_names_out()
    fired = AdInput(
        "",
        # Unknown codes are ignored; a context-only indicator is not counted as distinct.
        ("travel_paid_abroad", "fee_or_debt", "no_company_identity", "not_a_code", "secrecy"),
        ("no_contract", "not_a_code"),
    )
    rows = vectorizer.transform([fired, AdInput("", ())]).toarray()
    assert rows.shape == (2, len(names))
    got = {str(names[j]): float(v) for j, v in enumerate(rows[0]) if v}
    assert got == {
        "has:fee_or_debt": 1.0,
        "has:travel_paid_abroad": 1.0,
        "has:no_company_identity": 1.0,
        "has:secrecy": 1.0,
        "absent:no_contract": 1.0,
        "n_strong": 1.0,
        "n_medium": 0.5,
        "distinct>=2": 1.0,
        "distinct>=3": 1.0,
        "strong+other": 1.0,
        "strong>=2": 1.0,
        # Pairs in taxonomy order, whatever order the codes came in.
        "pair:fee_or_debt&travel_paid_abroad": 1.0,
        "pair:fee_or_debt&no_company_identity": 1.0,
        "pair:fee_or_debt&secrecy": 1.0,
        "pair:travel_paid_abroad&no_company_identity": 1.0,
        "pair:travel_paid_abroad&secrecy": 1.0,
        "pair:no_company_identity&secrecy": 1.0,
    }
    assert {str(names[j]) for j, v in enumerate(rows[1]) if v} == {"none"}
