"""The two files entities read from ``config/``: the gazetteer (places.yml) and the wage
references (wages.yml), validated, and cached until the file changes."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from classifiers.errors import ClassifierError
from classifiers.nlp import LANGUAGES
from core.settings import CONFIG_DIR

PLACES_FILE = CONFIG_DIR / "places.yml"
WAGES_FILE = CONFIG_DIR / "wages.yml"
PERIODS = ("hour", "day", "night", "week", "fortnight", "month", "year")


class EntityConfigError(ClassifierError, ValueError):
    """places.yml or wages.yml is invalid (the message names the file and the entry)."""


def _country_codes(value: dict[str, Any]) -> dict[str, Any]:
    bad = sorted(c for c in value if not (len(c) == 2 and c.isalpha() and c.isupper()))
    if bad:
        raise ValueError(f"country keys must be ISO 3166 alpha-2 codes such as LC, not {bad}")
    return value


class Country(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    en: list[str] = Field(default_factory=list)
    es: list[str] = Field(default_factory=list)
    fr: list[str] = Field(default_factory=list)
    ht: list[str] = Field(default_factory=list)
    pt: list[str] = Field(default_factory=list)
    cities: dict[str, list[str]] = Field(default_factory=dict)

    def names(self, lang: str) -> list[str]:
        return list(getattr(self, lang)) if lang in LANGUAGES else []


class Places(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int
    countries: dict[str, Country] = Field(min_length=1)

    _codes = field_validator("countries")(_country_codes)


class Wages(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int
    factor: float = Field(gt=1)
    default_usd_per_month: float = Field(gt=0)
    usd_per_month: dict[str, float]
    usd_per_unit: dict[str, float]
    per_month: dict[str, float]

    _codes = field_validator("usd_per_month")(_country_codes)

    @field_validator("usd_per_month", "usd_per_unit", "per_month")
    @classmethod
    def _positive(cls, value: dict[str, float]) -> dict[str, float]:
        bad = sorted(k for k, v in value.items() if v <= 0)
        if bad:
            raise ValueError(f"values must be above 0: {bad}")
        return value

    @field_validator("per_month")
    @classmethod
    def _all_periods(cls, value: dict[str, float]) -> dict[str, float]:
        missing = [p for p in PERIODS if p not in value]
        if missing:
            raise ValueError(f"per_month needs every period, missing: {missing}")
        return value


Model = TypeVar("Model", bound=BaseModel)


def load_places(path: Path = PLACES_FILE) -> Places:
    return _load(Places, path)


def load_wages(path: Path = WAGES_FILE) -> Wages:
    return _load(Wages, path)


def _load(kind: type[Model], path: Path) -> Model:
    path = Path(path)
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError as exc:
        raise EntityConfigError(f"{kind.__name__.lower()} file not found: {path}") from exc
    loaded = _cached(kind, path.resolve(), stamp)
    assert isinstance(loaded, kind)
    return loaded


@lru_cache(maxsize=8)
def _cached(kind: type[BaseModel], path: Path, _stamp: int) -> BaseModel:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise EntityConfigError(f"{path} is not valid YAML: {exc}") from exc
    try:
        return kind.model_validate(raw)
    except ValidationError as exc:
        raise EntityConfigError(f"{path}: {exc}") from exc
