"""What the ad page shows under "Why flagged": the terms that pushed the score each way, with
a little of the text around each word, and the entities found. Plain strings only, capped in
size; the template escapes every one of them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.ad import Ad, Term

MAX_TERMS = 8  # per list, as classifiers/explain.py keeps them
MAX_ENTITIES = 100
MAX_SHOWN = 200  # characters of any one value or matched text
CONTEXT = 40  # characters shown each side of a word
_SPACES = re.compile(r"\s+")


@dataclass
class TermView:
    term: str
    weight: str  # signed, two decimals: "+0.84"
    before: str = ""  # text around the first occurrence, when it could be placed
    match: str = ""
    after: str = ""

    @property
    def placed(self) -> bool:
        return bool(self.match)


@dataclass
class EntityView:
    type: str
    value: str
    text: str  # the words of the ad that were read


@dataclass
class Explanation:
    words_up: list[TermView] = field(default_factory=list)  # towards a lure
    words_down: list[TermView] = field(default_factory=list)  # towards benign
    features_up: list[TermView] = field(default_factory=list)  # indicator features
    features_down: list[TermView] = field(default_factory=list)
    entities: list[EntityView] = field(default_factory=list)
    entities_hidden: int = 0

    @property
    def has_terms(self) -> bool:
        return bool(self.words_up or self.words_down or self.features_up or self.features_down)


def explain_ad(ad: Ad) -> Explanation:
    out = Explanation()
    words = [t for t in ad.top_terms if t.kind != "indicator"]
    features = [t for t in ad.top_terms if t.kind == "indicator"]
    out.words_up = [_term(t, ad.text) for t in _side(words, up=True)]
    out.words_down = [_term(t, ad.text) for t in _side(words, up=False)]
    out.features_up = [_term(t, "") for t in _side(features, up=True)]
    out.features_down = [_term(t, "") for t in _side(features, up=False)]
    for entity in ad.entities[:MAX_ENTITIES]:
        start, end = entity.start, entity.end
        valid = 0 <= start < end <= len(ad.text)
        read = ad.text[start:end] if valid else entity.text
        out.entities.append(EntityView(entity.type[:50], _cap(entity.value), _cap(read)))
    out.entities_hidden = max(0, len(ad.entities) - MAX_ENTITIES)
    return out


def _side(terms: list[Term], up: bool) -> list[Term]:
    chosen = [t for t in terms if (t.weight > 0) == up and t.weight != 0]
    return sorted(chosen, key=lambda t: -abs(t.weight))[:MAX_TERMS]


def _term(term: Term, text: str) -> TermView:
    view = TermView(_cap(term.term), f"{term.weight:+.2f}")
    start, end = term.start, term.end
    # Offsets from another version of the text must not show the wrong words.
    if (
        start is not None
        and end is not None
        and 0 <= start < end <= len(text)
        and end - start <= MAX_SHOWN
    ):
        view.match = text[start:end]
        before = text[max(0, start - CONTEXT) : start]
        after = text[end : end + CONTEXT]
        view.before = ("…" if start > CONTEXT else "") + _SPACES.sub(" ", before)
        view.after = _SPACES.sub(" ", after) + ("…" if end + CONTEXT < len(text) else "")
    return view


def _cap(value: str) -> str:
    return value if len(value) <= MAX_SHOWN else value[: MAX_SHOWN - 1] + "…"
