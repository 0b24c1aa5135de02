"""Reading a schema.org JobPosting (from JSON-LD, or microdata turned into the same shape)."""

from __future__ import annotations

import html
import logging
import re
from typing import Any
from urllib.parse import urljoin

from core.text import clean_text, html_to_text
from core.urls import canonical_url
from crawlers.extract.fields import AdFields, bounded

# Formatting tags that mark a description as HTML. A bare "<script>" in plain text is not one
# of them: such text is an ad talking about scripts, and must stay in the text.
_HTML_MARKUP = re.compile(
    r"</?(p|br|div|span|ul|ol|li|b|i|em|strong|u|h[1-6]|a|table|tr|td|th|section|article)\b[^>]*>",
    re.I,
)
# Fields after the description that ads fill with the promises lures are made of.
_EXTRA_TEXT_FIELDS = (
    "responsibilities",
    "qualifications",
    "skills",
    "educationRequirements",
    "experienceRequirements",
    "jobBenefits",
    "incentiveCompensation",
    "employerOverview",
)
MAX_FIELD_CHARS = 300
# Markup beyond this is cut before conversion: an ad's text is capped far below it anyway, and
# the HTML-to-text regexes must not get megabytes of crafted markup.
MAX_RAW_CHARS = 50_000
_MAX_DEPTH = 8  # JobPosting sits a few levels down at most (@graph, mainEntity, lists)
_MAX_NODES = 20_000

log = logging.getLogger(__name__)


def is_jobposting(obj: Any) -> bool:
    if not isinstance(obj, dict):
        return False
    types = obj.get("@type")
    names = types if isinstance(types, list) else [types]
    return any(
        isinstance(t, str) and t.rsplit("/", 1)[-1].rsplit(":", 1)[-1] == "JobPosting"
        for t in names
    )


def to_plain(value: str, *, escaped: bool) -> str:
    """Plain text of a schema.org string. ``escaped``: it may hold HTML or entities (JSON-LD);
    otherwise it is already the text of the page (microdata)."""
    if not value:
        return ""  # most optional fields are absent: skip the cleaning passes
    value = value[:MAX_RAW_CHARS]
    if not escaped:
        return clean_text(value)
    if _HTML_MARKUP.search(value):
        return html_to_text(value)
    return clean_text(html.unescape(value))


def fields_from_jobposting(obj: dict[str, Any], extraction: str, *, escaped: bool) -> AdFields:
    def plain(value: Any) -> str:
        # Most optional fields are absent: no work for them.
        return "" if value is None else to_plain(_text_of(value), escaped=escaped)

    def short(value: Any) -> str:
        return plain(value)[:MAX_FIELD_CHARS]

    parts = [plain(obj.get(name)) for name in ("description", *_EXTRA_TEXT_FIELDS)]
    return AdFields(
        extraction=extraction,
        title=short(obj.get("title") or obj.get("name")),
        text="\n\n".join(p for p in parts if p),
        employer=short(_name_of(obj.get("hiringOrganization"))),
        location=short(_location(obj)),
        salary=short(_salary(obj.get("baseSalary") or obj.get("estimatedSalary"))),
        date_posted=short(obj.get("datePosted"))[:40],
        structured=bounded(obj),
    )


def _text_of(value: Any) -> str:
    if isinstance(value, list):
        return "\n\n".join(t for t in (_text_of(v) for v in value) if t)
    if isinstance(value, dict):
        return _text_of(value.get("name") or value.get("text") or value.get("description"))
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _name_of(value: Any) -> Any:
    if isinstance(value, list):
        return _name_of(value[0]) if value else ""
    if isinstance(value, dict):
        return value.get("name") or value.get("legalName") or ""
    return value


def _location(obj: dict[str, Any]) -> str:
    places = obj.get("jobLocation")
    places = places if isinstance(places, list) else [places]
    found = [loc for loc in (_place(p) for p in places[:5]) if loc]
    if not found and str(obj.get("jobLocationType", "")).upper() == "TELECOMMUTE":
        found = ["Remote"]
    if not found:
        found = [_text_of(_name_of(obj.get("applicantLocationRequirements")))]
    return "; ".join(f for f in found if f)


def _place(place: Any) -> str:
    if isinstance(place, str):
        return place
    if not isinstance(place, dict):
        return ""
    address = place.get("address")
    if isinstance(address, dict):
        keys = ("streetAddress", "addressLocality", "addressRegion", "addressCountry")
        parts = [_text_of(_name_of(address.get(k))) for k in keys]
        text = ", ".join(p for p in parts if p)
        if text:
            return text
    elif isinstance(address, str) and address:
        return address
    return _text_of(place.get("name"))


def _salary(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    if not isinstance(value, dict):
        return _text_of(value)
    currency = _text_of(value.get("currency"))
    amount = value.get("value")
    unit = ""
    if isinstance(amount, dict):
        unit = _text_of(amount.get("unitText"))
        low, high = _text_of(amount.get("minValue")), _text_of(amount.get("maxValue"))
        exact = _text_of(amount.get("value"))
        amount_text = exact or "-".join(v for v in (low, high) if v)
    else:
        amount_text = _text_of(amount)
    text = " ".join(p for p in (currency, amount_text) if p)
    return f"{text} per {unit.lower()}" if text and unit else text


def find_postings(data: Any) -> list[dict[str, Any]]:
    """Every JobPosting in a JSON-LD document: top level, in lists, in ``@graph`` or nested."""
    found: list[dict[str, Any]] = []
    stack: list[tuple[Any, int]] = [(data, 0)]
    visited = 0
    while stack and visited < _MAX_NODES:
        node, depth = stack.pop()
        visited += 1
        if is_jobposting(node):
            found.append(node)
            continue
        if depth >= _MAX_DEPTH:
            continue
        children = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        )
        # Reversed so that postings come out in document order.
        stack.extend((c, depth + 1) for c in reversed(list(children)) if isinstance(c, dict | list))
    return found


def choose_posting(postings: list[dict[str, Any]], url: str) -> dict[str, Any] | None:
    """The posting this page is about. Several postings and none for this URL mean a listing
    page: its ads are taken from their own pages."""
    if len(postings) == 1:
        return postings[0]
    here = canonical_url(url)
    for posting in postings:
        own = posting.get("url")
        if isinstance(own, str) and own and _is_url_of(own, url, here):
            return posting
    if postings:
        log.debug("%d JobPostings on %s, none for the page itself: a listing", len(postings), url)
    return None


def _is_url_of(own: str, url: str, here: str) -> bool:
    try:
        return canonical_url(urljoin(url, own)) == here
    except ValueError:
        return False  # no URL at all (an unclosed IPv6 address): not this page's
