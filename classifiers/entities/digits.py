"""Digit runs hidden the ways lures hide phone numbers: spelled out in English, Spanish,
French, Haitian Creole or Portuguese ("seven five eight", "cinco", "cinq", "senk"), emoji
keycaps and full-width digits (folded to ASCII before we get here, see ``Scan.folded``),
"oh"/"o" for zero, "double five", and groups split by spaces, dots, dashes or filler words
("758 - 555 then 0134").

A run is only a candidate: ``phones`` decides which runs are phone numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import starmap
from operator import sub

from classifiers.entities.scan import wordlist


def _table(spec: str) -> dict[str, str]:
    """``"zero:0 one:1"`` -> {"zero": "0", "one": "1"}."""
    return dict(item.split(":") for item in spec.split())


# Words that are numbers in every language we read (no accents: they are matched on
# ``Scan.folded``). Tens and teens too, as numbers are often read in pairs ("zéro six,
# douze, trente-quatre", "cinquenta e cinco").
_WORDS = _table(
    "zero:0 one:1 two:2 three:3 four:4 five:5 six:6 seven:7 eight:8 nine:9 eleven:11 "
    "twelve:12 thirteen:13 fourteen:14 fifteen:15 sixteen:16 seventeen:17 eighteen:18 "
    "nineteen:19 twenty:20 thirty:30 forty:40 fifty:50 sixty:60 seventy:70 eighty:80 ninety:90 "
    "cero:0 cuatro:4 cinco:5 seis:6 siete:7 ocho:8 nueve:9 diez:10 trece:13 catorce:14 "
    "quince:15 dieciseis:16 diecisiete:17 dieciocho:18 diecinueve:19 veinte:20 veintiuno:21 "
    "veintidos:22 veintitres:23 veinticuatro:24 veinticinco:25 veintiseis:26 veintisiete:27 "
    "veintiocho:28 veintinueve:29 treinta:30 cuarenta:40 cincuenta:50 sesenta:60 setenta:70 "
    "ochenta:80 noventa:90 "
    "deux:2 trois:3 quatre:4 cinq:5 huit:8 dix:10 onze:11 douze:12 treize:13 quatorze:14 "
    "quinze:15 vingt:20 vingts:20 trente:30 quarante:40 cinquante:50 soixante:60 "
    "zewo:0 youn:1 yonn:1 twa:3 kat:4 senk:5 uit:8 nef:9 trez:13 katoz:14 kenz:15 sez:16 "
    "diset:17 dizuit:18 diznef:19 trant:30 karant:40 senkant:50 swasant:60 swasanndis:70 "
    "katreven:80 katrevendis:90 "
    "dois:2 duas:2 quatro:4 sete:7 oito:8 nove:9 dez:10 doze:12 treze:13 dezesseis:16 "
    "dezasseis:16 dezessete:17 dezassete:17 dezoito:18 dezenove:19 dezanove:19 vinte:20 "
    "trinta:30 quarenta:40 cinquenta:50 sessenta:60 oitenta:80"
)
# Words that are numbers in one language and ordinary words elsewhere ("de", "en", "set",
# "un", "o", "once"). They count only in that language, and only next to an unambiguous
# number word or digit.
_AMBIGUOUS = {
    "en": _table("o:0 oh:0 ten:10"),
    "es": _table("uno:1 una:1 dos:2 tres:3 once:11 doce:12"),
    "fr": _table("un:1 une:1 sept:7 neuf:9 seize:16"),
    "ht": _table("en:1 yon:1 de:2 sis:6 set:7 wit:8 sink:5 dis:10 onz:11 douz:12 ven:20"),
    "pt": _table("um:1 uma:1 tres:3 meia:6 onze:11 quatorze:14 catorze:14 quinze:15"),
}
# "o"/"oh" need a digit on both sides: "five oh one", never "oh, 5 rooms".
_BOTH_SIDES = frozenset({"o", "oh"})
_REPEAT = {"double": 2, "doble": 2, "triple": 3, "triplo": 3}
# Words that may stand between digit groups: "758 dash 555 and then 0134".
_FILLERS = wordlist(
    "and then dash hyphen space dot point y luego guion espacio punto et puis tiret "
    "espace ak epi apre tire e depois traco espaco ponto"
)
_SEP = r" \t.\-–—_()\[\]*·•,"
_GAP = re.compile(
    rf"[{_SEP}]{{0,6}}(?:(?:{'|'.join(_FILLERS)})[{_SEP}]{{1,6}}){{0,2}}",
)
# Between the two words of one number: "thirty-four", "vingt et un", "vinte e sete".
_JOINER = re.compile(r"[ \t-]*(?:(?:e|y|et|and|ak)[ \t-]+)?")
_MAX_GAP = 6 + 2 * (7 + 6)  # the longest gap _GAP can match
# "\Z", not "$": a "+" ending the line before ("ages 18+\n758...") does not lead the number.
_PLUS_BEFORE = re.compile(r"(?:\+|(?<![^\W\d_])plus )[ \t]?\Z")
_TEN = "\U0001f51f"  # the keycap-ten emoji


@dataclass(frozen=True)
class DigitToken:
    digits: str
    start: int
    end: int
    word: str = ""  # the spelled-out word, "" for digits

    @property
    def ambiguous(self) -> bool:
        return self.word in _AMBIGUOUS_WORDS


_AMBIGUOUS_WORDS = frozenset(w for table in _AMBIGUOUS.values() for w in table) - set(_WORDS)


@dataclass(frozen=True)
class DigitRun:
    """Digit tokens that read as one number; ``plus`` when a "+" (or "plus") leads."""

    tokens: tuple[DigitToken, ...]
    plus: bool
    start: int  # includes the "+"

    @property
    def end(self) -> int:
        return self.tokens[-1].end

    @property
    def digits(self) -> str:
        return "".join(t.digits for t in self.tokens)


@lru_cache(maxsize=16)
def _words(lang: str) -> dict[str, str]:
    """Spelled digits read in ``lang`` ("" for the "double"/"triple" repeaters)."""
    return {**_WORDS, **_AMBIGUOUS.get(lang, {}), **dict.fromkeys(_REPEAT, "")}


@lru_cache(maxsize=16)
def _word_keys(lang: str) -> frozenset[str]:
    return frozenset(_words(lang))


def digit_runs(
    folded: str,
    lang: str,
    numbers: list[tuple[int, int]],
    words: list[str],
    word_set: frozenset[str],
    min_digits: int = 7,
) -> list[DigitRun]:
    """Runs of at least ``min_digits`` digits in ``folded`` (lowercase, accents removed,
    Unicode digits as ASCII: ``Scan.folded``), given its digit sequences (``numbers``) and
    its words; offsets index ``folded``.

    Built from the tokens rather than with one big pattern: an ad has few numbers, and
    str.find over a handful of spelled digits is much cheaper than a regex trying dozens
    of words at every character."""
    keys = _word_keys(lang)
    if keys.isdisjoint(word_set) and _TEN not in folded:
        return _digit_runs(folded, numbers, min_digits)
    table = _words(lang)
    spelled = word_set & keys
    n_spelled = sum(words.count(w) * max(1, len(table[w])) for w in spelled) if spelled else 0
    if sum(e - s for s, e in numbers) + n_spelled < min_digits and _TEN not in folded:
        return []
    # (start, end, digits, word) for every digit sequence and spelled digit.
    spans: list[tuple[int, int, str | None, str]] = [(s, e, None, "") for s, e in numbers]
    for word in spelled:
        spans.extend((s, s + len(word), table[word], word) for s in _find_word(folded, word))
    at = folded.find(_TEN)
    while at != -1:
        spans.append((at, at + 1, "10", ""))
        at = folded.find(_TEN, at + 1)
    spans.sort()
    runs: list[DigitRun] = []
    group: list[tuple[int, int, str | None, str]] = []
    count = 0  # digits in the group ("double" counting one)
    for span in spans:
        if group and not _joins(folded, group[-1][1], span[0]):
            if count >= min_digits:
                runs.extend(_runs(_tokens(group, folded), folded, min_digits))
            group, count = [], 0
        group.append(span)
        count += span[1] - span[0] if span[2] is None else max(1, len(span[2]))
    if count >= min_digits:
        runs.extend(_runs(_tokens(group, folded), folded, min_digits))
    return runs


def _digit_runs(folded: str, numbers: list[tuple[int, int]], min_digits: int) -> list[DigitRun]:
    """``digit_runs`` for an ad without spelled digits: its digit sequences alone."""
    runs: list[DigitRun] = []
    if -sum(starmap(sub, numbers)) < min_digits:
        return runs
    first = count = 0
    for i, (s, e) in enumerate(numbers):
        if i and not _joins(folded, numbers[i - 1][1], s):
            if count >= min_digits:
                runs.extend(_runs(_plain_tokens(numbers[first:i], folded), folded, min_digits))
            first, count = i, 0
        count += e - s
    if count >= min_digits:
        runs.extend(_runs(_plain_tokens(numbers[first:], folded), folded, min_digits))
    return runs


def _plain_tokens(group: list[tuple[int, int]], folded: str) -> list[DigitToken]:
    return [DigitToken(folded[s:e], s, e) for s, e in group]


def _joins(folded: str, end: int, start: int) -> bool:
    return start - end <= _MAX_GAP and _GAP.fullmatch(folded, end, start) is not None


def _tokens(group: list[tuple[int, int, str | None, str]], folded: str) -> list[DigitToken]:
    return [
        DigitToken(folded[s:e] if digits is None else digits, s, e, word)
        for s, e, digits, word in group
    ]


def _find_word(folded: str, word: str) -> list[int]:
    """Where ``word`` stands as a whole word."""
    found = []
    at = folded.find(word)
    while at != -1:
        end = at + len(word)
        before = folded[at - 1] if at else " "
        after = folded[end] if end < len(folded) else " "
        if not (before.isalpha() or after.isalpha()):
            found.append(at)
        at = folded.find(word, end)
    return found


def _runs(tokens: list[DigitToken], folded: str, min_digits: int) -> list[DigitRun]:
    if sum(len(t.digits) for t in tokens) < min_digits:
        return []
    first = tokens[0]
    plus_match = _PLUS_BEFORE.search(folded, max(0, first.start - 6), first.start)
    runs = []
    has_words = any(t.word for t in tokens)  # without words, nothing to resolve or compound
    for split in _split(tokens, folded, has_words):
        part = _compounds(split, folded) if has_words else split
        if sum(len(t.digits) for t in part) < min_digits:
            continue
        leads = part[0].start == first.start and plus_match is not None
        start = plus_match.start() if leads and plus_match is not None else part[0].start
        runs.append(DigitRun(tuple(part), leads, start))
    return runs


def _split(tokens: list[DigitToken], folded: str, has_words: bool) -> list[list[DigitToken]]:
    """Cuts a run where its tokens should not join: an ambiguous word too far from an
    unambiguous digit, a comma between numbers of several digits, a "double" not followed
    by one digit. ``has_words``: whether any token is a word."""
    kept = _resolve_repeats(tokens) if has_words else tokens
    keep = _supported(kept) if has_words else None
    parts: list[list[DigitToken]] = []
    current: list[DigitToken] = []
    for i, token in enumerate(kept):
        if keep is not None and not keep[i]:
            if current:
                parts.append(current)
            current = []
            continue
        # "758 555 0134, 12 rooms" are two numbers; "seven five eight, five five five" and
        # "cinquenta e cinco, vinte e sete" are read with pauses.
        comma = current and "," in folded[current[-1].end : token.start]
        spelled = current and (current[-1].word or token.word)
        if comma and not spelled and (len(current[-1].digits) > 1 or len(token.digits) > 1):
            parts.append(current)
            current = []
        current.append(token)
    if current:
        parts.append(current)
    return parts


def _resolve_repeats(tokens: list[DigitToken]) -> list[DigitToken]:
    out: list[DigitToken] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.word in _REPEAT:
            following = tokens[i + 1] if i + 1 < len(tokens) else None
            if following is not None and len(following.digits) == 1 and not following.ambiguous:
                out.append(
                    DigitToken(
                        following.digits * _REPEAT[token.word],
                        token.start,
                        following.end,
                        word=following.word,
                    )
                )
                i += 2
                continue
            i += 1  # a lone "double" is no digit
            continue
        out.append(token)
        i += 1
    return out


def _compounds(tokens: list[DigitToken], folded: str) -> list[DigitToken]:
    """Spelled numbers of two words as one: "thirty four" 34, "vingt et un" 21,
    "soixante-dix-sept" 77, "quatre-vingt-douze" 92, "vinte e sete" 27."""
    out: list[DigitToken] = []
    for token in tokens:
        prev = out[-1] if out else None
        if (
            prev is None
            or not (prev.word and token.word)
            or not _JOINER.fullmatch(folded, prev.end, token.start)
        ):
            out.append(token)
            continue
        a, b = int(prev.digits), int(token.digits)
        if a == 4 and token.word in ("vingt", "vingts"):
            value = 80  # quatre-vingt
        elif a >= 10 and a % 10 == 0 and 1 <= b <= 9 and len(token.digits) == 1:
            value = a + b  # thirty four, dix-sept
        elif a in (60, 80) and 10 <= b <= 19:
            value = a + b  # soixante-dix, quatre-vingt-douze
        else:
            out.append(token)
            continue
        out[-1] = DigitToken(str(value), prev.start, token.end, word=prev.word)
    return out


def _supported(tokens: list[DigitToken]) -> list[bool]:
    """Which tokens count as digits: the unambiguous ones, and ambiguous words next to one
    that counts, up to two in a row ("twa sèt en de twa": "sèt" and "de" by their
    neighbours, then "en")."""
    keep = [not t.ambiguous for t in tokens]
    for _ in range(2):
        now = keep[:]
        for i, token in enumerate(tokens):
            if keep[i]:
                continue
            before = i > 0 and keep[i - 1]
            after = i + 1 < len(tokens) and keep[i + 1]
            now[i] = (before and after) if token.word in _BOTH_SIDES else (before or after)
        keep = now
    return keep
