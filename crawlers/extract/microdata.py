"""schema.org JobPosting in HTML microdata (``itemscope itemtype=".../JobPosting"``)."""

from __future__ import annotations

from typing import Any

from extruct.w3cmicrodata import MicrodataExtractor
from lxml import etree
from parsel import Selector

from crawlers.extract.fields import AdFields
from crawlers.extract.jobposting import choose_posting, fields_from_jobposting, find_postings

_HAS_POSTING = etree.XPath('boolean(//*[@itemscope][contains(@itemtype, "JobPosting")])')


def extract_microdata(sel: Selector, url: str) -> AdFields | None:
    if not _HAS_POSTING(sel.root):
        return None
    items = MicrodataExtractor(nested=True).extract_items(sel.root, url)
    postings = find_postings([_as_jsonld(item) for item in items])
    posting = choose_posting(postings, url)
    if posting is None:
        return None
    # extruct gives each property the text of its element (scripts and styles left out), so
    # nothing in it is markup any more.
    fields = fields_from_jobposting(posting, "microdata", escaped=False)
    return fields if fields.title or fields.text else None


def _as_jsonld(value: Any) -> Any:
    """extruct's ``{"type": ..., "properties": {...}}`` in JSON-LD's shape: one reader for both."""
    if isinstance(value, list):
        return [_as_jsonld(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "properties" not in value:
        return value.get("value", "") if "type" in value or "value" in value else value
    converted: dict[str, Any] = {"@type": value.get("type", "")}
    if "id" in value:
        converted["@id"] = value["id"]
    converted.update({k: _as_jsonld(v) for k, v in value["properties"].items()})
    return converted
