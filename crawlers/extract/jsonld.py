"""schema.org JobPosting in ``<script type="application/ld+json">``."""

from __future__ import annotations

import json
import logging
from typing import Any

from lxml import etree
from parsel import Selector

from crawlers.extract.fields import AdFields
from crawlers.extract.jobposting import choose_posting, fields_from_jobposting, find_postings

log = logging.getLogger(__name__)

MAX_SCRIPT_CHARS = 1_000_000
_TEXT = etree.XPath("string()", smart_strings=False)


def extract_jsonld(sel: Selector, url: str) -> AdFields | None:
    postings = [p for data in _json_scripts(sel, url) for p in find_postings(data)]
    posting = choose_posting(postings, url)
    if posting is None:
        return None
    fields = fields_from_jobposting(posting, "jsonld", escaped=True)
    return fields if fields.title or fields.text else None


def _json_scripts(sel: Selector, url: str) -> list[Any]:
    found = []
    # Walked by lxml's own iterator: cheaper than an XPath query for one tag.
    for script in sel.root.iter("script"):
        kind = (script.get("type") or "").split(";")[0].strip().lower()
        if kind != "application/ld+json":
            continue
        raw = _TEXT(script) or ""
        if len(raw) > MAX_SCRIPT_CHARS:
            log.warning("skipping JSON-LD of %d characters on %s", len(raw), url)
            continue
        # Some CMSs wrap the JSON in an HTML comment or CDATA, or end it with a semicolon.
        raw = raw.strip().removeprefix("<!--").removesuffix("-->").strip()
        raw = raw.removeprefix("//<![CDATA[").removesuffix("//]]>").strip().rstrip(";")
        if not raw:
            continue
        try:
            found.append(json.loads(raw, strict=False))
        except (ValueError, RecursionError) as exc:
            log.warning("skipping malformed JSON-LD on %s: %s", url, str(exc)[:200])
    return found
