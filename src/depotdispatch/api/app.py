"""The FastAPI application: router assembly and the composition root's App on app.state."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from depotdispatch import __version__
from depotdispatch.adapters.clock import Clock
from depotdispatch.api import problems
from depotdispatch.api.guard import Guard
from depotdispatch.api.routes import blocks, board, kpi, plan, readings, sheets, telemetry, yard
from depotdispatch.bootstrap import App
from depotdispatch.config import Settings


def create_app(dd: App | None = None) -> FastAPI:
    if dd is None:
        settings = Settings.from_env()
        dd = App(database_url=settings.database_url, clock=Clock.from_text(settings.now))
    app = FastAPI(title="depotdispatch", version=__version__, openapi_url="/api/v1/openapi.json",
                  docs_url="/api/v1/docs", redoc_url=None)
    app.state.dd = dd
    problems.install(app)
    app.add_middleware(Guard)
    api = APIRouter(prefix="/api/v1")
    api.include_router(board.router)
    api.include_router(readings.router)
    api.include_router(plan.router)
    api.include_router(sheets.router)
    api.include_router(blocks.router)
    api.include_router(kpi.router)
    api.include_router(telemetry.router)
    api.include_router(yard.router)
    app.include_router(api)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
