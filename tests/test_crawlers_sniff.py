"""unreadable_share against the plain regex count it replaced (the guard's own tests, on whole
responses, are in test_crawlers_guard.py)."""

from __future__ import annotations

import random
import re

from crawlers.downloadermiddlewares.sniff import TEXT_SAMPLE, unreadable_share

# The count as it was: the oracle.
_UNREADABLE = re.compile("[\ufffd\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def _old_unreadable_share(text: str) -> float:
    sample = text[:TEXT_SAMPLE]
    if not sample:
        return 0.0
    return len(_UNREADABLE.findall(sample)) / len(sample)


# Controls and their neighbours, whitespace, Latin-1 and wider characters, lone surrogates.
_POOL = (
    "ab <>\n\t\r\x0c\x00\x01\x08\x0b\x0e\x1f\x7f\x80\x85\x9f\xa0\xa9\xff\ufffd"
    "\u0100\u2013\u2028\ufeff\ufffc\ufffe\U0001f600\U0010ffff\ud800\udcff"
)


def test_unreadable_share_agrees_with_the_regex_count() -> None:
    rng = random.Random(5)
    for _ in range(5_000):
        text = "".join(rng.choice(_POOL) for _ in range(rng.randrange(0, 40)))
        assert unreadable_share(text) == _old_unreadable_share(text), repr(text)


def test_unreadable_share_of_every_character_and_long_text() -> None:
    every = "".join(map(chr, range(0x110000)))
    texts = [every, every[:0x100], every[:0x10000]]
    # Past the sample, a page full of controls, and a page of emoji with some.
    texts += ["a" * TEXT_SAMPLE + "\x00" * 10, "\x00\x85\ufffd" * 50_000, "\U0001f600\x01" * 60_000]
    texts += ["Caf\u00e9 \u2013 \u00a9 2024\n" * 5_000, "\ufffd" * 10]
    for text in texts:
        assert unreadable_share(text) == _old_unreadable_share(text)
    assert unreadable_share("") == 0.0
    assert unreadable_share("\x00\ufffdab") == 0.5
