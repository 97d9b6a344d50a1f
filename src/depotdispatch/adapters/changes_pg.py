"""LISTEN on PostgreSQL: NOTIFYs sent inside writing transactions reach this worker's hub on commit."""

from __future__ import annotations

import logging

import psycopg

from depotdispatch.adapters.changes import CHANNEL, ChangeHub, ListenerThread
from depotdispatch.adapters.db.engine import normalise_url

log = logging.getLogger(__name__)


class PgListener(ListenerThread):
    """One thread per process with its own autocommit connection; reconnects when the server goes away."""

    name = "pg-listen"

    def __init__(self, database_url: str, hub: ChangeHub) -> None:
        self.url = normalise_url(database_url).replace("postgresql+psycopg://", "postgresql://")
        super().__init__(hub)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            self.hub.publish_text(note.payload)
            except psycopg.Error as exc:
                self.listening.clear()
                log.warning("change feed: LISTEN connection lost (%s); retrying", exc)
                self._stop.wait(1.0)
