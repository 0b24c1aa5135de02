"""Where every crawler component gets LureWatch's own settings from."""

from __future__ import annotations

from typing import Any

from scrapy.settings import BaseSettings

from core.settings import Settings

# The runner puts its ``core.settings.Settings`` under this Scrapy setting; without it
# (``scrapy crawl`` from a shell) the environment decides, as for every other command.
SETTINGS_KEY = "LUREWATCH_SETTINGS"

# Chromium flags that keep a headless browser quiet and sandbox-free inside containers.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def lurewatch_settings(scrapy_settings: BaseSettings) -> Settings:
    value = scrapy_settings.get(SETTINGS_KEY)
    if value is None:
        return Settings()
    if not isinstance(value, Settings):
        raise TypeError(
            f"{SETTINGS_KEY} must hold a core.settings.Settings object, got {type(value).__name__};"
            " set LUREWATCH_* environment variables instead when running `scrapy crawl`"
        )
    return value


def scrapy_settings_from(settings: Settings) -> dict[str, Any]:
    """The Scrapy settings that follow from LureWatch's settings (the one place that maps them)."""
    return {
        "USER_AGENT": settings.effective_user_agent,
        "DOWNLOAD_MAXSIZE": settings.max_page_bytes,
        "DOWNLOAD_WARNSIZE": settings.max_page_bytes // 2,
        "DEPTH_LIMIT": settings.crawl_depth_limit,
        "LUREWATCH_INGEST_WORKER": settings.use_ingest_worker,
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": settings.render_timeout_ms,
        "PLAYWRIGHT_LAUNCH_OPTIONS": {
            "executable_path": str(settings.chromium_path),
            "headless": True,
            "args": list(CHROMIUM_ARGS),
        },
    }


INGEST_WORKER_PIPELINE = "index.pipelines.worker.IngestWorkerPipeline"
INGEST_STEPS = ("LUREWATCH_CLASSIFY", "LUREWATCH_STORE", "LUREWATCH_INDEX")


def ingest_in_worker(scrapy_settings: BaseSettings) -> bool:
    """Whether the ingest worker pipeline runs (and so writes the evidence of the ads it gets):
    ``LUREWATCH_INGEST_WORKER`` on, the pipeline listed, and a step for it to do."""
    if not scrapy_settings.getbool("LUREWATCH_INGEST_WORKER", False):
        return False
    if scrapy_settings.getwithbase("ITEM_PIPELINES").get(INGEST_WORKER_PIPELINE) is None:
        return False
    return any(scrapy_settings.getbool(step, True) for step in INGEST_STEPS)
