"""Live updates: Server-Sent Events from the change feed (services/changes.py) to open pages."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from sse_starlette import EventSourceResponse

from depotdispatch.web.deps import WebUser

router = APIRouter(include_in_schema=False)
READING_GAP_S = 0.4  # at most this much later for a reading: the live update stays under a second


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
            async for change in coalesced(queue):
                yield {"event": "change", "data": json.dumps(change, default=str)}
        finally:
            hub.unsubscribe(queue)

    return EventSourceResponse(events(), ping=15, headers={"Cache-Control": "no-store"})


async def coalesced(queue: asyncio.Queue[dict[str, Any]], gap_s: float = READING_GAP_S
                    ) -> AsyncIterator[dict[str, Any]]:
    """The changes to send: every change but readings at once; readings (a bus every few seconds, tens a
    second at a big depot) at most one per `gap_s`, the last standing for those that came meanwhile, so
    open boards reload once for all of them instead of once each."""
    loop = asyncio.get_running_loop()
    sent = -gap_s
    while True:
        batch = [await queue.get()]
        if batch[0].get("kind") == "reading" and loop.time() - sent < gap_s:
            await asyncio.sleep(gap_s - (loop.time() - sent))
        while not queue.empty():
            batch.append(queue.get_nowait())
        readings = [c for c in batch if c.get("kind") == "reading"]
        for change in [c for c in batch if c.get("kind") != "reading"] + readings[-1:]:
            yield change
        sent = loop.time()
