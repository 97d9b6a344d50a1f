"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from depotdispatch.api.guard import internal_error
from depotdispatch.domain.errors import Conflict, DomainError, NotFound
from depotdispatch.domain.identity import NotAllowed, NotAuthenticated, SignInRefused

TYPE_BASE = "https://depotdispatch.org/problems/"
MEDIA_TYPE = "application/problem+json"


class Problem(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None


def status_for(exc: DomainError) -> int:
    if isinstance(exc, NotAuthenticated):
        return 401
    if isinstance(exc, NotAllowed):
        return 403
    if isinstance(exc, SignInRefused):
        return 429 if exc.retry_after else 401
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    return 422


MAX_ECHO = 300  # a problem quotes at most this much of what it was sent


def short(text: str, limit: int = MAX_ECHO) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text):,} characters)"


def problem(status: int, slug: str, title: str, detail: str, instance: str | None = None,
            **extra: Any) -> JSONResponse:
    extra = {k: (short(v) if isinstance(v, str) else v) for k, v in extra.items() if v is not None}
    if isinstance(extra.get("problems"), list):
        extra["problems"] = extra["problems"][:100]
    body = {"type": TYPE_BASE + slug, "title": title, "status": status, "detail": short(detail),
            "instance": short(instance) if instance else instance, **extra}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


def _hint(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    if kind.startswith("date_"):
        return f"{error.get('msg')}; give a date of the form YYYY-MM-DD"
    if kind.startswith("datetime_"):
        return f"{error.get('msg')}; give an ISO 8601 time with an offset, e.g. 2026-03-29T06:30:00+02:00"
    return str(error.get("msg"))


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        response = problem(status_for(exc), exc.slug, exc.title, exc.detail, request.url.path, file=exc.file,
                           row=exc.row, column=exc.column, **exc.extra)
        if isinstance(exc, NotAuthenticated):
            response.headers["WWW-Authenticate"] = 'Bearer realm="depotdispatch"'
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": [short(str(p), 100) for p in e.get("loc", ())], "msg": short(_hint(e)),
                   "type": e.get("type")} for e in exc.errors()[:20]]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"] if p not in ("body", "query", "path"))
        return problem(422, "invalid-request", "Invalid request", f"{where}: {first['msg']}" if where
                       else str(first["msg"]), request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = {404: "not-found", 405: "method-not-allowed", 413: "too-large"}.get(exc.status_code, "http-error")
        response = problem(exc.status_code, slug, str(exc.detail), str(exc.detail), request.url.path)
        for k, v in (exc.headers or {}).items():
            response.headers[k] = v
        if exc.status_code == 405:  # every method of the path, not only those of the first route matched
            response.headers["Allow"] = ", ".join(sorted(_allowed(request)))
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return problem(500, "internal-error", "Internal error", internal_error(request.scope, exc), request.url.path)


def _routes(routes: Any) -> Any:
    for route in routes:  # FastAPI keeps included routers as branches
        if hasattr(route, "effective_candidates"):
            yield from _routes(route.effective_candidates())
        else:
            yield getattr(route, "starlette_route", None) or route


def _allowed(request: Request) -> set[str]:
    methods: set[str] = set()
    for route in _routes(request.app.router.routes):
        match, _ = route.matches({**request.scope, "method": "__none__"})
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    if "GET" in methods:
        methods.add("HEAD")
    return methods


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {MEDIA_TYPE: {}}, "description": desc}
    for code, desc in ((400, "Bad request"), (401, "Not signed in, or the token is unknown, revoked or expired"),
                       (403, "Signed in, but the role does not allow this"), (404, "Not found"), (409, "Conflict"),
                       (413, "Request body too large"), (422, "Invalid input"), (500, "Internal error"))
}
