"""The FastAPI application: pages for people, a JSON API for scripts, one login for both."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import Response

from core.settings import Settings
from web import api, captures, pages
from web.api import SESSION_COOKIE, SafeJSONResponse
from web.auth import ApiLoginRequired, LoginRequired
from web.security import SecurityHeadersMiddleware
from web.state import AppState
from web.templating import render

log = logging.getLogger("lurewatch.web")

STATIC_DIR = Path(__file__).parent / "static"
SESSION_HOURS = 12  # one working day; then log in again


def _version() -> str:
    try:
        return version("lurewatch")
    except PackageNotFoundError:
        return "0.0.0"


def _is_api(request: Request) -> bool:
    return request.url.path == "/api" or request.url.path.startswith("/api/")


async def _login_redirect(request: Request, _exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


async def _api_unauthorized(_request: Request, _exc: Exception) -> Response:
    return SafeJSONResponse({"detail": "login required: POST /login, then send the cookie"}, 401)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if _is_api(request):
        return SafeJSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)
    titles = {404: "Page not found", 405: "Method not allowed"}
    context = {"title": titles.get(exc.status_code, "Error"), "message": str(exc.detail)}
    return render(request, "error.html", context, status_code=exc.status_code)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ()) if part not in ("query", "path", "body")]
        where = ".".join(loc)
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    message = "; ".join(problems) or "invalid request"
    if _is_api(request):
        return SafeJSONResponse({"detail": message}, 422)
    return render(request, "error.html", {"title": "Bad request", "message": message}, 400)


def create_app(settings: Settings) -> FastAPI:
    state = AppState.open(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        state.close()

    app = FastAPI(
        title="LureWatch",
        version=_version(),
        description=(
            "Search ads collected by LureWatch and read each one with the indicators that "
            "flagged it. Every call needs the session cookie from logging in at /login."
        ),
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served by web.api behind the login
        lifespan=lifespan,
    )
    app.state.lurewatch = state
    app.add_exception_handler(LoginRequired, _login_redirect)
    app.add_exception_handler(ApiLoginRequired, _api_unauthorized)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)

    app.include_router(pages.router)
    app.include_router(captures.router)
    app.include_router(api.router)
    app.include_router(api.docs_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    # Added last = outermost: every response, errors included, gets the headers.
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_HOURS * 3600,
        same_site="lax",
        # Served on localhost over plain HTTP; put it behind TLS before exposing it further.
        https_only=False,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    return app
