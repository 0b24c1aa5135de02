"""Tokens for matching: what the full spaCy pipeline (tokenizer and lookup lemmatizer) gives,
with each token text lemmatised once and remembered."""

from __future__ import annotations

import pytest

from classifiers import nlp
from classifiers.corpus import load_seed
from classifiers.nlp import LANGUAGES, analyse, norm_of, pipeline, strip_accents, tokens
from classifiers.normalize import normalise

EDGE = ["", " ", "\n\n", "a\nb  c", "don't can't n't", "ça n'est pas", "l'emploi d'été"]
EDGE += ["pa gen frè", "não há", "10 dollars ten dix diez", "PASSPORT Passport", "\t x"]


def _expected(lang: str, text: str) -> list[tuple[str, int, int, bool, bool, bool]]:
    return [
        (
            strip_accents(t.lemma_ or t.lower_),
            t.idx,
            t.idx + len(t.text),
            "\n" in t.text,
            t.like_num,
            t.is_space,
        )
        for t in pipeline(lang)(text)
    ]


def _got(toks: nlp.Tokens) -> list[tuple[str, int, int, bool, bool, bool]]:
    return list(
        zip(
            toks.norms,
            toks.starts,
            toks.ends,
            toks.breaks,
            toks.like_num,
            toks.is_space,
            strict=True,
        )
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_tokens_are_the_pipelines(lang: str) -> None:
    texts = [normalise(t).text for ad in load_seed()[::15] for t in (ad.title, ad.text)]
    for text in [*texts, *EDGE]:
        assert _got(tokens(lang, text)) == _expected(lang, text), text
        assert [t.norm_ for t in analyse(lang, text)] == tokens(lang, text).norms


def test_remembered_tokens_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nlp, "MAX_KNOWN_TOKENS", 5)
    monkeypatch.setattr(nlp, "_analysers", {})
    for text in EDGE:
        assert _got(tokens("fr", text)) == _expected("fr", text)
    assert len(nlp._analysers["fr"]._known) <= 5 + max(len(pipeline("fr")(t)) for t in EDGE)


def test_pattern_words_get_the_same_norms() -> None:
    assert norm_of("en", "Fees") == norm_of("en", "fee")
    assert norm_of("pt", "experiência") == ["experiencia"]


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="no pipeline for language 'xx'"):
        tokens("xx", "hello")
