"""Signals read with regular expressions rather than token patterns: pay amounts, ages
and contact channels. All work on the ``light`` normalised text (lowercase, digits kept)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

# Rough US-dollar value of one unit, enough to tell "US$3,000 a month" from "EC$3,000 a
# month"; not meant for accounting. Bare "$" and "dollars" count as US dollars.
_USD_PER_UNIT = {
    "us$": 1.0,
    "usd": 1.0,
    "$": 1.0,
    "dollar": 1.0,
    "dollars": 1.0,
    "dólares": 1.0,
    "dolares": 1.0,
    "dólar": 1.0,
    "dolar": 1.0,
    "dola": 1.0,
    "ec$": 0.37,
    "xcd": 0.37,
    "tt$": 0.15,
    "ttd": 0.15,
    "j$": 0.0064,
    "jmd": 0.0064,
    "bds$": 0.5,
    "bbd": 0.5,
    "r$": 0.18,
    "brl": 0.18,
    "reais": 0.18,
    "rd$": 0.017,
    "dop": 0.017,
    "pesos": 0.017,
    "htg": 0.0076,
    "goud": 0.0076,
    "gourdes": 0.0076,
    "gourde": 0.0076,
    "€": 1.08,
    "eur": 1.08,
    "euro": 1.08,
    "euros": 1.08,
    "£": 1.27,
    "cad": 0.73,
    "c$": 0.73,
    "ca$": 0.73,
    "gbp": 1.27,
}
_MONTHS_PER_PERIOD = {"month": 1.0, "week": 4.3, "day": 22.0, "hour": 160.0, "night": 22.0}
_PERIOD_WORDS = {
    "month": "month mo mth monthly mes meses mensual mensuales mois mensuel mensuels mwa mês "
    "mensal",
    "week": "week wk weekly semana semanal semanales semaine hebdo hebdomadaire semèn semen",
    "day": "day daily día dia diario diaria jour jou diária",
    "hour": "hour hr h hora heure lè",
    "night": "night noche nuit nwit noite",
}
_PERIOD_OF = {w: p for p, words in _PERIOD_WORDS.items() for w in words.split()}

_NUM = r"\d{1,3}(?:[.,\s]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_CUR_BEFORE = (
    r"us\$|usd|ca\$|c\$|cad|ec\$|xcd|tt\$|ttd|j\$|jmd|bds\$|bbd|r\$|brl|rd\$|dop|htg|€|eur|£|gbp|\$"
)
_CUR_AFTER = (
    r"usd|us\s?dollars?|dollars?|d[óo]lares|d[óo]lar|dola|euros?|eur|€|reais|goud|gourdes?"
    r"|htg|pesos|xcd|bbd|ttd|jmd|brl|gbp|cad"
)
_MONEY = re.compile(
    rf"(?:(?P<c1>{_CUR_BEFORE})\s?(?P<n1>{_NUM})\s?(?P<k1>k\b|mil\b)?"
    rf"|(?<![\w$])(?P<n2>{_NUM})\s?(?P<k2>k|mil)?\s?(?:de\s)?(?P<c2>{_CUR_AFTER})(?!\w))"
)
_PERIOD_AFTER = re.compile(
    r"\s*(?:(?:per|a la|an|a|each|every|por|al|par|pa|pou|chak|le|la|ao)\s+|/\s*)?"
    r"(?P<p>[a-zà-ÿ]+)\b"
)
_PERIOD_BEFORE = re.compile(
    r"(?P<p>monthly|weekly|daily|mensual|semanal|diario|mensuel|hebdomadaire|mensal)\W+(?:\w+\W+){0,3}$"
)

_AGE_UNIT = r"years?|yrs?|y/?o|años|anos|ans|lane|lanne|zan|idade"
_AGE_CONTEXT = re.compile(
    r"(?:\bages?|\baged|\bedad(?:es)?|âge|âgées?|agees?|\blaj|\bidade|\bentre|\bbetween|\bfrom"
    r"|\bdesde|\bgirls?|\bladies|\bwomen|\bchicas|\bseñoritas|\bfilles|\bfemmes|\bfi|\bfanm"
    r"|\bmoças|\bmeninas|\bgarotas|\bmulheres)\W{1,3}(?:\w+\W+){0,2}$"
)
_AGE_RANGE = re.compile(
    r"(?<!\d)(?P<a>\d{2})\s?(?:-|–|—|to|a|à|y|ak|e|até|ate|hasta|au)\s?(?P<b>\d{2})(?![\d.,:/])"
    rf"(?:\s?(?P<unit>{_AGE_UNIT})\b)?"
)
_AGE_SINGLE = re.compile(
    rf"(?<![\d.,$€£])(?P<a>1[2-7])(?![\d.,:/%])"
    rf"\s?(?:\+|(?P<unit>{_AGE_UNIT})\b(?:\s?(?:old|de edad))?)?"
)
_EXPERIENCE_AFTER = re.compile(r"\W*(?:of\s|de\s|d')?(?:\w+\s)?(?:exp|experi|expéri|eksp|esper)")

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}")
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|gov|edu|info|biz|jobs|io"
    r"|co|lc|ht|tt|jm|do|br|fr|es|ca|uk|gd|vc|bb|ag|dm|kn|gy|sr|me|example)\b(?:/[^\s<>\"']*)?"
)
_HANDLE = re.compile(r"(?<![\w.@])@[a-z0-9_]{3,30}\b")
_CHAT_HOSTS = (
    "wa.me",
    "t.me",
    "telegram.me",
    "whatsapp.com",
    "m.me",
    "instagram.com",
    "facebook.com",
    "fb.com",
    "tiktok.com",
    "snapchat.com",
    "linktr.ee",
)


@dataclass(frozen=True)
class Hit:
    start: int
    end: int


@dataclass(frozen=True)
class MoneyHit(Hit):
    usd_per_month: float


@dataclass(frozen=True)
class AgeHit(Hit):
    low: int
    high: int


def _amount(number: str, thousands: bool) -> float:
    number = number.replace(" ", "")
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?", number):
        head = re.sub(r"[.,]\d{1,2}$", "", number) if re.search(r"[.,]\d{1,2}$", number) else number
        value = float(re.sub(r"[.,]", "", head))
    else:
        value = float(number.replace(",", "."))
    return value * (1000 if thousands else 1)


def find_money(light: str) -> list[MoneyHit]:
    hits = []
    for m in _MONEY.finditer(light):
        currency = (m.group("c1") or m.group("c2") or "").replace(" ", "")
        rate = _USD_PER_UNIT.get(currency) or _USD_PER_UNIT.get(currency.rstrip("s"), 1.0)
        try:
            value = _amount(m.group("n1") or m.group("n2"), bool(m.group("k1") or m.group("k2")))
        except ValueError:
            continue
        end = m.end()
        period = None
        after = _PERIOD_AFTER.match(light, end)
        if after and after.group("p") in _PERIOD_OF and after.end() - end <= 14:
            period = _PERIOD_OF[after.group("p")]
            end = after.end()
        else:
            before = _PERIOD_BEFORE.search(light, max(0, m.start() - 40), m.start())
            if before:
                period = _PERIOD_OF.get(before.group("p"))
        usd = value * rate * _MONTHS_PER_PERIOD.get(period or "month", 1.0)
        hits.append(MoneyHit(m.start(), end, usd))
    return hits


def find_ages(light: str) -> list[AgeHit]:
    hits = []
    for m in _AGE_RANGE.finditer(light):
        low, high = int(m.group("a")), int(m.group("b"))
        if not (12 <= low < high <= 60):
            continue
        context = _AGE_CONTEXT.search(light, max(0, m.start() - 30), m.start())
        if m.group("unit") or context:
            if _EXPERIENCE_AFTER.match(light, m.end()):
                continue
            hits.append(AgeHit(m.start(), m.end(), low, high))
    for m in _AGE_SINGLE.finditer(light):
        if _EXPERIENCE_AFTER.match(light, m.end()):
            continue
        context = _AGE_CONTEXT.search(light, max(0, m.start() - 30), m.start())
        if not (m.group("unit") or context or light[m.end() - 1] == "+"):
            continue
        if any(h.start <= m.start() < h.end for h in hits):
            continue
        age = int(m.group("a"))
        hits.append(AgeHit(m.start(), m.end(), age, age))
    return hits


def find_emails(light: str) -> list[Hit]:
    return [Hit(m.start(), m.end()) for m in _EMAIL.finditer(light)]


def _host(url: str) -> str:
    if "://" not in url:
        url = "http://" + url
    try:
        return (urlsplit(url).hostname or "").removeprefix("www.")
    except ValueError:
        return ""


def _is_chat_host(host: str) -> bool:
    return any(host == h or host.endswith("." + h) for h in _CHAT_HOSTS)


def find_links(light: str) -> tuple[list[Hit], list[Hit]]:
    """(websites, chat links): URLs split by whether they lead to a messaging or social
    account (wa.me, t.me, instagram.com...) or somewhere else. Email domains are skipped."""
    emails = find_emails(light)
    sites: list[Hit] = []
    chats: list[Hit] = []
    for m in _URL.finditer(light):
        if any(e.start <= m.start() < e.end for e in emails):
            continue
        (chats if _is_chat_host(_host(m.group())) else sites).append(Hit(m.start(), m.end()))
    for m in _HANDLE.finditer(light):
        chats.append(Hit(m.start(), m.end()))
    return sites, chats
