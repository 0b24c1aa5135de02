"""The lure model: word and character n-gram TF-IDF of the normalised text plus the
indicator block, into a logistic regression with calibrated probabilities."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from classifiers.features import AdInput, IndicatorVectorizer


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
        labels = np.asarray(y, dtype=np.int64)
        if len(X) != len(labels):
            raise ValueError(f"{len(X)} inputs but {len(labels)} labels")
        if set(np.unique(labels)) != {0, 1}:
            raise ValueError("training needs both classes (labels 0 and 1)")
        if self.calibration not in ("sigmoid", "isotonic", "none"):
            raise ValueError(f"unknown calibration {self.calibration!r}")
        texts = [x.text for x in X]
        self.word_vectorizer_ = TfidfVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            token_pattern=r"(?u)\b\w+\b",  # noqa: S106 (a regex, not a password)
            min_df=2,
            max_features=40_000,
            sublinear_tf=True,
        ).fit(texts)
        self.char_vectorizer_ = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), min_df=2, max_features=60_000, sublinear_tf=True
        ).fit(texts)
        self.indicator_vectorizer_ = IndicatorVectorizer(self.codes, self.strengths).fit(X)
        features = self._features(X)
        for vectorizer in (self.word_vectorizer_, self.char_vectorizer_):
            # numpy ints in the vocabulary would each become a separate array in the skops
            # file (tens of thousands): plain ints keep saving fast and the file small.
            vectorizer.vocabulary_ = {t: int(i) for t, i in vectorizer.vocabulary_.items()}
        base = LogisticRegression(
            C=self.C,
            class_weight="balanced",
            solver="liblinear",
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
        texts = [x.text for x in X]
        blocks = [
            self.word_vectorizer_.transform(texts) * self.text_weight,
            self.char_vectorizer_.transform(texts) * self.text_weight,
            self.indicator_vectorizer_.transform(X) * self.indicator_weight,
        ]
        return sparse.hstack(blocks, format="csr")

    def predict_proba(self, X: Sequence[AdInput]) -> np.ndarray:
        return np.asarray(self.classifier_.predict_proba(self._features(X)))

    def predict(self, X: Sequence[AdInput]) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(np.int64)
