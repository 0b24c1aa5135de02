"""Turning hostile page content into bounded plain text."""

from __future__ import annotations

import html
import re
import unicodedata

# Characters nobody sees, used to split keywords ("pass\u200bport") or reorder what a reviewer
# sees: every format character (Unicode category Cf: zero-width, bidi controls, tags), private
# use (Co: icon-font glyphs), lone surrogates (Cs: from JSON "\ud800" escapes; no encoder takes
# them), variation selectors, and the blank letters and joiners used in their place.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160"
    "\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164"
    "\ud800-\udfff\ue000-\uf8ff\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f\U000e0100-\U000e01ef"
    "\U000f0000-\U000ffffd\U00100000-\U0010fffd]"
)
# Right-to-left override ... pop: shows its (left-to-right) letters reversed, so
# "\u202etropssap\u202c" reads "passport" on the page. Put such runs in the order shown.
_RLO_RUN = re.compile("\u202e([^\u202a-\u202e\u2066-\u2069\n]*)\u202c")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_SEPARATORS = re.compile("[\u2028\u2029]")
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
    if "\u202e" in text:
        text = _RLO_RUN.sub(_as_shown, text)
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    text = _LINE_SEPARATORS.sub("\n", text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n\n", text).strip()
    if max_chars is not None and len(text) > max_chars:
        text = text[:max_chars].rstrip()
    return text


def _as_shown(run: re.Match[str]) -> str:
    letters = run.group(1)
    # Right-to-left letters keep their order under an override: only left-to-right runs flip.
    if any(unicodedata.bidirectional(c) in ("R", "AL") for c in letters):
        return letters
    return letters[::-1]


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
