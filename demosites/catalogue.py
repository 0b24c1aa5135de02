"""Which seed ads the demo sites publish, where, and with which markup.

The choice depends only on the corpus content, so every run (and every test) sees the same
catalogue for the same corpus.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from demosites.metadata import find_employer, find_salary, invent_date, invent_place, stable_int
from demosites.seed import SeedAd, SeedError, read_seed

TARGET_ADS = 300
# Share of the catalogue per placement: public classifieds, the JS board, the robots-disallowed
# folder. With 300 ads: 180, 90 and 30.
_SHARES = {"classifieds": 6, "jobboard": 3, "private": 1}
_MIN_ADS = 6  # one per markup kind on each site, so every page type exists

CLASSIFIEDS_MARKUPS = ("jsonld", "microdata", "plain")
JOBBOARD_MARKUPS = ("js", "js-jsonld")

# Literal text a hostile advertiser might post; the sites must show it, never run it.
HOSTILE_PAYLOAD = "<script>document.title='pwned'</script> <img src=x onerror=\"alert(1)\">"


@dataclass(frozen=True)
class DemoAd:
    id: str  # corpus id, e.g. "en-0001"
    site: str  # "classifieds" | "jobboard"
    path: str  # URL path of the detail page
    title: str
    text: str
    lang: str
    label: int
    kind: str
    markup: str  # jsonld | microdata | plain | js | js-jsonld
    private: bool  # under the robots-disallowed /classifieds/private/
    employer: str = ""
    location: str = ""
    date_posted: str = ""  # YYYY-MM-DD
    salary: str = ""
    category: str = ""
    country_code: str = ""
    hostile: bool = False  # carries HOSTILE_PAYLOAD in its text


def slugify(text: str, limit: int = 50) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "ad"


def _select(ads: Sequence[SeedAd], limit: int) -> list[SeedAd]:
    """Round-robin over (language, label) groups so both spread evenly; each round is shuffled
    by a stable hash so no placement pattern lines up with a group."""
    groups: dict[tuple[str, int], list[SeedAd]] = defaultdict(list)
    for ad in ads:
        groups[(ad.lang, ad.label)].append(ad)
    queues = [sorted(groups[key], key=lambda a: stable_int("pick", a.id)) for key in sorted(groups)]
    chosen: list[SeedAd] = []
    depth = 0
    while len(chosen) < limit and any(depth < len(q) for q in queues):
        round_ = [q[depth] for q in queues if depth < len(q)]
        round_.sort(key=lambda a: stable_int("order", a.id))
        chosen.extend(round_[: limit - len(chosen)])
        depth += 1
    return chosen


def _counts(total: int) -> dict[str, int]:
    weight = sum(_SHARES.values())
    private = max(1, round(total * _SHARES["private"] / weight))
    jobboard = max(2, round(total * _SHARES["jobboard"] / weight))
    return {"classifieds": total - private - jobboard, "jobboard": jobboard, "private": private}


def _interleave(counts: dict[str, int]) -> list[str]:
    """Smooth weighted round-robin: each name appears exactly counts[name] times, spread out."""
    total = sum(counts.values())
    current = dict.fromkeys(counts, 0)
    order: list[str] = []
    for _ in range(total):
        for name in counts:
            current[name] += counts[name]
        pick = max(counts, key=lambda n: current[n])
        current[pick] -= total
        order.append(pick)
    return order


def _cycle(options: Sequence[str]) -> dict[str, int]:
    return dict.fromkeys(options, 1)


def load_catalogue(seed_dir: Path | None = None) -> list[DemoAd]:
    """About 300 seed ads placed on the demo sites; fewer when the corpus is smaller.

    Raises ``SeedError`` (a ``ValueError``) when the corpus is missing, malformed, or has
    fewer than six ads."""
    ads = read_seed(seed_dir)
    if len(ads) < _MIN_ADS:
        raise SeedError(
            f"the seed corpus has {len(ads)} ads; the demo sites need at least {_MIN_ADS}"
        )
    chosen = _select(ads, TARGET_ADS)
    placements = _interleave(_counts(len(chosen)))
    markup_seq = {
        "classifieds": _interleave(_cycle(CLASSIFIEDS_MARKUPS)),
        "private": _interleave(_cycle(CLASSIFIEDS_MARKUPS)),
        "jobboard": _interleave(_cycle(JOBBOARD_MARKUPS)),
    }
    seen = dict.fromkeys(_SHARES, 0)
    hostile_left = {"jsonld", "plain"}
    slugs: set[str] = set()
    catalogue: list[DemoAd] = []
    for seed, placement in zip(chosen, placements, strict=True):
        number = seen[placement]
        seen[placement] += 1
        cycle = markup_seq[placement]
        markup = cycle[number % len(cycle)]
        slug = f"{slugify(seed.title)}-{slugify(seed.id, 30)}"
        while slug in slugs:  # ids that differ only in punctuation
            slug += "-x"
        slugs.add(slug)
        if placement == "jobboard":
            path = f"/jobboard/ad.html?id={number + 1}"
        elif placement == "private":
            path = f"/classifieds/private/ad/{slug}.html"
        else:
            path = f"/classifieds/ad/{slug}.html"
        text = seed.text
        hostile = placement == "classifieds" and markup in hostile_left
        if hostile:
            hostile_left.discard(markup)
            text = f"{text}\n\nTo apply, paste this in your reply: {HOSTILE_PAYLOAD}"
        place = invent_place(seed.id, seed.lang)
        catalogue.append(
            DemoAd(
                id=seed.id,
                site="jobboard" if placement == "jobboard" else "classifieds",
                path=path,
                title=seed.title,
                text=text,
                lang=seed.lang,
                label=seed.label,
                kind=seed.kind,
                markup=markup,
                private=placement == "private",
                employer=find_employer(seed.title, seed.text),
                location=str(place),
                date_posted=invent_date(seed.id),
                salary=find_salary(seed.text),
                category=seed.category,
                country_code=place.country_code,
                hostile=hostile,
            )
        )
    return catalogue
