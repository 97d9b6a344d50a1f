"""SQLite across processes: a thread polls the change feed table (written inside each writer's transaction,
adapters/db/uow.py) and publishes what other processes committed to this process's hub. PostgreSQL uses
LISTEN/NOTIFY instead (changes_pg.py).

`PRAGMA data_version` on the poller's own connection changes only when another connection committed, so
an idle poll costs one pragma, not a query."""

from __future__ import annotations

import logging
import sqlite3

from depotdispatch.adapters.changes import ChangeHub, ListenerThread

log = logging.getLogger(__name__)


class SqlitePoller(ListenerThread):
    name = "sqlite-changes"

    def __init__(self, path: str, hub: ChangeHub, interval_s: float = 0.1) -> None:
        self.path = path
        self.interval_s = interval_s
        super().__init__(hub)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                try:
                    conn.execute("PRAGMA query_only=ON")
                    conn.execute("PRAGMA busy_timeout=2000")
                    last = conn.execute("SELECT coalesce(max(change_id), 0) FROM change_feed").fetchone()[0]
                    seen = conn.execute("PRAGMA data_version").fetchone()[0]
                    self.listening.set()
                    while not self._stop.wait(self.interval_s):
                        now = conn.execute("PRAGMA data_version").fetchone()[0]
                        if now == seen:
                            continue
                        seen = now
                        rows = conn.execute("SELECT change_id, origin, payload FROM change_feed WHERE change_id > ? "
                                            "ORDER BY change_id", (last,)).fetchall()
                        for change_id, origin, payload in rows:
                            last = change_id
                            if origin != self.hub.origin:  # ours were published when we committed
                                self.hub.publish_text(payload)
                finally:
                    conn.close()
            except sqlite3.Error as exc:
                self.listening.clear()
                log.warning("change feed: polling %s failed (%s); retrying", self.path, exc)
                self._stop.wait(1.0)
