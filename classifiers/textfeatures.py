"""A fitted ``TfidfVectorizer``'s ``transform``, computed faster for scoring.

scikit-learn builds every n-gram string of every ad and looks each one up: thousands per ad
for character n-grams, more time than all the rest of the classify stage. Here word unigrams
and bigrams are looked up as numbers (each token once, its bigrams by a sorted search of
token pairs), and an ad's ``char_wb`` n-grams (which never cross a word boundary) are the sum
of its words' n-grams, found once per distinct word and kept. The numbers are the same, bit
for bit: the counts are whole numbers, and the tf-idf weighting and row norms do the same
operations in the same order as scikit-learn's.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from classifiers.runs import Runs

# The per-word n-gram cache starts again past any of these: distinct words, their characters
# and their n-gram cells. Counting words alone left hostile text free to fill it with 100,000
# words of thousands of characters each (gigabytes); now it holds at most CACHE_CHARS
# characters of words and CACHE_CELLS 8-byte cells (in arrays grown by doubling).
CACHE_WORDS = 100_000
CACHE_CHARS = 2_000_000
CACHE_CELLS = 4_000_000
# New words are cut into n-grams this many characters' worth at a time: a batch of long texts
# of words never seen (hostile ones) would otherwise hold all their n-gram strings at once.
NEW_WORD_CHARS = 20_000
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
# Token patterns whose tokens never hold a space, so a vocabulary entry splits back into its
# tokens; each with a pattern that finds the same tokens faster (a run of word characters
# is always bounded by \b).
_WORD_TOKENS = {r"(?u)\b\w+\b": r"\w+", r"(?u)\b\w\w+\b": r"\w\w+"}
_COUNT_BITS = 32  # a char n-gram's count in an ad, packed below its cell in one int64
_PACKED_CELLS = 2**31  # (ad, n-gram) cells that fit above the count


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
    if len(padded) > _SLICED_LENGTH:
        return [padded[s] for s in _gram_slices(len(padded), min_n, max_n)]
    # Cut in C, by slices made once per length (each word not seen before is cut here).
    return list(map(padded.__getitem__, _sliced(len(padded), min_n, max_n)))


def _gram_slices(length: int, min_n: int, max_n: int) -> list[slice]:
    """Where ``char_wb_ngrams`` cuts a padded word of ``length`` characters, in its order."""
    slices: list[slice] = []
    for n in range(min_n, max_n + 1):
        if length <= n:
            slices.append(slice(0, length))
            break
        slices += [slice(i, i + n) for i in range(length - n + 1)]
    return slices


# Lengths whose slices are kept: every word but a hostile one (see nlp.MAX_CACHED_WORD).
_SLICED_LENGTH = 66
_sliced = lru_cache(maxsize=4 * _SLICED_LENGTH)(_gram_slices)


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
        pattern = vectorizer.token_pattern or ""
        self._pattern = re.compile(_WORD_TOKENS.get(pattern, pattern))
        # The default pattern's tokens are the runs of word characters.
        self._tokens: Callable[[str], list[str]] = (
            Runs(r"\w") if _WORD_TOKENS.get(pattern) == r"\w+" else self._pattern.findall
        )
        self._pairs = (
            _TokenPairs(self._vocab)
            if not self._char and pattern in _WORD_TOKENS and self._max_n <= 2
            else None
        )
        # char_wb: word -> its row in ``_grams``
        self._words: dict[str, int] = {}
        self._word_chars = 0  # in the keys of ``_words``
        self._grams = _Rows()
        self._lock = threading.Lock()  # the rows are grown and cleared in place

    @property
    def n_features(self) -> int:
        return len(self._idf)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        if self._char:
            counts = self._char_counts(texts)
        elif self._pairs is not None:
            counts = self._pair_counts(texts, self._pairs)
        else:
            counts = self._word_counts(texts)
        counts.data = counts.data.astype(np.float64, copy=False)
        if self._sublinear:
            np.log(counts.data, counts.data)
            counts.data += 1.0
        counts.data *= self._idf[counts.indices]
        if self._norm is not None:
            _normalise_rows(counts, self._norm)
        return counts

    def _pair_counts(self, texts: Sequence[str], pairs: _TokenPairs) -> sparse.csr_matrix:
        tokens: list[str] = []
        lengths: list[int] = []
        for text in texts:
            found = self._tokens(text.lower())
            tokens += found
            lengths.append(len(found))
        ids = np.fromiter(
            map(pairs.ids.get, tokens, itertools.repeat(-1)), dtype=np.int64, count=len(tokens)
        )
        rows = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        n_features = self.n_features
        keys = []
        if self._min_n == 1:
            columns = pairs.unigrams[ids]  # its last entry (-1) is that of an unknown token
            known = columns >= 0
            keys.append(rows[known] * n_features + columns[known])
        if self._max_n == 2 and len(ids) > 1:
            first, second = ids[:-1], ids[1:]
            both = (rows[:-1] == rows[1:]) & (first >= 0) & (second >= 0)
            found_rows, columns = pairs.bigrams(first[both], second[both], rows[:-1][both])
            keys.append(found_rows * n_features + columns)
        cells, counts = _tally(np.concatenate(keys) if keys else np.zeros(0, np.int64))
        return _matrix(cells, counts, len(texts), n_features)

    def _word_counts(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Any other word analyzer: the n-gram strings, looked up."""
        grams: list[str] = []
        lengths: list[int] = []
        for text in texts:
            tokens = self._tokens(text.lower())
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
        rows = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        kept = columns >= 0
        cells, counts = _tally(rows[kept] * self.n_features + columns[kept])
        return _matrix(cells, counts, len(texts), self.n_features)

    def _char_counts(self, texts: Sequence[str]) -> sparse.csr_matrix:
        words: list[str] = []
        lengths: list[int] = []
        longest = 0
        for text in texts:
            lowered = text.lower()
            longest = max(longest, len(lowered))
            split = lowered.split()
            words += split
            lengths.append(len(split))
        with self._lock:
            cells, per_word = self._word_rows(words)
        n_rows, n_features = len(texts), self.n_features
        # One entry per n-gram of every word of every ad: (ad, n-gram) cell and count.
        rows = np.repeat(np.repeat(np.arange(n_rows, dtype=np.int64), lengths), per_word)
        columns = cells >> _COUNT_BITS
        counts = cells & ((1 << _COUNT_BITS) - 1)
        # An ad's count of one n-gram is at most its number of n-grams (for each n, at most
        # 3 per character of its words): packed below the cell, it fits in the low bits, and
        # a plain sort brings each cell's counts together.
        grams_per_char = 3 * (self._max_n - self._min_n + 1)
        if n_rows * n_features < _PACKED_CELLS and grams_per_char * longest < 2**_COUNT_BITS:
            packed = ((rows * n_features + columns) << _COUNT_BITS) | counts
            packed.sort()
            keys = packed >> _COUNT_BITS
            starts = _run_starts(keys)
            sums = np.add.reduceat(packed & ((1 << _COUNT_BITS) - 1), starts) if len(keys) else keys
            return _matrix(keys[starts], sums, n_rows, n_features)
        keys, inverse = np.unique(rows * n_features + columns, return_inverse=True)
        sums = np.bincount(inverse, weights=counts, minlength=len(keys))
        return _matrix(keys, sums, n_rows, n_features)

    def _word_rows(self, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The n-gram cells of every word, one after another, and how many each has."""
        index = self._words
        rows = np.fromiter(
            map(index.get, words, itertools.repeat(-1)), dtype=np.int64, count=len(words)
        )
        if len(rows) and rows.min() < 0:
            new = list(dict.fromkeys([words[i] for i in np.flatnonzero(rows < 0).tolist()]))
            chars = sum(map(len, new))
            if self._over(len(new), chars):
                self._clear_words()
                index = self._words
                new = list(dict.fromkeys(words))
                chars = sum(map(len, new))
            for chunk in _chunks(new, NEW_WORD_CHARS):
                first = self._grams.add_rows(*self._cells(chunk))
                index.update(zip(chunk, range(first, first + len(chunk)), strict=True))
            self._word_chars += chars
            rows = np.fromiter(map(index.__getitem__, words), dtype=np.int64, count=len(words))
        cells, per_word = self._grams.gather(rows)
        if self._over():  # one batch held more than the cache keeps
            self._clear_words()
        return cells, per_word

    def _over(self, more_words: int = 0, more_chars: int = 0) -> bool:
        """Whether the word cache, with this many more words and characters, is past a limit."""
        return (
            len(self._words) + more_words > CACHE_WORDS
            or self._word_chars + more_chars > CACHE_CHARS
            or self._grams.n_cells > CACHE_CELLS
        )

    def _clear_words(self) -> None:
        self._words = {}
        self._word_chars = 0
        self._grams = _Rows()

    def _cells(self, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Each word's n-gram cells (column, count below it; columns ascending), one word
        after another, and how many each has: all the words at once, in C and numpy."""
        grams = [char_wb_ngrams(word, self._min_n, self._max_n) for word in words]
        lengths = np.fromiter(map(len, grams), dtype=np.int64, count=len(grams))
        columns = np.fromiter(
            map(self._vocab.get, itertools.chain.from_iterable(grams), itertools.repeat(-1)),
            dtype=np.int64,
            count=int(lengths.sum()),
        )
        owners = np.repeat(np.arange(len(words), dtype=np.int64), lengths)
        # An n-gram outside the vocabulary (-1) is dropped.
        known = columns >= 0
        width = self.n_features
        keys, counts = _tally(owners[known] * width + columns[known])
        owner = keys // width
        return ((keys - owner * width) << _COUNT_BITS) | counts, np.bincount(
            owner, minlength=len(words)
        )


class _TokenPairs:
    """A word vocabulary of unigrams and bigrams by numbers: each token that occurs in it
    has an id; a unigram's column by id, a bigram's by the pair of ids."""

    def __init__(self, vocab: dict[str, int]) -> None:
        self.ids: dict[str, int] = {}
        for term in vocab:
            for token in term.split(" "):
                self.ids.setdefault(token, len(self.ids))
        n = self._n = len(self.ids)
        self.unigrams = np.full(n + 1, -1, dtype=np.int64)
        keys: list[int] = []
        columns: list[int] = []
        for term, column in vocab.items():
            first, space, second = term.partition(" ")
            if not space:
                self.unigrams[self.ids[term]] = column
            else:
                keys.append(self.ids[first] * n + self.ids[second])
                columns.append(column)
        order = np.argsort(np.asarray(keys, dtype=np.int64), kind="stable")
        self._keys = np.asarray(keys, dtype=np.int64)[order]
        self._columns = np.asarray(columns, dtype=np.int64)[order]

    def bigrams(
        self, first: np.ndarray, second: np.ndarray, rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(rows, columns) of the token pairs that are vocabulary bigrams."""
        if not len(self._keys):
            return rows[:0], rows[:0]
        keys = first * self._n + second
        at = np.searchsorted(self._keys, keys)
        at[at == len(self._keys)] = 0
        hit = self._keys[at] == keys
        return rows[hit], self._columns[at[hit]]


class _Rows:
    """Rows of int64 cells appended one at a time, in arrays grown by doubling."""

    def __init__(self) -> None:
        self._starts = np.zeros(1024, dtype=np.int64)
        self._cells = np.zeros(16_384, dtype=np.int64)
        self._n_rows = 0

    def add_rows(self, cells: np.ndarray, lengths: np.ndarray) -> int:
        """Appends rows of ``lengths`` cells each, taken one after another from ``cells``;
        returns the number of the first."""
        first, begin = self._n_rows, int(self._starts[self._n_rows])
        end = begin + len(cells)
        if first + len(lengths) + 1 > len(self._starts):
            self._starts = np.resize(
                self._starts, max(first + len(lengths) + 1, 2 * len(self._starts))
            )
        if end > len(self._cells):
            self._cells = np.resize(self._cells, max(end, 2 * len(self._cells)))
        self._cells[begin:end] = cells
        np.cumsum(lengths, out=self._starts[first + 1 : first + 1 + len(lengths)])
        self._starts[first + 1 : first + 1 + len(lengths)] += begin
        self._n_rows += len(lengths)
        return first

    @property
    def n_cells(self) -> int:
        return int(self._starts[self._n_rows])

    def gather(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The cells of ``rows``, one row after another, and each row's length."""
        starts = self._starts[rows]
        lengths = self._starts[rows + 1] - starts
        ends = np.cumsum(lengths)
        total = int(ends[-1]) if len(ends) else 0
        at = np.arange(total, dtype=np.int64) + np.repeat(starts - ends + lengths, lengths)
        return self._cells[at], lengths


def _chunks(words: list[str], chars: int) -> Iterator[list[str]]:
    """The words in order, in lists of about ``chars`` characters."""
    chunk: list[str] = []
    size = 0
    for word in words:
        chunk.append(word)
        size += len(word)
        if size >= chars:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _run_starts(ordered: np.ndarray) -> np.ndarray:
    """Where each run of equal values of a sorted array starts."""
    if not len(ordered):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))


def _tally(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys, ascending, and how many times each occurs."""
    keys = np.sort(keys)
    starts = _run_starts(keys)
    return keys[starts], np.diff(np.append(starts, len(keys)))


def _matrix(
    cells: np.ndarray, values: np.ndarray, n_rows: int, n_columns: int
) -> sparse.csr_matrix:
    """CSR from ascending cells (row * n_columns + column) and their values."""
    rows, columns = np.divmod(cells, n_columns)
    small = n_columns < 2**31 and len(cells) < 2**31
    index = np.int32 if small else np.int64
    indptr = np.zeros(n_rows + 1, dtype=index)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    return sparse.csr_matrix(
        (values.astype(np.float64), columns.astype(index), indptr), shape=(n_rows, n_columns)
    )


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
