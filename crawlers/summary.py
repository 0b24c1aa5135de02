"""What a crawl did, read from each crawler's stats once it has finished."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

# Summary field -> the Scrapy stat it is read from.
_STATS = {
    "pages_fetched": "lurewatch/pages_fetched",
    "ads_found": "lurewatch/ads_found",
    "ads_new": "lurewatch/ads_new",
    "ads_updated": "lurewatch/ads_updated",
    "ads_flagged": "lurewatch/ads_flagged",
    "errors": "log_count/ERROR",
}


@dataclass
class Counts:
    pages_fetched: int = 0
    ads_found: int = 0
    ads_new: int = 0
    ads_updated: int = 0
    ads_flagged: int = 0
    errors: int = 0


@dataclass
class SourceSummary(Counts):
    finish_reason: str = ""
    failure: str = ""  # why the crawl could not start or run, if it could not

    @classmethod
    def from_stats(cls, stats: dict[str, Any]) -> SourceSummary:
        summary = cls(finish_reason=str(stats.get("finish_reason") or ""))
        for name, key in _STATS.items():
            setattr(summary, name, int(stats.get(key) or 0))
        return summary


@dataclass
class CrawlSummary(Counts):
    seconds: float = 0.0
    per_source: dict[str, SourceSummary] = field(default_factory=dict)

    @classmethod
    def of(cls, per_source: dict[str, SourceSummary], seconds: float) -> CrawlSummary:
        totals = {
            f.name: sum(getattr(s, f.name) for s in per_source.values()) for f in fields(Counts)
        }
        return cls(**totals, seconds=round(seconds, 2), per_source=per_source)
