"""Which extractor reads a page: the most explicit markup wins."""

from __future__ import annotations

from collections.abc import Callable

from parsel import Selector

from core.sources import Selectors
from crawlers.extract.fields import AdFields
from crawlers.extract.heuristic import extract_heuristic
from crawlers.extract.jsonld import extract_jsonld
from crawlers.extract.microdata import extract_microdata
from crawlers.extract.selectors import extract_selectors

Extractor = Callable[[Selector, str], AdFields | None]


def extract_ad(sel: Selector, url: str, selectors: Selectors | None = None) -> AdFields | None:
    """The ad on this page, or None for pages that are not ads (listings, indexes, errors).

    Tried in order: JSON-LD, microdata, the source's CSS selectors, heuristics. When the first
    match has no text (a JobPosting without a description), a later extractor supplies it.
    """
    chain: list[Extractor] = [extract_jsonld, extract_microdata]
    if selectors is not None and selectors.text:
        chain.append(lambda s, u: extract_selectors(s, u, selectors))
    chain.append(extract_heuristic)

    found: AdFields | None = None
    for extractor in chain:
        fields = extractor(sel, url)
        if fields is None:
            continue
        if found is None:
            found = fields
        elif not found.text:
            found.text = fields.text
            found.title = found.title or fields.title
        if found.text:
            break
    return found
