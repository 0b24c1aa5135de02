"""Turning hostile page content into bounded plain text."""

from __future__ import annotations

import html
import re
import unicodedata

# Zero-width and bidirectional control characters: invisible, used to split keywords or
# reorder what a reviewer sees.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BLOCK_TAGS = re.compile(
    r"<\s*/?\s*(br|p|div|li|ul|ol|h[1-6]|tr|td|th|section|article|header|footer|table)\b[^>]*>",
    re.I,
)
_DROP_OPEN = re.compile(r"<\s*(script|style|noscript|template)\b", re.I)
_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def clean_text(text: str, max_chars: int | None = None) -> str:
    """NFKC, no invisible or control characters, tidy whitespace, optionally capped."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n\n", text).strip()
    if max_chars is not None and len(text) > max_chars:
        text = text[:max_chars].rstrip()
    return text


def _drop_elements(markup: str) -> str:
    """Remove script/style/noscript/template elements in one pass. An element left open runs
    to the end, as in a browser; scanning forward once keeps crafted input linear."""
    out: list[str] = []
    pos = 0
    lowered = markup.lower()
    while (match := _DROP_OPEN.search(markup, pos)) is not None:
        out.append(markup[pos : match.start()])
        close = re.compile(rf"<\s*/\s*{match.group(1).lower()}\s*>")
        end = close.search(lowered, match.end())
        if end is None:
            return " ".join(out)
        out.append(" ")
        pos = end.end()
    out.append(markup[pos:])
    return "".join(out)


def html_to_text(markup: str, max_chars: int | None = None) -> str:
    """Plain text of an HTML fragment. Scripts and styles are dropped, not kept as text."""
    markup = _drop_elements(markup)
    markup = _BLOCK_TAGS.sub("\n", markup)
    markup = _TAG.sub(" ", markup)
    return clean_text(html.unescape(markup), max_chars)
