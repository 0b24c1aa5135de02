"""Words as maximal runs of one character class, the list ``re.findall("(?:class)+", text)``
gives, found faster in the usual case.

``findall`` pays for every match it makes, and an ad has dozens of words. When none of a
text's characters beyond Latin-1 is in the class (most ads in the languages we read: their
letters are Latin-1, and emoji, "€" or "–" are not letters), the text is instead cut in C:
encoded to Latin-1 (each other character as "?"), its bytes mapped through a table that keeps
the class's characters and turns every other into a space, then split on spaces. Any other
text is left to ``findall``.
"""

from __future__ import annotations

import re


class Runs:
    """``Runs("[a-z]")(text)`` is ``re.findall("(?:[a-z])+", text)``. ``char_class`` must
    match one character at a time (no look-around, no groups): it is tried on each of the
    256 Latin-1 characters to build the table."""

    def __init__(self, char_class: str) -> None:
        one = re.compile(char_class)
        members = [c for c in range(256) if one.fullmatch(chr(c)) is not None]
        if any(chr(c).isspace() for c in members):
            raise ValueError(f"{char_class!r} matches whitespace: its runs cannot be split")
        self._findall = re.compile(f"(?:{char_class})+").findall
        keep = bytearray(b" " * 256)
        for c in members:
            keep[c] = c
        self._table = bytes(keep)
        # A character of the class beyond Latin-1: a text holding one is left to findall. (If
        # "?" were in the class, the characters encoded as "?" could not be told apart.)
        # (Written as a character beyond Latin-1, then the class looking back at it: a pattern
        # that starts with a set of characters is searched for fast.)
        self._beyond = (
            None if ord("?") in members else re.compile(f"[^\\x00-\\xff](?<={char_class})")
        )

    def __call__(self, text: str) -> list[str]:
        runs = self.split(text)
        return self._findall(text) if runs is None else runs

    def split(self, text: str) -> list[str] | None:
        """The runs, cut in C; None for a text ``findall`` has to read."""
        try:
            raw = text.encode("latin-1")
        except UnicodeEncodeError:
            if self._beyond is None or self._beyond.search(text) is not None:
                return None
            raw = text.encode("latin-1", "replace")
        # Every character outside the class is now a space, and none inside is whitespace:
        # split() cuts exactly between the runs.
        return raw.translate(self._table).decode("latin-1").split()
