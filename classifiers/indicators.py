"""Finding the indicators of ``config/indicators.yml`` in an ad, with evidence.

Every piece of evidence points into the original title or text (``text[start:end]``),
even though matching runs on a normalised copy.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from spacy.matcher import Matcher
from spacy.tokens import Doc

from classifiers import signals
from classifiers.errors import IndicatorConfigError
from classifiers.nlp import LANGUAGES, analyse, pipeline
from classifiers.normalize import Normalised, normalise
from classifiers.patterns import (
    SENTENCE_END,
    PatternError,
    compile_pattern,
    cue_norms,
    first_norms,
)
from classifiers.taxonomy import Taxonomy, load_taxonomy
from core.ad import Evidence, Indicator

MAX_EVIDENCE = 8
# A negation cue does not reach across these.
_NEGATION_STOP = SENTENCE_END | {",", ":", "\n"}
_POS, _ABSENT, _IDENTITY = "pos", "absent", "identity"


@dataclass(frozen=True)
class Extraction:
    indicators: list[Indicator]
    absent: frozenset[str]  # codes explicitly ruled out by the ad ("no fees")
    normalised: str  # title and text as the text model reads them

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(i.code for i in self.indicators)


@dataclass
class _Group:
    """One pattern string of an indicator, with the norms any match starts with."""

    code: str
    kind: str
    matcher: Matcher
    starts: frozenset[str] | None  # None: may start at any token
    span: int  # the most tokens a match can cover


@dataclass
class _Compiled:
    groups: list[_Group]
    cues: frozenset[str]


@dataclass
class _Found:
    evidence: dict[str, list[Evidence]] = field(default_factory=lambda: defaultdict(list))
    absent: set[str] = field(default_factory=set)
    chat: list[Evidence] = field(default_factory=list)
    reachable: bool = False  # an email address or a website was seen
    identified: bool = False  # ... or a company, address or licence pattern


class IndicatorExtractor:
    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()
        self._derived = {s.derive: s for s in taxonomy.indicators if s.derive}
        self._specs = {s.code: s for s in taxonomy.indicators}

    @classmethod
    def from_file(cls, path: Path) -> IndicatorExtractor:
        return cls(load_taxonomy(path))

    def compiled(self, lang: str) -> _Compiled:
        """Build (once) the matcher for a language; raises on a bad pattern."""
        if lang not in LANGUAGES:
            raise ValueError(f"no indicator patterns for language {lang!r}")
        with self._lock:
            if lang not in self._compiled:
                self._compiled[lang] = self._compile(lang)
            return self._compiled[lang]

    def _compile(self, lang: str) -> _Compiled:
        vocab = pipeline(lang).vocab
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
                    # One matcher per pattern string, so most are skipped for a given ad.
                    matcher = Matcher(vocab)
                    matcher.add(f"{spec.code}:{kind}", token_patterns)
                    longest = max(_longest(p) for p in token_patterns)
                    groups.append(
                        _Group(spec.code, kind, matcher, first_norms(token_patterns), longest)
                    )
        negation = self.taxonomy.negation.cues
        cues = cue_norms(lang, [*negation.get("any", []), *negation.get(lang, [])])
        return _Compiled(groups, cues)

    def extract(self, text: str, title: str = "", lang: str = "en") -> Extraction:
        compiled = self.compiled(lang)
        found = _Found()
        normalised = []
        for field_name, original in (("title", title), ("text", text)):
            if not original:
                continue
            norm = normalise(original)
            normalised.append(norm.text)
            doc = analyse(lang, norm.text)
            self._match(compiled, doc, norm, original, field_name, found)
            self._signals(norm, original, field_name, found)
        indicators = self._decide(found)
        return Extraction(indicators, frozenset(found.absent), "\n".join(normalised))

    def _match(
        self,
        compiled: _Compiled,
        doc: Doc,
        norm: Normalised,
        original: str,
        field_name: str,
        found: _Found,
    ) -> None:
        positives: list[tuple[str, int, int]] = []
        ruled_out: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for code, kind, start, end in _find(compiled.groups, doc):
            if kind == _POS:
                positives.append((code, start, end))
            elif kind == _ABSENT:
                # "no parental consent needed" negates the safeguard: not an absence.
                if _negated(doc, start, compiled.cues, self.taxonomy.negation.window):
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
                doc, start, compiled.cues, self.taxonomy.negation.window
            ):
                found.absent.add(code)
                continue
            first, last = doc[start], doc[end - 1]
            evidence = _evidence(norm, original, field_name, first.idx, last.idx + len(last.text))
            if spec.derive == "chat_only":
                found.chat.append(evidence)
            else:
                found.evidence[code].append(evidence)

    def _signals(self, norm: Normalised, original: str, field_name: str, found: _Found) -> None:
        light = norm.light
        money = self._derived.get("money")
        if money is not None:
            for hit in signals.find_money(light):
                if hit.usd_per_month >= self.taxonomy.money_usd_per_month:
                    found.evidence[money.code].append(
                        _evidence(norm, original, field_name, hit.start, hit.end)
                    )
        minor, age_range = self._derived.get("minor_age"), self._derived.get("age_range")
        for age in signals.find_ages(light):
            ev = _evidence(norm, original, field_name, age.start, age.end)
            if minor is not None and age.low < 18:
                found.evidence[minor.code].append(ev)
            if age_range is not None and age.low < age.high <= 35:
                found.evidence[age_range.code].append(ev)
        sites, chats = signals.find_links(light)
        if sites or signals.find_emails(light):
            found.reachable = found.identified = True
        found.chat.extend(_evidence(norm, original, field_name, h.start, h.end) for h in chats)

    def _decide(self, found: _Found) -> list[Indicator]:
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


def _find(groups: list[_Group], doc: Doc) -> list[tuple[str, str, int, int]]:
    """All matches as (code, kind, start, end). The spaCy Matcher costs time for every
    pattern at every token, so each pattern only runs on the few tokens where its first
    word occurs (a window as long as its longest match)."""
    where: dict[str, list[int]] = defaultdict(list)
    for i, token in enumerate(doc):
        where[token.norm_].append(i)
    found: list[tuple[str, str, int, int]] = []
    for group in groups:
        if group.starts is None:
            found.extend((group.code, group.kind, s, e) for _, s, e in group.matcher(doc))
            continue
        positions = sorted({i for norm in group.starts & where.keys() for i in where[norm]})
        for i in positions:
            window = doc[i : min(len(doc), i + group.span)]
            found.extend(
                (group.code, group.kind, i, i + e) for _, s, e in group.matcher(window) if s == 0
            )
    return found


def _longest(pattern: list[dict[str, object]]) -> int:
    return sum(3 if token.get("OP") == "{0,3}" else 1 for token in pattern)


def _negated(doc: Doc, start: int, cues: frozenset[str], window: int) -> bool:
    for i in range(start - 1, max(-1, start - 1 - window), -1):
        token = doc[i]
        if token.norm_ in _NEGATION_STOP or "\n" in token.text:
            return False
        if token.norm_ in cues:
            return True
    return False


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
