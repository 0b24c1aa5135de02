"""Finding the indicators of ``config/indicators.yml`` in an ad, with evidence.

Every piece of evidence points into the original title or text (``text[start:end]``),
even though matching runs on a normalised copy.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from classifiers.entities import WageReference, entities_from
from classifiers.entities.config import load_places
from classifiers.entities.places import Gazetteer
from classifiers.errors import IndicatorConfigError
from classifiers.nlp import LANGUAGES, Tokens, tokens
from classifiers.normalize import Normalised, normalise
from classifiers.patterns import (
    SENTENCE_END,
    PatternError,
    TokenPattern,
    compile_pattern,
    cue_norms,
)
from classifiers.taxonomy import Taxonomy, load_taxonomy
from classifiers.tokenmatch import TokenMatcher, UnsupportedPattern
from core.ad import Entity, Evidence, Indicator

MAX_EVIDENCE = 8
_STAGED_ADS = 64  # ads taken through each stage of extraction together
# A negation cue does not reach across these.
_NEGATION_STOP = SENTENCE_END | {",", ":", "\n"}
_POS, _ABSENT, _IDENTITY = "pos", "absent", "identity"


class Source(NamedTuple):
    """One ad as ``IndicatorExtractor.extract_many`` reads it (see ``extract``)."""

    text: str
    title: str = ""
    lang: str = "en"
    region: str | None = None


@dataclass(frozen=True)
class Extraction:
    indicators: list[Indicator]
    absent: frozenset[str]  # codes explicitly ruled out by the ad ("no fees")
    normalised: str  # title and text as the text model reads them
    entities: tuple[Entity, ...] = ()  # of the text (offsets into it), not the title

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(i.code for i in self.indicators)


@dataclass
class _Group:
    """One pattern string of an indicator, as spaCy Matcher token patterns."""

    code: str
    kind: str
    patterns: list[TokenPattern]


@dataclass
class _Compiled:
    groups: list[_Group]
    cues: frozenset[str]
    matcher: TokenMatcher  # all groups' patterns; group numbers index ``groups``


@dataclass
class _Found:
    evidence: dict[str, list[Evidence]] = field(default_factory=lambda: defaultdict(list))
    absent: set[str] = field(default_factory=set)
    chat: list[Evidence] = field(default_factory=list)
    reachable: bool = False  # an email address or a website was seen
    identified: bool = False  # ... or a company, address or licence pattern
    wages: list[tuple[Entity, Evidence]] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)  # places named, in title or text
    region: str | None = None


class IndicatorExtractor:
    def __init__(
        self,
        taxonomy: Taxonomy,
        wages: WageReference | None = None,
        gazetteer: Gazetteer | None = None,
    ) -> None:
        self.taxonomy = taxonomy
        self.wages = wages or WageReference.from_file()
        self.gazetteer = gazetteer
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()
        self._derived = {s.derive: s for s in taxonomy.indicators if s.derive}
        self._specs = {s.code: s for s in taxonomy.indicators}

    @classmethod
    def from_file(
        cls, path: Path, wages_file: Path | None = None, places_file: Path | None = None
    ) -> IndicatorExtractor:
        """The indicators in ``path``; wage references and gazetteer from the given files
        (a model version's own copies), else from ``config/``."""
        wages = WageReference.from_file(wages_file) if wages_file is not None else None
        gazetteer = Gazetteer(load_places(places_file)) if places_file is not None else None
        return cls(load_taxonomy(path), wages, gazetteer)

    def compiled(self, lang: str) -> _Compiled:
        """Build (once) the matcher for a language; raises on a bad pattern."""
        if lang not in LANGUAGES:
            raise ValueError(f"no indicator patterns for language {lang!r}")
        with self._lock:
            if lang not in self._compiled:
                self._compiled[lang] = self._compile(lang)
            return self._compiled[lang]

    def warm(self) -> None:
        """Builds every language's matcher now (seconds each, the spaCy pipelines with them),
        so that the first ad in a language does not pay for it in the middle of a crawl."""
        for lang in LANGUAGES:
            self.compiled(lang)

    def _compile(self, lang: str) -> _Compiled:
        groups: list[_Group] = []
        for spec in self.taxonomy.indicators:
            for kind, sets in (
                (_POS, spec.patterns),
                (_ABSENT, spec.absent),
                (_IDENTITY, spec.identity),
            ):
                strings = [*sets.get("any", []), *sets.get(lang, [])]
                if not strings:
                    continue
                for text in strings:
                    try:
                        token_patterns = compile_pattern(lang, text)
                    except PatternError as exc:
                        raise IndicatorConfigError(
                            f"indicator {spec.code}, {kind} pattern {text!r} ({lang}): {exc}"
                        ) from exc
                    groups.append(_Group(spec.code, kind, token_patterns))
        negation = self.taxonomy.negation.cues
        cues = cue_norms(lang, [*negation.get("any", []), *negation.get(lang, [])])
        try:
            matcher = TokenMatcher([g.patterns for g in groups])
        except UnsupportedPattern as exc:  # patterns.py wrote what tokenmatch cannot read
            raise IndicatorConfigError(f"indicator patterns ({lang}): {exc}") from exc
        return _Compiled(groups, cues, matcher)

    def extract(
        self, text: str, title: str = "", lang: str = "en", region: str | None = None
    ) -> Extraction:
        """``region``: the site's country (ISO code), for phone numbers, bare "$" amounts
        and the wage reference when the ad names no place."""
        return self.extract_many([Source(text, title, lang, region)])[0]

    def extract_many(self, ads: Sequence[Source]) -> list[Extraction]:
        """``extract`` of each ad. Stage by stage over a few dozen ads at a time (normalise,
        tokenise, match, entities) rather than ad by ad: each stage's tables and caches stay
        in the processor's caches from one ad to the next, and a batch takes less time per
        ad. What each stage finds is taken in, per ad, in the order ``extract`` takes it."""
        compiled = [self.compiled(ad.lang) for ad in ads]
        out: list[Extraction] = []
        # A few dozen: enough for the caches; the tokens of a whole evaluation set would
        # take a lot of memory at once.
        for start in range(0, len(ads), _STAGED_ADS):
            end = start + _STAGED_ADS
            out += self._extract_staged(ads[start:end], compiled[start:end])
        return out

    def _extract_staged(self, ads: Sequence[Source], compiled: list[_Compiled]) -> list[Extraction]:
        fields = [
            (k, field_name, original)
            for k, ad in enumerate(ads)
            for field_name, original in (("title", ad.title), ("text", ad.text))
            if original
        ]
        norms = [normalise(original) for _, _, original in fields]
        toks = [
            tokens(ads[k].lang, norm.text) for (k, _, _), norm in zip(fields, norms, strict=True)
        ]
        matches = [
            find_matches(compiled[k], field_toks)
            for (k, _, _), field_toks in zip(fields, toks, strict=True)
        ]
        entities = [
            entities_from(norm, original, ads[k].lang, ads[k].region, self.gazetteer)
            for (k, _, original), norm in zip(fields, norms, strict=True)
        ]
        found = [_Found(region=ad.region) for ad in ads]
        normalised: list[list[str]] = [[] for _ in ads]
        text_entities: list[list[Entity]] = [[] for _ in ads]
        for (k, field_name, original), norm, field_toks, field_matches, field_entities in zip(
            fields, norms, toks, matches, entities, strict=True
        ):
            normalised[k].append(norm.text)
            self._match(
                compiled[k], field_matches, field_toks, norm, original, field_name, found[k]
            )
            if field_name == "text":
                text_entities[k] = field_entities
            self._signals(field_entities, field_name, found[k])
        return [
            Extraction(
                self._decide(ad_found),
                frozenset(ad_found.absent),
                "\n".join(ad_normalised),
                tuple(ad_entities),
            )
            for ad_found, ad_normalised, ad_entities in zip(
                found, normalised, text_entities, strict=True
            )
        ]

    def _match(
        self,
        compiled: _Compiled,
        matches: list[tuple[str, str, int, int]],
        toks: Tokens,
        norm: Normalised,
        original: str,
        field_name: str,
        found: _Found,
    ) -> None:
        """Takes in what ``find_matches`` found in one field."""
        positives: list[tuple[str, int, int]] = []
        ruled_out: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for code, kind, start, end in matches:
            if kind == _POS:
                positives.append((code, start, end))
            elif kind == _ABSENT:
                # "no parental consent needed" negates the safeguard: not an absence.
                if _negated(toks, start, compiled.cues, self.taxonomy.negation.window):
                    continue
                ruled_out[code].append((start, end))
                found.absent.add(code)
            else:
                found.identified = True
        for code, start, end in positives:
            spec = self._specs[code]
            if any(s < end and start < e for s, e in ruled_out.get(code, ())):
                continue
            if spec.negatable and _negated(
                toks, start, compiled.cues, self.taxonomy.negation.window
            ):
                found.absent.add(code)
                continue
            evidence = _evidence(norm, original, field_name, toks.starts[start], toks.ends[end - 1])
            if spec.derive == "chat_only":
                found.chat.append(evidence)
            else:
                found.evidence[code].append(evidence)

    def _signals(self, entities: list[Entity], field_name: str, found: _Found) -> None:
        """Evidence from the entities of one field (config/indicators.yml, `derive`)."""
        minor, age_range = self._derived.get("minor_age"), self._derived.get("age_range")
        for entity in entities:
            kind = entity.type
            if kind == "wage":
                found.wages.append((entity, _entity_evidence(entity, field_name)))
            elif kind == "place":
                found.countries.append(str(entity.attrs["country"]))
            elif kind == "age":
                low, high = entity.attrs.get("min"), entity.attrs.get("max")
                ev = _entity_evidence(entity, field_name)
                if minor is not None and isinstance(low, int) and low < 18:
                    found.evidence[minor.code].append(ev)
                if age_range is not None and _young_range(low, high):
                    found.evidence[age_range.code].append(ev)
            elif kind == "email" or (kind == "url" and not entity.attrs.get("chat")):
                found.reachable = found.identified = True
            elif kind in ("handle", "url") or (kind == "phone" and entity.attrs.get("chat")):
                # A messaging account, a link to one, or a number given "on WhatsApp".
                found.chat.append(_entity_evidence(entity, field_name))

    def _decide(self, found: _Found) -> list[Indicator]:
        money = self._derived.get("money")
        if money is not None:
            for wage, ev in found.wages:
                if self.wages.too_good(wage, found.countries, found.region):
                    found.evidence[money.code].append(ev)
        chat = self._derived.get("chat_only")
        if chat is not None and found.chat and not found.reachable:
            found.evidence[chat.code].extend(found.chat)
        vague = self._derived.get("no_identity")
        if vague is not None:
            if found.identified:
                found.evidence.pop(vague.code, None)
            else:
                found.evidence.setdefault(vague.code, [])
        # A positive match that survived suppression fires even if the ad rules the same
        # indicator out elsewhere ("no agency fee; the visa deposit is repaid from salary").
        return [
            Indicator(spec.code, spec.label, _tidy(found.evidence[spec.code]))
            for spec in self.taxonomy.indicators
            if found.evidence.get(spec.code) or (spec.code in found.evidence and spec is vague)
        ]


def find_matches(compiled: _Compiled, toks: Tokens) -> list[tuple[str, str, int, int]]:
    """All matches as (code, kind, start, end): for each pattern group, every span its
    patterns match, once (as spaCy's Matcher reports them with one key per group)."""
    groups = compiled.groups
    return [(groups[g].code, groups[g].kind, s, e) for g, s, e in compiled.matcher(toks)]


def _negated(toks: Tokens, start: int, cues: frozenset[str], window: int) -> bool:
    for i in range(start - 1, max(-1, start - 1 - window), -1):
        norm = toks.norms[i]
        if norm in _NEGATION_STOP or toks.breaks[i]:
            return False
        if norm in cues:
            return True
    return False


def _entity_evidence(entity: Entity, field_name: str) -> Evidence:
    return Evidence(text=entity.text, start=entity.start, end=entity.end, field=field_name)


def _young_range(low: object, high: object) -> bool:
    """An upper age limit that asks for the young: "18-25", "under 30" (not "under 18",
    which keeps minors out)."""
    if not isinstance(high, int) or high > 35:
        return False
    return low < high if isinstance(low, int) else high >= 20


def _evidence(norm: Normalised, original: str, field_name: str, start: int, end: int) -> Evidence:
    a, b = norm.original_span(start, end)
    return Evidence(text=original[a:b], start=a, end=b, field=field_name)


def _tidy(items: list[Evidence]) -> list[Evidence]:
    """Sorted, without duplicates or spans inside a longer one, at most MAX_EVIDENCE."""
    order = {"title": 0, "text": 1}
    ranked = sorted(items, key=lambda e: (order.get(e.field, 2), e.start, -(e.end - e.start)))
    kept: list[Evidence] = []
    for ev in ranked:
        if any(k.field == ev.field and k.start <= ev.start and ev.end <= k.end for k in kept):
            continue
        kept.append(ev)
    return kept[:MAX_EVIDENCE]
