"""Two API workers on one PostgreSQL: a reading stored through one reaches an SSE client of the other
(LISTEN/NOTIFY, DESIGN §8); and a reading from the MQTT worker reaches it too, and so do a yard change and an
actual made through the first (issue 14 item 7)."""

from __future__ import annotations

import json
import queue
import threading
from datetime import datetime, time, timedelta

import httpx
import pytest

from depotdispatch.adapters.clock import Clock
from depotdispatch.bootstrap import App
from depotdispatch.domain.telemetry import parse_message
from depotdispatch.services import telemetry
from tests.auth_helpers import PASSWORD, make_user, token_for
from tests.browser import world
from tests.browser.helpers import start_server


def _signed_in(url: str, name: str) -> httpx.Client:
    c = httpx.Client(base_url=url, timeout=10)
    page = c.get("/signin")
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    r = c.post("/signin", data={"name": name, "password": PASSWORD, "next": "/", "csrf_token": csrf})
    assert r.status_code in (200, 303), r.text
    return c


def test_a_reading_through_one_worker_reaches_the_sse_client_of_the_other(  # type: ignore[no-untyped-def]
        db_url: str, backend: str, tmp_path) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite is one worker on one node: there is no other worker")
    app = App(database_url=db_url, clock=Clock(world.NOW))
    world.seed(app, tmp_path)
    make_user(app, "dispatcher", [world.DEPOT], name="yard1")
    token = token_for(app, "admin")
    (url_a, proc_a), (url_b, proc_b) = (start_server(db_url, world.NOW.isoformat()),
                                        start_server(db_url, world.NOW.isoformat()))
    events: queue.Queue[dict[str, object]] = queue.Queue()
    try:
        web = _signed_in(url_b, "yard1")

        def listen() -> None:
            try:
                _listen()
            except httpx.HTTPError:
                pass  # the servers stop at the end of the test

        def _listen() -> None:
            with web.stream("GET", f"/events/stream?depot={world.DEPOT}", timeout=30) as r:
                kind = None
                for line in r.iter_lines():
                    if line.startswith("event:"):
                        kind = line.split(":", 1)[1].strip()
                        if kind == "ready":
                            events.put({"kind": "ready"})
                    elif line.startswith("data:") and kind == "change":
                        events.put(json.loads(line.split(":", 1)[1]))

        threading.Thread(target=listen, daemon=True).start()
        assert events.get(timeout=20) == {"kind": "ready"}
        at = (world.NOW - timedelta(minutes=1)).isoformat()
        r = httpx.post(url_a + "/api/v1/soc-readings", timeout=10, headers={"Authorization": f"Bearer {token}"},
                       json={"readings": [{"vehicle_id": "E2", "soc_pct": 57, "measured_at": at}]})
        assert r.status_code == 200 and r.json()["stored"] == 1, r.text
        change = events.get(timeout=10)
        assert change["kind"] == "reading"
        # the MQTT worker is a third process writing to the same database: its readings arrive the same way
        msg = parse_message(f"depots/{world.DEPOT}/vehicles/E1/telemetry",
                            json.dumps({"soc_pct": 71, "measured_at": at}).encode())
        telemetry.take_telemetry(app.uow(), [msg], world.NOW)
        change = events.get(timeout=10)
        assert (change["kind"], change["depot_id"]) == ("reading", world.DEPOT)
        # a yard change and an actual (issue 14 item 7: readings, actuals and yard changes) through worker A
        api = {"Authorization": f"Bearer {token}"}
        r = httpx.put(url_a + f"/api/v1/depots/{world.DEPOT}/yard/vehicles/E2/spot", timeout=10, headers=api,
                      json={"bay": "7", "lane": "B", "position": 1})
        assert r.status_code == 200, r.text
        change = events.get(timeout=10)
        assert (change["kind"], change["depot_id"], change.get("vehicle_id")) == ("yard", world.DEPOT, "E2")
        started = datetime.combine(world.DAY, time(6, 4), world.NOW.tzinfo).isoformat()
        r = httpx.put(url_a + f"/api/v1/depots/{world.DEPOT}/days/{world.DAY}/blocks/EARLY/actuals", timeout=10,
                      headers=api, json={"actual_start": started})
        assert r.status_code == 200, r.text
        change = events.get(timeout=10)
        assert (change["kind"], change["depot_id"], change.get("block_id")) == ("actual", world.DEPOT, "EARLY")
    finally:
        for p in (proc_a, proc_b):
            p.terminate()
            p.wait(10)
        app.close()
