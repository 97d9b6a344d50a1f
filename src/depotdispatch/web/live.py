"""Live updates: Server-Sent Events from the change feed (services/changes.py) to open pages."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from sse_starlette import EventSourceResponse

from depotdispatch.web.deps import WebUser

router = APIRouter(include_in_schema=False)


@router.get("/events/stream")
async def stream(request: Request, depot: str, user: WebUser) -> EventSourceResponse:
    """One `change` event per committed change of this depot; the page reloads the partials it shows."""
    dd = request.app.state.dd
    await asyncio.to_thread(dd.listen_for_changes)
    hub = dd.changes
    queue = hub.subscribe(depot)

    async def events() -> AsyncIterator[dict[str, str]]:
        try:
            yield {"event": "ready", "data": "{}"}
            while True:
                change = await queue.get()
                yield {"event": "change", "data": json.dumps(change, default=str)}
        finally:
            hub.unsubscribe(queue)

    return EventSourceResponse(events(), ping=15, headers={"Cache-Control": "no-store"})
