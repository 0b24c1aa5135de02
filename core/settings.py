"""The one typed settings object. Every value can be set by an environment variable
prefixed ``LUREWATCH_`` (``LUREWATCH_HOME=/srv/lw``)."""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = REPO_ROOT / "config"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LUREWATCH_", extra="ignore")

    home: Path = Field(default=Path("var"), description="Where all state lives.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is SQLite under home."
    )
    sources_file: Path = CONFIG_DIR / "sources.yml"
    indicators_file: Path = CONFIG_DIR / "indicators.yml"
    wages_file: Path = CONFIG_DIR / "wages.yml"
    places_file: Path = CONFIG_DIR / "places.yml"
    user_agent: str = "LureWatch/0.1 (+{contact_url})"
    contact_url: str = "https://lurewatch.invalid/contact"
    max_page_bytes: int = 5 * 1024 * 1024
    max_ad_chars: int = 20_000
    crawl_depth_limit: int = 6
    render_timeout_ms: int = 20_000
    chromium_path: Path = Path("/usr/bin/chromium")
    frontier: str | None = Field(
        default=None,
        description="redis://host:port/db to share one frontier and seen-store between crawl"
        " processes (scrapy-redis); default: a seen-store file under home, one process.",
    )
    secret_key: str | None = Field(
        default=None, description="Signs web sessions; generated and kept under home if unset."
    )
    ingest_worker: bool | None = Field(
        default=None,
        description="Classify, store and index crawled ads in a separate process (a second core)"
        " instead of the crawl's own; default: on when the machine has two or more CPUs.",
    )

    @property
    def use_ingest_worker(self) -> bool:
        if self.ingest_worker is not None:
            return self.ingest_worker
        return (os.cpu_count() or 1) >= 2

    @property
    def home_dir(self) -> Path:
        path = self.home.expanduser().resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _subdir(self, name: str) -> Path:
        path = self.home_dir / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def models_dir(self) -> Path:
        return self._subdir("models")

    @property
    def index_dir(self) -> Path:
        return self._subdir("index")

    @property
    def evidence_dir(self) -> Path:
        return self._subdir("evidence")

    @property
    def runs_dir(self) -> Path:
        return self._subdir("runs")

    @property
    def crawl_dir(self) -> Path:
        """Crawl state: the seen-store file and locks."""
        return self._subdir("crawl")

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home_dir / 'lurewatch.db'}"

    @property
    def effective_user_agent(self) -> str:
        return self.user_agent.format(contact_url=self.contact_url)

    @cached_property
    def session_secret(self) -> str:
        if self.secret_key:
            return self.secret_key
        path = self.home_dir / "secret.key"
        if not path.exists():
            # Written once with owner-only permissions: it signs login sessions.
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48))
        return path.read_text().strip()


def get_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
