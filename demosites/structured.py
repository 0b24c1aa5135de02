"""schema.org JobPosting data for an ad, shared by the JSON-LD, microdata and API renderers."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from demosites.catalogue import DemoAd

_CURRENCIES = (
    (re.compile(r"RD\$|DOP|pesos", re.I), "DOP"),
    (re.compile(r"J\$|JMD", re.I), "JMD"),
    (re.compile(r"TT\$", re.I), "TTD"),
    (re.compile(r"EC\$", re.I), "XCD"),
    (re.compile(r"BZ\$", re.I), "BZD"),
    (re.compile(r"CA\$|C\$|CAD", re.I), "CAD"),
    (re.compile(r"R\$|BRL|reais|\breal\b", re.I), "BRL"),
    (re.compile(r"€|EUR|euro", re.I), "EUR"),
    (re.compile(r"£", re.I), "GBP"),
    (re.compile(r"HTG|gourde|goud", re.I), "HTG"),
    (re.compile(r"\$|USD|dollar|dólar|dolar|dola", re.I), "USD"),
)
_UNITS = (
    (re.compile(r"\b(hour|hr|h|heure|hora|èdtan|lè|hourly)\b", re.I), "HOUR"),
    (re.compile(r"\b(day|night|jour|soirée|día|dia|noche|jou|daily|diarios?)\b", re.I), "DAY"),
    (re.compile(r"\b(week|wk|semaine|semana|semèn|weekly|semanal(es)?|semanais)\b", re.I), "WEEK"),
    (
        re.compile(
            r"\b(month|mo|mois|mes|mês|mwa|monthly|mensal|mensais|mensuels?|mensual(es)?)\b", re.I
        ),
        "MONTH",
    ),
    (re.compile(r"\b(year|yr|an|année|año|ano|lane)\b", re.I), "YEAR"),
)
_NUMBER = re.compile(r"\d[\d.,\u00a0\u202f ]*\d|\d")


@dataclass(frozen=True)
class Pay:
    currency: str
    low: float
    high: float | None
    unit: str  # HOUR | DAY | WEEK | MONTH | YEAR, or "" when the text gives none


def _number(raw: str) -> float | None:
    digits = re.sub(r"[\u00a0\u202f ]", "", raw)
    # A separator followed by exactly three digits groups thousands; otherwise it is decimal.
    parts = re.split(r"[.,]", digits)
    if len(parts) == 1 or all(len(p) == 3 for p in parts[1:]):
        digits = "".join(parts)
    else:
        digits = "".join(parts[:-1]) + "." + parts[-1]
    try:
        return float(digits)
    except ValueError:
        return None


def parse_pay(salary: str) -> Pay | None:
    if not salary:
        return None
    currency = next((code for pattern, code in _CURRENCIES if pattern.search(salary)), "")
    numbers = [n for n in (_number(m.group()) for m in _NUMBER.finditer(salary)) if n]
    if not currency or not numbers:
        return None
    unit = next((code for pattern, code in _UNITS if pattern.search(salary)), "")
    high = numbers[1] if len(numbers) > 1 and numbers[1] > numbers[0] else None
    return Pay(currency, numbers[0], high, unit)


def _plain(value: float) -> int | float:
    return int(value) if value.is_integer() else value


def number_text(value: float) -> str:
    return str(_plain(value))


def base_salary(salary: str) -> dict[str, Any] | None:
    pay = parse_pay(salary)
    if pay is None:
        return None
    value: dict[str, Any] = {"@type": "QuantitativeValue"}
    if pay.high is None:
        value["value"] = _plain(pay.low)
    else:
        value["minValue"], value["maxValue"] = _plain(pay.low), _plain(pay.high)
    if pay.unit:
        value["unitText"] = pay.unit
    return {"@type": "MonetaryAmount", "currency": pay.currency, "value": value}


def job_posting(ad: DemoAd) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": ad.title,
        "description": ad.text,
        "datePosted": ad.date_posted,
        "inLanguage": ad.lang,
    }
    if ad.employer:
        data["hiringOrganization"] = {"@type": "Organization", "name": ad.employer}
    if ad.location:
        city = ad.location.split(",")[0].strip()
        data["jobLocation"] = {
            "@type": "Place",
            "address": {
                "@type": "PostalAddress",
                "addressLocality": city,
                "addressCountry": ad.country_code,
            },
        }
    salary = base_salary(ad.salary)
    if salary:
        data["baseSalary"] = salary
    return data


def script_safe_json(data: Any) -> str:
    """JSON that cannot close or open markup when placed inside <script>: every <, > and &
    becomes a \\u escape, which JSON parsers turn back into the same characters."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    # U+2028/2029 are legal in JSON but end lines in older JavaScript parsers.
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
