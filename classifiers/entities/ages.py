"""Ages and age limits: "18-25 years", "aged 18 to 25", "entre 18 y 25 años", "16 ans",
"under 30", "18+", "mayores de 18", "moins de 25 ans", "mwens pase 25 an", "até 25 anos".

``value``: "18-25" (range), "16" (one age), "18+" (a minimum), "<=29" (a maximum; "under 30"
is at most 29). ``attrs``: min and max, inclusive, either may be absent.

A number is read as an age only with a unit ("years", "años", "ans", "an", "anos") or an
age word nearby ("aged", "girls", "edad", "filles", "fanm", "moças"...); a number followed
by another unit ("18 to 25 hours") or by "experience" ("15 years of experience"), or after
a duration word ("since 15 years", "depuis 15 ans"), is not an age.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from classifiers.entities.scan import Scan, wordlist
from core.ad import Entity

LOWEST, HIGHEST = 12, 70
_STRONG_UNIT = (
    r"years?[ \t-]?old|yrs?[ \t]?old|y/?o(?![^\W\d_])|y\.o\.|anos[ \t]de[ \t](?:idade|edad)"
    r"|de[ \t]edad|ans|an(?![ \t]+(?:hour|hr|day|week|month|night|year))|lane|lanne|zan|anos"
)
# "an" (Haitian Creole "year") is an English article too: alone it needs an age word.
_HT_ONLY_UNITS = frozenset({"an"})
_UNIT = rf"(?:{_STRONG_UNIT}|years?|yrs?)(?![^\W\d_])"
_CONTEXT = re.compile(
    r"(?<![^\W\d_])(?:ages?|aged|edad|edades|idade|laj|age limit|girls?|ladies|women|boys|"
    r"chicas|senoritas|jovenes|muchachas|filles|femmes|jeunes|mocas|meninas|garotas|"
    r"mulheres|jovens|fi|fanm|jenn|tifi|candidates|applicants|candidatas|candidats|"
    r"candidatos)(?![^\W\d_])"
)
_NOT_AGE_AFTER = re.compile(
    r"[ \t]?(?:%|\$|€|£|(?:h|hrs?|hours?|horas?|heures?|min|minutes?|minutos|km|kg|lbs?|cm|"
    r"m|am|pm|days?|dias?|jours?|jou|weeks?|semanas?|semaines?|months?|meses|mois|people|"
    r"persons?|personas|pessoas|moun|positions?|vagas?|vacantes?|plazas?|postes?|places?|"
    r"usd|eur|dollars?|dolares|euros?|pounds?|mil|k|units?|rooms?|habitaciones|chambres|"
    r"quartos|countries|paises|pays|pax|workers|trabajadores|travailleurs)(?![^\W\d_]))"
)
_EXPERIENCE_AFTER = re.compile(
    r"\W*(?:of[ \t]|de[ \t]|d'|in[ \t]|en[ \t]|em[ \t]|nan[ \t])?(?:[^\W\d_]+[ \t])?"
    r"(?:exp|eksp|esper|business|existen|servic|carr|contrat|contract|garant|market|mercado)"
)
_DURATION_BEFORE = re.compile(
    r"(?<![^\W\d_])(?:for|since|during|in|hace|durante|depuis|pendant|il y a|ha|faz|pandan|"
    r"gen|sa gen|last|past|next|(?:contract|contrat|contrato|kontra|visa|visto|garantie|"
    r"garantia|bail)(?:[ \t]+(?:of|de|d'))?)[ \t]+$"
)
_NO_MORE = r"(?![\d%]|[.,:/]\d)"  # not "30.5", "30%" or "10:30"; "30," is fine
# Each pattern below is tried at one two-digit number (an anchor): tails match from the
# number's end, heads are searched in a short window ending at its start. An ad has few
# numbers, so this costs far less than scanning the whole text once per pattern.
_RANGE_TAIL = re.compile(
    r"[ \t]?(?:-|–|—|to|a|y|e|et|au|ak|hasta|ate|and)[ \t]?"
    rf"(?P<b>\d{{2}}){_NO_MORE}(?:[ \t]?(?P<unit>{_UNIT}))?"
)
# Keywords before a minimum or maximum age; the ``*_AGE`` ones name an age by themselves.
_MIN_AGE = r"older than|mayores de|mayor de|maiores de|maior de|minimum age|min age|age minimum"
_MIN_ANY = (
    r"over|above|at least|minimum|min\.?|mas de|a partir de|desde|from|plus de|au moins|des|"
    r"acima de|mais de|a partir dos|plis pase|omwen|apati|depi"
)
_MAX_AGE = r"younger than|menores de|menor de|age limit|maximum age|max age|age maximum"
_MAX_STRICT = r"under|below|less than|menos de|moins de|mwens pase|anba"
_MAX_INCLUSIVE = r"max\.?|maximum|up to|hasta|ate|jusqu'a|jusqu a|pa plis pase"
_BOUND_HEAD = re.compile(
    rf"(?<![^\W\d_])(?:(?P<minage>{_MIN_AGE})|(?P<maxage>{_MAX_AGE})|(?P<minany>{_MIN_ANY})"
    rf"|(?P<strict>{_MAX_STRICT})|(?P<incl>{_MAX_INCLUSIVE}))[ \t:]+"
    r"(?:the age of |l'age de |la edad de |a idade de |laj )?$"
)
# The words a _BOUND_HEAD can end with: the costlier head pattern runs only after them.
_BOUND_LAST_WORDS = frozenset(
    wordlist(
        "than de age minimum min over above least from desde des dos pase omwen apati depi "
        "limit under below max maximum to hasta ate a of laj anba"
    )
)
_BOUND_ENDS = tuple(_BOUND_LAST_WORDS)
_PREV_WORD = re.compile(r"([^\W\d_]+)[ \t:.]*$")
_UNIT_TAIL = re.compile(rf"[ \t]?(?P<unit>{_UNIT})")
_OR_OLDER_TAIL = re.compile(
    rf"[ \t]?(?:(?P<unit>{_UNIT})[ \t]?)?"
    r"(?:or older|and older|and over|and above|or over|or more|et plus|ou plus|o mas|y mas|"
    r"e mais|ou mais|oswa plis|ak plis|minimum|min|minimo|au moins|pou pi piti)(?![^\W\d_])"
)
_AT_MOST_TAIL = re.compile(
    rf"[ \t]?(?:(?P<unit>{_UNIT})[ \t]?)?"
    r"(?:or younger|or under|maximum|max|maximo|au plus|ou moins|o menos|pou pi plis)"
    r"(?![^\W\d_])"
)
_PLUS_TAIL = re.compile(r"[ \t]?\+(?![\d+])")
_STRONG = re.compile(rf"(?:{_STRONG_UNIT})(?![^\W\d_])")
_CONTEXT_WINDOW = 30
_HEAD_WINDOW = 40


@dataclass(frozen=True)
class _Age:
    start: int
    end: int
    low: int | None
    high: int | None


def find_ages(scan: Scan) -> list[Entity]:
    text = scan.folded
    found: list[_Age] = []
    skip_until = -1
    for s, e in scan.numbers:
        if e - s != 2 or s < skip_until or not scan.free(s, e):
            continue
        before = text[s - 1] if s else " "
        if (before in ".,:/" and s > 1 and text[s - 2].isdigit()) or _NO_MORE_RE.match(
            text, e
        ) is None:
            continue  # part of "1.25", "10:30", "25%"
        age = _at(text, s, e, before, scan.lang)
        if age is not None and scan.free(age.start, age.end):
            found.append(age)
            scan.claim(age.start, age.end)
            skip_until = age.end
    return [
        scan.entity("age", _value(a.low, a.high), a.start, a.end, _attrs(a.low, a.high))
        for a in found
    ]


_NO_MORE_RE = re.compile(_NO_MORE)


def _at(text: str, s: int, e: int, before: str, lang: str) -> _Age | None:
    """The age the two-digit number at ``s``..``e`` is part of, if any."""
    n = int(text[s:e])
    if not LOWEST <= n <= HIGHEST:
        return None
    money_or_time = before in "$€£/:+"
    tail = _RANGE_TAIL.match(text, e)
    if tail is not None and not money_or_time:
        age = _range(text, s, n, tail)
        if age is not None:
            return age
    prev = _PREV_WORD.search(text, max(0, s - 16), s) if _may_follow_bound(text, s) else None
    if prev is not None and prev.group(1) in _BOUND_LAST_WORDS:
        head = _BOUND_HEAD.search(text, max(0, s - _HEAD_WINDOW), s)
        if head is not None:
            return _bound(text, head, n, e)
    tail = _OR_OLDER_TAIL.match(text, e)
    if tail is not None and not money_or_time:
        return _Age(s, tail.end(), n, None)
    tail = _AT_MOST_TAIL.match(text, e)
    if tail is not None and not money_or_time and (tail.group("unit") or _context(text, s)):
        return _Age(s, tail.end(), None, n)
    if 16 <= n <= 25 and not money_or_time:
        plus = _PLUS_TAIL.match(text, e)
        if plus is not None:
            return _Age(s, plus.end(), n, None)
    if before == "+" and n in (16, 18, 21) and (s < 2 or not text[s - 2].isalnum()):
        return _Age(s - 1, e, n, None)  # "+18"
    tail = _UNIT_TAIL.match(text, e)
    if tail is not None and not money_or_time and before != "-":
        return _single(text, s, n, tail, lang)
    return None


def _may_follow_bound(text: str, s: int) -> bool:
    """Whether the words before ``s`` can end with one of _BOUND_LAST_WORDS: a cheap test
    (str.endswith) before _PREV_WORD, whose "$" also matches before a final line break."""
    words = text[max(0, s - 16) : s]
    if words.endswith("\n"):
        words = words[:-1]
    return words.rstrip(" \t:.").endswith(_BOUND_ENDS)


def _context(text: str, start: int) -> bool:
    return _CONTEXT.search(text, max(0, start - _CONTEXT_WINDOW), start) is not None


def _range(text: str, s: int, low: int, tail: re.Match[str]) -> _Age | None:
    high = int(tail.group("b"))
    if not (low < high <= HIGHEST):
        return None
    if _EXPERIENCE_AFTER.match(text, tail.end()):
        return None
    if tail.group("unit") is None and (
        _NOT_AGE_AFTER.match(text, tail.end()) or not _context(text, s)
    ):
        return None
    return _Age(s, tail.end(), low, high)


def _bound(text: str, head: re.Match[str], age: int, e: int) -> _Age | None:
    unit = _UNIT_TAIL.match(text, e)
    end = unit.end() if unit is not None else e
    if _EXPERIENCE_AFTER.match(text, end):
        return None
    if unit is None:
        if _NOT_AGE_AFTER.match(text, e):
            return None
        named = head.group("minage") or head.group("maxage")
        ends_clause = re.match(r"[ \t]*(?:[,.;)!\n]|$)", text[e : e + 3])
        if not (named or _context(text, head.start()) or (head.group("strict") and ends_clause)):
            return None
    if head.group("minage") or head.group("minany"):
        return _Age(head.start(), end, age, None)
    return _Age(head.start(), end, None, age - 1 if head.group("strict") else age)


def _single(text: str, s: int, age: int, tail: re.Match[str], lang: str) -> _Age | None:
    if _EXPERIENCE_AFTER.match(text, tail.end()):
        return None
    if _DURATION_BEFORE.search(text, max(0, s - 15), s):
        return None
    unit = tail.group("unit")
    strong = _STRONG.fullmatch(unit) and (lang == "ht" or unit not in _HT_ONLY_UNITS)
    if not (strong or _context(text, s)):
        return None
    return _Age(s, tail.end(), age, age)


def _value(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return str(low) if low == high else f"{low}-{high}"
    if low is not None:
        return f"{low}+"
    return f"<={high}"


def _attrs(low: int | None, high: int | None) -> dict[str, object]:
    attrs: dict[str, object] = {}
    if low is not None:
        attrs["min"] = low
    if high is not None:
        attrs["max"] = high
    return attrs
