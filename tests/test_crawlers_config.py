"""How LureWatch's settings reach Scrapy: the project settings module, the runner, components."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from scrapy.settings import Settings as ScrapySettings

from core.settings import Settings
from crawlers.config import CHROMIUM_ARGS, lurewatch_settings
from crawlers.runner import scrapy_settings


def test_lurewatch_settings_prefers_the_runners_object(tmp_path: Path) -> None:
    mine = Settings(home=tmp_path, max_ad_chars=123)
    assert lurewatch_settings(ScrapySettings({"LUREWATCH_SETTINGS": mine})) is mine


def test_lurewatch_settings_falls_back_to_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LUREWATCH_HOME", str(tmp_path / "env-home"))
    monkeypatch.setenv("LUREWATCH_MAX_AD_CHARS", "321")
    found = lurewatch_settings(ScrapySettings())
    assert found.home == tmp_path / "env-home" and found.max_ad_chars == 321


def test_lurewatch_settings_refuses_other_values() -> None:
    with pytest.raises(TypeError, match=r"core\.settings\.Settings"):
        lurewatch_settings(ScrapySettings({"LUREWATCH_SETTINGS": "/tmp/home"}))


def test_project_settings_are_polite_and_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LUREWATCH_CONTACT_URL", "https://police.example/cyber")
    monkeypatch.setenv("LUREWATCH_CRAWL_DEPTH_LIMIT", "4")
    import crawlers.settings as module

    module = importlib.reload(module)
    assert module.ROBOTSTXT_OBEY is True
    assert module.USER_AGENT == "LureWatch/0.1 (+https://police.example/cyber)"
    assert module.DEPTH_LIMIT == 4
    assert module.CONCURRENT_REQUESTS_PER_DOMAIN <= 2 and module.DOWNLOAD_DELAY > 0
    assert module.AUTOTHROTTLE_ENABLED is True
    assert module.TELNETCONSOLE_ENABLED is False and module.REMOTE_CONTROL_ENABLED is False
    assert module.TWISTED_REACTOR == "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
    assert module.PLAYWRIGHT_LAUNCH_OPTIONS["args"] == CHROMIUM_ARGS
    assert module.ITEM_PIPELINES == {
        "crawlers.pipelines.normalise.NormalisePipeline": 100,
        "index.pipelines.worker.IngestWorkerPipeline": 150,
        "crawlers.pipelines.classify.ClassifyPipeline": 200,
        "index.pipelines.store.StorePipeline": 300,
        "index.pipelines.search.SearchIndexPipeline": 400,
    }
    monkeypatch.undo()
    importlib.reload(module)


def test_runner_settings_follow_the_settings_object(tmp_path: Path) -> None:
    mine = Settings(
        home=tmp_path,
        contact_url="https://unit.example/contact",
        max_page_bytes=1_000_000,
        crawl_depth_limit=2,
        render_timeout_ms=5_000,
        chromium_path=tmp_path / "chrome",
    )
    result = scrapy_settings(mine, {"LUREWATCH_CLASSIFY": False, "DEPTH_LIMIT": 9})
    assert result["LUREWATCH_SETTINGS"] is mine
    assert result["USER_AGENT"] == "LureWatch/0.1 (+https://unit.example/contact)"
    assert result.getint("DOWNLOAD_MAXSIZE") == 1_000_000
    assert result.getint("DOWNLOAD_WARNSIZE") == 500_000
    assert result.getint("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT") == 5_000
    launch = result.getdict("PLAYWRIGHT_LAUNCH_OPTIONS")
    assert launch["executable_path"] == str(tmp_path / "chrome") and launch["headless"] is True
    assert "--no-sandbox" in launch["args"]
    assert result.getbool("LUREWATCH_CLASSIFY") is False
    assert result.getint("DEPTH_LIMIT") == 9  # overrides win
    assert result["SPIDER_MODULES"] == ["crawlers.spiders"]


def test_the_ingest_worker_is_on_with_two_cpus_unless_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crawlers.config import scrapy_settings_from

    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert scrapy_settings_from(Settings(home=tmp_path))["LUREWATCH_INGEST_WORKER"] is True
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert scrapy_settings_from(Settings(home=tmp_path))["LUREWATCH_INGEST_WORKER"] is False
    monkeypatch.setenv("LUREWATCH_INGEST_WORKER", "true")
    assert scrapy_settings_from(Settings(home=tmp_path))["LUREWATCH_INGEST_WORKER"] is True
