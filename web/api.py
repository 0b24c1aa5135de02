"""The JSON API under /api: the same search and ads as the pages, for scripts and exports."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyCookie
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from index.scores import history as score_history
from index.search import QueryError, SearchFilters
from web.auth import require_api_user, require_page_user
from web.pages import AD_ID_PATTERN, MAX_QUERY_CHARS
from web.state import get_state
from web.templating import render
from web.users import User

SESSION_COOKIE = "lurewatch_session"
MAX_LIMIT = 100
MAX_OFFSET = 10_000


class SafeJSONResponse(JSONResponse):
    """JSON with ``<``, ``>`` and ``&`` written as ``\\u`` escapes: still the same strings once
    parsed, but a response that some client renders as HTML cannot carry live markup."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        return text.encode("utf-8")


class ErrorOut(BaseModel):
    detail: str


class HitOut(BaseModel):
    id: str
    url: str
    title: str
    site: str
    lure_score: float | None = Field(description="Probability of a lure, 0-1; null if unscored")
    flagged: bool
    indicators: list[str] = Field(description="Indicator codes")
    fetched_at: str
    highlight: str = Field(
        description="HTML-safe fragment of the ad text: escaped, with <mark> around matches"
    )
    first_seen: str
    last_seen: str
    removed_at: str | None = Field(description="When the ad was found gone; null while live")


class FacetOut(BaseModel):
    value: str
    count: int


class SearchOut(BaseModel):
    total: int
    hits: list[HitOut]
    facets: dict[str, list[FacetOut]] = Field(
        description='Counts per value for "site", "flagged" ("true"/"false"), "indicator",'
        ' "lang", "status" ("live"/"removed")'
    )


class EvidenceOut(BaseModel):
    text: str
    start: int
    end: int
    field: str = Field(description='"text" or "title": what start/end index into')


class IndicatorOut(BaseModel):
    code: str
    label: str
    evidence: list[EvidenceOut]


class TermOut(BaseModel):
    term: str = Field(description="A word, a two-word phrase or an indicator feature")
    weight: float = Field(description="Share of the model's log-odds; > 0 towards a lure")
    start: int | None = Field(description="First occurrence in the ad text; null if not placed")
    end: int | None
    kind: str = Field(description='"word", "phrase" or "indicator"')


class EntityOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str = Field(description="phone, handle, email, wage, age, place...")
    value: str = Field(description="Normalised: E.164 for phones, name@domain for emails")
    start: int = Field(description="Offsets into the ad text")
    end: int
    text: str = Field(description="The words read")


class CaptureOut(BaseModel):
    kind: str = Field(description="manifest | warc | dom | screenshot")
    sha256: str
    path: str = Field(description="Relative to the evidence folder; download at /evidence/{sha256}")
    size: int


class VersionOut(BaseModel):
    version: int
    fetched_at: str
    body_sha256: str
    content_sha256: str = Field(description="SHA-256 of the content fields: equal, same ad")
    changed: list[str] = Field(description="Content fields changed since the version before")
    captures: list[CaptureOut]


class EventOut(BaseModel):
    at: str
    kind: str = Field(description='"removed" or "reappeared"')
    reason: str
    http_status: int | None
    captures: list[CaptureOut]


class AdOut(BaseModel):
    # Fields the store adds later pass through unchanged.
    model_config = ConfigDict(extra="allow")

    id: str
    url: str
    site: str
    title: str
    text: str
    extraction: str
    employer: str
    location: str
    salary: str
    date_posted: str
    lang: str
    fetched_at: str
    http_status: int
    rendered: bool
    body_sha256: str
    lure_score: float | None
    flagged: bool
    indicators: list[IndicatorOut]
    model_version: str
    structured: dict[str, Any]
    captures: list[CaptureOut] = Field(description="Evidence of the last capture")
    top_terms: list[TermOut] = Field(
        default_factory=list, description="What pushed the score, towards a lure first"
    )
    entities: list[EntityOut] = Field(default_factory=list)
    first_seen: str
    last_seen: str
    removed_at: str | None = Field(description="When the ad was found gone; null while live")
    removal_reason: str = Field(description='e.g. "http 404"; empty while live')
    versions: list[VersionOut] = Field(description="Every kept version, oldest first")
    events: list[EventOut] = Field(description="Removals and reappearances, oldest first")


class HealthOut(BaseModel):
    status: str
    ads: int
    flagged: int
    removed: int
    indexed: int


_session_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description="The session cookie set by logging in at /login.",
)


def api_user(request: Request, _cookie: Annotated[str | None, Depends(_session_cookie)]) -> User:
    return require_api_user(request)


_UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Not logged in"}
}

router = APIRouter(
    prefix="/api",
    tags=["api"],
    default_response_class=SafeJSONResponse,
    dependencies=[Depends(api_user)],
    responses=_UNAUTHORIZED,
)


@router.get(
    "/search",
    summary="Search ads",
    response_model=SearchOut,
    responses={400: {"model": ErrorOut, "description": "The query cannot be parsed"}},
)
def api_search(
    request: Request,
    q: Annotated[str, Query(max_length=MAX_QUERY_CHARS, description="Full-text query")] = "",
    site: Annotated[str | None, Query(max_length=200)] = None,
    flagged: bool | None = None,
    indicator: Annotated[str | None, Query(max_length=200, description="Indicator code")] = None,
    lang: Annotated[str | None, Query(max_length=16)] = None,
    status: Annotated[
        Literal["live", "removed"] | None,
        Query(description="live or removed ads only; default: both"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Any:
    """Full-text search over every stored ad; an empty query lists all, most risky first."""
    filters = SearchFilters(
        site=site or None,
        flagged=flagged,
        indicator=indicator or None,
        lang=lang or None,
        status=status,
    )
    try:
        result = get_state(request).index.search(q.strip(), filters, limit=limit, offset=offset)
    except QueryError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    return {
        "total": result.total,
        "hits": [hit.to_json() for hit in result.hits],
        "facets": {
            key: [{"value": f.value, "count": f.count} for f in values]
            for key, values in result.facets.items()
        },
    }


@router.get(
    "/ads/{ad_id}",
    summary="One ad",
    response_model=AdOut,
    responses={404: {"model": ErrorOut, "description": "No such ad"}},
)
def api_ad(request: Request, ad_id: Annotated[str, Path(pattern=AD_ID_PATTERN)]) -> Any:
    """One stored ad as last captured and classified, with when it was first and last seen,
    whether it was removed, and its history: versions (without their text) and events."""
    store = get_state(request).store
    stored = store.get(ad_id)
    if stored is None:
        raise HTTPException(status_code=404, detail=f"no ad with id {ad_id}")
    data = stored.ad.to_dict()
    data.update(
        first_seen=stored.first_seen,
        last_seen=stored.last_seen,
        removed_at=stored.removed_at,
        removal_reason=stored.removal_reason,
        versions=[v.summary() for v in store.history(ad_id)],
        events=[e.to_dict() for e in store.events(ad_id)],
        scores=[s.to_dict() for s in score_history(store.engine, ad_id)],
    )
    return data


@router.get("/health", response_model=HealthOut, summary="Health")
def api_health(request: Request) -> Any:
    """Counts of stored, flagged and indexed ads; answers only when the database does."""
    state = get_state(request)
    return {
        "status": "ok",
        "ads": state.store.count(),
        "flagged": state.store.count(flagged=True),
        "removed": state.store.count(removed=True),
        "indexed": state.index.count(),
    }


@router.get("/openapi.json", include_in_schema=False)
def api_openapi(request: Request) -> Any:
    return request.app.openapi()


# The docs are a page (login redirect, not 401), rendered here without Swagger's CDN scripts.
docs_router = APIRouter()


@docs_router.get("/api/docs", include_in_schema=False)
def api_docs(request: Request, user: Annotated[User, Depends(require_page_user)]) -> Response:
    schema = request.app.openapi()
    operations = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": op.get("parameters", []),
                    "responses": op.get("responses", {}),
                }
            )
    return render(request, "api_docs.html", {"operations": operations, "info": schema["info"]})
