"""The lure model: word and character n-gram TF-IDF of the normalised text plus the
indicator block, into a logistic regression with calibrated probabilities.

scikit-learn fits the vectorizers and the classifier. Turning texts into features and
scoring them take a faster road to the same numbers: scikit-learn's vectorizers build every
n-gram string of every ad (:mod:`classifiers.textfeatures` does not), and its calibrated
classifier makes a separate pass over the features per calibration fold (:class:`_Scorer`
makes one).
"""

from __future__ import annotations

import copy
import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV, _SigmoidCalibration
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from classifiers import textfeatures
from classifiers.features import AdInput, IndicatorVectorizer
from classifiers.textfeatures import FastTfidf

_SCORER = "_scorer_"  # instance attribute holding the built _Scorer (or None: none)
_Transform = Callable[[Sequence[str]], sparse.csr_matrix]


class LureModel(ClassifierMixin, BaseEstimator):
    """``calibration`` is "sigmoid", "isotonic" or "none"; ``text_weight`` and
    ``indicator_weight`` scale the two feature blocks against each other."""

    def __init__(
        self,
        codes: tuple[str, ...] = (),
        strengths: tuple[str, ...] = (),
        C: float = 1.0,
        calibration: str = "sigmoid",
        text_weight: float = 1.0,
        indicator_weight: float = 1.0,
        cv: int = 5,
        random_state: int = 0,
    ) -> None:
        self.codes = codes
        self.strengths = strengths
        self.C = C
        self.calibration = calibration
        self.text_weight = text_weight
        self.indicator_weight = indicator_weight
        self.cv = cv
        self.random_state = random_state

    def fit(self, X: Sequence[AdInput], y: Sequence[int]) -> LureModel:
        self.__dict__.pop(_SCORER, None)  # a scorer of the previous fit would be stale
        labels = np.asarray(y, dtype=np.int64)
        if len(X) != len(labels):
            raise ValueError(f"{len(X)} inputs but {len(labels)} labels")
        if set(np.unique(labels)) != {0, 1}:
            raise ValueError("training needs both classes (labels 0 and 1)")
        if self.calibration not in ("sigmoid", "isotonic", "none"):
            raise ValueError(f"unknown calibration {self.calibration!r}")
        fitted = _fitted_text([x.text for x in X])
        # Each model its own vectorizer objects; the fitted vocabularies (never changed
        # after fitting) are shared.
        self.word_vectorizer_ = copy.copy(fitted.word)
        self.char_vectorizer_ = copy.copy(fitted.char)
        self.indicator_vectorizer_ = IndicatorVectorizer(self.codes, self.strengths).fit(X)
        features = _feature_matrix(self, fitted.word_transform, fitted.char_transform, X)
        base = LogisticRegression(
            C=self.C,
            class_weight="balanced",
            solver="liblinear",
            # The dual problem has one variable per ad, the primal one per feature: with far
            # more features than ads, the same optimum in a quarter of the time.
            dual=True,
            max_iter=5000,
            random_state=self.random_state,
        )
        if self.calibration == "none":
            self.classifier_ = base.fit(features, labels)
        else:
            folds = min(self.cv, int(np.bincount(labels).min()))
            if folds < 2:
                raise ValueError("calibration needs at least 2 examples of each class")
            splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.random_state)
            self.classifier_ = CalibratedClassifierCV(
                base, method=self.calibration, cv=splitter
            ).fit(features, labels)
        self.classes_ = np.array([0, 1])
        return self

    def _features(self, X: Sequence[AdInput]) -> sparse.csr_matrix:
        """The features through scikit-learn's own transforms (what the fast road matches)."""
        texts = [x.text for x in X]
        blocks = [
            self.word_vectorizer_.transform(texts) * self.text_weight,
            self.char_vectorizer_.transform(texts) * self.text_weight,
            self.indicator_vectorizer_.transform(X) * self.indicator_weight,
        ]
        return sparse.hstack(blocks, format="csr")

    def predict_proba(self, X: Sequence[AdInput]) -> np.ndarray:
        return self.predict_proba_features(self.features(X))

    # Hooks for classifiers/explain.py: score and explain a batch from one feature build.
    def features(self, X: Sequence[AdInput]) -> sparse.csr_matrix:
        """The matrix the classifier reads: word block, char block, indicator block."""
        scorer = self._scorer()
        if scorer is None:
            return _feature_matrix(
                self, _transformer(self.word_vectorizer_), _transformer(self.char_vectorizer_), X
            )
        return scorer.features(X)

    def predict_proba_features(self, features: sparse.csr_matrix) -> np.ndarray:
        scorer = self._scorer()
        if scorer is None:
            return np.asarray(self.classifier_.predict_proba(features))
        return scorer.predict_proba(features)

    def _scorer(self) -> _Scorer | None:
        """Built on first use after fitting or loading, and never saved (``__getstate__``):
        it only rearranges what the fitted parts hold. None when the fitted parts are of a
        kind it does not know (scoring then goes through scikit-learn)."""
        if _SCORER not in self.__dict__:
            self.__dict__[_SCORER] = _Scorer.build(self)
        scorer = self.__dict__[_SCORER]
        return scorer if isinstance(scorer, _Scorer) else None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())  # a copy: the live instance keeps its scorer
        state.pop(_SCORER, None)
        return _pack_vocabularies(state)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(_unpack_vocabularies(state))

    def predict(self, X: Sequence[AdInput]) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(np.int64)


# A saved model's text vectorizers without their vocabularies, which are saved instead as
# each vectorizer's terms in column order, one per line. skops writes a dict as one node per
# entry: 100,000 n-grams made a 20 MB schema that took over a second to read back at every
# start. Models saved before keep their dicts and load as they are.
_PACKED = "packed_vocabularies_"
_TEXT_VECTORIZERS = ("word_vectorizer_", "char_vectorizer_")


def _pack_vocabularies(state: dict[str, Any]) -> dict[str, Any]:
    packed: dict[str, str] = {}
    for name in _TEXT_VECTORIZERS:
        vectorizer = state.get(name)
        terms = _terms_by_column(getattr(vectorizer, "vocabulary_", None))
        if terms is None:
            continue
        # A copy without the dict: the live vectorizer keeps it.
        light = object.__new__(type(vectorizer))
        light.__dict__.update(
            (key, value) for key, value in vectorizer.__dict__.items() if key != "vocabulary_"
        )
        state[name] = light
        packed[name] = "\n".join(terms)
    if packed:
        state[_PACKED] = packed
    return state


def _terms_by_column(vocabulary: object) -> list[str] | None:
    """The terms ordered by column, if the vocabulary maps them one to one onto 0..n-1 and
    none holds a line break (n-grams never do: both analyzers split on whitespace);
    otherwise None, and the dict is saved as it is."""
    if not isinstance(vocabulary, dict) or not vocabulary:
        return None
    terms: list[str | None] = [None] * len(vocabulary)
    for term, column in vocabulary.items():
        if not (isinstance(term, str) and type(column) is int and 0 <= column < len(terms)):
            return None
        if terms[column] is not None or "\n" in term:
            return None
        terms[column] = term
    return terms  # type: ignore[return-value]  # every column was filled exactly once


def _unpack_vocabularies(state: dict[str, Any]) -> dict[str, Any]:
    state = dict(state)
    packed = state.pop(_PACKED, None)
    if packed is None:
        return state
    if not isinstance(packed, dict) or not set(packed) <= set(_TEXT_VECTORIZERS):
        raise ValueError("a saved LureModel's packed vocabularies are not what LureModel saves")
    for name, text in packed.items():
        vectorizer = state.get(name)
        if not isinstance(text, str) or not isinstance(vectorizer, TfidfVectorizer):
            raise ValueError(f"a saved LureModel's packed vocabulary for {name} is malformed")
        terms = text.split("\n")
        vocabulary = dict(zip(terms, range(len(terms)), strict=True))
        if len(vocabulary) != len(terms) or len(terms) != len(vectorizer.idf_):
            raise ValueError(f"a saved LureModel's packed vocabulary for {name} is malformed")
        vectorizer.vocabulary_ = vocabulary
    return state


class _Scorer:
    """``features`` and ``predict_proba_features`` of a fitted :class:`LureModel`, the same
    numbers (up to the order of floating-point sums) in a fraction of the time.

    The text blocks come from :class:`~classifiers.textfeatures.FastTfidf`. The calibrated
    classifier is several (logistic regression, calibrator) pairs whose probabilities are
    averaged; their regressions' coefficients are stacked into one matrix, so one sparse
    product gives every fold's decision value, and each fold's own fitted calibrator maps
    its column as scikit-learn would."""

    def __init__(
        self,
        model: LureModel,
        word: FastTfidf,
        char: FastTfidf,
        coef: np.ndarray,
        intercept: np.ndarray,
        calibrators: list[Any] | None,
    ) -> None:
        self._model = model
        self._word, self._char = word, char
        self._coef, self._intercept = coef, intercept
        self._calibrators = calibrators

    @classmethod
    def build(cls, model: LureModel) -> _Scorer | None:
        vectorizers = (model.word_vectorizer_, model.char_vectorizer_)
        if not all(textfeatures.supports(v) for v in vectorizers):
            return None
        classifier = model.classifier_
        calibrators: list[Any] | None = None
        if isinstance(classifier, LogisticRegression):
            regressions = [classifier]
        elif isinstance(classifier, CalibratedClassifierCV):
            folds = classifier.calibrated_classifiers_
            known = ("sigmoid", "isotonic")
            if any(f.method not in known or len(f.calibrators) != 1 for f in folds):
                return None
            regressions = [f.estimator for f in folds]
            calibrators = [f.calibrators[0] for f in folds]
        else:
            return None
        if not all(
            isinstance(r, LogisticRegression)
            and r.coef_.shape[0] == 1
            and list(r.classes_) == [0, 1]
            for r in regressions
        ):
            return None
        coef = np.ascontiguousarray(np.vstack([r.coef_[0] for r in regressions]).T)
        intercept = np.asarray([float(r.intercept_[0]) for r in regressions])
        word, char = FastTfidf(vectorizers[0]), FastTfidf(vectorizers[1])
        return cls(model, word, char, coef, intercept, calibrators)

    def features(self, X: Sequence[AdInput]) -> sparse.csr_matrix:
        return _feature_matrix(self._model, self._word.transform, self._char.transform, X)

    def predict_proba(self, features: sparse.csr_matrix) -> np.ndarray:
        if features.shape[1] != self._coef.shape[0]:
            raise ValueError(f"{features.shape[1]} features, the model reads {self._coef.shape[0]}")
        decisions = np.asarray(features @ self._coef) + self._intercept
        if self._calibrators is None:  # one uncalibrated logistic regression
            return np.asarray(self._model.classifier_.predict_proba(features))
        # As CalibratedClassifierCV.predict_proba: each fold's [1 - p, p], averaged.
        mean = np.zeros((features.shape[0], 2))
        for column, calibrator in zip(decisions.T, self._calibrators, strict=True):
            positive = _calibrate(calibrator, column)
            mean[:, 1] += positive
            mean[:, 0] += 1.0 - positive
        mean /= len(self._calibrators)
        return mean


def _calibrate(calibrator: Any, decisions: np.ndarray) -> np.ndarray:
    """``calibrator.predict(decisions)`` without scikit-learn's input checks, which cost more
    than the arithmetic for a small batch: the same formulas on the same fitted values."""
    if isinstance(calibrator, IsotonicRegression):
        if calibrator.out_of_bounds == "clip" and len(calibrator.y_thresholds_) > 1:
            # IsotonicRegression clips, then interpolates linearly (scipy's interp1d, which
            # hands float64 data to numpy.interp).
            clipped = np.clip(decisions, calibrator.X_min_, calibrator.X_max_)
            return np.interp(clipped, calibrator.X_thresholds_, calibrator.y_thresholds_)
    elif isinstance(calibrator, _SigmoidCalibration):
        return np.asarray(expit(-(calibrator.a_ * decisions + calibrator.b_)))
    return np.asarray(calibrator.predict(decisions))


def _transformer(vectorizer: TfidfVectorizer) -> _Transform:
    if textfeatures.supports(vectorizer):
        return FastTfidf(vectorizer).transform
    return vectorizer.transform


def _feature_matrix(
    model: LureModel, word: _Transform, char: _Transform, X: Sequence[AdInput]
) -> sparse.csr_matrix:
    texts = [x.text for x in X]
    blocks = [word(texts), char(texts), model.indicator_vectorizer_.transform(X)]
    weights = (model.text_weight, model.text_weight, model.indicator_weight)
    for block, weight in zip(blocks, weights, strict=True):
        if weight != 1.0:
            block.data *= weight
    return sparse.hstack(blocks, format="csr")


@dataclass(frozen=True)
class _FittedText:
    key: str  # digest of the texts
    word: TfidfVectorizer
    char: TfidfVectorizer
    word_transform: _Transform
    char_transform: _Transform


# The text vectorizers last fitted, with their transforms. Training fits several candidate
# models on the same texts (the grid in classifiers/train.py) and the vectorizers depend on
# the texts alone: fitting them again would give the same vocabulary and idf, at a cost that
# grows with the data (and the transforms' per-word caches would start cold).
_last_fit: _FittedText | None = None
_fit_lock = threading.Lock()


def _fitted_text(texts: list[str]) -> _FittedText:
    global _last_fit
    digest = hashlib.sha256()
    for text in texts:
        encoded = text.encode("utf-8", "surrogatepass")
        digest.update(len(encoded).to_bytes(8, "little"))
        digest.update(encoded)
    key = digest.hexdigest()
    with _fit_lock:
        if _last_fit is None or _last_fit.key != key:
            word = TfidfVectorizer(
                analyzer="word",
                ngram_range=(1, 2),
                token_pattern=r"(?u)\b\w+\b",  # noqa: S106 (a regex, not a password)
                min_df=2,
                max_features=40_000,
                sublinear_tf=True,
            ).fit(texts)
            char = TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=(2, 5),
                min_df=2,
                max_features=60_000,
                sublinear_tf=True,
            ).fit(texts)
            for vectorizer in (word, char):
                # Plain ints, not numpy's: a saved model packs the vocabulary only then
                # (_pack_vocabularies).
                vectorizer.vocabulary_ = {t: int(i) for t, i in vectorizer.vocabulary_.items()}
            _last_fit = _FittedText(key, word, char, _transformer(word), _transformer(char))
        return _last_fit
