"""``lurewatch demo``: the whole job, offline, on the bundled demo sites."""

from __future__ import annotations

import logging
import time

from core.settings import Settings

log = logging.getLogger("lurewatch.demo")

DEMO_USER = "demo"


def run_demo(settings: Settings, *, serve: bool, host: str, port: int) -> None:
    from classifiers import load_classifier
    from crawlers.runner import run_crawl
    from demosites import DemoSites
    from index import Store

    started = time.monotonic()
    print(f"LureWatch demo: state under {settings.home_dir}")
    load_classifier(settings)  # trains the bundled model on first run, saying so
    with DemoSites() as sites:
        print(f"demo sites serving at {sites.base_url}/")
        summary = run_crawl(settings, sites.sources())
    store = Store(settings)
    stored, flagged = store.count(), store.count(flagged=True)
    store.close()
    print(
        f"\nSummary: pages fetched {summary.pages_fetched}, ads stored {stored}, "
        f"ads flagged {flagged}, seconds {time.monotonic() - started:.1f}"
    )
    if not serve:
        return
    password = demo_login(settings)
    print(f"\nWeb app: http://{host}:{port}/  (login: {DEMO_USER} / {password})")
    serve_app(settings, host=host, port=port)


def demo_login(settings: Settings) -> str:
    """A fresh password for the demo user on every run, so the one printed always works."""
    from web import add_user, set_password

    try:
        return add_user(settings, DEMO_USER, "admin")
    except ValueError:
        return set_password(settings, DEMO_USER)


def serve_app(settings: Settings, *, host: str, port: int) -> None:
    import uvicorn

    from web import create_app

    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
