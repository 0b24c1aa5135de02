"""Blank spaCy pipelines per language, with lookup lemmas where spacy-lookups-data has them.

Matching runs on ``token.norm_``, which we set to the lemma (or the lowercase form where
there is no lemma table) with accents removed: ads often drop accents ("experiencia" vs
"experiência", "paspo" vs "paspò"), and the lemma makes "paid", "pays" and "paying" one word.

The lemma is what spaCy's ``Lemmatizer`` gives in lookup mode, read from the same table, but
without that component: spaCy puts the table into a ``Table`` that hashes every key (about
six seconds of start-up for our languages, in every ingest worker), where a plain dict loads
in one.

A lookup lemma depends on the token's text alone, so each distinct token text is lemmatised
once per language and its norm remembered (:class:`_Analyser`): after the first few hundred
ads, analysing an ad is the tokenizer plus a dictionary lookup per token, with no Python
object per token.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from functools import cache, lru_cache
from typing import Any

import numpy as np
import spacy
from spacy.attrs import IDX, IS_SPACE, LIKE_NUM, LOWER, NORM, ORTH
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import load_language_data, registry

LANGUAGES = ("en", "es", "fr", "ht", "pt")
# Distinct token texts remembered per language, and their characters; past either the memory
# starts again, with a new spaCy vocabulary (which keeps every token text it has seen). Hostile
# text of endless distinct, long tokens could otherwise grow a long crawl's worker without end.
MAX_KNOWN_TOKENS = 200_000
MAX_KNOWN_CHARS = 4_000_000
# Words longer than this are not cached by the per-word caches here and in the classifiers:
# no real word is this long, and such "words" rarely come again.
MAX_CACHED_WORD = 64
_lock = threading.Lock()

# The table spaCy's Lemmatizer reads in lookup mode.
_LEMMA_TABLE = "lemma_lookup"


@cache
def _lemma_table(lang: str) -> Mapping[str, Any] | None:
    # Found as spacy.lookups.load_lookups finds it (spacy-lookups-data's entry point for the
    # language) and read by the same function. None where spaCy has no table (Haitian
    # Creole): its lemmatizer refuses to start there, and we have tokens and lowercase only.
    if lang not in registry.lookups:
        return None
    tables = registry.lookups.get(lang)
    if _LEMMA_TABLE not in tables:
        return None
    table = load_language_data(tables[_LEMMA_TABLE])
    if not isinstance(table, dict):
        raise ValueError(f"{_LEMMA_TABLE} table for {lang!r} is not a JSON object")
    return table


def _check(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"no pipeline for language {lang!r} (known: {', '.join(LANGUAGES)})")


def _lemmas(lang: str) -> Mapping[str, Any] | None:
    _check(lang)
    with _lock:  # tables take a second to load: only once, even across threads
        return _lemma_table(lang)


def _lookup_lemma(table: Mapping[str, Any], text: str) -> str:
    # As spaCy's Lemmatizer.lookup_lemmatize: the entry (French ones list candidates, of which
    # spaCy takes the first), else the text itself.
    lemma = table.get(text, text)
    if isinstance(lemma, list) and lemma:
        lemma = lemma[0]
    if not isinstance(lemma, str):
        raise ValueError(f"lemma table entry for {text!r} is {lemma!r}, not a string")
    return lemma


def strip_accents(word: str) -> str:
    if word.isascii():
        return word
    if len(word) > MAX_CACHED_WORD:
        return _strip_accents(word)
    return _cached_strip_accents(word)


def _strip_accents(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_cached_strip_accents = lru_cache(maxsize=200_000)(_strip_accents)


# norm, hash of the norm, length, holds a line break, LIKE_NUM, IS_SPACE
_Known = tuple[str, int, int, bool, bool, bool]


class Tokens:
    """A text as the indicator matcher reads it: the spaCy ``doc`` and, per token, its
    norm, character offsets, whether it holds a line break, and its LIKE_NUM and IS_SPACE
    flags. (``norm_`` is not set on the doc's tokens: :func:`analyse` does that.) Only the
    norms are built up front; the rest when first asked for, since most ads need few."""

    def __init__(self, doc: Doc, starts: list[int], known: list[_Known]) -> None:
        self.doc = doc
        self.starts = starts
        self._known = known
        self.norms: list[str] = [k[0] for k in known]
        self._columns: dict[int, list[Any]] = {}

    def _column(self, field: int) -> list[Any]:
        column = self._columns.get(field)
        if column is None:
            column = self._columns[field] = [k[field] for k in self._known]
        return column

    @property
    def hashes(self) -> list[int]:
        """Of the norms, in the doc's string store."""
        return self._column(1)

    @property
    def ends(self) -> list[int]:
        ends = self._columns.get(-1)
        if ends is None:
            lengths = self._column(2)
            ends = self._columns[-1] = [s + n for s, n in zip(self.starts, lengths, strict=True)]
        return ends

    @property
    def breaks(self) -> list[bool]:
        return self._column(3)

    @property
    def like_num(self) -> list[bool]:
        return self._column(4)

    @property
    def is_space(self) -> list[bool]:
        return self._column(5)


# spaCy's tokenizer takes time quadratic in the length of a run without spaces made of
# punctuation, symbols or emoji: 20,000 "$" (a hostile ad at the length cap) took a minute. No
# word or link is this long, so such a run is cut every LONG_RUN characters by a space in the
# copy spaCy reads; the copy has the same length, so every offset still points into the text.
LONG_RUN = 400
_LONG_RUN = re.compile(rf"\S{{{LONG_RUN + 1},}}")


def _breakable(text: str) -> str:
    if _LONG_RUN.search(text) is None:
        return text
    chars = list(text)
    for run in _LONG_RUN.finditer(text):
        for cut in range(run.start() + LONG_RUN, run.end(), LONG_RUN):
            chars[cut] = " "
    return "".join(chars)


# The lexeme attributes the analyser reads (NORM is set on the doc by ``analyse``).
_READ_ATTRS = (LOWER, LIKE_NUM, IS_SPACE)


def _tokenizer_pipeline(lang: str) -> Language:
    """A blank pipeline whose new words get only the attributes read here. spaCy computes
    about twenty for each word it has not seen (shape, prefix, suffix, stop word...), which
    took most of the time a new word costs; the tokens are the same."""
    nlp = spacy.blank(lang)
    vocab: Any = nlp.vocab  # spaCy's stubs leave lex_attr_getters out
    getters = vocab.lex_attr_getters
    vocab.lex_attr_getters = {a: getters[a] for a in _READ_ATTRS if a in getters}
    return nlp


class _Analyser:
    def __init__(self, lang: str, lemmas: Mapping[str, Any] | None) -> None:
        self._lang = lang
        # Its own pipeline: its vocabulary is replaced when it grows big.
        self._nlp = _tokenizer_pipeline(lang)
        self._lemmas = lemmas
        # token text (as its hash) -> what Tokens holds about it
        self._known: dict[int, _Known] = {}
        self._known_chars = 0

    def tokens(self, text: str) -> Tokens:
        if len(self._known) >= MAX_KNOWN_TOKENS or self._known_chars >= MAX_KNOWN_CHARS:
            self._forget()  # before the doc is made: its strings are in the new vocabulary
        doc = self._nlp.make_doc(_breakable(text))
        if not len(doc):
            return Tokens(doc, [], [])
        orths, starts = doc.to_array([ORTH, IDX]).T.tolist()
        known = self._known
        try:
            infos = [known[orth] for orth in orths]
        except KeyError:
            infos = self._learn(doc, orths)
        return Tokens(doc, starts, infos)

    def _learn(self, doc: Doc, orths: list[int]) -> list[_Known]:
        """Lemmatise the tokens not seen before and remember every token."""
        known = self._known
        strings = doc.vocab.strings
        lemmas = self._lemmas
        # LOWER, LIKE_NUM and IS_SPACE are the lexeme's, as token.lower_ and so on read them.
        rows = doc.to_array([LOWER, LIKE_NUM, IS_SPACE]).tolist()
        infos = []
        for orth, (lower, like_num, is_space) in zip(orths, rows, strict=True):
            info = known.get(orth)
            if info is None:
                text = strings[orth]
                # As spaCy's norm would be: token.lemma_ or token.lower_ (the lemma is ""
                # where there is no table).
                lemma = _lookup_lemma(lemmas, text) if lemmas is not None else ""
                norm = strip_accents(lemma or strings[lower])
                info = known[orth] = (
                    norm,
                    strings.add(norm),
                    len(text),
                    "\n" in text,
                    bool(like_num),
                    bool(is_space),
                )
                self._known_chars += len(text) + len(norm)
            infos.append(info)
        return infos

    def _forget(self) -> None:
        """Starts again with an empty memory and vocabulary. (A norm's hash does not depend
        on the vocabulary: what matchers compiled from the old one stays valid. Docs made
        with the old one keep it alive until they are dropped.)"""
        self._known = {}
        self._known_chars = 0
        self._nlp = _tokenizer_pipeline(self._lang)


_analysers: dict[str, _Analyser] = {}


def tokens(lang: str, text: str) -> Tokens:
    """Tokenise lowercased, normalised text for matching."""
    analyser = _analysers.get(lang)
    if analyser is None:
        lemmas = _lemmas(lang)
        with _lock:  # building a pipeline compiles large regexes: only once, even across threads
            analyser = _analysers.get(lang) or _analysers.setdefault(lang, _Analyser(lang, lemmas))
    return analyser.tokens(text)


def analyse(lang: str, text: str) -> Doc:
    """Tokenise lowercased, normalised text and set ``norm_`` for matching."""
    toks = tokens(lang, text)
    if toks.hashes:
        norms = np.asarray([[h] for h in toks.hashes], dtype=np.uint64)
        # spaCy wants uint64 hashes here (its stub says Ints2d).
        toks.doc.from_array([NORM], norms)  # type: ignore[arg-type]
    return toks.doc


def analyse_many(lang: str, texts: Iterable[str]) -> Iterator[Doc]:
    for text in texts:
        yield analyse(lang, text)


def norm_of(lang: str, word: str) -> list[str]:
    """The norms a word in a pattern stands for (one per token it splits into)."""
    return tokens(lang, word.lower()).norms
