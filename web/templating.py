"""The Jinja2 environment: autoescape on for every template, plus a few display filters."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from web.auth import session_user
from web.security import CSRF_FIELD, csrf_token, safe_highlight

TEMPLATE_DIR = Path(__file__).parent / "templates"


def when(value: str) -> str:
    """ISO 8601 as "2025-11-20 14:03 UTC"; anything unparseable is shown as it came."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return moment.strftime("%Y-%m-%d %H:%M")


def score(value: float | None) -> str:
    return "not scored" if value is None else f"{value:.2f}"


def filesize(value: int | None) -> str:
    if value is None or value < 0:
        return "unknown"
    size = float(value)
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


def humanize(code: str) -> str:
    return code.replace("_", " ").replace("-", " ")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        # Every template, whatever its name: scraped text is never trusted.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        when=when, score=score, humanize=humanize, highlight=safe_highlight, filesize=filesize
    )
    return env


templates = Jinja2Templates(env=_environment())


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    values: dict[str, Any] = {
        "user": session_user(request),
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(request.session),
    }
    values.update(context or {})
    return templates.TemplateResponse(request, name, values, status_code=status_code)
