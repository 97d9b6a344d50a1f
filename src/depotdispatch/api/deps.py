"""Dependencies: the composition root's App, and the time a request is about."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request

from depotdispatch.bootstrap import App
from depotdispatch.domain.servicetime import parse_instant


def get_app(request: Request) -> App:
    # A safe request never writes, so on SQLite it must not queue behind (or block) the writers.
    dd: App = request.app.state.dd
    return dd.reading() if request.method in ("GET", "HEAD") else dd


AppDep = Annotated[App, Depends(get_app)]


def request_now(app: AppDep, now: Annotated[str | None, Query(
        description="The time the answer is about, ISO 8601 with offset; default: the server's clock.")] = None
                ) -> datetime:
    return parse_instant(now) if now else app.clock.now()


NowDep = Annotated[datetime, Depends(request_now)]
