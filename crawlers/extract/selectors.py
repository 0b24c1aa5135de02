"""Ads on sites whose pages carry no structured data, read with the CSS selectors that the
source declares in ``config/sources.yml``."""

from __future__ import annotations

from parsel import Selector

from core.sources import Selectors
from core.text import clean_text
from crawlers.extract.dom import node_text
from crawlers.extract.fields import AdFields

MAX_FIELD_CHARS = 300


def extract_selectors(sel: Selector, url: str, selectors: Selectors) -> AdFields | None:
    if not selectors.text:
        return None
    text = _text(sel, selectors.text)
    if not text:
        return None
    title = _text(sel, selectors.title or "h1", first=True)
    return AdFields(
        extraction="selectors",
        title=title[:MAX_FIELD_CHARS],
        text=text,
        employer=_text(sel, selectors.employer)[:MAX_FIELD_CHARS],
        location=_text(sel, selectors.location)[:MAX_FIELD_CHARS],
        salary=_text(sel, selectors.salary)[:MAX_FIELD_CHARS],
    )


def _text(sel: Selector, css: str | None, *, first: bool = False) -> str:
    if not css:
        return ""
    found = sel.css(css)[:1] if first else sel.css(css)
    # "::text" and "::attr(...)" selectors give strings rather than elements.
    return clean_text(
        "\n\n".join(s.root if isinstance(s.root, str) else node_text(s.root) for s in found)
    )
