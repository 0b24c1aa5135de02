"""The indicator matcher finds exactly what spaCy's Matcher finds with the same token
patterns: on seed ads with the real patterns, and on random token sequences with random
patterns of every supported kind."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import spacy
from spacy.attrs import NORM
from spacy.matcher import Matcher
from spacy.tokens import Doc

from classifiers.corpus import load_seed
from classifiers.indicators import IndicatorExtractor, find_matches
from classifiers.nlp import LANGUAGES, Tokens, tokens
from classifiers.normalize import normalise
from classifiers.tokenmatch import TokenMatcher, UnsupportedPattern
from core.settings import CONFIG_DIR


@dataclass(frozen=True)
class View:
    norms: list[str]
    like_num: list[bool]
    is_space: list[bool]


def spacy_matches(groups: list[list[list[dict[str, Any]]]], doc: Doc) -> Counter[tuple[int, ...]]:
    """(group, start, end) as spaCy's Matcher reports them, one key per group."""
    matcher = Matcher(doc.vocab)
    for number, patterns in enumerate(groups):
        matcher.add(f"group-{number}", patterns)
    keys = {doc.vocab.strings[f"group-{n}"]: n for n in range(len(groups))}
    return Counter((keys[key], start, end) for key, start, end in matcher(doc))


def ours(groups: list[list[list[dict[str, Any]]]], doc: Doc) -> Counter[tuple[int, ...]]:
    view = View([t.norm_ for t in doc], [t.like_num for t in doc], [t.is_space for t in doc])
    return Counter(TokenMatcher(groups)(view))


def test_gaps_give_every_end_and_each_span_once() -> None:
    nlp = spacy.blank("en")
    gap = {"IS_SPACE": False, "NORM": {"NOT_IN": ["."]}, "OP": "{0,3}"}
    groups: list[list[list[dict[str, Any]]]] = [
        [[{"NORM": "a"}, gap, {"NORM": "b"}], [{"NORM": "a"}, {"NORM": "b"}]],
        [[{"NORM": "b"}]],
    ]
    doc = nlp.make_doc("a b b x b . b")
    found = ours(groups, doc)
    assert found == spacy_matches(groups, doc)
    assert sorted(found) == [
        (0, 0, 2),
        (0, 0, 3),
        (0, 0, 5),
        (1, 1, 2),
        (1, 2, 3),
        (1, 4, 5),
        (1, 6, 7),
    ]


_WORDS = ["a", "b", "c", "ten", "10", "x", ".", ",", "\n", "bb", "ab"]


def _random_token(rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(["eq", "in", "not_in", "regex", "num", "space", "gap", "optional"])
    if kind == "eq":
        return {"NORM": rng.choice(_WORDS)}
    if kind == "in":
        return {"NORM": {"IN": rng.sample(_WORDS, 3)}}
    if kind == "not_in":
        return {"NORM": {"NOT_IN": rng.sample(_WORDS, 2)}}
    if kind == "regex":
        return {"NORM": {"REGEX": "^" + rng.choice(["a", "b", "t"])}}
    if kind == "num":
        return {"LIKE_NUM": rng.random() < 0.8}
    if kind == "space":
        return {"IS_SPACE": rng.random() < 0.5}
    if kind == "gap":
        return {
            "IS_SPACE": False,
            "NORM": {"NOT_IN": [".", ","]},
            "OP": f"{{0,{rng.randint(1, 3)}}}",
        }
    return {"NORM": rng.choice(_WORDS), "OP": "?"}


def test_random_patterns_on_random_text_match_like_spacy() -> None:
    rng = random.Random(7)
    nlp = spacy.blank("en")
    for _ in range(300):
        groups = []
        for _ in range(rng.randint(1, 4)):
            patterns = []
            for _ in range(rng.randint(1, 3)):
                pattern = [_random_token(rng) for _ in range(rng.randint(1, 4))]
                # spaCy refuses patterns that can match nothing but optional tokens.
                pattern[0] = {k: v for k, v in pattern[0].items() if k != "OP"}
                patterns.append(pattern)
            groups.append(patterns)
        words = [rng.choice(_WORDS) for _ in range(rng.randint(0, 25))]
        doc = Doc(nlp.vocab, words=words)
        assert ours(groups, doc) == spacy_matches(groups, doc), (groups, words)


@pytest.mark.parametrize(
    "pattern",
    [
        [{"LOWER": "a"}],
        [{"NORM": {"FUZZY": "a"}}],
        [{"NORM": "a", "OP": "*"}],
        [{"LIKE_NUM": "yes"}],
        [],
    ],
)
def test_unsupported_patterns_are_refused(pattern: list[dict[str, Any]]) -> None:
    with pytest.raises(UnsupportedPattern):
        TokenMatcher([[pattern]])


def _with_norms(toks: Tokens) -> Doc:
    if toks.hashes:
        hashes = np.asarray([[h] for h in toks.hashes], dtype=np.uint64)
        toks.doc.from_array([NORM], hashes)  # type: ignore[arg-type]
    return toks.doc


@pytest.mark.slow
def test_the_indicator_patterns_match_seed_ads_as_spacy_would() -> None:
    extractor = IndicatorExtractor.from_file(CONFIG_DIR / "indicators.yml")
    seed = load_seed()[::4]  # spaCy's Matcher takes a while: a quarter of the seed
    rng = random.Random(3)
    checked = 0
    for ad in seed:
        # Its own language, and now and then another one's patterns.
        lang = ad.lang if ad.lang in LANGUAGES else "en"
        for code in {lang, rng.choice(LANGUAGES)} if rng.random() < 0.1 else {lang}:
            compiled = extractor.compiled(code)
            groups = [g.patterns for g in compiled.groups]
            for original in (ad.title, ad.text):
                toks = tokens(code, normalise(original).text)
                expected = spacy_matches(groups, _with_norms(toks))
                found = Counter(find_matches(compiled, toks))
                named = Counter(
                    (compiled.groups[g].code, compiled.groups[g].kind, s, e)
                    for (g, s, e), n in expected.items()
                    for _ in range(n)
                )
                assert found == named, (code, original)
                checked += 1
    assert checked >= 2 * len(seed)
