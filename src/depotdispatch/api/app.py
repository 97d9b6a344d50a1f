"""The API: its router under /api/v1 (every route behind `authorize`), its problem handlers, its docs.

The FastAPI application itself is made by the composition root, `depotdispatch.asgi`.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from depotdispatch.api import problems
from depotdispatch.api.deps import Viewer, authorize
from depotdispatch.api.guard import Guard, PageError
from depotdispatch.api.routes import allowances, blocks, board, kpi, plan, readings, sheets, telemetry, yard

PREFIX = "/api/v1"
OPENAPI_URL = PREFIX + "/openapi.json"
SWAGGER = "/static/vendor"  # swagger-ui-dist, vendored with the web app's files (scripts/vendor.sh)
DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
DOCS_HTML = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>depotdispatch API</title>
<link rel="stylesheet" href="{SWAGGER}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{SWAGGER}/swagger-ui-bundle.js"></script>
<script src="{PREFIX}/docs/start.js"></script></body></html>
"""
DOCS_JS = f'SwaggerUIBundle({{url: "{OPENAPI_URL}", dom_id: "#swagger-ui", deepLinking: true}});\n'


def api_router() -> APIRouter:
    """Every route of the API, closed by default: `authorize` runs before any of them."""
    api = APIRouter(prefix=PREFIX, dependencies=[Depends(authorize)])
    for module in (board, readings, plan, sheets, blocks, kpi, telemetry, yard, allowances):
        api.include_router(module.router)

    @api.get("/openapi.json", include_in_schema=False)
    def openapi(request: Request, _: Viewer) -> JSONResponse:
        return JSONResponse(request.app.openapi())

    @api.get("/docs", include_in_schema=False)
    def docs(_: Viewer) -> HTMLResponse:
        # Swagger UI from our own vendored files (no CDN), no inline script
        return HTMLResponse(DOCS_HTML, headers={"Content-Security-Policy": DOCS_CSP})

    @api.get("/docs/start.js", include_in_schema=False)
    def docs_js(_: Viewer) -> Response:
        return Response(DOCS_JS, media_type="text/javascript")

    return api


def install(app: FastAPI, page_error: PageError | None = None) -> None:
    """Problem details for every error, and the API routes. `page_error` draws the 500 of a page request."""
    problems.install(app)
    # bodies capped before they are read, 500s keep the connection
    app.add_middleware(Guard, page_error=page_error)
    app.include_router(api_router())
