"""``python -m tests.crawl_once --source NAME``: one crawl in this process, fast settings.

Tests run crawls in subprocesses (Scrapy's reactor cannot restart). Settings come from the
environment (LUREWATCH_HOME, LUREWATCH_SOURCES_FILE); the summary is printed as JSON.
"""

from __future__ import annotations

import argparse
import dataclasses
import json

from core.settings import Settings
from core.sources import find_source, load_sources
from crawlers.runner import run_crawl

FAST = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
    "LOG_LEVEL": "INFO",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", action="append", required=True)
    parser.add_argument("--revisit", action="store_true")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    settings = Settings()
    configured = load_sources(settings.sources_file)
    sources = [find_source(configured, name) for name in args.source]
    overrides = {**FAST, "CONCURRENT_REQUESTS_PER_DOMAIN": args.concurrency}
    summary = run_crawl(settings, sources, revisit=args.revisit, scrapy_overrides=overrides)
    print(json.dumps(dataclasses.asdict(summary)))


if __name__ == "__main__":
    main()
