"""Cutting an ad's text into plain and evidence pieces, so the template can escape each piece
and wrap the evidence ones in ``<mark>``. No HTML is built here."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from core.ad import Ad


@dataclass
class Segment:
    text: str
    codes: list[str] = field(default_factory=list)  # indicators whose evidence covers it
    anchor: str = ""  # element id, set on the first segment of each evidence span

    @property
    def marked(self) -> bool:
        return bool(self.codes)


@dataclass
class EvidenceRef:
    """One evidence span as listed under its indicator, linking to its place in the text."""

    text: str
    anchor: str  # "" when the span could not be placed in the text


@dataclass
class IndicatorView:
    code: str
    label: str
    evidence: list[EvidenceRef]


@dataclass
class MarkedAd:
    title: list[Segment]
    text: list[Segment]
    indicators: list[IndicatorView]


@dataclass
class _Span:
    start: int
    end: int
    code: str
    anchor: str


def _valid(source: str, start: int, end: int, words: str) -> bool:
    # Offsets from an older model or a changed text must not mark the wrong words.
    return 0 <= start < end <= len(source) and source[start:end] == words


def segments(source: str, spans: list[_Span]) -> list[Segment]:
    """Split ``source`` at every span boundary; overlapping spans share segments."""
    cuts = {0, len(source)}
    for span in spans:
        cuts.update((span.start, span.end))
    points = sorted(cuts)
    out: list[Segment] = []
    anchored: set[str] = set()
    for start, end in itertools.pairwise(points):
        if start == end:
            continue
        covering = [s for s in spans if s.start <= start and end <= s.end]
        codes = sorted({s.code for s in covering})
        anchor = ""
        for s in covering:
            if s.start == start and s.anchor not in anchored:
                anchor = s.anchor
                anchored.add(s.anchor)
                break
        out.append(Segment(source[start:end], codes, anchor))
    return out


def mark_ad(ad: Ad) -> MarkedAd:
    spans: dict[str, list[_Span]] = {"title": [], "text": []}
    views: list[IndicatorView] = []
    n = 0
    for indicator in ad.indicators:
        refs: list[EvidenceRef] = []
        for ev in indicator.evidence:
            source = ad.title if ev.field == "title" else ad.text if ev.field == "text" else None
            anchor = ""
            if source is not None and _valid(source, ev.start, ev.end, ev.text):
                n += 1
                anchor = f"ev-{n}"
                spans[ev.field].append(_Span(ev.start, ev.end, indicator.code, anchor))
            refs.append(EvidenceRef(ev.text, anchor))
        views.append(IndicatorView(indicator.code, indicator.label or indicator.code, refs))
    # Two spans starting at one place: only the first gets the anchor, so point later refs at it.
    title = segments(ad.title, spans["title"])
    text = segments(ad.text, spans["text"])
    placed = {seg.anchor for seg in title + text if seg.anchor}
    by_start = {
        (f, s.start): s.anchor for f, lst in spans.items() for s in lst if s.anchor in placed
    }
    rename = {s.anchor: by_start[(f, s.start)] for f, lst in spans.items() for s in lst}
    for view in views:
        for ref in view.evidence:
            ref.anchor = rename.get(ref.anchor, ref.anchor)
    return MarkedAd(title=title, text=text, indicators=views)
