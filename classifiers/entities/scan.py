"""The text one entity pass reads: the normalised copy the finders match on, the spans
already claimed by an earlier finder, and the way back to the original characters."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from classifiers.normalize import Normalised
from classifiers.runs import Runs
from core.ad import Entity

MAX_ENTITY_TEXT = 200
# Left over after a digit when an emoji keycap ("7️⃣") is folded to "7".
_KEYCAP_TAIL = frozenset("\ufe0f\u20e3\ufe0e")


def _base_letter(ch: str) -> str:
    if ch.isascii():
        return ch
    decomposed = unicodedata.normalize("NFD", ch)
    return decomposed[0] if decomposed and decomposed[0].isascii() else ch


_DIGITS = re.compile(r"[0-9][0-9]*")
_SPAN = re.Match.span
# Accented Latin letters to their base letter, one character for one, so offsets hold.
# (re.sub over the few accented letters is several times faster than str.translate.)
_FOLD = {chr(c): _base_letter(chr(c)) for c in range(0xC0, 0x250)}
_ACCENTED = re.compile("[\u00c0-\u024f]")
_BEYOND_LATIN = re.compile(r"[^\x00-\u024f]")
# Every vocabulary the finders look words up in is ASCII once accents are folded.
_ASCII_WORDS = Runs("[a-z]")


def wordlist(text: str) -> list[str]:
    """A vocabulary written as one string of words (kept readable in the source)."""
    return text.split()


def _fold_match(m: re.Match[str]) -> str:
    return _FOLD[m.group()]


def _fold_light(light: str) -> str:
    if light.isascii():
        return light
    folded = _ACCENTED.sub(_fold_match, light)
    first = _BEYOND_LATIN.search(folded)
    if first is None:
        return folded
    exotic = [
        m.start() for m in _BEYOND_LATIN.finditer(folded, first.start()) if m.group().isdigit()
    ]
    if not exotic:
        return folded
    chars = list(folded)
    for i in exotic:  # digits of other scripts, "❶"
        chars[i] = str(unicodedata.digit(chars[i]))
    return "".join(chars)


def fold(text: str) -> str:
    """Lowercase without accents, as ``Scan.folded`` reads the ad (for names in config)."""
    return "".join(_base_letter(c) for c in unicodedata.normalize("NFKC", text).lower())


@dataclass
class Scan:
    """``light`` is the normalised text (lowercase, NFKC, invisible characters removed,
    digits kept); ``folded`` is ``light`` without accents and with every Unicode digit as
    ASCII. Both have the same length, so one offset serves both. ``numbers`` are the spans
    of the digit sequences in ``folded`` (where numbers can start); ``words`` its ASCII
    words and ``word_set`` the same as a set, to test cheaply whether a finder has anything
    to look for. Every finder reads all of them, so they are made once, up front."""

    original: str
    norm: Normalised
    lang: str
    region: str | None = None
    claimed: list[tuple[int, int]] = field(default_factory=list)
    light: str = field(init=False, repr=False)
    folded: str = field(init=False, repr=False)
    numbers: list[tuple[int, int]] = field(init=False, repr=False)
    words: list[str] = field(init=False, repr=False)
    word_set: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.light = self.norm.light
        self.folded = folded = _fold_light(self.light)
        self.numbers = list(map(_SPAN, _DIGITS.finditer(folded)))
        self.words = words = _ASCII_WORDS(folded)
        self.word_set = frozenset(words)

    def free(self, start: int, end: int) -> bool:
        # A loop, not all(): finders ask this for every candidate, and few spans are claimed.
        for s, e in self.claimed:  # noqa: SIM110
            if s < end and start < e:
                return False
        return True

    def claim(self, start: int, end: int) -> None:
        self.claimed.append((start, end))

    def entity(
        self,
        type_: str,
        value: str,
        start: int,
        end: int,
        attrs: dict[str, Any] | None = None,
    ) -> Entity:
        """An entity for the normalised characters ``start``..``end``, placed in the original."""
        a, b = self.norm.original_span(start, end)
        original = self.original
        while b < len(original) and original[b] in _KEYCAP_TAIL:
            b += 1
        text = original[a : min(b, a + MAX_ENTITY_TEXT)]
        return Entity(type_, value, a, b, text, attrs or {})
