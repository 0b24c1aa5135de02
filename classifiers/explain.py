"""The words that pushed a score: each feature's share of the linear model's log-odds.

A feature's contribution is its value in the ad times its coefficient. With calibration the
model is several logistic regressions (one per calibration fold, each followed by its own
calibrator); the coefficients are averaged over them, which is the linear part their
calibrated average follows. Contributions are in log-odds before calibration: they rank and
sign the terms, they do not add up to the calibrated probability.

Character n-grams are merged into words. Alone they read poorly (" wha", "app "), and a word
the model knows mostly through its n-grams would otherwise not show at all. Each n-gram's
contribution is shared evenly among the distinct vocabulary words of the ad that contain it
(padded with spaces as ``char_wb`` pads them), then added to those words. N-grams found in
no vocabulary word of the ad (rare words, numbers glued to punctuation) are left out.
Word bigrams stay phrases of their own ("no experience"), beside their words.

Words and indicator features are ranked apart: the indicator block ("fee or debt + travel
paid abroad", "3 or more distinct indicators") carries most of the weight in this model and
would otherwise crowd every word out of the list.

Everything is computed for a batch at once from the feature matrix the model scored, with
sparse products; per ad only the top few terms are turned into Python objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression

from classifiers.model import LureModel
from classifiers.normalize import normalise
from core.ad import Term

TOP = 8  # words and phrases per direction
TOP_INDICATORS = 5  # indicator features per direction
MIN_WEIGHT = 0.005  # smaller contributions say nothing a reviewer can use


@dataclass(frozen=True)
class _Layout:
    n_word: int
    n_char: int
    n_indicator: int


class Explainer:
    """Built once per model (it indexes the vocabularies); ``explain`` runs per batch."""

    def __init__(self, model: LureModel) -> None:
        word_vocab: dict[str, int] = model.word_vectorizer_.vocabulary_
        char_vocab: dict[str, int] = model.char_vectorizer_.vocabulary_
        indicator_names: list[str] = list(model.indicator_vectorizer_.feature_names_)
        self._layout = _Layout(len(word_vocab), len(char_vocab), len(indicator_names))
        self._coef = mean_coefficients(model)
        total = self._layout.n_word + self._layout.n_char + self._layout.n_indicator
        if self._coef.shape[0] != total:
            raise ValueError(f"model has {self._coef.shape[0]} coefficients for {total} features")
        names = np.empty(self._layout.n_word, dtype=object)
        for term, i in word_vocab.items():
            names[i] = term
        self._word_names = names
        self._indicator_names = [indicator_term(n) for n in indicator_names]
        self._min_n, self._max_n = model.char_vectorizer_.ngram_range
        self._membership(word_vocab, char_vocab)

    def _membership(self, word_vocab: dict[str, int], char_vocab: dict[str, int]) -> None:
        """``_word_grams`` (unigram word x char n-gram): 1 where the word contains the
        n-gram; ``_unigrams``: the word-block column of each unigram word."""
        unigram_cols: list[int] = []
        word_ids: list[int] = []
        gram_ids: list[int] = []
        for term, col in word_vocab.items():
            if " " in term:
                continue
            k = len(unigram_cols)
            unigram_cols.append(col)
            for gram in set(char_wb_ngrams(term, self._min_n, self._max_n)):
                g = char_vocab.get(gram)
                if g is not None:
                    word_ids.append(k)
                    gram_ids.append(g)
        self._unigrams = np.asarray(unigram_cols, dtype=np.int64)
        # Word k's n-grams are row k: gathered per (ad, present word) pair in contributions.
        self._word_grams = sparse.csr_matrix(
            (np.ones(len(word_ids)), (word_ids, gram_ids)),
            shape=(len(unigram_cols), self._layout.n_char),
        )

    def contributions(self, features: sparse.csr_matrix) -> tuple[sparse.csr_matrix, ...]:
        """(words and phrases with their n-grams merged in, indicator features), per ad."""
        lay = self._layout
        n_ads, n_char = features.shape[0], lay.n_char
        contrib = sparse.csr_matrix(features.multiply(self._coef[np.newaxis, :]))
        words = contrib[:, : lay.n_word]
        chars = contrib[:, lay.n_word : lay.n_word + n_char]
        indicators = contrib[:, lay.n_word + n_char :]
        present = sparse.csr_matrix(features[:, self._unigrams])
        present.data = np.ones_like(present.data)
        # How many words of each ad contain each n-gram: its contribution is split that many ways.
        sharers = sparse.csr_matrix(present @ self._word_grams)
        sharers.data = 1.0 / sharers.data
        shares = sparse.csr_matrix(chars.multiply(sharers))
        shares.sort_indices()
        # Sum each present word's n-gram shares: one (ad, word) pair per row of ``grams``, and
        # a sorted search of (ad, n-gram) keys instead of a product over every vocabulary
        # word that contains the n-gram (" t" is in thousands).
        pair_ad = np.repeat(np.arange(n_ads, dtype=np.int64), np.diff(present.indptr))
        pair_word = present.indices
        grams = self._word_grams[pair_word]
        entry_pair = np.repeat(np.arange(len(pair_word)), np.diff(grams.indptr))
        wanted = pair_ad[entry_pair] * n_char + grams.indices
        have = np.repeat(np.arange(n_ads, dtype=np.int64), np.diff(shares.indptr))
        have = have * n_char + shares.indices
        at = np.minimum(np.searchsorted(have, wanted), max(len(have) - 1, 0))
        values = np.where(have[at] == wanted, shares.data[at], 0.0) if len(have) else np.zeros(0)
        sums = np.bincount(entry_pair, weights=values, minlength=len(pair_word))
        merged = sparse.csr_matrix(
            (sums, (pair_ad, self._unigrams[pair_word])), shape=(n_ads, lay.n_word)
        )
        return sparse.csr_matrix(words + merged), sparse.csr_matrix(indicators)

    def explain(
        self,
        features: sparse.csr_matrix,
        texts: Sequence[str],
        titles: Sequence[str] | None = None,
        top: int = TOP,
        top_indicators: int = TOP_INDICATORS,
    ) -> list[list[Term]]:
        """Per ad: up to ``top`` words and phrases towards a lure (largest first), then up
        to ``top`` towards benign (most negative first), then the same for indicator
        features with ``top_indicators``. Word spans index ``texts[i]``; ``titles`` (what
        the model read besides the text) only saves looking for title words in the text."""
        if features.shape[0] != len(texts):
            raise ValueError(f"{features.shape[0]} feature rows for {len(texts)} texts")
        words, indicators = self.contributions(features)
        ranked_words, ranked_indicators = _Ranked(words), _Ranked(indicators)
        out = []
        for i, text in enumerate(texts):
            terms: list[Term] = []
            for col, value in ranked_words.strongest(i, top):
                name = str(self._word_names[col])
                terms.append(Term(name, value, kind="phrase" if " " in name else "word"))
            place_terms(terms, text, titles[i] if titles is not None else "")
            for col, value in ranked_indicators.strongest(i, top_indicators):
                terms.append(Term(self._indicator_names[col], value, kind="indicator"))
            out.append(terms)
        return out


class _Ranked:
    """The entries of each row sorted by value, once for the whole batch."""

    def __init__(self, matrix: sparse.csr_matrix) -> None:
        rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        order = np.lexsort((matrix.data, rows))
        self._bounds: list[int] = matrix.indptr.tolist()
        self._cols: list[int] = matrix.indices[order].tolist()
        self._values: list[float] = np.round(matrix.data[order], 4).tolist()

    def strongest(self, row: int, top: int) -> list[tuple[int, float]]:
        """(column, value): the ``top`` largest values of a row, largest first, then the
        ``top`` most negative, leaving out those too small to matter."""
        lo, hi = self._bounds[row], self._bounds[row + 1]
        values, cols = self._values, self._cols
        out = []
        for k in range(hi - 1, max(lo, hi - top) - 1, -1):
            if values[k] < MIN_WEIGHT:
                break
            out.append((cols[k], values[k]))
        for k in range(lo, min(hi, lo + top)):
            if values[k] > -MIN_WEIGHT:
                break
            out.append((cols[k], values[k]))
        return out


def mean_coefficients(model: LureModel) -> np.ndarray:
    """The coefficient vector of the model's logistic regression, averaged over the
    calibration folds when there are several."""
    classifier = model.classifier_
    if isinstance(classifier, CalibratedClassifierCV):
        fitted = [c.estimator for c in classifier.calibrated_classifiers_]
    elif isinstance(classifier, LogisticRegression):
        fitted = [classifier]
    else:
        raise TypeError(f"cannot explain a {type(classifier).__name__}")
    return np.mean([np.ravel(lr.coef_) for lr in fitted], axis=0)


def char_wb_ngrams(word: str, min_n: int, max_n: int) -> list[str]:
    """The n-grams scikit-learn's ``char_wb`` analyzer takes from one whitespace-free word."""
    padded = f" {word} "
    grams: list[str] = []
    for n in range(min_n, max_n + 1):
        grams.extend(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
        if len(padded) <= n:  # a short word counts once, as a whole
            break
    return grams


_SUMMARY = {
    "n_strong": "number of strong indicators",
    "n_medium": "number of medium indicators",
    "n_weak": "number of weak indicators",
    "none": "no indicator fired",
    "strong+other": "a strong indicator with another",
    "strong>=2": "2 or more strong indicators",
    "medium>=2": "2 or more medium indicators",
}


def indicator_term(name: str) -> str:
    """An indicator-block feature name as a reviewer reads it:
    "pair:fee_or_debt&travel_paid_abroad" → "fee or debt + travel paid abroad"."""

    def human(code: str) -> str:
        return code.replace("_", " ")

    kind, _, rest = name.partition(":")
    if kind == "has" and rest:
        return f"indicator: {human(rest)}"
    if kind == "absent" and rest:
        return f"ruled out: {human(rest)}"
    if kind == "pair" and "&" in rest:
        a, b = rest.split("&", 1)
        return f"{human(a)} + {human(b)}"
    if name.startswith("distinct>="):
        return f"{name.removeprefix('distinct>=')} or more distinct indicators"
    return _SUMMARY.get(name, human(name))


def place_terms(terms: list[Term], text: str, title: str) -> None:
    """Sets each word's or phrase's span to its first occurrence in ``text``, tokenised as
    the word vectorizer does. The original text is searched first; a term it does not spell
    that way (leetspeak, fancy letters, spaced-out words) and that is not a title word is
    looked up in the normalised copy and mapped back."""
    if not terms or not text:
        return
    lowered = text.lower()
    if len(lowered) != len(text):  # a few letters lowercase to two characters
        lowered = ""
    missing = []
    for term in terms:
        span = _find(lowered, term.term) if lowered else None
        if span is not None:
            term.start, term.end = span
        elif term.term not in title.lower():
            missing.append(term)
    if missing:
        norm = normalise(text)
        for term in missing:
            span = _find(norm.text, term.term)
            if span is not None:
                term.start, term.end = norm.original_span(*span)


def _find(lowered: str, term: str) -> tuple[int, int] | None:
    """First ``term`` (one word, or two separated by non-word characters) as whole words."""
    first, _, second = term.partition(" ")
    pos = 0
    while (at := lowered.find(first, pos)) >= 0:
        end = at + len(first)
        pos = at + 1
        if not _whole(lowered, at, end):
            continue
        if not second:
            return at, end
        nxt = end
        while nxt < len(lowered) and not _is_word(lowered[nxt]):
            nxt += 1
        if (
            nxt > end
            and lowered.startswith(second, nxt)
            and _whole(lowered, nxt, nxt + len(second))
        ):
            return at, nxt + len(second)
    return None


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _whole(text: str, start: int, end: int) -> bool:
    return (start == 0 or not _is_word(text[start - 1])) and (
        end == len(text) or not _is_word(text[end])
    )
