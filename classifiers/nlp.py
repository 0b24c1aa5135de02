"""Blank spaCy pipelines per language, with lookup lemmas where spacy-lookups-data has them.

Matching runs on ``token.norm_``, which we set to the lemma (or the lowercase form where
there is no lemma table) with accents removed: ads often drop accents ("experiencia" vs
"experiência", "paspo" vs "paspò"), and the lemma makes "paid", "pays" and "paying" one word.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc

LANGUAGES = ("en", "es", "fr", "ht", "pt")
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


def _set_norms(doc: Doc) -> Doc:
    for token in doc:
        token.norm_ = strip_accents(token.lemma_ or token.lower_)
    return doc


def analyse(lang: str, text: str) -> Doc:
    """Tokenise lowercased, normalised text and set ``norm_`` for matching."""
    return _set_norms(pipeline(lang)(text))


def analyse_many(lang: str, texts: Iterable[str]) -> Iterator[Doc]:
    for doc in pipeline(lang).pipe(texts, batch_size=256):
        yield _set_norms(doc)


def norm_of(lang: str, word: str) -> list[str]:
    """The norms a word in a pattern stands for (one per token it splits into)."""
    return [t.norm_ for t in analyse(lang, word.lower())]
