from __future__ import annotations

import random
import re
import unicodedata

from core.text import _INVISIBLE, _ODD, clean_text, html_to_text


def test_html_to_text_drops_scripts_but_keeps_escaped_script_text() -> None:
    markup = (
        "<p>Hostess wanted</p><script>steal()</script><style>p{}</style>"
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; call now</p>"
    )
    text = html_to_text(markup)
    assert "steal" not in text and "p{}" not in text
    assert "<script>alert(1)</script> call now" in text
    assert text.startswith("Hostess wanted")


def test_html_to_text_unclosed_script_runs_to_the_end() -> None:
    assert html_to_text("<p>Job</p><script>var a = 1; <p>hidden</p>") == "Job"


def test_html_to_text_is_linear_on_many_unclosed_scripts() -> None:
    # 20k unclosed tags once took seconds through a backtracking regex; this would time out.
    assert html_to_text("<p>ad</p>" + "<script " * 20_000) == "ad"
    assert html_to_text("<style>" * 20_000 + "x</style>tail") == "tail"


def test_clean_text_removes_invisible_characters_and_caps() -> None:
    assert clean_text("vi\u200bsa\u202e paid\u00ad") == "visa paid"
    assert clean_text("ＷhatsApp") == "WhatsApp"
    assert clean_text("a" * 50, max_chars=10) == "a" * 10


def test_clean_text_makes_words_hidden_by_invisible_characters_whole() -> None:
    hidden = (
        "Bring your pa\u200bss\u200cp\u200do\ufeffr\u2060t, pass\u2066port\u2069"
        " and pass\U000e0020port"
    )
    assert clean_text(hidden) == "Bring your passport, passport and passport"
    # A right-to-left override shows its letters reversed: stored the way the page showed them.
    assert clean_text("Leave your \u202etropssap\u202c here") == "Leave your passport here"
    # Right-to-left letters under an override already read right.
    assert clean_text("\u202e\u05e9\u05dc\u05d5\u05dd\u202c") == "\u05e9\u05dc\u05d5\u05dd"


def test_clean_text_leaves_no_format_private_or_surrogate_characters() -> None:
    every = "".join(
        chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) in ("Cf", "Co", "Cs")
    )
    assert clean_text(f"a{every}b") == "ab"
    assert clean_text("C1\x85controls\x9f and\u2028lines") == "C1 controls and\nlines"


# clean_text as it was before its fast paths: the oracle they must agree with, on every input.
_OLD_INVISIBLE = re.compile(
    "[\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160"
    "\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164"
    "\ud800-\udfff\ue000-\uf8ff\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f\U000e0100-\U000e01ef"
    "\U000f0000-\U000ffffd\U00100000-\U0010fffd]"
)
_OLD_RLO_RUN = re.compile("\u202e([^\u202a-\u202e\u2066-\u2069\n]*)\u202c")
_OLD_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_OLD_LINE_SEPARATORS = re.compile("[\u2028\u2029]")
_OLD_SPACES = re.compile(r"[ \t\r\f\v]+")
_OLD_BLANK_LINES = re.compile(r"\n\s*\n+")


def _old_clean_text(text: str, max_chars: int | None = None) -> str:
    text = unicodedata.normalize("NFKC", text)
    if "\u202e" in text:
        text = _OLD_RLO_RUN.sub(_old_as_shown, text)
    text = _OLD_INVISIBLE.sub("", text)
    text = _OLD_CONTROL.sub(" ", text)
    text = _OLD_LINE_SEPARATORS.sub("\n", text)
    text = _OLD_SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _OLD_BLANK_LINES.sub("\n\n", text).strip()
    if max_chars is not None and len(text) > max_chars:
        text = text[:max_chars].rstrip()
    return text


def _old_as_shown(run: re.Match[str]) -> str:
    letters = run.group(1)
    if any(unicodedata.bidirectional(c) in ("R", "AL") for c in letters):
        return letters
    return letters[::-1]


# Pieces of random text: every kind of character a step of clean_text handles or skips.
_PIECES = [
    *"abcxyzABZ019.,:;!?-_'\"<>&/",
    *" \t\n\r\f\v",
    *"\x00\x01\x08\x0b\x0c\x0e\x1b\x1c\x1f\x7f\x80\x85\x9f",  # controls, C1, C0 whitespace
    *"\xa0\u1680\u2000\u2007\u200a\u202f\u205f\u3000",  # other spaces (NFKC: U+1680 stays)
    *"\u2028\u2029",  # line and paragraph separators
    *"\u00ad\u034f\u0600\u061c\u115f\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2066\u2069",
    *"\u202a\u202b\u202c\u202d\u202e\u3164\ufe0f\ufeff\uffa0\ufffb\ue000\uf8ff",
    *"\ud800\udbff\udc00\udfff",  # lone surrogates
    *"\U000110bd\U0001343f\U0001d173\U000e0001\U000e0041\U000e0100\U000f0000\U0010fffd",
    *"\u0301\u0308\u0327\u05b7",  # combining marks
    *"e\u00e9\u00e7\u00f1\u00c0\u00b4\u00a8\u2126\u212b",  # precomposed, spacing accents
    *"\uff21\uff37\uff11\uff0e\u3000\ufb01\u2460\u00bd\u2122\u1e9b",  # compatibility forms
    *"\u05e9\u05dc\u0627\u0644\u03a3\u0416",  # right-to-left and other scripts
    *"\U0001d7d3\U0001f600\U0001f1e6\U00020000",  # beyond the BMP
    *"\ufffd\u2028\u0085",
    "  ",
    "\r\n",
    " \n ",
    "\n\n\n",
    "\n \n",
    "\t \t",
    "\u202etropssap\u202c",
    "\u202e\u05e9\u05dc\u05d5\u05dd\u202c",
    "\u202eab\u202e",
    "\u202ca\u202e",
]


def _random_text(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(_PIECES) for _ in range(length))


def test_clean_text_agrees_with_the_plain_version_on_random_text() -> None:
    rng = random.Random(2024)
    for _ in range(20_000):
        text = _random_text(rng, rng.randrange(0, 30))
        max_chars = rng.choice([None, None, 0, 1, 5, 20])
        assert clean_text(text, max_chars) == _old_clean_text(text, max_chars), repr(text)


def test_clean_text_agrees_with_the_plain_version_on_long_and_crafted_text() -> None:
    rng = random.Random(7)
    texts = [_random_text(rng, n) for n in (1_000, 10_000, 100_000)]
    # Mostly ordinary prose with a few odd characters, as pages are.
    prose = "Waitress wanted in Madrid. Free visa and flight!\n  Call  now\t\n\n\n"
    texts += [prose * 500, (prose + _random_text(rng, 3)) * 500, "caf\u00e9 " * 5_000]
    # Long runs: whitespace, breaks, overrides that never close, invisible characters.
    for piece in (" ", "\t", " \n", "\n", "\u202e", "\u202ea", "\u200b", "\x00", "\u1680 "):
        texts.append("x" + piece * 50_000 + "y")
    for text in texts:
        for max_chars in (None, 300, 20_000):
            assert clean_text(text, max_chars) == _old_clean_text(text, max_chars)


def test_clean_text_character_classes_hold_the_characters_listed() -> None:
    every = "".join(map(chr, range(0x110000)))
    assert _INVISIBLE.findall(every) == _OLD_INVISIBLE.findall(every)
    odd = re.compile(f"{_OLD_INVISIBLE.pattern}|{_OLD_CONTROL.pattern}|[\u2028\u2029]")
    assert _ODD.findall(every) == odd.findall(every)
    assert clean_text(every) == _old_clean_text(every)
