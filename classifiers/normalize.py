"""Text normalised for matching, with a map back to the original characters.

Lures dodge keyword filters with leetspeak ("m0dels"), spaced letters ("W h a t s A p p"),
fancy Unicode letters, homoglyphs and invisible characters. Matching runs on a normalised
copy; every normalised character remembers which original characters it came from, so
evidence offsets always index into the text the user gave us.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

# Invisible characters used to split keywords, variation selectors and the emoji keycap
# ("7️⃣" is "7", U+FE0F, U+20E3).
_DROP = frozenset(
    [chr(c) for c in range(0x200B, 0x2010)]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2060, 0x2065)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + [chr(c) for c in range(0xFE00, 0xFE10)]
    + ["\ufeff", "\u00ad", "\u20e3", "\u034f"]
)
# Cyrillic and Greek letters that look Latin; none of our languages uses those scripts.
_HOMOGLYPHS = str.maketrans(
    {
        "а": "a",
        "е": "e",
        "о": "o",
        "р": "p",
        "с": "c",
        "х": "x",
        "у": "y",
        "і": "i",
        "ѕ": "s",
        "ј": "j",
        "ԁ": "d",
        "ο": "o",
        "α": "a",
        "ν": "v",
        "τ": "t",
        "κ": "k",
    }
)
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
_EMAIL_OR_URL = re.compile(r"@[\w-]+\.[a-z]|://|www\.|\.(com|net|org|gov|edu)\b", re.I)
_LEET_CHAR = re.compile("[" + re.escape("".join(_LEET)) + "]")
# A leet character with a letter on either side: nothing is undone without one, and most
# ads have none (their digits are prices and phone numbers).
_LEET_BY_LETTER = re.compile(_LEET_CHAR.pattern + r"(?:(?<=[^\W\d_].)|(?=[^\W\d_]))")
# The run of non-space characters around a hit ends where the last space before it does
# (matched from where the previous run ended, so that all runs together read the text
# once) and goes on to the next space.
_LAST_SPACE = re.compile(r"(?s:.*)\s")
_SPACE = re.compile(r"\s")
# What every spaced-out word holds ("s a s", a separator, letter, separator, letter,
# separator): a cheap test that rules most texts out before _SPACED.
_SPACED_HINT = re.compile(r"([ .\-*_·])[^\W\d_]\1[^\W\d_]\1")
# Four or more single letters joined by the same separator: "m o d e l s", "w-h-a-t-s".
_SPACED = re.compile(r"(?<![^\W\d_])([^\W\d_])([ .\-*_·])(?:[^\W\d_]\2){2,}[^\W\d_](?![^\W\d_])")


@dataclass(frozen=True)
class Normalised:
    """``light`` is lowercased, NFKC-folded text without invisible characters (money and
    ages are read from it); ``text`` additionally undoes leetspeak and spaced letters.
    Both have the same length, and ``starts[i]``/``ends[i]`` give the original span of
    normalised character ``i``."""

    text: str
    light: str
    starts: Sequence[int]
    ends: Sequence[int]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of the normalised characters ``start``..``end`` (exclusive)."""
        return self.starts[start], self.ends[end - 1]


def _fold_char(ch: str) -> str:
    code = ord(ch)
    if 0x1F1E6 <= code <= 0x1F1FF:  # regional indicator letters: 🇼🇭🇦🇹🇸
        return chr(ord("a") + code - 0x1F1E6)
    if ch.isascii():
        return ch.lower()
    folded = unicodedata.normalize("NFKC", ch).lower()
    return folded.translate(_HOMOGLYPHS)


# Per character seen: its fold when it is one character that maps to one (offsets stay the
# identity), with whether that fold is what str.lower() gives; None when it needs the
# character-by-character path (dropped, combining, or folding to several characters).
_ONE_TO_ONE: dict[str, tuple[str, bool] | None] = {}
_FINAL_SIGMA = "\u03a3"  # str.lower() lowers it by context, not one character at a time
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_ASCII_LOWER = {ord(c): c.lower() for c in map(chr, range(128)) if c != c.lower()}


def _one_to_one(ch: str) -> tuple[str, bool] | None:
    if ch in _ONE_TO_ONE:
        return _ONE_TO_ONE[ch]
    folded = _fold_char(ch)
    entry = None
    if ch not in _DROP and not unicodedata.combining(ch) and len(folded) == 1:
        entry = (folded, folded == ch.lower() and ch != _FINAL_SIGMA)
    if len(_ONE_TO_ONE) < 100_000:  # bounded: hostile text may hold any character
        _ONE_TO_ONE[ch] = entry
    return entry


def normalise(original: str) -> Normalised:
    n = len(original)
    if original.isascii():
        # Nothing to fold character by character: offsets are the identity.
        return _finish(original.lower(), range(n), range(1, n + 1))
    # Most accented text folds one character to one: one pass in C, offsets the identity.
    # ASCII characters fold to their lowercase, so only the others are looked up.
    table: dict[int, str] = {}
    lowered = True
    for ch in set(_NON_ASCII.findall(original)):
        entry = _one_to_one(ch)
        if entry is None:
            return _normalise_chars(original)
        table[ord(ch)] = entry[0]
        lowered = lowered and entry[1]
    if lowered:
        light = original.lower()
    else:
        table.update(_ASCII_LOWER)
        light = original.translate(table)
    return _finish(light, range(n), range(1, n + 1))


def _finish(light: str, starts: Sequence[int], ends: Sequence[int]) -> Normalised:
    text = _undo_leet(light)
    keep = _spaced_separators(text)
    if keep is None:
        return Normalised(text=text, light=light, starts=starts, ends=ends)
    return _collapse(text, light, list(starts), list(ends), keep)


def _normalise_chars(original: str) -> Normalised:
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for i, ch in enumerate(original):
        if ch in _DROP:
            continue
        if unicodedata.combining(ch):
            # A separate accent: compose it with the previous letter when possible so
            # that lemma tables (which use composed forms) still find the word.
            if chars:
                composed = unicodedata.normalize("NFC", chars[-1] + ch)
                if len(composed) == 1:
                    chars[-1] = composed
                    ends[-1] = i + 1
            continue
        for out in _fold_char(ch):
            chars.append(out)
            starts.append(i)
            ends.append(i + 1)
    return _finish("".join(chars), starts, ends)


def _collapse(
    text: str, light: str, starts: list[int], ends: list[int], keep: list[bool]
) -> Normalised:
    # Drop the separators of spaced-out words from both copies; the letter before a
    # dropped separator still maps to itself only, which keeps evidence tight.
    return Normalised(
        text="".join(c for c, k in zip(text, keep, strict=True) if k),
        light="".join(c for c, k in zip(light, keep, strict=True) if k),
        starts=[s for s, k in zip(starts, keep, strict=True) if k],
        ends=[e for e, k in zip(ends, keep, strict=True) if k],
    )


def _undo_leet(text: str) -> str:
    hit = _LEET_BY_LETTER.search(text)
    if hit is None:
        return text
    out = list(text)
    done = 0
    # Only the runs of non-space characters holding a hit can change.
    while hit is not None:
        space = _LAST_SPACE.match(text, done, hit.start())
        start = space.end() if space is not None else done
        after = _SPACE.search(text, hit.start())
        done = after.start() if after is not None else len(text)
        _undo_run(text[start:done], start, out)
        hit = _LEET_BY_LETTER.search(text, done)
    return "".join(out)


def _undo_run(word: str, start: int, out: list[str]) -> None:
    letters = sum(map(str.isalpha, word))
    leet = sum(map(word.count, _LEET))
    digits = sum(map(str.isdigit, word))
    if letters < 1 or leet == 0 or digits > letters or _EMAIL_OR_URL.search(word):
        return  # a number, price, phone, address or link: nothing to undo
    for j, c in enumerate(word):
        if c not in _LEET:
            continue
        before = word[j - 1] if j else ""
        after = word[j + 1] if j + 1 < len(word) else ""
        # "$", "@" and "1" only between letters ("wh@tsapp", "g1rls"), so "us$",
        # handles and "1st" stay as they are.
        inside = before.isalpha() and after.isalpha()
        edge = before.isalpha() or after.isalpha()
        if inside or (edge and c not in "$@1"):
            out[start + j] = _LEET[c]


def _spaced_separators(text: str) -> list[bool] | None:
    if not _SPACED_HINT.search(text) or not _SPACED.search(text):
        return None
    keep = [True] * len(text)
    for match in _SPACED.finditer(text):
        for j in range(match.start() + 1, match.end(), 2):
            keep[j] = False
    return keep
