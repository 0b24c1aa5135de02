"""Shared fixtures: every test gets its own LUREWATCH_HOME, so no test sees another's state."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.settings import Settings


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    home = tmp_path / "home"
    monkeypatch.setenv("LUREWATCH_HOME", str(home))
    return Settings(home=home)


@pytest.fixture(scope="session")
def trained_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled seed model, trained once per test session."""
    from classifiers import train

    home = tmp_path_factory.mktemp("model-home")
    train(Settings(home=home))
    return home / "models"


@pytest.fixture
def trained_settings(settings: Settings, trained_models: Path) -> Settings:
    """A fresh home that already holds the bundled model (no training in the test)."""
    shutil.copytree(trained_models, settings.home_dir / "models", dirs_exist_ok=True)
    return settings
