"""What a crawl did, read from each crawler's stats once it has finished.

The same numbers are stored per run in the run log (``crawlers.state.runs``) and shown by
``lurewatch status``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

# Summary field -> the Scrapy stat it is read from.
_STATS = {
    "pages_fetched": "lurewatch/pages_fetched",
    "pages_rendered": "lurewatch/pages_rendered",
    "ads_found": "lurewatch/ads_found",
    "ads_new": "lurewatch/ads_new",
    "ads_updated": "lurewatch/ads_updated",
    "ads_unchanged": "lurewatch/ads_unchanged",
    "ads_removed": "lurewatch/ads_removed",
    "ads_flagged": "lurewatch/ads_flagged",
    "errors": "log_count/ERROR",
    "bytes": "downloader/response_bytes",
    "circuit_trips": "lurewatch/circuit_open",
}
RENDER_SECONDS = "lurewatch/render_seconds"  # summed by the rendering code, when it renders
RUN_ID = "lurewatch/run_id"  # set by crawlers.extensions.runlog
ERRORS_PREFIX = "lurewatch/errors/"  # lurewatch/errors/<kind>: failed pages by kind


@dataclass
class Counts:
    pages_fetched: int = 0
    pages_rendered: int = 0
    ads_found: int = 0
    ads_new: int = 0
    ads_updated: int = 0
    ads_unchanged: int = 0
    ads_removed: int = 0
    ads_flagged: int = 0
    errors: int = 0  # lines logged at ERROR
    bytes: int = 0  # response bodies downloaded
    circuit_trips: int = 0  # times a site's circuit breaker opened
    render_seconds: float = 0.0


def errors_by_kind(stats: dict[str, Any]) -> dict[str, int]:
    return {
        key.removeprefix(ERRORS_PREFIX): int(value or 0)
        for key, value in sorted(stats.items())
        if key.startswith(ERRORS_PREFIX) and value
    }


def _add_kinds(*parts: dict[str, int]) -> dict[str, int]:
    total: dict[str, int] = {}
    for part in parts:
        for kind, count in part.items():
            total[kind] = total.get(kind, 0) + count
    return dict(sorted(total.items()))


@dataclass
class SourceSummary(Counts):
    finish_reason: str = ""
    failure: str = ""  # why the crawl could not start or run, if it could not
    errors_by_kind: dict[str, int] = field(default_factory=dict)
    run_id: str = ""

    @classmethod
    def from_stats(cls, stats: dict[str, Any]) -> SourceSummary:
        summary = cls(
            finish_reason=str(stats.get("finish_reason") or ""),
            errors_by_kind=errors_by_kind(stats),
            run_id=str(stats.get(RUN_ID) or ""),
            render_seconds=round(float(stats.get(RENDER_SECONDS) or 0.0), 3),
        )
        for name, key in _STATS.items():
            setattr(summary, name, int(stats.get(key) or 0))
        return summary

    def run_stats(self) -> dict[str, Any]:
        """The JSON the run log stores for a run."""
        data = asdict(self)
        for name in ("finish_reason", "failure", "run_id"):
            data.pop(name)
        return data


@dataclass
class CrawlSummary(Counts):
    seconds: float = 0.0
    per_source: dict[str, SourceSummary] = field(default_factory=dict)
    errors_by_kind: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, per_source: dict[str, SourceSummary], seconds: float) -> CrawlSummary:
        totals: dict[str, Any] = {
            f.name: sum(getattr(s, f.name) for s in per_source.values()) for f in fields(Counts)
        }
        totals["render_seconds"] = round(float(totals["render_seconds"]), 3)
        kinds = _add_kinds(*(s.errors_by_kind for s in per_source.values()))
        return cls(**totals, seconds=round(seconds, 2), per_source=per_source, errors_by_kind=kinds)
