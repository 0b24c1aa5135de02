"""Matching spaCy Matcher token patterns, the subset ``classifiers/patterns.py`` writes, on a
token sequence's norms: the same matches as spaCy's ``Matcher``, several times faster.

spaCy's Matcher makes a Python ``Token`` for every position it reads and runs ``IN``,
``NOT_IN`` and ``REGEX`` tests as Python calls, for every pattern at every token; the
indicator patterns are over a hundred per language. Here a pattern whose first token is a
plain word (or a set of words) only runs where that word occurs, on plain lists, and a
pattern starting otherwise (a prefix, a number) only where its first token passes.

Supported: ``NORM`` (a string, ``IN``, ``NOT_IN``, ``REGEX``), ``LIKE_NUM`` and
``IS_SPACE``, each token once or with ``OP`` "?" or "{m,n}". Anything else is refused when
the patterns are compiled (:class:`UnsupportedPattern`), never mismatched. Like spaCy's
Matcher with one key per group, every span a group's patterns match is reported once (with
gaps, one start can have several ends).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

_QUANTIFIER = re.compile(r"\{(\d+),(\d+)\}")
# Token tests: (kind, value) with kind one of these.
_EQ, _IN, _NOT_IN, _REGEX, _NUM, _SPACE = range(6)
_NORM_KINDS = (_EQ, _IN, _NOT_IN, _REGEX)
_Test = tuple[int, Any]
_Step = tuple[int, int, tuple[_Test, ...]]  # (fewest, most tokens, tests for each token)
_CACHE_NORMS = 100_000  # first-token results remembered per loose pattern


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


def _tests(token: dict[str, Any]) -> tuple[_Test, ...]:
    tests: list[_Test] = []
    for key, value in token.items():
        if key == "OP":
            continue
        if key == "NORM":
            if isinstance(value, str):
                tests.append((_EQ, value))
            elif isinstance(value, dict) and len(value) == 1:
                ((op, arg),) = value.items()
                if op == "IN":
                    tests.append((_IN, frozenset(arg)))
                elif op == "NOT_IN":
                    tests.append((_NOT_IN, frozenset(arg)))
                elif op == "REGEX":
                    tests.append((_REGEX, re.compile(arg)))
                else:
                    raise UnsupportedPattern(f"NORM {op} is not supported")
            else:
                raise UnsupportedPattern(f"NORM {value!r} is not supported")
        elif key in ("LIKE_NUM", "IS_SPACE") and isinstance(value, bool):
            tests.append((_NUM if key == "LIKE_NUM" else _SPACE, value))
        else:
            raise UnsupportedPattern(f"token attribute {key} is not supported")
    return tuple(tests)


def compile_steps(pattern: list[dict[str, Any]]) -> tuple[_Step, ...]:
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
        steps.append((low, high, _tests(token)))
    if not steps:
        raise UnsupportedPattern("empty pattern")
    return tuple(steps)


def _words(step: _Step) -> list[str] | None:
    """The words a step stands for when it is exactly one token tested on its norm alone
    (equal to a word, or one of several); None otherwise."""
    low, high, tests = step
    if (low, high) != (1, 1) or len(tests) != 1 or tests[0][0] not in (_EQ, _IN):
        return None
    kind, value = tests[0]
    return [value] if kind == _EQ else sorted(value)


# (group, steps still to match, the word sets of the steps that must each find a word in the
# text: a pattern with a word the text lacks is not tried at all)
_Entry = tuple[int, tuple[_Step, ...], tuple[list[str], ...]]


@dataclass
class _Anchor:
    """The patterns that start with one word, sorted by what must come next."""

    whole: list[int] = field(default_factory=list)  # groups with a one-word pattern
    by_next: dict[str, list[_Entry]] = field(default_factory=dict)  # next word -> entries
    other: list[_Entry] = field(default_factory=list)  # the rest


def _entry(group: int, steps: tuple[_Step, ...]) -> _Entry:
    needed = [words for step in steps if step[0] >= 1 and (words := _words(step)) is not None]
    return group, steps, tuple(needed)


class TokenMatcher:
    """The patterns of several groups (one spaCy Matcher key each)."""

    def __init__(self, groups: Sequence[Sequence[list[dict[str, Any]]]]) -> None:
        self._anchored: dict[str, _Anchor] = {}
        # patterns whose first token is not a plain word: (group, steps, memo by norm)
        self._loose: list[tuple[int, tuple[_Step, ...], dict[str, bool] | None]] = []
        for group, patterns in enumerate(groups):
            for pattern in patterns:
                steps = compile_steps(pattern)
                firsts = _words(steps[0])
                if firsts is None:
                    # A first token tested on its norm alone passes or not per norm: remembered.
                    low, high, tests = steps[0]
                    by_norm = (low, high) == (1, 1) and all(k in _NORM_KINDS for k, _ in tests)
                    self._loose.append((group, steps, {} if by_norm else None))
                    continue
                nexts = _words(steps[1]) if len(steps) > 1 else None
                for first in firsts:
                    anchor = self._anchored.setdefault(first, _Anchor())
                    if len(steps) == 1:
                        anchor.whole.append(group)
                    elif nexts is None:
                        anchor.other.append(_entry(group, steps[1:]))
                    else:
                        for word in nexts:
                            anchor.by_next.setdefault(word, []).append(_entry(group, steps[2:]))

    def __call__(self, view: TokenView) -> set[tuple[int, int, int]]:
        """Every (group, start, end) whose patterns match ``view``'s tokens start..end."""
        norms = view.norms
        n = len(norms)
        found: set[tuple[int, int, int]] = set()
        where: dict[str, list[int]] = defaultdict(list)
        for i, norm in enumerate(norms):
            where[norm].append(i)
        anchored = self._anchored
        for norm in anchored.keys() & where.keys():
            anchor = anchored[norm]
            others = [e for e in anchor.other if _present(e[2], where)]
            for i in where[norm]:
                for group in anchor.whole:
                    found.add((group, i, i + 1))
                if i + 1 < n:
                    for group, rest, needed in anchor.by_next.get(norms[i + 1], ()):
                        if _present(needed, where):
                            _extend(rest, 0, i + 2, view, group, i, found)
                for group, rest, _ in others:
                    _extend(rest, 0, i + 1, view, group, i, found)
        for group, steps, memo in self._loose:
            if memo is None:
                for i in range(n):
                    _extend(steps, 0, i, view, group, i, found)
                continue
            first = steps[0][2]
            for norm, positions in where.items():
                ok = memo.get(norm)
                if ok is None:
                    ok = _norm_passes(first, norm)
                    if len(memo) >= _CACHE_NORMS:
                        memo.clear()
                    memo[norm] = ok
                if ok:
                    for i in positions:
                        _extend(steps[1:], 0, i + 1, view, group, i, found)
        return found


def _present(needed: tuple[list[str], ...], where: dict[str, list[int]]) -> bool:
    return all(any(word in where for word in words) for words in needed)


def _norm_passes(tests: tuple[_Test, ...], norm: str) -> bool:
    for kind, value in tests:
        if kind == _EQ:
            ok = norm == value
        elif kind == _IN:
            ok = norm in value
        elif kind == _NOT_IN:
            ok = norm not in value
        else:
            ok = value.search(norm) is not None
        if not ok:
            return False
    return True


def _passes(tests: tuple[_Test, ...], view: TokenView, i: int) -> bool:
    for kind, value in tests:
        if kind == _EQ:
            ok = view.norms[i] == value
        elif kind == _IN:
            ok = view.norms[i] in value
        elif kind == _NOT_IN:
            ok = view.norms[i] not in value
        elif kind == _REGEX:
            ok = value.search(view.norms[i]) is not None
        elif kind == _NUM:
            ok = view.like_num[i] == value
        else:
            ok = view.is_space[i] == value
        if not ok:
            return False
    return True


def _extend(
    steps: tuple[_Step, ...],
    k: int,
    i: int,
    view: TokenView,
    group: int,
    start: int,
    found: set[tuple[int, int, int]],
) -> None:
    """Match ``steps[k:]`` from token ``i`` on; add (group, start, end) for every end."""
    n = len(view.norms)
    while k < len(steps):
        low, high, tests = steps[k]
        if low == high == 1:  # the usual step: one token, no branching
            if i >= n or not _passes(tests, view, i):
                return
            i += 1
            k += 1
            continue
        taken = 0
        while taken < low:
            if i + taken >= n or not _passes(tests, view, i + taken):
                return
            taken += 1
        _extend(steps, k + 1, i + taken, view, group, start, found)
        while taken < high and i + taken < n and _passes(tests, view, i + taken):
            taken += 1
            _extend(steps, k + 1, i + taken, view, group, start, found)
        return
    found.add((group, start, i))
