"""The HTML pages: login, search, one ad."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, replace
from typing import Annotated, Literal
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from index.search import QueryError, SearchFilters, Status
from web.auth import log_in, log_out, require_page_user, session_user
from web.evidence import mark_ad
from web.explanations import explain_ad
from web.history import MAX_VERSIONS_SHOWN, event_views, version_views
from web.security import CSRF_FIELD, csrf_ok, is_web_url, safe_next
from web.state import get_state
from web.templating import render
from web.users import User

log = logging.getLogger("lurewatch.web")

# Pages are for people; the OpenAPI schema describes only /api.
router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
MAX_PAGE = 500  # deep paging costs the index more than anyone reads; refine the query instead
MAX_QUERY_CHARS = 500
AD_ID_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"
FACET_TITLES = {
    "status": "Status",
    "site": "Site",
    "flagged": "Flagged",
    "indicator": "Indicator",
    "lang": "Language",
}
FILTER_KEYS = tuple(FACET_TITLES)
# The ad text is capped at crawl time; this guards the page against a store filled otherwise.
MAX_SHOWN_CHARS = 200_000
_STATUSES: dict[str, Status] = {"live": "live", "removed": "removed"}


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    site: str = ""
    flagged: str = ""
    indicator: str = ""
    lang: str = ""
    status: str = ""
    page: int = 1

    def filters(self) -> SearchFilters:
        return SearchFilters(
            site=self.site or None,
            flagged={"true": True, "false": False}.get(self.flagged),
            indicator=self.indicator or None,
            lang=self.lang or None,
            status=_STATUSES.get(self.status),
        )

    def query_string(self) -> str:
        pairs = [(k, str(v)) for k, v in asdict(self).items() if v and not (k == "page" and v == 1)]
        return urlencode(pairs)

    def url(self, **changes: str | int) -> str:
        """This search with ``changes`` applied; back to page 1 unless a page is given."""
        changed = replace(self, **{"page": 1, **changes})  # type: ignore[arg-type]
        query = changed.query_string()
        return "/?" + query if query else "/"

    def toggle(self, key: str, value: str) -> str:
        """The link a facet value carries: select it, or clear it when already selected."""
        return self.url(**{key: "" if getattr(self, key) == value else value})

    def active_filters(self) -> list[tuple[str, str]]:
        return [(k, getattr(self, k)) for k in FILTER_KEYS if getattr(self, k)]

    @classmethod
    def from_query_string(cls, raw: str) -> SearchParams:
        """Rebuilds a search from the ``back`` link of an ad page, keeping only known keys."""
        values: dict[str, str | int] = {}
        for key, value in parse_qsl(raw[:2000]):
            if key == "status":
                values[key] = value if value in _STATUSES else ""
            elif key in ("q", *FILTER_KEYS):
                values[key] = value[:MAX_QUERY_CHARS]
            elif key == "page" and value.isdigit():
                values[key] = min(max(int(value), 1), MAX_PAGE)
        return cls(**values)  # type: ignore[arg-type]


def filter_chip(key: str, value: str) -> str:
    """What an active filter reads as: "Site: carib-jobs", or just "Flagged"."""
    label = facet_label(key, value)
    return label if key in ("flagged", "status") else f"{FACET_TITLES[key]}: {label}"


def facet_label(key: str, value: str) -> str:
    if key == "flagged":
        return {"true": "Flagged", "false": "Not flagged"}.get(value, value)
    if key == "status":
        return {"live": "Live", "removed": "Removed"}.get(value, value)
    if key == "indicator":
        return value.replace("_", " ")
    return value


@router.get("/login", name="login_form")
def login_form(request: Request, next: Annotated[str, Query(max_length=2000)] = "/") -> Response:
    if session_user(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next), "error": "", "name": ""})


@router.post("/login", name="login")
def login(
    request: Request,
    name: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    target = safe_next(next)
    if not csrf_ok(request.session, csrf_token):
        return render(
            request,
            "login.html",
            {"next": target, "name": name, "error": "The form expired. Please log in again."},
            status_code=403,
        )
    state = get_state(request)
    key = name.strip().lower()
    if state.throttle.blocked(key):
        log.warning("login refused for %r: too many failures", key)
        return render(
            request,
            "login.html",
            {
                "next": target,
                "name": name,
                "error": "Too many failed attempts for this name. Wait five minutes and retry.",
            },
            status_code=429,
        )
    user = state.users.authenticate(key, password)
    if user is None:
        state.throttle.failed(key)
        log.info("failed login for %r", key)
        return render(
            request,
            "login.html",
            {"next": target, "name": name, "error": "Wrong user name or password."},
            status_code=401,
        )
    state.throttle.succeeded(key)
    log_in(request, user)
    log.info("login: %s (%s)", user.name, user.role)
    return RedirectResponse(target, status_code=303)


@router.post("/logout", name="logout")
def logout(
    request: Request,
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = "",
) -> Response:
    if not csrf_ok(request.session, csrf_token):
        return render(
            request,
            "error.html",
            {"title": "Form expired", "message": "The form expired. Reload the page and retry."},
            status_code=403,
        )
    log_out(request)
    return RedirectResponse("/login", status_code=303)


@router.get("/", name="search")
def search_page(
    request: Request,
    user: Annotated[User, Depends(require_page_user)],
    q: Annotated[str, Query(max_length=MAX_QUERY_CHARS)] = "",
    site: Annotated[str, Query(max_length=200)] = "",
    flagged: Literal["", "true", "false"] = "",
    indicator: Annotated[str, Query(max_length=200)] = "",
    lang: Annotated[str, Query(max_length=16)] = "",
    status: Literal["", "live", "removed"] = "",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    params = SearchParams(q.strip(), site, flagged, indicator, lang, status, page)
    error = ""
    result = None
    index = get_state(request).index
    try:
        result = index.search(
            params.q, params.filters(), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
    except QueryError as exc:
        error = str(exc)
    pages = 0
    if result is not None:
        pages = min(MAX_PAGE, (result.total + PAGE_SIZE - 1) // PAGE_SIZE)
    context = {
        "params": params,
        "result": result,
        "error": error,
        "pages": pages,
        "page_size": PAGE_SIZE,
        "facet_titles": FACET_TITLES,
        "facet_label": facet_label,
        "filter_chip": filter_chip,
        "back": params.query_string(),
        "index_outdated": bool(index.outdated),
    }
    return render(request, "search.html", context, status_code=400 if error else 200)


@router.get("/ads/{ad_id}", name="ad")
def ad_page(
    request: Request,
    user: Annotated[User, Depends(require_page_user)],
    ad_id: Annotated[str, Path(pattern=AD_ID_PATTERN)],
    back: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    store = get_state(request).store
    stored = store.get(ad_id)
    if stored is None:
        return render(
            request,
            "error.html",
            {"title": "Ad not found", "message": f"No ad with id {ad_id} is stored."},
            status_code=404,
        )
    ad = stored.ad
    truncated = len(ad.text) > MAX_SHOWN_CHARS
    if truncated:
        ad = replace(ad, text=ad.text[:MAX_SHOWN_CHARS])
    previous = SearchParams.from_query_string(back)
    marked = mark_ad(ad)
    history = store.history(ad_id)
    context = {
        "stored": stored,
        "ad": ad,
        "marked": marked,
        "labels": {i.code: i.label for i in marked.indicators},
        "truncated": truncated,
        "linkable": is_web_url(ad.url),
        "back_url": previous.url(page=previous.page),
        "versions": version_views(history),
        "versions_hidden": max(0, len(history) - MAX_VERSIONS_SHOWN),
        "events": event_views(store.events(ad_id)),
        "why": explain_ad(ad),
    }
    return render(request, "ad.html", context)
