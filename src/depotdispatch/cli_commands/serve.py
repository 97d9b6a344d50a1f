from __future__ import annotations

import os
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from depotdispatch import cli
from depotdispatch.domain.errors import InvalidInput


def serve(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1)] = 1,
) -> None:
    """Serve the API (and pages) with uvicorn."""
    import uvicorn

    url = cli.state.app.database_url
    if workers > 1 and make_url(url).get_backend_name() == "sqlite":
        raise InvalidInput("SQLite is one writer on one node: run one worker, or use PostgreSQL for several")
    os.environ["DEPOTDISPATCH_DATABASE_URL"] = url
    if cli.state.app.clock.fixed is not None:
        os.environ["DEPOTDISPATCH_NOW"] = cli.state.app.clock.fixed.isoformat()
    import gc

    gc.freeze()  # start-up objects never die: keep full collections from walking them (board p90)
    uvicorn.run("depotdispatch.api.app:create_app", factory=True, host=host, port=port, workers=workers)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
