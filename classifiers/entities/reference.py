"""Whether a wage is too good for where the job is, against ``config/wages.yml``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from classifiers.entities.config import WAGES_FILE, Wages, load_wages
from core.ad import Entity


@dataclass(frozen=True)
class WageReference:
    wages: Wages

    @classmethod
    def from_file(cls, path: Path = WAGES_FILE) -> WageReference:
        return cls(load_wages(path))

    def usd_per_month(self, wage: Entity) -> float | None:
        """The wage in US dollars a month (no period: a month), None for an unknown
        currency."""
        rate = self.wages.usd_per_unit.get(str(wage.attrs.get("currency", "")))
        amount = wage.attrs.get("amount")
        if rate is None or not isinstance(amount, int | float):
            return None
        period = str(wage.attrs.get("period") or "month")
        return float(amount) * rate * self.wages.per_month.get(period, 1.0)

    def reference(self, countries: Iterable[str], region: str | None = None) -> float:
        """Typical monthly pay where the job is: the highest among the countries named,
        else the region's, else the default."""
        known = [self.wages.usd_per_month[c] for c in countries if c in self.wages.usd_per_month]
        if known:
            return max(known)
        if region is not None and region in self.wages.usd_per_month:
            return self.wages.usd_per_month[region]
        return self.wages.default_usd_per_month

    def too_good(self, wage: Entity, countries: Iterable[str], region: str | None = None) -> bool:
        monthly = self.usd_per_month(wage)
        if monthly is None:
            return False
        return monthly >= self.wages.factor * self.reference(countries, region)
