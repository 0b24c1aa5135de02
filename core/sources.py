"""Sites to monitor, as declared in ``config/sources.yml``."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


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


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    start_urls: list[str] = Field(min_length=1)
    render: bool = False  # render pages in Chromium through Playwright
    selectors: Selectors | None = None
    max_pages: int | None = Field(default=None, ge=1)

    @field_validator("start_urls")
    @classmethod
    def _http_only(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"start URL must be http(s): {url!r}")
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
    data = {"sources": [s.model_dump(exclude_none=True) for s in sources]}
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
