"""Blank spaCy pipelines per language, with lookup lemmas where spacy-lookups-data has them.

Matching runs on ``token.norm_``, which we set to the lemma (or the lowercase form where
there is no lemma table) with accents removed: ads often drop accents ("experiencia" vs
"experiência", "paspo" vs "paspò"), and the lemma makes "paid", "pays" and "paying" one word.

A lookup lemma depends on the token's text alone, so each distinct token text is lemmatised
once per language and its norm remembered (:class:`_Analyser`): after the first few hundred
ads, analysing an ad is the tokenizer plus a dictionary lookup per token, with no Python
object per token.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache
from typing import Any

import numpy as np
import spacy
from spacy.attrs import IDX, NORM, ORTH
from spacy.language import Language
from spacy.tokens import Doc

LANGUAGES = ("en", "es", "fr", "ht", "pt")
# Distinct token texts remembered per language; past this the memory starts again (hostile
# text could otherwise grow it without end).
MAX_KNOWN_TOKENS = 200_000
_lock = threading.Lock()


@cache
def _pipeline(lang: str) -> Language:
    nlp = spacy.blank(lang)
    try:
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
    except ValueError:
        # No lemma table for this language (Haitian Creole): tokens and lowercase only.
        nlp = spacy.blank(lang)
    return nlp


def pipeline(lang: str) -> Language:
    """The cached pipeline for one of :data:`LANGUAGES`."""
    if lang not in LANGUAGES:
        raise ValueError(f"no pipeline for language {lang!r} (known: {', '.join(LANGUAGES)})")
    with _lock:  # building a pipeline loads large tables: only once, even across threads
        return _pipeline(lang)


@lru_cache(maxsize=200_000)
def strip_accents(word: str) -> str:
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _norm(token: spacy.tokens.Token) -> str:
    return strip_accents(token.lemma_ or token.lower_)


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


class _Analyser:
    def __init__(self, nlp: Language) -> None:
        self._nlp = nlp
        # token text (as its hash) -> what Tokens holds about it
        self._known: dict[int, _Known] = {}

    def tokens(self, text: str) -> Tokens:
        doc = self._nlp.make_doc(text)
        if not len(doc):
            return Tokens(doc, [], [])
        orths, starts = doc.to_array([ORTH, IDX]).T.tolist()
        known = self._known
        try:
            infos = [known[orth] for orth in orths]
        except KeyError:
            infos = self._learn(doc)
        return Tokens(doc, starts, infos)

    def _learn(self, doc: Doc) -> list[_Known]:
        """Lemmatise the doc with the pipeline's own components and remember every token."""
        for _, component in self._nlp.pipeline:
            doc = component(doc)
        if len(self._known) + len(doc) > MAX_KNOWN_TOKENS:
            self._known = {}
        strings = self._nlp.vocab.strings
        infos = []
        for token in doc:
            norm = _norm(token)
            info = (
                norm,
                strings.add(norm),
                len(token.text),
                "\n" in token.text,
                token.like_num,
                token.is_space,
            )
            self._known[token.orth] = info
            infos.append(info)
        return infos


_analysers: dict[str, _Analyser] = {}


def tokens(lang: str, text: str) -> Tokens:
    """Tokenise lowercased, normalised text for matching."""
    analyser = _analysers.get(lang)
    if analyser is None:
        analyser = _analysers.setdefault(lang, _Analyser(pipeline(lang)))
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
