"""An ad's history as the ad page shows it: each version with what changed since the one before,
and the removals and reappearances between them. Plain data; the template escapes it all."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from core.ad import Capture
from index.store import AdEvent, AdVersion

# Diffing is quadratic at worst: compare only the start of very long texts, and show only a few
# changed passages, each cut short.
MAX_DIFF_WORDS = 5_000
MAX_PIECES = 8
MAX_PIECE_CHARS = 300
MAX_VERSION_TEXT = 20_000
MAX_VERSIONS_SHOWN = 50
_WORDS = re.compile(r"\S+")


@dataclass
class DiffPiece:
    kind: str  # "added" | "removed"
    text: str


@dataclass
class TextChange:
    words_added: int
    words_removed: int
    pieces: list[DiffPiece]
    partial: bool  # only the start of the texts was compared, or not every passage is listed


@dataclass
class VersionView:
    version: int
    fetched_at: str
    body_sha256: str
    content_sha256: str
    changed: list[str]
    title: str
    text: str  # capped at MAX_VERSION_TEXT
    text_truncated: bool
    captures: list[Capture]
    first: bool  # the oldest version kept
    title_change: tuple[str, str] | None = None
    text_change: TextChange | None = None
    other_changes: list[tuple[str, str, str]] = field(default_factory=list)  # field, old, new


@dataclass
class EventView:
    at: str
    kind: str
    reason: str
    captures: list[Capture]


def _cut(text: str, limit: int = MAX_PIECE_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def text_change(old: str, new: str) -> TextChange:
    """Words added and removed between two texts, with the first few changed passages."""
    before, after = _WORDS.findall(old), _WORDS.findall(new)
    partial = len(before) > MAX_DIFF_WORDS or len(after) > MAX_DIFF_WORDS
    before, after = before[:MAX_DIFF_WORDS], after[:MAX_DIFF_WORDS]
    matcher = difflib.SequenceMatcher(a=before, b=after)
    added = removed = 0
    pieces: list[DiffPiece] = []
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        removed += a2 - a1
        added += b2 - b1
        for kind, words in (("removed", before[a1:a2]), ("added", after[b1:b2])):
            if words and len(pieces) < MAX_PIECES:
                pieces.append(DiffPiece(kind, _cut(" ".join(words))))
            elif words:
                partial = True
    return TextChange(added, removed, pieces, partial)


def version_views(versions: list[AdVersion], limit: int = MAX_VERSIONS_SHOWN) -> list[VersionView]:
    """The newest ``limit`` versions, newest first, each compared with the version before it."""
    views: list[VersionView] = []
    start = max(0, len(versions) - limit)
    previous: AdVersion | None = versions[start - 1] if start else None
    for version in versions[start:]:
        ad = version.ad
        view = VersionView(
            version=version.version,
            fetched_at=version.fetched_at,
            body_sha256=version.body_sha256,
            content_sha256=version.content_sha256,
            changed=list(version.changed),
            title=_cut(ad.title),
            text=ad.text[:MAX_VERSION_TEXT],
            text_truncated=len(ad.text) > MAX_VERSION_TEXT,
            captures=list(version.captures),
            first=version is versions[0],
        )
        if previous is not None:
            old = previous.ad
            if old.title != ad.title:
                view.title_change = (_cut(old.title), _cut(ad.title))
            if old.text != ad.text:
                view.text_change = text_change(old.text, ad.text)
            for name in version.changed:
                if name not in ("title", "text"):
                    view.other_changes.append(
                        (name, _cut(str(getattr(old, name))), _cut(str(getattr(ad, name))))
                    )
        views.append(view)
        previous = version
    views.reverse()
    return views


def event_views(events: list[AdEvent]) -> list[EventView]:
    return [EventView(e.at, e.kind, e.reason, list(e.captures)) for e in reversed(events)]
