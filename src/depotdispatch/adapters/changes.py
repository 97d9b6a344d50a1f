"""The in-process change hub: what the SSE endpoint listens to.

On SQLite the unit of work publishes here after its commit; on PostgreSQL a LISTEN thread
(adapters/changes_pg.py) publishes what NOTIFY delivered, so every worker hears every commit.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from typing import Any

CHANNEL = "depotdispatch_changes"
EVERY_DEPOT = "*"  # a change whose depot the writer did not know (e.g. a batch of readings)


class ChangeHub:
    """Fan-out of change documents to asyncio queues, safe to publish from any thread."""

    def __init__(self, max_queue: int = 1000) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[dict[str, Any]], str]] = []
        self.max_queue = max_queue
        self.origin = uuid.uuid4().hex  # this process, on the rows of SQLite's change feed it wrote

    def subscribe(self, depot_id: str) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self.max_queue)
        with self._lock:
            self._subscribers.append((asyncio.get_running_loop(), queue, depot_id))
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        with self._lock:
            self._subscribers = [s for s in self._subscribers if s[1] is not queue]

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def publish(self, change: dict[str, Any]) -> None:
        depot = change.get("depot_id")
        with self._lock:
            targets = [(loop, q) for loop, q, d in self._subscribers
                       if depot in (d, EVERY_DEPOT) or depot is None]
        for loop, queue in targets:
            try:
                loop.call_soon_threadsafe(_put, queue, change)
            except RuntimeError:  # that subscriber's loop has closed
                self.unsubscribe(queue)

    def publish_text(self, payload: str) -> None:
        try:
            change = json.loads(payload)
        except ValueError:
            return  # not ours: someone else NOTIFYing on the channel
        if isinstance(change, dict):
            self.publish(change)


class ListenerThread:
    """A daemon thread that feeds a hub with other processes' changes until stopped; `listening` is set
    while it is connected. Subclasses give `_run`."""

    name = "changes"

    def __init__(self, hub: ChangeHub) -> None:
        self.hub = hub
        self._stop = threading.Event()
        self.listening = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        raise NotImplementedError


def _put(queue: asyncio.Queue[dict[str, Any]], change: dict[str, Any]) -> None:
    if queue.full():  # a slow client: drop the oldest, the page reloads its partial on any change
        queue.get_nowait()
    queue.put_nowait(change)
