"""Sites to monitor, as declared in ``config/sources.yml``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from core.durations import parse_duration

MAX_NAME_CHARS = 200
# Seconds, written in the file as 30m, 6h, 2d (or a plain number of seconds).
Duration = Annotated[float, BeforeValidator(parse_duration)]


class SourceError(ValueError):
    """The sources file cannot be used; the message says where and why."""


class Selectors(BaseModel):
    """CSS selectors for sites whose ads carry no structured data. Only ``ad_links`` and
    ``text`` are needed; the rest improve what is stored."""

    model_config = ConfigDict(extra="forbid")

    ad_links: str | None = None  # on listing pages: links to ad detail pages
    next_page: str | None = None  # on listing pages: link to the next listing page
    title: str | None = None
    text: str | None = None
    employer: str | None = None
    location: str | None = None
    salary: str | None = None


class Politeness(BaseModel):
    """Per-site limits on top of robots.txt (whose Crawl-delay, when longer, wins)."""

    model_config = ConfigDict(extra="forbid")

    delay: float | None = Field(default=None, ge=0)  # seconds between requests to the site
    concurrency: int | None = Field(default=None, ge=1, le=32)  # requests in flight at once


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The store keeps source names in 200-character columns.
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=MAX_NAME_CHARS)
    start_urls: list[str] = Field(min_length=1)
    # true: render every page in Chromium; auto: decide from a first fetch whether the ads are in
    # the HTML or need JavaScript.
    render: bool | Literal["auto"] = False
    selectors: Selectors | None = None
    max_pages: int | None = Field(default=None, ge=1)
    # Listing pages, feeds and sitemaps are revisited this often (`lurewatch monitor`) ...
    revisit: Duration = 3600.0
    # ... and each ad's own page this often, to see edits and takedowns.
    detail_revisit: Duration = 86_400.0
    # An ad missing from every listing for this long counts as removed.
    removal_grace: Duration = 3 * 86_400.0
    sitemaps: list[str] = Field(default_factory=list)  # robots.txt Sitemap: lines are read too
    feeds: list[str] = Field(default_factory=list)  # RSS/Atom; <link rel=alternate> feeds too
    politeness: Politeness = Field(default_factory=Politeness)

    @field_validator("start_urls", "sitemaps", "feeds")
    @classmethod
    def _http_only(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"URL must be http(s): {url!r}")
        return urls


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[Source] = Field(default_factory=list)


def load_sources(path: Path) -> list[Source]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise SourceError(f"sources file not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise SourceError(f"{path} is not valid YAML: {exc}") from exc
    try:
        sources = SourcesFile.model_validate(raw).sources
    except ValidationError as exc:
        raise SourceError(f"{path}: {exc}") from exc
    names = [s.name for s in sources]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SourceError(f"{path}: source names must be unique, repeated: {', '.join(duplicates)}")
    return sources


def find_source(sources: list[Source], name: str) -> Source:
    for source in sources:
        if source.name == name:
            return source
    known = ", ".join(s.name for s in sources) or "none"
    raise SourceError(f"no source named {name!r} (known: {known})")


def dump_sources(sources: list[Source], path: Path) -> None:
    data = {"sources": [s.model_dump(exclude_defaults=True) for s in sources]}
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
