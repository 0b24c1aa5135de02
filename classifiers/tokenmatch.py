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


# A step as the matcher runs it: (fewest, most tokens, norm test kind, its value, flag tests
# as (column, expected value), the words the next step takes when it is one token tested on
# its norm against a set of words (else None)).
_Run = tuple[int, int, int, Any, tuple[tuple[int, bool], ...], frozenset[str] | None]
_NONE = -1  # no norm test
# (group, steps still to match, the word sets of the steps that must each find a word in the
# text: a pattern with a word the text lacks is not tried at all)
_Entry = tuple[int, tuple[_Run, ...], tuple[frozenset[str], ...]]


def _runnable(steps: tuple[_Step, ...]) -> tuple[_Run, ...]:
    """Each step's tests as its norm test (a token has one NORM key at most; equal to a word
    becomes one of a set of one) and its flag tests."""
    runs: list[_Run] = []
    for low, high, tests in steps:
        kind, value = _NONE, None
        flags: list[tuple[int, bool]] = []
        for test_kind, test_value in tests:
            if test_kind in _NORM_KINDS:
                kind, value = (
                    (_IN, frozenset([test_value])) if test_kind == _EQ else (test_kind, test_value)
                )
            else:
                flags.append((test_kind, bool(test_value)))
        runs.append((low, high, kind, value, tuple(flags), None))
    for k in range(len(runs) - 1):
        low, high, kind, value, tested, _ = runs[k + 1]
        if (low, high) == (1, 1) and kind == _IN and not tested:
            runs[k] = (*runs[k][:5], value)
    return tuple(runs)


@dataclass
class _Anchor:
    """The patterns that start with one word, sorted by what must come next."""

    whole: list[int] = field(default_factory=list)  # groups with a one-word pattern
    by_next: dict[str, list[_Entry]] = field(default_factory=dict)  # next word -> entries
    other: list[_Entry] = field(default_factory=list)  # the rest


def _entry(group: int, steps: tuple[_Step, ...]) -> _Entry:
    needed = [
        frozenset(words) for step in steps if step[0] >= 1 and (words := _words(step)) is not None
    ]
    return group, _runnable(steps), tuple(needed)


class TokenMatcher:
    """The patterns of several groups (one spaCy Matcher key each)."""

    def __init__(self, groups: Sequence[Sequence[list[dict[str, Any]]]]) -> None:
        self._anchored: dict[str, _Anchor] = {}
        # Patterns whose first token is not a plain word, as entries, with their first
        # token's result per norm when that depends on the norm alone (else None).
        self._loose: list[tuple[_Entry, dict[str, bool] | None]] = []
        for group, patterns in enumerate(groups):
            for pattern in patterns:
                steps = compile_steps(pattern)
                firsts = _words(steps[0])
                if firsts is None:
                    # A first token tested on its norm alone passes or not per norm: remembered.
                    low, high, tests = steps[0]
                    by_norm = (low, high) == (1, 1) and all(k in _NORM_KINDS for k, _ in tests)
                    self._loose.append((_entry(group, steps), {} if by_norm else None))
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
        if not n:
            return found
        present = set(norms)
        columns = _Columns(view)
        anchored = self._anchored
        for i in [i for i, norm in enumerate(norms) if norm in anchored]:
            anchor = anchored[norms[i]]
            for group in anchor.whole:
                found.add((group, i, i + 1))
            if i + 1 < n and (entries := anchor.by_next.get(norms[i + 1])) is not None:
                for group, rest, needed in entries:
                    for words in needed:
                        if words.isdisjoint(present):
                            break
                    else:
                        if rest:
                            _extend(rest, 0, i + 2, norms, columns, group, i, found)
                        else:
                            found.add((group, i, i + 2))
            for group, rest, needed in anchor.other:
                for words in needed:
                    if words.isdisjoint(present):
                        break
                else:
                    _extend(rest, 0, i + 1, norms, columns, group, i, found)
        for (group, steps, needed), memo in self._loose:
            if any(words.isdisjoint(present) for words in needed):
                continue
            if memo is None:
                for i in range(n):
                    _extend(steps, 0, i, norms, columns, group, i, found)
                continue
            passing = []
            for norm in present:
                ok = memo.get(norm)
                if ok is None:
                    ok = _passes(steps[0], columns, norm, 0)
                    if len(memo) >= _CACHE_NORMS:
                        memo.clear()
                    memo[norm] = ok
                if ok:
                    passing.append(norm)
            if passing:
                firsts = set(passing)
                for i, norm in enumerate(norms):
                    if norm in firsts:
                        _extend(steps, 1, i + 1, norms, columns, group, i, found)
        return found


class _Columns(dict[int, Sequence[bool]]):
    """A view's flag columns by test kind, each read from the view when first needed."""

    def __init__(self, view: TokenView) -> None:
        super().__init__()
        self._view = view

    def __missing__(self, kind: int) -> Sequence[bool]:
        column = self[kind] = self._view.like_num if kind == _NUM else self._view.is_space
        return column


def _passes(step: _Run, columns: _Columns, norm: str, i: int) -> bool:
    """Whether token ``i``, whose norm is ``norm``, passes the step's tests (a step without
    flag tests reads ``norm`` alone)."""
    _, _, kind, value, flags, _ = step
    if kind == _IN:
        if norm not in value:
            return False
    elif kind == _NOT_IN:
        if norm in value:
            return False
    elif kind == _REGEX and value.search(norm) is None:
        return False
    for column, expected in flags:  # noqa: SIM110 (no generator per token: a hot path)
        if columns[column][i] != expected:
            return False
    return True


def _extend(
    steps: tuple[_Run, ...],
    k: int,
    i: int,
    norms: Sequence[str],
    columns: _Columns,
    group: int,
    start: int,
    found: set[tuple[int, int, int]],
) -> None:
    """Match ``steps[k:]`` from token ``i`` on; add (group, start, end) for every end."""
    n = len(norms)
    while k < len(steps):
        step = steps[k]
        low, high, kind, value, flags, following = step
        if low == high == 1:  # the usual step: one token, no branching
            if i >= n:
                return
            if kind == _IN and not flags:
                if norms[i] not in value:
                    return
            elif not _passes(step, columns, norms[i], i):
                return
            i += 1
            k += 1
            continue
        taken = 0
        while taken < low:
            if i + taken >= n or not _passes(step, columns, norms[i + taken], i + taken):
                return
            taken += 1
        # A next step that takes one of a few words is tried only where one of them stands.
        end = i + taken
        if following is None or (end < n and norms[end] in following):
            _extend(steps, k + 1, end, norms, columns, group, start, found)
        while taken < high and end < n and _passes(step, columns, norms[end], end):
            taken += 1
            end += 1
            if following is None or (end < n and norms[end] in following):
                _extend(steps, k + 1, end, norms, columns, group, start, found)
        return
    found.add((group, start, i))
