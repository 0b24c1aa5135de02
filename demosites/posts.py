"""Which seed ads the demo social sites publish as posts: two public Telegram channels and one
public Facebook-style page (a second page is behind a login wall and shows nothing).

Posts come first from seed ads the classifieds catalogue does not use, so they are new ads with
known labels; a small corpus falls back to reposting catalogue ads, as recruiters do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from demosites.catalogue import HOSTILE_PAYLOAD, DemoAd, _select
from demosites.metadata import stable_int
from demosites.seed import read_seed

POSTS_PER_CHANNEL = 45
SOCIAL_POSTS = 30


@dataclass(frozen=True)
class Channel:
    slug: str  # Telegram username: the page is /telegram/s/<slug>, posts /<slug>/<number>
    title: str
    description: str
    first_number: int


@dataclass(frozen=True)
class SocialPage:
    slug: str  # the page is /social/<slug>, posts /social/<slug>/posts/<number>
    name: str
    about: str
    first_number: int


CHANNELS = (
    Channel(
        "islandjobsabroad",
        "Island Jobs Abroad 🌴",
        "Work abroad, fast departures. Hotels, clubs, cruise ships, farms. DM for details.",
        1200,
    ),
    Channel(
        "trabajos_caribe",
        "Trabajos Caribe y Exterior",
        "Ofertas de empleo · Offres d'emploi · Ofertas de trabalho · Travay.",
        340,
    ),
)
SOCIAL_PAGE = SocialPage(
    "caribworktravel",
    "Caribbean Work & Travel",
    "Public page · Employment agency · Job offers at home and abroad",
    880_100,
)
LOCKED_PAGE = SocialPage(
    "vip-recruiters-group",
    "VIP Recruiters Group",
    "Private group",
    0,
)


@dataclass(frozen=True)
class DemoPost:
    id: str  # corpus id of the ad the post carries
    site: str  # telegram | social
    channel: str  # channel or page slug
    number: int  # message or post number, newer posts have larger numbers
    path: str  # URL path of the post's permalink
    title: str
    text: str
    lang: str
    label: int
    kind: str
    posted: str  # ISO 8601, UTC
    hostile: bool = False  # carries HOSTILE_PAYLOAD in its text


@dataclass(frozen=True)
class _Content:
    id: str
    lang: str
    label: int
    kind: str
    title: str
    text: str


def _pool(catalogue: Sequence[DemoAd], seed_dir: Path | None, needed: int) -> list[_Content]:
    used = {ad.id for ad in catalogue}
    fresh = [ad for ad in read_seed(seed_dir) if ad.id not in used]
    pool = [
        _Content(a.id, a.lang, a.label, a.kind, a.title, a.text) for a in _select(fresh, needed)
    ]
    reposts = sorted(
        (ad for ad in catalogue if not ad.private and not ad.hostile),
        key=lambda a: stable_int("repost", a.id),
    )
    pool += [_Content(a.id, a.lang, a.label, a.kind, a.title, a.text) for a in reposts]
    if not pool:
        return []
    while len(pool) < needed:  # a tiny corpus: the same ad posted again
        pool += pool[: needed - len(pool)]
    return pool[:needed]


def _posted(place: str, index: int) -> str:
    """Posts a few days apart from January 2026, oldest first, at a stable time of day."""
    start = datetime(2026, 1, 6, 7, 0, tzinfo=UTC)
    minutes = stable_int("posted", place, str(index)) % 600
    return (start + timedelta(hours=79 * index, minutes=minutes)).isoformat()


def _numbers(place: str, first: int, count: int) -> list[int]:
    """Message numbers with gaps, as deleted messages leave in a real channel."""
    numbers, current = [], first
    for index in range(count):
        current += 1 + (stable_int("gap", place, str(index)) % 4 == 0)
        numbers.append(current)
    return numbers


def _posts(
    contents: Sequence[_Content], site: str, slug: str, first: int, path: str
) -> list[DemoPost]:
    posts = []
    hostile_index = len(contents) // 2
    for index, (content, number) in enumerate(
        zip(contents, _numbers(slug, first, len(contents)), strict=True)
    ):
        hostile = index == hostile_index
        text = content.text
        if hostile:
            text = f"{text}\n\nTo apply, paste this in your reply: {HOSTILE_PAYLOAD}"
        posts.append(
            DemoPost(
                id=content.id,
                site=site,
                channel=slug,
                number=number,
                path=path.format(slug=slug, number=number),
                title=content.title,
                text=text,
                lang=content.lang,
                label=content.label,
                kind=content.kind,
                posted=_posted(slug, index),
                hostile=hostile,
            )
        )
    return posts


def load_posts(catalogue: Sequence[DemoAd], seed_dir: Path | None = None) -> list[DemoPost]:
    """Every public post of the demo social sites, oldest first per channel or page."""
    per_channel = POSTS_PER_CHANNEL
    pool = _pool(catalogue, seed_dir, per_channel * len(CHANNELS) + SOCIAL_POSTS)
    if not pool:
        return []
    posts: list[DemoPost] = []
    for number, channel in enumerate(CHANNELS):
        # Alternate picks between channels, so each gets a spread of languages and labels.
        share = pool[number : per_channel * len(CHANNELS) : len(CHANNELS)]
        posts += _posts(share, "telegram", channel.slug, channel.first_number, "/{slug}/{number}")
    social = pool[per_channel * len(CHANNELS) :]
    path = "/social/{slug}/posts/{number}"
    posts += _posts(social, "social", SOCIAL_PAGE.slug, SOCIAL_PAGE.first_number, path)
    return posts
