"""The model scores through its own fast road (classifiers/textfeatures.py and the stacked
calibration folds) and gets exactly what scikit-learn's transforms and CalibratedClassifierCV
give; what is saved does not change by scoring."""

from __future__ import annotations

import numpy as np
import pytest
import skops.io as sio

from classifiers import registry
from classifiers.corpus import LabelledAd, load_seed
from classifiers.features import AdInput, ad_input, taxonomy_params
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
    from sklearn.feature_extraction.text import TfidfVectorizer

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
    assert abs(fast.transform(texts) - model.char_vectorizer_.transform(texts)).max() == 0.0
    assert len(fast._words) <= 50


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
