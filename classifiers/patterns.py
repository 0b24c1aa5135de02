"""Compiling the pattern strings of ``indicators.yml`` into spaCy Matcher token patterns.

See the header of ``config/indicators.yml`` for the syntax. Pattern words go through the
same analyser as ads (lowercase, lemma, accents removed), so a pattern written "fees" or
"pagados" matches every form the lemma table folds together.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from classifiers.nlp import norm_of, strip_accents

TokenPattern = list[dict[str, Any]]
# Up to three tokens within one clause: no line breaks, sentence ends, commas or colons
# (so "no experience, fees apply" does not read as "no ... fees").
_GAP: dict[str, Any] = {
    "IS_SPACE": False,
    "NORM": {"NOT_IN": [".", "!", "?", ";", ",", ":"]},
    "OP": "{0,3}",
}
SENTENCE_END = frozenset({".", "!", "?", ";"})


class PatternError(ValueError):
    pass


def compile_pattern(lang: str, pattern: str) -> list[TokenPattern]:
    """One pattern string → the Matcher patterns it stands for (alternatives that span
    several tokens expand into separate patterns)."""
    pieces = pattern.split()
    if not pieces:
        raise PatternError("empty pattern")
    if pieces[0] == "..." or pieces[-1] == "...":
        raise PatternError("a pattern cannot start or end with '...'")
    variants: list[list[TokenPattern]] = []
    for before, piece in zip([None, *pieces], pieces, strict=False):
        if piece == "...":
            if before == "...":
                raise PatternError("two '...' in a row")
            variants.append([[dict(_GAP)]])
        elif piece == "<num>":
            variants.append([[{"LIKE_NUM": True}]])
        else:
            variants.append(_alternatives(lang, piece))
    return [[token for part in combo for token in part] for combo in itertools.product(*variants)]


def _alternatives(lang: str, piece: str) -> list[TokenPattern]:
    singles: list[str] = []
    out: list[TokenPattern] = []
    for alt in piece.split("|"):
        if not alt:
            raise PatternError(f"empty alternative in {piece!r}")
        if alt.endswith("*") and len(alt) > 1:
            prefix = strip_accents(alt[:-1].lower())
            out.append([{"NORM": {"REGEX": "^" + re.escape(prefix)}}])
            continue
        norms = [n for n in norm_of(lang, alt.replace("_", " ")) if n.strip()]
        if not norms:
            raise PatternError(f"alternative {alt!r} has no words")
        if len(norms) == 1:
            if norms[0] not in singles:
                singles.append(norms[0])
        else:
            out.append([{"NORM": n} for n in norms])
    if singles:
        token: dict[str, Any] = (
            {"NORM": singles[0]} if len(singles) == 1 else {"NORM": {"IN": singles}}
        )
        out.insert(0, [token])
    return out


def first_norms(patterns: list[TokenPattern]) -> frozenset[str] | None:
    """The norms a match must start with, or None when some pattern can start anywhere
    (a prefix or number as first token). Lets the extractor skip matchers whose patterns
    cannot start in an ad: the spaCy Matcher costs time per pattern and token."""
    norms: set[str] = set()
    for pattern in patterns:
        value = pattern[0].get("NORM")
        if isinstance(value, str):
            norms.add(value)
        elif isinstance(value, dict) and "IN" in value:
            norms.update(value["IN"])
        else:
            return None
    return frozenset(norms)


def cue_norms(lang: str, words: list[str]) -> frozenset[str]:
    """Norms of single-word cues (negation words)."""
    norms: set[str] = set()
    for word in words:
        norms.update(n for n in norm_of(lang, word) if n.strip())
    return frozenset(norms)
