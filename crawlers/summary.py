"""What a crawl did, read from each crawler's stats once it has finished."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SourceSummary:
    pages_fetched: int = 0
    ads_found: int = 0
    ads_new: int = 0
    ads_updated: int = 0
    ads_flagged: int = 0
    errors: int = 0
    finish_reason: str = ""
    failure: str = ""  # why the crawl could not start or run, if it could not

    @classmethod
    def from_stats(cls, stats: dict[str, Any]) -> SourceSummary:
        def count(key: str) -> int:
            return int(stats.get(key) or 0)

        return cls(
            pages_fetched=count("lurewatch/pages_fetched"),
            ads_found=count("lurewatch/ads_found"),
            ads_new=count("lurewatch/ads_new"),
            ads_updated=count("lurewatch/ads_updated"),
            ads_flagged=count("lurewatch/ads_flagged"),
            errors=count("log_count/ERROR"),
            finish_reason=str(stats.get("finish_reason") or ""),
        )


@dataclass
class CrawlSummary:
    pages_fetched: int = 0
    ads_found: int = 0
    ads_new: int = 0
    ads_updated: int = 0
    ads_flagged: int = 0
    errors: int = 0
    seconds: float = 0.0
    per_source: dict[str, SourceSummary] = field(default_factory=dict)

    @classmethod
    def of(cls, per_source: dict[str, SourceSummary], seconds: float) -> CrawlSummary:
        parts = per_source.values()
        return cls(
            pages_fetched=sum(s.pages_fetched for s in parts),
            ads_found=sum(s.ads_found for s in parts),
            ads_new=sum(s.ads_new for s in parts),
            ads_updated=sum(s.ads_updated for s in parts),
            ads_flagged=sum(s.ads_flagged for s in parts),
            errors=sum(s.errors for s in parts),
            seconds=round(seconds, 2),
            per_source=per_source,
        )
