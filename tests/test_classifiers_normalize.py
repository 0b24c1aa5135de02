"""Normalisation's fast paths (ASCII, and text whose characters each fold to one) give
exactly what the character-by-character path gives, offsets included."""

from __future__ import annotations

import random
import time

from classifiers.corpus import load_seed
from classifiers.normalize import Normalised, _normalise_chars, normalise

SPECIAL = [
    "ΣΑΣ",  # str.lower() makes the last one a final sigma; one at a time it is not
    "İstanbul",  # lowercases to two characters
    "ﬁne ﬀ",  # ligatures fold to two letters
    "e\u0301te\u0301",  # separate accents
    "\u200bW\u200bh\u200ba\u200bt",  # invisible separators
    "🇼🇭🇦🇹🇸🇦🇵🇵",
    "ｗｈａｔｓａｐｐ ＵＳ＄",
    "m 0 d e l s",
    "wh@tsapp g1rls 1st us$ 500",
    "Ⅻ ½ ™ … ß ǅ ʼn",
    "Дубай Ѕecret",
    "😀 x\u0336 \u00ad \u0345",
]


def _as_tuple(norm: Normalised) -> tuple[str, str, list[int], list[int]]:
    return norm.text, norm.light, list(norm.starts), list(norm.ends)


def test_fast_paths_agree_with_the_character_path() -> None:
    seed = load_seed()
    texts = [t for ad in seed[::5] for t in (ad.title, ad.text)] + SPECIAL
    pool = "".join(sorted(set("".join(texts))))
    rng = random.Random(11)
    for _ in range(2000):
        pieces = [rng.choice(pool) if rng.random() < 0.6 else rng.choice(SPECIAL) + " "]
        pieces += [rng.choice(pool) for _ in range(rng.randint(0, 30))]
        texts.append("".join(pieces))
    for text in texts:
        assert _as_tuple(normalise(text)) == _as_tuple(_normalise_chars(text)), text


def test_final_sigma_folds_one_character_at_a_time() -> None:
    assert normalise("ΣΑΣ").light == "σaσ"  # Α looks like a Latin a


def test_a_long_run_without_spaces_is_not_slow() -> None:
    began = time.process_time()
    norm = normalise("x" * 300_000 + "0" + "y" * 300_000)
    assert len(norm.text) == 600_001
    assert time.process_time() - began < 2.0


def test_leetspeak_is_undone_only_next_to_letters() -> None:
    text = "Pretty m0dels, g1rls & wh@tsapp\n1st us$ 500 c4ll\u00a0758-555-0134 @j0bs\tn3w"
    assert normalise(text).text == (
        "pretty models, girls & whatsapp\n1st us$ 500 call 758-555-0134 @jobs\tnew"
    )
    assert normalise("Write to maria@gmail.com or m4ria@j0bs.com").text == (
        "write to maria@gmail.com or m4ria@j0bs.com"
    )
    assert normalise("758 555 0134, US$ 2,500").text == "758 555 0134, us$ 2,500"
