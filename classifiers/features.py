"""What the model reads for one ad: the normalised text and which indicators fired (or
were explicitly ruled out), turned into a sparse feature block.

Indicator features carry the combinations: one weak indicator says little, so besides
one column per indicator there are counts by strength, "at least k distinct indicators"
steps and one column per pair of indicators.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

from classifiers.indicators import Extraction
from classifiers.taxonomy import Taxonomy

# Indicators that say something only together with others, never counted as "distinct".
_CONTEXT_ONLY = frozenset({"no_company_identity"})


@dataclass(frozen=True)
class AdInput:
    text: str  # normalised title and text
    codes: tuple[str, ...]  # indicators that fired
    absent: tuple[str, ...] = ()  # indicators the ad explicitly rules out


def ad_input(extraction: Extraction) -> AdInput:
    return AdInput(extraction.normalised, extraction.codes, tuple(sorted(extraction.absent)))


def taxonomy_params(taxonomy: Taxonomy) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(codes, strengths) as the vectorizer takes them."""
    return taxonomy.codes, tuple(s.strength for s in taxonomy.indicators)


class IndicatorVectorizer(TransformerMixin, BaseEstimator):
    def __init__(self, codes: tuple[str, ...] = (), strengths: tuple[str, ...] = ()) -> None:
        self.codes = codes
        self.strengths = strengths

    def fit(self, X: Sequence[AdInput], y: object = None) -> IndicatorVectorizer:
        if len(self.codes) != len(self.strengths):
            raise ValueError("codes and strengths must have the same length")
        if not self.codes:
            raise ValueError("no indicator codes given")
        names = [f"has:{c}" for c in self.codes]
        names += [f"absent:{c}" for c in self.codes]
        names += ["n_strong", "n_medium", "n_weak", "none"]
        names += [f"distinct>={k}" for k in range(2, 7)]
        names += ["strong+other", "strong>=2", "medium>=2"]
        names += [f"pair:{a}&{b}" for a, b in itertools.combinations(self.codes, 2)]
        self.feature_names_ = names
        self.vocabulary_ = {name: i for i, name in enumerate(names)}
        self.strength_of_ = dict(zip(self.codes, self.strengths, strict=True))
        return self

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.asarray(self.feature_names_, dtype=object)

    def transform(self, X: Sequence[AdInput]) -> sparse.csr_matrix:
        vocab = self.vocabulary_
        strength_of = self.strength_of_
        rank: dict[str, int] = {}
        for i, code in enumerate(self.codes):
            rank.setdefault(code, i)
        steps = [vocab[f"distinct>={k}"] for k in range(2, 7)]
        none, strong_other = vocab["none"], vocab["strong+other"]
        strong2, medium2 = vocab["strong>=2"], vocab["medium>=2"]
        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        for item in X:
            known = sorted({c for c in item.codes if c in strength_of}, key=rank.__getitem__)
            # column -> value; each name has its own column
            feats: dict[int, float] = {vocab[f"has:{code}"]: 1.0 for code in known}
            for code in item.absent:
                if code in strength_of:
                    feats[vocab[f"absent:{code}"]] = 1.0
            distinct = [c for c in known if c not in _CONTEXT_ONLY]
            by_strength = {"strong": 0, "medium": 0, "weak": 0}
            for code in distinct:
                by_strength[strength_of[code]] += 1
            for strength, n in by_strength.items():
                if n:
                    feats[vocab[f"n_{strength}"]] = min(n, 4) / 2.0
            if not distinct:
                feats[none] = 1.0
            for column in steps[: max(0, len(distinct) - 1)]:
                feats[column] = 1.0
            if by_strength["strong"] and len(distinct) >= 2:
                feats[strong_other] = 1.0
            if by_strength["strong"] >= 2:
                feats[strong2] = 1.0
            if by_strength["medium"] >= 2:
                feats[medium2] = 1.0
            for a, b in itertools.combinations(known, 2):
                feats[vocab[f"pair:{a}&{b}"]] = 1.0
            for column in sorted(feats):
                indices.append(column)
                data.append(feats[column])
            indptr.append(len(indices))
        return sparse.csr_matrix(
            (
                np.asarray(data, dtype=np.float64),
                np.asarray(indices, dtype=np.int32),
                np.asarray(indptr, dtype=np.int32),
            ),
            shape=(len(X), len(vocab)),
        )
