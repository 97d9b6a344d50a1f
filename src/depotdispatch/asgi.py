"""The composition root of the server: the API under /api/v1, the web pages, static files, security headers.

`api` and `web` never import each other; this module joins them. Web routers go in `WEB_ROUTERS`:
each gets the CSRF check, so a form added later is protected by default.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from depotdispatch import __version__
from depotdispatch.adapters.clock import Clock
from depotdispatch.api import app as api
from depotdispatch.api.guard import error_reference
from depotdispatch.bootstrap import App
from depotdispatch.config import Settings
from depotdispatch.domain.errors import DomainError
from depotdispatch.web import (
    audit,
    auth,
    blocks,
    board,
    kpi,
    late,
    live,
    pullout,
    recommend,
    schedules,
    sheet,
    telemetry,
    timeline,
    yard,
)
from depotdispatch.web import deps as web_deps
from depotdispatch.web import errors as web_errors

STATIC = Path(__file__).parent / "web" / "static"
WEB_ROUTERS: list[APIRouter] = [yard.router, auth.router, board.router, live.router, audit.router, recommend.router,
                                 blocks.router, late.router, sheet.router, timeline.router, schedules.router,
                                 pullout.router, kpi.router, telemetry.router]

# Scripts and styles only from our own origin (vendored files): no inline script, no CDN.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
HEADERS = (
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "same-origin"),
    ("cross-origin-opener-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=()"),
)


class SecurityHeaders:
    """Adds the headers to every response that does not set its own (pure ASGI: streams pass through)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"
        static = scope.get("path", "").startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS:
                    if name not in headers:
                        headers[name] = value
                if not static and "cache-control" not in headers:
                    headers["cache-control"] = "no-store"  # dispatch data on shared screens: never cached
                if https:
                    headers["strict-transport-security"] = "max-age=31536000"
                if "server" in headers:
                    del headers["server"]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _errors_in_the_callers_language(server: FastAPI) -> None:
    """The API answers problem+json; a page gets a readable page or, for htmx, a partial."""
    api_handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = dict(server.exception_handlers)

    def is_api(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    async def on_domain(request: Request, exc: Exception) -> Response:
        if is_api(request):
            return await api_handlers[DomainError](request, exc)
        assert isinstance(exc, DomainError)
        return await web_errors.domain_error(request, exc)

    async def on_http(request: Request, exc: Exception) -> Response:
        if is_api(request):
            return await api_handlers[StarletteHTTPException](request, exc)
        assert isinstance(exc, StarletteHTTPException)
        return await web_errors.http_error(request, exc.status_code, str(exc.detail))

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        if is_api(request):
            return await api_handlers[Exception](request, exc)
        return await web_errors.unexpected(request, error_reference(request.scope, exc))

    async def on_invalid(request: Request, exc: Exception) -> Response:
        if is_api(request):
            return await api_handlers[RequestValidationError](request, exc)
        return await web_errors.invalid_form(request, exc)

    server.add_exception_handler(RequestValidationError, on_invalid)
    server.add_exception_handler(DomainError, on_domain)
    server.add_exception_handler(StarletteHTTPException, on_http)
    server.add_exception_handler(Exception, on_unexpected)


async def _page_error(scope: Scope, receive: Receive, send: Send, reference: str) -> None:
    """The web's 500 page for an error the API's guard caught on a page request (a page gets a page)."""
    response = await web_errors.unexpected(Request(scope, receive), reference)
    await response(scope, receive, send)


def create_app(app: App | None = None) -> FastAPI:
    """The whole server for one App; without one, from the environment (uvicorn's factory)."""
    if app is None:
        settings = Settings.from_env()
        # the serving process (uvicorn's factory): boards' predictable work off the request path
        app = App(database_url=settings.database_url, clock=Clock.from_text(settings.now), settings=settings,
                  background_boards=True)
    settings = app.settings
    server = FastAPI(title="depotdispatch", version=__version__, openapi_url=None, docs_url=None, redoc_url=None)
    server.state.dd = app  # the OpenAPI document and docs are served behind sign-in by the API router
    api.install(server, page_error=_page_error)
    web_deps.install(server)
    _errors_in_the_callers_language(server)
    for router in WEB_ROUTERS:
        server.include_router(router, dependencies=[Depends(web_deps.check_csrf)])
    if STATIC.is_dir():
        server.mount("/static", StaticFiles(directory=STATIC), name="static")

    @server.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    if settings.cors_origins:  # off unless configured
        server.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
                              allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                              allow_headers=["Authorization", "Content-Type", "If-Match"], expose_headers=["ETag"])
    server.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)
    server.add_middleware(SecurityHeaders)
    return server
