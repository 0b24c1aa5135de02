"""A fitted ``TfidfVectorizer``'s ``transform``, computed faster for scoring.

scikit-learn builds every n-gram string of every ad and looks each one up: thousands per ad
for character n-grams, more time than all the rest of the classify stage. Here word n-grams
are looked up straight from the token list, and an ad's ``char_wb`` n-grams (which never
cross a word boundary) are the sum of its words' n-grams, counted once per distinct word and
cached. The numbers are the same, bit for bit: the counts are whole numbers, and the tf-idf
weighting and row norms do the same operations in the same order as scikit-learn's.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

# Distinct words whose n-grams are kept; past this the cache starts again (hostile text
# could otherwise grow it without end).
CACHE_WORDS = 100_000
_DEFAULTS = {
    "input": "content",
    "encoding": "utf-8",
    "decode_error": "strict",
    "strip_accents": None,
    "lowercase": True,
    "preprocessor": None,
    "tokenizer": None,
    "stop_words": None,
    "binary": False,
    "use_idf": True,
}


def supports(vectorizer: TfidfVectorizer) -> bool:
    """Whether :class:`FastTfidf` computes what this fitted vectorizer's transform does."""
    params = vectorizer.get_params()
    if any(params.get(name) != value for name, value in _DEFAULTS.items()):
        return False
    if params["analyzer"] not in ("word", "char_wb") or params["norm"] not in ("l1", "l2", None):
        return False
    if params["dtype"] is not np.float64 or not hasattr(vectorizer, "idf_"):
        return False
    return params["analyzer"] == "char_wb" or re.compile(params["token_pattern"]).groups <= 1


def char_wb_ngrams(word: str, min_n: int, max_n: int) -> list[str]:
    """The n-grams scikit-learn's ``char_wb`` analyzer makes of one word (space-padded; a
    word shorter than n counts once, as a whole)."""
    padded = f" {word} "
    grams: list[str] = []
    for n in range(min_n, max_n + 1):
        if len(padded) <= n:
            grams.append(padded)
            break
        grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


class FastTfidf:
    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        if not supports(vectorizer):
            raise ValueError("this vectorizer's settings have no fast transform")
        self._vocab: dict[str, int] = vectorizer.vocabulary_
        self._idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        self._min_n, self._max_n = vectorizer.ngram_range
        self._sublinear = bool(vectorizer.sublinear_tf)
        self._norm: str | None = vectorizer.norm
        self._char = vectorizer.analyzer == "char_wb"
        self._pattern = re.compile(vectorizer.token_pattern or "")
        # word -> (n-gram columns, counts) of the n-grams in the vocabulary
        self._words: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    @property
    def n_features(self) -> int:
        return len(self._idf)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        counts = self._char_counts(texts) if self._char else self._word_counts(texts)
        counts.data = counts.data.astype(np.float64, copy=False)
        if self._sublinear:
            np.log(counts.data, counts.data)
            counts.data += 1.0
        counts.data *= self._idf[counts.indices]
        if self._norm is not None:
            _normalise_rows(counts, self._norm)
        return counts

    def _word_counts(self, texts: Sequence[str]) -> sparse.csr_matrix:
        grams: list[str] = []
        lengths: list[int] = []
        for text in texts:
            tokens = self._pattern.findall(text.lower())
            before = len(grams)
            if self._min_n == 1:
                grams.extend(tokens)
            for n in range(max(2, self._min_n), self._max_n + 1):
                if n == 2:
                    grams.extend(f"{a} {b}" for a, b in itertools.pairwise(tokens))
                else:
                    grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
            lengths.append(len(grams) - before)
        columns = np.fromiter(
            map(self._vocab.get, grams, itertools.repeat(-1)), dtype=np.int64, count=len(grams)
        )
        return _count(columns, lengths, len(texts), self.n_features)

    def _char_counts(self, texts: Sequence[str]) -> sparse.csr_matrix:
        # (ads x distinct words) @ (distinct words x n-grams): the sums run in compiled code.
        words: list[str] = []
        lengths: list[int] = []
        for text in texts:
            split = text.lower().split()
            words.extend(split)
            lengths.append(len(split))
        distinct = list(dict.fromkeys(words))
        number = {word: j for j, word in enumerate(distinct)}
        columns = np.fromiter(map(number.__getitem__, words), dtype=np.int64, count=len(words))
        occurrences = _count(columns, lengths, len(texts), len(distinct))
        per_word = [self._word_grams(word) for word in distinct]
        indptr = np.zeros(len(per_word) + 1, dtype=np.int64)
        np.cumsum([len(c) for c, _ in per_word], out=indptr[1:])
        grams = sparse.csr_matrix(
            (
                np.concatenate([n for _, n in per_word]) if per_word else np.zeros(0),
                np.concatenate([c for c, _ in per_word]) if per_word else np.zeros(0, np.int32),
                indptr,
            ),
            shape=(len(distinct), self.n_features),
        )
        counts: sparse.csr_matrix = occurrences @ grams
        counts.sort_indices()  # as scikit-learn orders them: row sums then add up alike
        return counts

    def _word_grams(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        cached = self._words.get(word)
        if cached is not None:
            return cached
        found = Counter(
            j
            for j in map(self._vocab.get, char_wb_ngrams(word, self._min_n, self._max_n))
            if j is not None
        )
        entry = (
            np.fromiter(found.keys(), dtype=np.int32, count=len(found)),
            np.fromiter(found.values(), dtype=np.float64, count=len(found)),
        )
        if len(self._words) >= CACHE_WORDS:
            self._words.clear()
        self._words[word] = entry
        return entry


def _normalise_rows(matrix: sparse.csr_matrix, norm: str) -> None:
    """In place, as sklearn.preprocessing.normalize does for CSR rows (each row's sum taken
    in stored order; empty rows left alone), without its input checks."""
    lengths = np.diff(matrix.indptr)
    rows = np.repeat(np.arange(matrix.shape[0]), lengths)
    data = matrix.data
    if norm == "l2":
        sizes = np.sqrt(np.bincount(rows, weights=data * data, minlength=matrix.shape[0]))
    else:
        sizes = np.bincount(rows, weights=np.abs(data), minlength=matrix.shape[0])
    sizes[sizes == 0.0] = 1.0
    data /= np.repeat(sizes, lengths)


def _count(
    columns: np.ndarray, lengths: list[int], n_rows: int, n_columns: int
) -> sparse.csr_matrix:
    """Rows of counts: row r counts the columns of its ``lengths[r]`` entries (-1: none),
    each row's columns in ascending order."""
    rows = np.repeat(np.arange(n_rows, dtype=np.int64), lengths)
    kept = columns >= 0
    cells, counts = np.unique(rows[kept] * n_columns + columns[kept], return_counts=True)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(cells // n_columns, minlength=n_rows), out=indptr[1:])
    data = counts.astype(np.float64)
    return sparse.csr_matrix((data, cells % n_columns, indptr), shape=(n_rows, n_columns))
