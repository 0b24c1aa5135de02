"""Amounts of money with their currency, and for pay, the period: "US$ 2,500 per month",
"€800/semana", "1500 dollars a week", "EC$8.50 per hour", "R$ 3.000 por mês", "500 euros
par mois", "salario mensual de 1.200 dólares", "US$2,000-3,000 a month".

An amount is a ``wage`` when a period follows or precedes it, or a pay word ("salary",
"earn", "sueldo", "salaire", "salè", "salário"...) stands before it and no fee word
("fee", "deposit", "cuota", "frais", "taxa"...) stands closer; otherwise it is ``money``.
Values: "2500 USD/month", "8.50 XCD/hour", "200 USD" (ranges: "2000-3000 USD/month").
``attrs``: amount (the top of a range), amount_min for ranges, currency (ISO 4217),
period (hour, day, night, week, fortnight, month, year or absent), currency_guessed.

Bare "$"/"dollars" and "pesos" name no country: they are read as the currency of the
first place the ad names that uses one (a "$" ad about Toronto is in CAD), else of the
region hint (a "$" ad on a Saint Lucian site is in EC$), else as US dollars and
Dominican pesos (the region's usual meaning).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass

from classifiers.entities.scan import Scan, fold, wordlist
from core.ad import Entity

_BEFORE = {
    "us$": "USD",
    "u$s": "USD",
    "u$": "USD",
    "$us": "USD",
    "usd": "USD",
    "ca$": "CAD",
    "c$": "CAD",
    "cad": "CAD",
    "ec$": "XCD",
    "xcd": "XCD",
    "tt$": "TTD",
    "ttd": "TTD",
    "j$": "JMD",
    "jmd": "JMD",
    "bds$": "BBD",
    "bd$": "BBD",
    "bbd": "BBD",
    "b$": "BSD",
    "bsd": "BSD",
    "g$": "GYD",
    "gyd": "GYD",
    "srd": "SRD",
    "ci$": "KYD",
    "kyd": "KYD",
    "r$": "BRL",
    "brl": "BRL",
    "rd$": "DOP",
    "dop": "DOP",
    "htg": "HTG",
    "€": "EUR",
    "eur": "EUR",
    "£": "GBP",
    "gbp": "GBP",
    "aed": "AED",
    "mxn": "MXN",
    "cop": "COP",
    "clp": "CLP",
    "s/.": "PEN",
    "s/": "PEN",
    "ang": "ANG",
    "naf": "ANG",
    "awg": "AWG",
    "afl": "AWG",
    "$": "$",
}
_AFTER = {
    "usd": "USD",
    "us dollars": "USD",
    "us dollar": "USD",
    "dólares americanos": "USD",
    "dolares americanos": "USD",
    "dólares estadounidenses": "USD",
    "dollars américains": "USD",
    "dola ameriken": "USD",
    "dólares": "$",
    "dolares": "$",
    "dólar": "$",
    "dolar": "$",
    "dollars": "$",
    "dollar": "$",
    "dola": "$",
    "dola ec": "XCD",
    "dollars ec": "XCD",
    "eastern caribbean dollars": "XCD",
    "dola us": "USD",
    "dollars us": "USD",
    "$": "$",
    "ec dollars": "XCD",
    "xcd": "XCD",
    "euros": "EUR",
    "euro": "EUR",
    "eur": "EUR",
    "ewo": "EUR",
    "€": "EUR",
    "reais": "BRL",
    "brl": "BRL",
    "gourdes": "HTG",
    "gourde": "HTG",
    "goud": "HTG",
    "htg": "HTG",
    "pesos": "peso",
    "bbd": "BBD",
    "ttd": "TTD",
    "jmd": "JMD",
    "gyd": "GYD",
    "cad": "CAD",
    "gbp": "GBP",
    "pounds": "GBP",
    "£": "GBP",
    "libras": "GBP",
    "florins": "ANG",
    "florines": "ANG",
    "guilders": "ANG",
    "dirhams": "AED",
    "dirham": "AED",
    "aed": "AED",
    "soles": "PEN",
    "bolívares": "VES",
    "bolivares": "VES",
}
# Which currency a bare "$"/"dollars" or "pesos" means in a country.
DOLLAR_OF = {
    **dict.fromkeys(("LC", "AG", "DM", "GD", "KN", "VC", "AI", "MS"), "XCD"),
    "TT": "TTD",
    "JM": "JMD",
    "BB": "BBD",
    "BS": "BSD",
    "GY": "GYD",
    "SR": "SRD",
    "KY": "KYD",
    "CA": "CAD",
    "US": "USD",
    "PR": "USD",
    "VI": "USD",
    "EC": "USD",
    "SV": "USD",
    "PA": "USD",
}
PESO_OF = {"DO": "DOP", "MX": "MXN", "CO": "COP", "CL": "CLP", "AR": "ARS", "UY": "UYU"}
_DEFAULT = {"$": "USD", "peso": "DOP"}

_PERIODS = {
    "month": "month months mo mth monthly mes meses mês mensual mensuales mensal mensais mois "
    "mensuel mensuelle mwa",
    "week": "week weeks wk weekly semana semanas semanal semanales semaine semaines hebdo "
    "hebdomadaire semèn sem",
    "fortnight": "fortnight quincena quinzaine quinzena",
    "day": "day days daily día dia diario diaria diária jour jours journée jou",
    "hour": "hour hours hr hrs h hora horas heure heures lè",
    "night": "night nights noche noches nuit nuits nwit noite noites",
    "year": "year years yr annum año ano an année annee annuel anual annually ane",
}
_PERIOD_OF = {w: p for p, words in _PERIODS.items() for w in words.split()}
_PERIOD_ADJECTIVE = {
    "monthly": "month",
    "mensual": "month",
    "mensuel": "month",
    "mensal": "month",
    "weekly": "week",
    "semanal": "week",
    "hebdomadaire": "week",
    "daily": "day",
    "diario": "day",
    "hourly": "hour",
    "annual": "year",
    "yearly": "year",
    "anual": "year",
    "annuel": "year",
}


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_NUM = r"\d{1,3}(?:[ .,]\d{3})+(?:[.,]\d{1,2})?(?!\d)|\d+(?:[.,]\d{1,2})?(?!\d)"
_K = r"(?:[ \t]?(?:k|mil)(?![^\W\d_]))?"
_TO = r"[ \t]?(?:-|–|—|to|a|à|hasta|até|ak|au)[ \t]?"
_CUR_BEFORE = _alternation(_BEFORE)
_CUR_AFTER = _alternation(_AFTER)
# Tried at each number of the ad (``Scan.numbers``) rather than over the whole text.
_AMOUNT = re.compile(
    rf"(?P<n1>{_NUM})(?P<k1>{_K})(?:{_TO}(?:{_CUR_BEFORE})?[ \t]?(?P<n2>{_NUM})(?P<k2>{_K}))?"
)
# "BBD $2,800": a code before the "$" names the dollar.
_CUR_BEFORE_TAIL = re.compile(rf"(?<![\w$])(?P<cur>{_CUR_BEFORE})(?:[ \t]?\$)?[ \t]?$")
_CUR_AFTER_HEAD = re.compile(rf"[ \t]?(?:de[ \t])?(?P<cur>{_CUR_AFTER})(?![^\W\d_])")
_CONNECTORS = _alternation(
    [*wordlist("per a an each every por al par pa pou chak le la ao cada the"), "a la", "by the"]
)
_PERIOD_AFTER = re.compile(
    rf"[ \t]*(?:(?:{_CONNECTORS})[ \t]+|/[ \t]*)?(?P<p>[^\W\d_]+)(?![^\W\d_])"
)
_PERIOD_BEFORE = re.compile(
    rf"(?<![^\W\d_])(?P<p>{_alternation(_PERIOD_ADJECTIVE)})(?![^\W\d_])\W+(?:[^\W\d_]+\W+){{0,3}}$"
)
_PAY = re.compile(
    r"(?<![^\W\d_])(?:salary|salaries|pay|paid|paying|pays|wage|wages|earn|earns|earning|"
    r"earnings|income|make|making|compensation|stipend|sueldo|sueldos|salario|salarios|"
    r"pago|paga|pagamos|pagan|ganar|gana|ganas|ganarás|ganancia|ganancias|ingreso|ingresos|"
    r"remuneración|salaire|salaires|paye|payé|payée|rémunération|gagner|gagnez|gagne|revenu|"
    r"revenus|salè|saler|touche|salário|salários|pagamento|ganhe|ganhar|ganha|renda|"
    r"remuneração)(?![^\W\d_])"
)
# Money the worker pays: fees, and "you pay", "pay us back", "solo paga", "ou peye".
_FEE = re.compile(
    r"(?<![^\W\d_])(?:fee|fees|cost|costs|deposit|charge|price|cuota|costo|coste|depósito|"
    r"cargo|precio|inscripción|frais|coût|dépôt|prix|taxa|custo|preço|frè|pri|depo|"
    r"(?:you|u|only|must|will|to|then)[ \t]+pay|pay(?:[ \t]+us)?[ \t]+back|repay|owe|"
    r"(?:usted|tú|tu|solo|sólo|solamente|debe|debes|hay que)[ \t]+(?:paga|pagas|pagar)|"
    r"(?:vous|tu|seulement|devez|dois|à)[ \t]+(?:payez|paies|payer|paye)|rembourser|"
    r"(?:você|voce|vc|só|so|apenas|deve|precisa)[ \t]+(?:paga|pagar|pague)|"
    r"(?:ou|w|sèlman|dwe)[ \t]+peye|remèt|devolver|descuenta|descontado|retenus|retenu)"
    r"(?![^\W\d_])"
)
_CUE_WINDOW = 40
_FEE_WINDOW = 25
_BEFORE_REACH, _AFTER_REACH = 8, 40  # currency to number: "US$ 2", "2,000 - 3,000 dollars"
_SYMBOLS = ("$", "€", "£", "s/")
# Codes and currency words as ``Scan.words`` has them (no accents, no punctuation).
_CURRENCY_WORDS = frozenset(
    w for key in (*_BEFORE, *_AFTER) for w in fold(key).replace("$", " ").split() if len(w) > 2
)


@dataclass(frozen=True)
class Amount:
    """An amount before its bare "$"/"pesos" currency is settled (see ``settle``)."""

    start: int
    end: int
    amount: float
    amount_min: float | None
    currency: str  # ISO code, or "$"/"peso" when the ad does not say whose
    period: str | None
    wage: bool


def _currency_positions(scan: Scan) -> list[int]:
    """Where the ad names a currency: only numbers near one are read as amounts."""
    light = scan.light
    positions = []
    for symbol in _SYMBOLS:
        at = light.find(symbol)
        while at != -1:
            positions.append(at)
            at = light.find(symbol, at + 1)
    folded = scan.folded
    for word in scan.word_set & _CURRENCY_WORDS:
        at = folded.find(word)
        while at != -1:
            positions.append(at)
            at = folded.find(word, at + len(word))
    return sorted(positions)


def find_amounts(scan: Scan) -> list[Amount]:
    light = scan.light
    found: list[Amount] = []
    currencies = _currency_positions(scan)
    if not currencies:
        return found
    for s, e in scan.numbers:
        if s > 1 and light[s - 1] in ".," and light[s - 2].isdigit():
            continue  # the "500" of "2,500"
        near = bisect_left(currencies, s - _BEFORE_REACH)
        if near == len(currencies) or currencies[near] > e + _AFTER_REACH:
            continue
        if not scan.free(s, s + 1):
            continue
        amount = _read(light, s)
        if amount is not None and scan.free(amount.start, amount.end):
            found.append(amount)
            scan.claim(amount.start, amount.end)
    return found


def _read(light: str, s: int) -> Amount | None:
    m = _AMOUNT.match(light, s)
    if m is None:
        return None
    start, end = s, m.end()
    before = _CUR_BEFORE_TAIL.search(light, max(0, s - 8), s)
    if before is not None:
        currency, start = _BEFORE[before.group("cur")], before.start()
    else:
        after = _CUR_AFTER_HEAD.match(light, end)
        if after is None:
            return None
        currency, end = _AFTER[after.group("cur")], after.end()
    try:
        top = _number(m.group("n1"), bool(m.group("k1").strip()))
        low = None
        if m.group("n2"):
            low, top = top, _number(m.group("n2"), bool(m.group("k2").strip()))
            if m.group("k2").strip() and not m.group("k1").strip() and low < 1000:
                low *= 1000  # "3-5k"
            if top <= low:
                return None
    except ValueError:
        return None
    period = None
    after_period = _PERIOD_AFTER.match(light, end)
    if after_period and after_period.group("p") in _PERIOD_OF and after_period.end() - end <= 14:
        period = _PERIOD_OF[after_period.group("p")]
        end = after_period.end()
    else:
        before_period = _PERIOD_BEFORE.search(light, max(0, start - _CUE_WINDOW), start)
        if before_period:
            period = _PERIOD_ADJECTIVE[before_period.group("p")]
    fee = _last_end(_FEE, light, start - _FEE_WINDOW, start)
    pay = _last_end(_PAY, light, start - _CUE_WINDOW, start)
    # The nearer word decides; "you pay" ends where its "pay" does, and the fee wins.
    is_fee = fee is not None and (pay is None or pay <= fee)
    wage = not is_fee and (period is not None or pay is not None)
    return Amount(start, end, top, low, currency, period, wage)


def _last_end(pattern: re.Pattern[str], text: str, start: int, end: int) -> int | None:
    last = None
    for m in pattern.finditer(text, max(0, start), end):
        last = m.end()
    return last


_GROUPED = re.compile(r"\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?")
_CENTS = re.compile(r"[.,]\d{1,2}$")
_SEPARATOR = re.compile(r"[.,]")


def _number(text: str, thousands: bool) -> float:
    text = text.replace(" ", "")
    grouped = _GROUPED.fullmatch(text)
    if grouped:
        head = _CENTS.sub("", text) if _CENTS.search(text) else text
        cents = text[len(head) + 1 :] if len(head) < len(text) else ""
        value = float(_SEPARATOR.sub("", head)) + (float("0." + cents) if cents else 0.0)
    else:
        value = float(text.replace(",", "."))
    return value * (1000 if thousands else 1)


def settle(currency: str, countries: list[str], region: str | None) -> tuple[str, bool]:
    """(ISO code, guessed) for an amount's currency, given the places the ad names."""
    if currency not in _DEFAULT:
        return currency, False
    table = DOLLAR_OF if currency == "$" else PESO_OF
    for country in [*countries, *([region] if region else [])]:
        if country in table:
            return table[country], True
    return _DEFAULT[currency], True


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.2f}"


def to_entity(scan: Scan, amount: Amount, countries: list[str]) -> Entity:
    currency, guessed = settle(amount.currency, countries, scan.region)
    shown = _fmt(amount.amount)
    if amount.amount_min is not None:
        shown = f"{_fmt(amount.amount_min)}-{shown}"
    value = f"{shown} {currency}" + (f"/{amount.period}" if amount.period else "")
    attrs: dict[str, object] = {"amount": _json_number(amount.amount), "currency": currency}
    if amount.amount_min is not None:
        attrs["amount_min"] = _json_number(amount.amount_min)
    if amount.period:
        attrs["period"] = amount.period
    if guessed:
        attrs["currency_guessed"] = True
    return scan.entity("wage" if amount.wage else "money", value, amount.start, amount.end, attrs)


def _json_number(value: float) -> float | int:
    return int(value) if value == int(value) else value
