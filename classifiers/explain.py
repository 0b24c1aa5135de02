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

Everything is computed for a batch at once from the stored entries of the feature matrix the
model scored, in numpy; per ad only the top few terms are turned into Python objects.
"""

from __future__ import annotations

import itertools
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
        names = [""] * self._layout.n_word
        for term, i in word_vocab.items():
            names[i] = term
        self._word_terms = [(name, "phrase" if " " in name else "word") for name in names]
        self._indicator_names = [indicator_term(n) for n in indicator_names]
        self._min_n, self._max_n = model.char_vectorizer_.ngram_range
        self._membership(word_vocab, char_vocab)

    def _membership(self, word_vocab: dict[str, int], char_vocab: dict[str, int]) -> None:
        """Each unigram word's char n-grams in the vocabulary, ascending: those of the word
        in word-block column j are ``_gram_ids[_gram_starts[j] : _gram_starts[j + 1]]``
        (none for a phrase)."""
        grams_of: list[list[int]] = [[] for _ in range(self._layout.n_word)]
        for term, col in word_vocab.items():
            if " " in term:
                continue
            grams = map(char_vocab.get, char_wb_ngrams(term, self._min_n, self._max_n))
            grams_of[col] = sorted({g for g in grams if g is not None})
        self._unigram = np.asarray([" " not in name for name, _ in self._word_terms], dtype=bool)
        lengths = np.fromiter(map(len, grams_of), dtype=np.int64, count=len(grams_of))
        self._gram_starts = np.zeros(len(grams_of) + 1, dtype=np.int64)
        np.cumsum(lengths, out=self._gram_starts[1:])
        self._gram_ids = np.fromiter(
            itertools.chain.from_iterable(grams_of), dtype=np.int64, count=int(lengths.sum())
        )

    def contributions(self, features: sparse.csr_matrix) -> tuple[sparse.csr_matrix, ...]:
        """(words and phrases with their n-grams merged in, indicator features), per ad."""
        words, indicators = self._contributions(features)
        lay = self._layout
        return words.matrix(lay.n_word), indicators.matrix(lay.n_indicator)

    def _contributions(self, features: sparse.csr_matrix) -> tuple[_Entries, _Entries]:
        """The nonzero contributions, each row's in ascending column order. Computed on the
        stored entries of ``features`` (rows ascending, then columns): scipy's operations on
        intermediate matrices cost more in checks and copies than the arithmetic. The sums
        are those the products of matrices made, term by term in the same order."""
        lay = self._layout
        if features.shape[1] != self._coef.shape[0]:
            raise ValueError(f"{features.shape[1]} features, the model has {self._coef.shape[0]}")
        if not (sparse.issparse(features) and features.format == "csr"):
            features = sparse.csr_matrix(features)
        if not features.has_canonical_format:
            features = features.copy()
            features.sum_duplicates()
        n_ads, n_word, n_char = features.shape[0], lay.n_word, lay.n_char
        columns = features.indices.astype(np.int64, copy=False)
        rows = np.repeat(np.arange(n_ads, dtype=np.int64), np.diff(features.indptr))
        values = features.data * self._coef[columns]
        in_words = columns < n_word
        in_indicators = columns >= n_word + n_char
        in_chars = ~(in_words | in_indicators)
        word_rows, word_columns = rows[in_words], columns[in_words]
        merged = values[in_words]
        # Each char n-gram's contribution is shared among the words of the ad (unigrams of
        # the word block) that contain it: one (ad, word) pair per such word, and one entry
        # per n-gram of the word, found among the ad's n-grams (" t" is in thousands of
        # vocabulary words: no product over them).
        pairs = self._unigram[word_columns]
        pair_words = word_columns[pairs]
        starts = self._gram_starts[pair_words]
        lengths = self._gram_starts[pair_words + 1] - starts
        ends = np.cumsum(lengths)
        at = np.arange(ends[-1] if len(ends) else 0, dtype=np.int64)
        at += np.repeat(starts - ends + lengths, lengths)
        wanted = self._gram_ids[at]
        found = _positions(
            columns[in_chars] - n_word,
            _bounds(rows[in_chars], n_ads),
            wanted,
            _bounds(np.repeat(word_rows[pairs], lengths), n_ads),
            n_char,
        )
        # Split as many ways as the ad has words containing the n-gram. An n-gram the ad
        # lacks is found at the extra last position, whose contribution is 0.
        sharers = np.bincount(found, minlength=int(in_chars.sum()) + 1)
        shares = np.append(values[in_chars], 0.0)[found] * (1.0 / sharers[found])
        # Each pair's shares summed in ascending n-gram order, as the product did.
        entry_pair = np.repeat(np.arange(len(pair_words), dtype=np.int64), lengths)
        merged[pairs] += np.bincount(entry_pair, weights=shares, minlength=len(pair_words))
        return (
            _Entries.of(n_ads, word_rows, word_columns, merged),
            _Entries.of(
                n_ads,
                rows[in_indicators],
                columns[in_indicators] - n_word - n_char,
                values[in_indicators],
            ),
        )

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
        words, indicators = self._contributions(features)
        ranked_words, ranked_indicators = _Ranked(words), _Ranked(indicators)
        word_terms, indicator_names = self._word_terms, self._indicator_names
        out = []
        for i, text in enumerate(texts):
            terms = [
                Term(word_terms[col][0], value, kind=word_terms[col][1])
                for col, value in ranked_words.strongest(i, top)
            ]
            place_terms(terms, text, titles[i] if titles is not None else "")
            for col, value in ranked_indicators.strongest(i, top_indicators):
                terms.append(Term(indicator_names[col], value, kind="indicator"))
            out.append(terms)
        return out


@dataclass(frozen=True)
class _Entries:
    """Nonzero entries of a matrix with ``n_rows`` rows: rows ascending, and within a row
    columns ascending."""

    n_rows: int
    rows: np.ndarray
    columns: np.ndarray
    values: np.ndarray

    @classmethod
    def of(cls, n_rows: int, rows: np.ndarray, columns: np.ndarray, values: np.ndarray) -> _Entries:
        nonzero = values != 0.0
        return cls(n_rows, rows[nonzero], columns[nonzero], values[nonzero])

    def matrix(self, n_columns: int) -> sparse.csr_matrix:
        indptr = np.zeros(self.n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.rows, minlength=self.n_rows), out=indptr[1:])
        return sparse.csr_matrix(
            (self.values, self.columns, indptr), shape=(self.n_rows, n_columns)
        )


def _bounds(rows: np.ndarray, n_rows: int) -> list[int]:
    """Where each row's entries start (and the last ends) in ascending ``rows``."""
    bounds = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=bounds[1:])
    return bounds.tolist()


def _positions(
    have: np.ndarray,
    have_bounds: list[int],
    wanted: np.ndarray,
    wanted_bounds: list[int],
    size: int,
) -> np.ndarray:
    """Per row, where each ``wanted`` value is among the row's ``have`` values (distinct, in
    ``range(size)``), as an index into ``have``; ``len(have)`` where it is not there. One
    table of ``size`` slots serves every row: filled with the row's positions, read, reset."""
    missing = len(have)
    table = np.full(size, missing, dtype=np.int64)
    found = np.full(len(wanted), missing, dtype=np.int64)
    index = np.arange(missing, dtype=np.int64)
    for row in range(len(have_bounds) - 1):
        w0, w1 = wanted_bounds[row], wanted_bounds[row + 1]
        if w0 == w1:
            continue
        h0, h1 = have_bounds[row], have_bounds[row + 1]
        values = have[h0:h1]
        table[values] = index[h0:h1]
        found[w0:w1] = table[wanted[w0:w1]]
        table[values] = missing
    return found


class _Ranked:
    """The entries of each row that can be shown, sorted by value, once for the whole batch."""

    def __init__(self, entries: _Entries) -> None:
        rounded = np.round(entries.values, 4)
        # Only values that round to MIN_WEIGHT or more can be shown: sorting the others
        # out first changes no row's strongest (rounding keeps the order).
        kept = np.flatnonzero(np.abs(rounded) >= MIN_WEIGHT)
        rows = entries.rows[kept]
        # Stable: equal values keep their column order.
        order = kept[np.lexsort((entries.values[kept], rows))]
        self._bounds = _bounds(rows, entries.n_rows)
        self._cols: list[int] = entries.columns[order].tolist()
        self._values: list[float] = rounded[order].tolist()

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
    title_lowered: str | None = None
    for term in terms:
        span = find_term(lowered, term.term) if lowered else None
        if span is not None:
            term.start, term.end = span
            continue
        if title_lowered is None:
            title_lowered = title.lower()
        if term.term not in title_lowered:
            missing.append(term)
    if missing:
        norm = normalise(text)
        for term in missing:
            span = find_term(norm.text, term.term)
            if span is not None:
                term.start, term.end = norm.original_span(*span)


def find_term(lowered: str, term: str) -> tuple[int, int] | None:
    """First ``term`` (one word, or two separated by non-word characters) as whole words:
    no word character (``str.isalnum`` or "_", which is what ``\\w`` matches) touches them.

    ``str.find`` and a look at the characters around, rather than a regular expression per
    term: compiling one cost more than the search, and most terms an ad shows are new to a
    crawl's first thousand ads."""
    first, _, second = term.partition(" ")
    if not first:
        return None  # terms are words; an empty one is nowhere
    size, end_of_text = len(first), len(lowered)
    start = lowered.find(first)
    while start >= 0:
        end = start + size
        if (start == 0 or not _is_word(lowered[start - 1])) and (
            end == end_of_text or not _is_word(lowered[end])
        ):
            if not second:
                return start, end
            span = _second_word(lowered, end, second)
            if span is not None:
                return start, span
        start = lowered.find(first, start + 1)
    return None


def _second_word(lowered: str, at: int, word: str) -> int | None:
    """Where ``word`` ends if it follows ``at`` after one or more non-word characters (all
    of them: the first word character after them starts it) and ends a word; else None."""
    gap = at
    while gap < len(lowered) and not _is_word(lowered[gap]):
        gap += 1
    end = gap + len(word)
    if gap == at or not lowered.startswith(word, gap):
        return None
    return end if end == len(lowered) or not _is_word(lowered[end]) else None


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"
