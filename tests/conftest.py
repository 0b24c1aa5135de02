"""Shared fixtures: every test gets its own LUREWATCH_HOME, so no test sees another's state."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    home = tmp_path / "home"
    monkeypatch.setenv("LUREWATCH_HOME", str(home))
    return Settings(home=home)
