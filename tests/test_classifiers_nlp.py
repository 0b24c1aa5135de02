"""Tokens for matching: what spaCy's tokenizer and its lookup lemmatizer give, with each token
text lemmatised once and remembered."""

from __future__ import annotations

import random
import threading
from functools import cache

import pytest
import spacy
from spacy.language import Language

from classifiers import nlp
from classifiers.corpus import load_seed
from classifiers.nlp import LANGUAGES, analyse, norm_of, strip_accents, tokens
from classifiers.normalize import normalise

EDGE = ["", " ", "\n\n", "a\nb  c", "don't can't n't", "ça n'est pas", "l'emploi d'été"]
EDGE += ["pa gen frè", "não há", "10 dollars ten dix diez", "PASSPORT Passport", "\t x"]

# Tokens and norms as they were when spaCy's own Lemmatizer component set the lemmas. "U.S."
# keeps its case: a token without a table entry has its own text as lemma, not the lowercase.
BEFORE = {
    "en": (
        "don't pay $500 fee... e-mail me@x.com (visa) U.S. 10am",
        "do n't pay $ 500 fee ... e - mail me@x.com ( visa ) U.S. 10 am",
        "do not pay $ 500 fee ... e - mail me@x.com ( visa ) U.S. 10 be",
    ),
    "es": (
        "¿no hay pago? ¡trabajo en EE.UU.! 1.500€ al mes, pasaporte/visa",
        "¿ no hay pago ? ¡ trabajo en EE.UU. ! 1.500 € al mes , pasaporte / visa",
        "¿ no haber pagar ? ¡ trabajar en EE.UU. ! 1.500 € al mes , pasaportar / visar",
    ),
    "fr": (
        "l'emploi d'été: aujourd'hui c'est-à-dire 1 500 € va-t-il payer?",
        "l' emploi d' été : aujourd'hui c' est - à - dire 1 500 € va -t -il payer ?",
        "le emploi de ete : aujourd'hui ce est - a - dire 1 500 € aller -t -il payer ?",
    ),
    "ht": (
        "pa gen frè! n'ap ba w 500 dola, m'ap tann ou",
        "pa gen frè ! n' ap ba w 500 dola , m' ap tann ou",
        "pa gen fre ! n' ap ba w 500 dola , m' ap tann ou",
    ),
    "pt": (
        "não há taxa; d'água 1.500,00 R$/mês (visto) pra você",
        "não há taxa ; d'água 1.500,00 R$ /mês ( visto ) pra você",
        "nao haver taxar ; d'agua 1.500,00 R$ /mes ( vestir ) pra voce",
    ),
}

_Row = tuple[str, int, int, bool, bool, bool]


@cache
def _spacy_lemmatizer(lang: str) -> Language:
    """A blank pipeline with spaCy's own lookup Lemmatizer, its table loaded by spaCy."""
    ref = spacy.blank(lang)
    ref.add_pipe("lemmatizer", config={"mode": "lookup"})
    try:
        ref.initialize()
    except ValueError as exc:
        assert "E955" in str(exc)  # no table for the language: no lemmas
        ref = spacy.blank(lang)
    return ref


@cache
def _seed_texts() -> list[str]:
    return [normalise(t).text for ad in load_seed() for t in (ad.title, ad.text)]


def _expected(lang: str, text: str) -> list[_Row]:
    return [
        (
            strip_accents(t.lemma_ or t.lower_),
            t.idx,
            t.idx + len(t.text),
            "\n" in t.text,
            t.like_num,
            t.is_space,
        )
        for t in _spacy_lemmatizer(lang)(text)
    ]


def _got(toks: nlp.Tokens) -> list[_Row]:
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
def test_tokens_are_spacys_with_its_lemmatizer(lang: str) -> None:
    for text in [*_seed_texts()[::30], *EDGE]:
        assert _got(tokens(lang, text)) == _expected(lang, text), text
        assert [t.norm_ for t in analyse(lang, text)] == tokens(lang, text).norms


@pytest.mark.parametrize("lang", LANGUAGES)
def test_norms_are_spacys_lookup_lemmas(lang: str) -> None:
    # A sample of the words in the table we read (as they are, capitalised and upper case),
    # and every word of the seed ads, in one text each. (Were it the wrong table, spaCy's
    # lemmas for its words would differ.)
    table = nlp._lemmas(lang) or {}
    sample = list(table)[:: max(1, len(table) // 2000)]
    words = {w for word in sample for w in (word, word.title(), word.upper())}
    assert len(words) > 5000 or lang == "ht"
    # The tokenizer splits each whitespace-separated chunk on its own: these give the seed
    # ads' tokens.
    words.update(chunk for text in _seed_texts() for chunk in text.split())
    doc = _spacy_lemmatizer(lang)(" ".join(sorted(words)))
    assert tokens(lang, doc.text).norms == [strip_accents(t.lemma_ or t.lower_) for t in doc]
    # Many words must have a lemma other than themselves, or this proves little.
    assert lang == "ht" or sum(t.lemma_ != t.text for t in doc) > 1000


def test_tokenisation_and_norms_are_as_before() -> None:
    for lang, (text, split, norms) in BEFORE.items():
        toks = tokens(lang, text)
        assert " ".join(text[s:e] for s, e in zip(toks.starts, toks.ends, strict=True)) == split
        assert " ".join(toks.norms) == norms
        assert [t.text for t in spacy.blank(lang).make_doc(text)] == split.split()


def test_first_use_from_many_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nlp, "_analysers", {})
    texts = _seed_texts()[:40]
    results: dict[int, list[list[_Row]]] = {}

    def run(n: int) -> None:
        results[n] = [_got(tokens("es", text)) for text in texts]

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = [_expected("es", text) for text in texts]
    assert [results[n] for n in range(4)] == [expected] * 4


def test_remembered_tokens_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nlp, "MAX_KNOWN_TOKENS", 5)
    monkeypatch.setattr(nlp, "_analysers", {})
    for text in EDGE:
        assert _got(tokens("fr", text)) == _expected("fr", text)
    assert len(nlp._analysers["fr"]._known) <= 5 + max(len(spacy.blank("fr")(t)) for t in EDGE)


def test_hostile_long_tokens_do_not_grow_the_vocabulary_without_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(nlp, "MAX_KNOWN_CHARS", 50_000)
    monkeypatch.setattr(nlp, "_analysers", {})
    rng = random.Random(3)
    ordinary = "Hostess wanted abroad, visa and flight paid, pay the fee on arrival"
    before = _got(tokens("en", ordinary))
    sizes = []
    for _ in range(40):  # 40 ads of 30 distinct 300-character "words": 360,000 characters
        words = ["".join(rng.choices("bcdfghjklmnpqrstvwxz", k=300)) for _ in range(30)]
        toks = tokens("en", " ".join(words))
        assert toks.norms == words
        sizes.append(len(nlp._analysers["en"]._nlp.vocab.strings))
    # The vocabulary started again each time it held about MAX_KNOWN_CHARS characters (it
    # would have grown by all 1,200 words), and what the tokens read as did not change.
    fresh = len(spacy.blank("en").vocab.strings)
    assert max(sizes) - fresh < 50_000 // 300 + 30 + 100
    assert _got(tokens("en", ordinary)) == before


def test_pattern_words_get_the_same_norms() -> None:
    assert norm_of("en", "Fees") == norm_of("en", "fee")
    assert norm_of("pt", "experiência") == ["experiencia"]


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="no pipeline for language 'xx'"):
        tokens("xx", "hello")


def test_a_long_run_without_spaces_is_read_in_pieces_with_offsets_kept() -> None:
    # spaCy's tokenizer is quadratic on such runs: a hostile ad of 20,000 "$" took a minute.
    text = "pay the " + "$" * 5_000 + " fee now"
    toks = nlp.tokens("en", text)
    assert toks.norms[:2] == ["pay", "the"] and toks.norms[-2:] == ["fee", "now"]
    assert toks.starts[-2] == text.index("fee")
    assert all(text[s : s + 1] == "$" for s in toks.starts[2:-2])


def test_a_run_up_to_the_limit_is_tokenised_as_it_is() -> None:
    link = "https://jobs.example/apply?" + "a" * (nlp.LONG_RUN - 27)
    assert len(link) == nlp.LONG_RUN
    assert nlp.tokens("en", f"apply at {link} today").norms == ["apply", "at", link, "today"]
