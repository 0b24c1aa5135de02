"""Turning hostile page content into bounded plain text."""

from __future__ import annotations

import html
import re
import unicodedata

# Characters nobody sees, used to split keywords ("pass\u200bport") or reorder what a reviewer
# sees: every format character (Unicode category Cf: zero-width, bidi controls, tags), private
# use (Co: icon-font glyphs), lone surrogates (Cs: from JSON "\ud800" escapes; no encoder takes
# them), variation selectors, and the blank letters and joiners used in their place.
_INVISIBLE_CHARS = (
    "\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160"
    "\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164"
    "\ud800-\udfff\ue000-\uf8ff\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f\U000e0100-\U000e01ef"
    "\U000f0000-\U000ffffd\U00100000-\U0010fffd"
)
# Control characters, which become spaces (tab, line feed and carriage return are whitespace).
_CONTROL_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_LINE_SEPARATOR_CHARS = "\u2028\u2029"


def _all_but(members: str) -> str:
    """The body of a character class holding every character the class body ``members`` (single
    characters and "a-b" ranges, nothing escaped) does not hold."""
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(members):
        if members[i + 1 : i + 2] == "-" and i + 2 < len(members):
            spans.append((ord(members[i]), ord(members[i + 2])))
            i += 3
        else:
            spans.append((ord(members[i]), ord(members[i])))
            i += 1
    body: list[str] = []
    start = 0
    for low, high in sorted(spans):
        if low > start:
            body.append(f"\\U{start:08x}-\\U{low - 1:08x}")
        start = max(start, high + 1)
    if start <= 0x10FFFF:
        body.append(f"\\U{start:08x}-\\U0010ffff")
    return "".join(body)


# The invisible class is written as "none of the other characters": the regex engine then
# settles an ordinary character with one bitmap look-up, where with the class as listed it
# goes on to try the ten ranges beyond the BMP one by one (four times slower per character).
_INVISIBLE = re.compile(f"[^{_all_but(_INVISIBLE_CHARS)}]")
# Any character that the three character substitutions below would touch: most text has none,
# and one scan for them is cheaper than three.
_ODD = re.compile(f"[^{_all_but(_INVISIBLE_CHARS + _CONTROL_CHARS + _LINE_SEPARATOR_CHARS)}]")
# Right-to-left override ... pop: shows its (left-to-right) letters reversed, so
# "\u202etropssap\u202c" reads "passport" on the page. Put such runs in the order shown.
_RLO_RUN = re.compile("\u202e([^\u202a-\u202e\u2066-\u2069\n]*)\u202c")
_CONTROL = re.compile(f"[{_CONTROL_CHARS}]")
_LINE_SEPARATORS = re.compile(f"[{_LINE_SEPARATOR_CHARS}]")
_BLOCK_TAGS = re.compile(
    r"<\s*/?\s*(br|p|div|li|ul|ol|h[1-6]|tr|td|th|section|article|header|footer|table)\b[^>]*>",
    re.I,
)
_DROP_OPEN = re.compile(r"<\s*(script|style|noscript|template)\b", re.I)
_TAG = re.compile(r"<[^>]*>")
# A run of spaces and tabs becomes one space. A lone space, by far the most common run, is left
# alone: replacing it by itself once per word was most of the cost.
_SPACES = re.compile(r"[ \t\r\f\v](?:[ \t\r\f\v]+|(?<=[\t\r\f\v]))")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def clean_text(text: str, max_chars: int | None = None) -> str:
    """NFKC, no invisible or control characters, tidy whitespace, optionally capped."""
    # Each step runs only when a quick test finds something for it to do: most text is
    # already NFKC, has no invisible or control characters and no runs of spaces.
    if not text.isascii():  # ASCII is NFKC, has no override
        text = unicodedata.normalize("NFKC", text)
        if "\u202e" in text:
            text = _RLO_RUN.sub(_as_shown, text)
    if _ODD.search(text) is not None:
        text = _INVISIBLE.sub("", text)
        text = _CONTROL.sub(" ", text)
        text = _LINE_SEPARATORS.sub("\n", text)
    # Form feeds and vertical tabs are controls: spaces by now.
    if "  " in text or "\t" in text or "\r" in text:
        text = _SPACES.sub(" ", text)
    if "\n" in text:
        if "\u1680" in text:
            text = "\n".join(line.strip() for line in text.split("\n"))
        else:
            # Spaces come single by now, and the Ogham space mark is the only other
            # whitespace that NFKC and the substitutions above leave: stripping every line
            # is dropping the spaces next to its line breaks.
            text = text.replace(" \n", "\n").replace("\n ", "\n")
        # Lines are stripped, so only line breaks lie between two line breaks: fewer than
        # three in a row are already as the substitution leaves them.
        if "\n\n\n" in text:
            text = _BLANK_LINES.sub("\n\n", text)
    text = text.strip()
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
