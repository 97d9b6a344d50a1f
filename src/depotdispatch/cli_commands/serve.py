from __future__ import annotations

import os
from typing import Annotated

import typer

from depotdispatch.cli_commands import support as cli
from depotdispatch.config import check_serving


def serve(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1)] = 1,
) -> None:
    """Serve the API and the web pages with uvicorn (behind a TLS proxy when not on loopback)."""
    import uvicorn

    app = cli.state.app
    check_serving(app.settings, host, workers, app.database_url)
    os.environ["DEPOTDISPATCH_DATABASE_URL"] = app.database_url
    if app.clock.fixed is not None:
        os.environ["DEPOTDISPATCH_NOW"] = app.clock.fixed.isoformat()
    import gc

    gc.freeze()  # start-up objects never die: keep full collections from walking them (board p90)
    # the client address and https come from X-Forwarded-* only when a trusted proxy sends them
    uvicorn.run("depotdispatch.asgi:create_app", factory=True, host=host, port=port, workers=workers,
                server_header=False, proxy_headers=True,
                forwarded_allow_ips=",".join(app.settings.trusted_proxies) or "127.0.0.1")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
