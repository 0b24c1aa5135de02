"""Matching spaCy Matcher token patterns, the subset ``classifiers/patterns.py`` writes, on a
token sequence's norms: the same matches as spaCy's ``Matcher``, several times faster.

spaCy's Matcher makes a Python ``Token`` for every position it reads and runs ``IN``,
``NOT_IN`` and ``REGEX`` tests as Python calls, for every pattern at every token; the
indicator patterns are hundreds per language. Here a pattern only runs where its first word
occurs, on plain lists. Supported: ``NORM`` (a string, ``IN``, ``NOT_IN``, ``REGEX``),
``LIKE_NUM`` and ``IS_SPACE``, each token once or with ``OP`` "?" or "{m,n}". Anything else
is refused when the patterns are compiled (:class:`UnsupportedPattern`), never mismatched.
Like spaCy's Matcher, every span a pattern matches is found (with gaps, several ends for one
start), each (pattern group, start, end) once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

_QUANTIFIER = re.compile(r"\{(\d+),(\d+)\}")
# One token test: (what, value). what: "eq" / "in" / "not_in" / "regex" on the norm,
# "num" / "space" on the flag.
_Test = tuple[str, Any]


class UnsupportedPattern(ValueError):
    pass


class TokenView(Protocol):
    """Per token: its norm, and the LIKE_NUM and IS_SPACE flags (classifiers.nlp.Tokens)."""

    @property
    def norms(self) -> Sequence[str]: ...
    @property
    def like_num(self) -> Sequence[bool]: ...
    @property
    def is_space(self) -> Sequence[bool]: ...


@dataclass(frozen=True)
class _Step:
    tests: tuple[_Test, ...]
    low: int
    high: int


def _tests(token: dict[str, Any]) -> tuple[_Test, ...]:
    tests: list[_Test] = []
    for key, value in token.items():
        if key == "OP":
            continue
        if key == "NORM":
            if isinstance(value, str):
                tests.append(("eq", value))
            elif isinstance(value, dict) and len(value) == 1:
                ((op, arg),) = value.items()
                if op == "IN":
                    tests.append(("in", frozenset(arg)))
                elif op == "NOT_IN":
                    tests.append(("not_in", frozenset(arg)))
                elif op == "REGEX":
                    tests.append(("regex", re.compile(arg)))
                else:
                    raise UnsupportedPattern(f"NORM {op} is not supported")
            else:
                raise UnsupportedPattern(f"NORM {value!r} is not supported")
        elif key in ("LIKE_NUM", "IS_SPACE") and isinstance(value, bool):
            tests.append(("num" if key == "LIKE_NUM" else "space", value))
        else:
            raise UnsupportedPattern(f"token attribute {key} is not supported")
    return tuple(tests)


def _steps(pattern: list[dict[str, Any]]) -> tuple[_Step, ...]:
    steps = []
    for token in pattern:
        op = token.get("OP")
        if op is None:
            low, high = 1, 1
        elif op == "?":
            low, high = 0, 1
        elif isinstance(op, str) and (found := _QUANTIFIER.fullmatch(op)):
            low, high = int(found.group(1)), int(found.group(2))
        else:
            raise UnsupportedPattern(f"OP {op!r} is not supported")
        steps.append(_Step(_tests(token), low, high))
    if not steps:
        raise UnsupportedPattern("empty pattern")
    return tuple(steps)


class PatternSet:
    """The patterns of one group (one spaCy Matcher key)."""

    def __init__(self, patterns: list[list[dict[str, Any]]]) -> None:
        self._patterns = [_steps(p) for p in patterns]

    def ends(self, view: TokenView, start: int) -> set[int]:
        """The ends of every match that starts at token ``start``."""
        out: set[int] = set()
        for steps in self._patterns:
            _match(steps, 0, start, view, out)
        return out


def _passes(tests: tuple[_Test, ...], view: TokenView, i: int) -> bool:
    for what, value in tests:
        if what == "eq":
            ok = view.norms[i] == value
        elif what == "in":
            ok = view.norms[i] in value
        elif what == "not_in":
            ok = view.norms[i] not in value
        elif what == "regex":
            ok = value.search(view.norms[i]) is not None
        elif what == "num":
            ok = view.like_num[i] == value
        else:
            ok = view.is_space[i] == value
        if not ok:
            return False
    return True


def _match(steps: tuple[_Step, ...], k: int, i: int, view: TokenView, out: set[int]) -> None:
    """Extend a match of ``steps[:k]`` ending before token ``i``; add every end to ``out``."""
    if k == len(steps):
        out.add(i)
        return
    step, n = steps[k], len(view.norms)
    taken = 0
    while taken < step.low:
        if i + taken >= n or not _passes(step.tests, view, i + taken):
            return
        taken += 1
    _match(steps, k + 1, i + taken, view, out)
    while taken < step.high and i + taken < n and _passes(step.tests, view, i + taken):
        taken += 1
        _match(steps, k + 1, i + taken, view, out)
