"""Live updates: readings are sent at most one per gap (the last standing for the rest), anything else at once."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from depotdispatch.web.live import coalesced


def test_readings_are_coalesced_and_other_changes_are_not() -> None:
    async def run() -> list[tuple[float, str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        got: list[tuple[float, str, Any]] = []
        t0 = loop.time()

        async def read() -> None:
            async for c in coalesced(queue, gap_s=0.2):
                got.append((loop.time() - t0, c["kind"], c.get("n")))

        task = asyncio.create_task(read())
        await queue.put({"kind": "reading", "n": 1})  # the first reading goes at once
        await asyncio.sleep(0.02)
        for n in range(2, 7):  # five more within the gap: one event, the last one
            await queue.put({"kind": "reading", "n": n})
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)
        await queue.put({"kind": "assignment", "n": 7})  # not a reading: at once
        await asyncio.sleep(0.05)
        task.cancel()
        return got

    # its own thread: a browser test earlier in the session leaves Playwright's loop running in this one
    with ThreadPoolExecutor(1) as pool:
        got = pool.submit(asyncio.run, run()).result()
    assert [(kind, n) for _, kind, n in got] == [("reading", 1), ("reading", 6), ("assignment", 7)]
    assert got[0][0] < 0.05 and 0.18 <= got[1][0] < 0.6  # the second waited for the gap (room for a busy machine)
