from __future__ import annotations

import unicodedata

from core.text import clean_text, html_to_text


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
