"""Entities in an ad's text: phones, messaging handles, emails, links, wages, ages and
places, each with its span in the text given.

``extract_entities(text, lang, region)`` returns them sorted by start; ``text[e.start:e.end]``
is always what was read, even though matching runs on a normalised copy (fancy Unicode,
keycap emoji and full-width digits folded, invisible characters removed).

Types and values:
  phone   E.164 ("+17585550134"); attrs: region, valid, chat ("whatsapp"... when named)
  handle  "platform:account" ("telegram:jobsabroad", "whatsapp:+17585550134") or "@name"
  email   "name@domain.com" (also from "name at domain dot com"); attrs: obfuscated
  url     "host/path" of any other link; attrs: host, chat (a social/messaging site)
  wage    "2500 USD/month"; money: "200 USD" (an amount that is not pay); attrs: amount,
          currency, period...
  age     "18-25", "16", "18+", "<=29"; attrs: min, max
  place   "CA" or "Dubai, AE"; attrs: country, kind
Finders run in that order and each claims its span, so a price, an age or a date is never
read again as a phone.
"""

from __future__ import annotations

from classifiers.entities.ages import find_ages
from classifiers.entities.config import EntityConfigError
from classifiers.entities.emails import find_emails
from classifiers.entities.handles import find_links
from classifiers.entities.phones import (
    UnknownRegionError,
    check_region,
    find_phones,
    guess_regions,
    region_from_host,
)
from classifiers.entities.places import Gazetteer, find_places
from classifiers.entities.reference import WageReference
from classifiers.entities.scan import Scan
from classifiers.entities.wages import find_amounts, to_entity
from classifiers.normalize import Normalised, normalise
from core.ad import Entity

ENTITY_TYPES = ("phone", "handle", "email", "url", "wage", "money", "age", "place")

__all__ = [
    "ENTITY_TYPES",
    "Entity",
    "EntityConfigError",
    "Gazetteer",
    "UnknownRegionError",
    "WageReference",
    "check_region",
    "entities_from",
    "extract_entities",
    "guess_regions",
    "region_from_host",
]


def extract_entities(text: str, lang: str, region: str | None = None) -> list[Entity]:
    """Entities of ``text`` (an ad in language ``lang``; ``region``: the site's country as
    an ISO code, which phone numbers and bare "$" amounts default to)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, not {type(text).__name__}")
    return entities_from(normalise(text), text, lang, region)


def entities_from(
    norm: Normalised,
    original: str,
    lang: str,
    region: str | None = None,
    gazetteer: Gazetteer | None = None,
) -> list[Entity]:
    """As ``extract_entities``, for a text already normalised (``norm`` of ``original``)."""
    region = check_region(region)
    if not original or original.isspace():
        return []
    scan = Scan(original, norm, lang, region)
    found = [*find_emails(scan), *find_links(scan)]
    amounts = find_amounts(scan)
    found += find_ages(scan)
    found += find_phones(scan)
    places = find_places(scan, gazetteer)
    countries = [str(p.attrs["country"]) for p in places]
    found += [to_entity(scan, amount, countries) for amount in amounts]
    found += places
    return _tidy(found)


def _tidy(found: list[Entity]) -> list[Entity]:
    """Sorted by start (longer first); an entity overlapping a kept one of the same type and
    value is a duplicate."""
    if len(found) < 2:
        return found
    kept: list[Entity] = []
    for entity in sorted(found, key=_order):
        type_, value, start, end = entity.type, entity.value, entity.start, entity.end
        for k in kept[-8:]:
            if k.type == type_ and k.value == value and k.start < end and start < k.end:
                break
        else:
            kept.append(entity)
    return kept


def _order(entity: Entity) -> tuple[int, int, str]:
    return entity.start, entity.start - entity.end, entity.type
