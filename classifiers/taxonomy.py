"""The indicator taxonomy as declared in ``config/indicators.yml``, validated."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from classifiers.errors import IndicatorConfigError
from classifiers.nlp import LANGUAGES

Strength = Literal["strong", "medium", "weak"]
Derive = Literal["chat_only", "no_identity", "money", "age_range", "minor_age"]
STRENGTHS: tuple[Strength, ...] = ("strong", "medium", "weak")
PatternSet = dict[str, list[str]]


def _check_langs(value: PatternSet) -> PatternSet:
    unknown = sorted(set(value) - {*LANGUAGES, "any"})
    if unknown:
        raise ValueError(f"unknown language(s) {unknown}; use {', '.join(LANGUAGES)} or any")
    return value


class IndicatorSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)
    ilo: str = Field(min_length=1)
    strength: Strength
    negatable: bool = False
    derive: Derive | None = None
    patterns: PatternSet = Field(default_factory=dict)
    absent: PatternSet = Field(default_factory=dict)
    identity: PatternSet = Field(default_factory=dict)

    _langs = field_validator("patterns", "absent", "identity")(_check_langs)


class Negation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    window: int = Field(default=3, ge=0, le=10)
    cues: PatternSet = Field(default_factory=dict)

    _langs = field_validator("cues")(_check_langs)


class Taxonomy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int
    negation: Negation = Field(default_factory=Negation)
    # Read from model versions trained before config/wages.yml and ignored: pay_too_good now
    # compares with the destination's wage reference there.
    money_usd_per_month: float = Field(default=2500, gt=0)
    indicators: list[IndicatorSpec] = Field(min_length=1)

    @field_validator("indicators")
    @classmethod
    def _unique(cls, specs: list[IndicatorSpec]) -> list[IndicatorSpec]:
        codes = [s.code for s in specs]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise ValueError(f"indicator codes must be unique, repeated: {', '.join(repeated)}")
        derives = [s.derive for s in specs if s.derive]
        twice = sorted({d for d in derives if derives.count(d) > 1})
        if twice:
            raise ValueError(f"each derive rule may be used once, repeated: {', '.join(twice)}")
        return specs

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.indicators)

    def spec(self, code: str) -> IndicatorSpec:
        for s in self.indicators:
            if s.code == code:
                return s
        raise KeyError(code)


def load_taxonomy(path: Path) -> Taxonomy:
    path = Path(path)
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError as exc:
        raise IndicatorConfigError(f"indicators file not found: {path}") from exc
    return _load(path.resolve(), stamp)


@lru_cache(maxsize=8)
def _load(path: Path, _stamp: int) -> Taxonomy:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise IndicatorConfigError(f"{path} is not valid YAML: {exc}") from exc
    try:
        return Taxonomy.model_validate(raw)
    except ValidationError as exc:
        raise IndicatorConfigError(f"{path}: {exc}") from exc
