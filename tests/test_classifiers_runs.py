"""Words as runs of a character class: exactly what ``re.findall`` finds, faster."""

import random
import re

import pytest

from classifiers.language import _WORD, _find_words
from classifiers.runs import Runs

# Latin-1 and beyond: accented letters, letters beyond Latin-1 ("œ", kana, hangul), emoji,
# flags, typographic punctuation, lone surrogates, odd whitespace, "?" (what encoding
# replaces characters beyond Latin-1 with), apostrophes and underscores.
_CHARS = [chr(c) for c in range(0x250)] + list("’€😀🇨🇦\u2028\u00a0\u0085'_ œŒ\ud800–—…•ßア한²?")
_CLASSES = [r"\w", "[a-z]", r"[^\W\d_]", r"[^\W\d_]|'", "[?a]"]


@pytest.mark.parametrize("char_class", _CLASSES)
def test_runs_are_what_findall_finds(char_class: str) -> None:
    runs, pattern = Runs(char_class), re.compile(f"(?:{char_class})+")
    rng = random.Random(char_class)
    for _ in range(3000):
        text = "".join(rng.choice(_CHARS) for _ in range(rng.randrange(40)))
        assert runs(text) == pattern.findall(text), text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "salaire 2500€ / mois — logé nourri 😀",
        "cœur d'œuvre",  # a letter beyond Latin-1: left to findall
        "l'emploi d'été, 'quoted' words and rock'n'roll",
        "???",
    ],
)
def test_examples(text: str) -> None:
    assert Runs(r"\w")(text) == re.findall(r"\w+", text)
    assert _find_words(text) == _WORD.findall(text)


def test_language_words_are_what_the_word_pattern_finds() -> None:
    rng = random.Random(1)
    for _ in range(3000):
        text = "".join(rng.choice(_CHARS + ["'"] * 20) for _ in range(rng.randrange(40)))
        assert _find_words(text) == _WORD.findall(text), text


def test_a_class_with_whitespace_is_refused() -> None:
    with pytest.raises(ValueError, match="whitespace"):
        Runs(r"[a\s]")
