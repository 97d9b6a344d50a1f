"""Readings from MQTT, actuals and yard changes reach open pages through the change feed, on both backends
(on PostgreSQL from another worker's connection: NOTIFY in the writing transaction, LISTEN in the reader)."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from depotdispatch.adapters.clock import Clock
from depotdispatch.bootstrap import App
from depotdispatch.domain.charging_plan import Charger
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.telemetry import parse_message
from depotdispatch.services import depots, fleet, telemetry, yard
from tests.helpers import NOW

EV = VehicleType("XE", "bev", usable_kwh=400, kwh_per_km=1.3, charge_kw=150)


def test_telemetry_and_yard_changes_are_announced_after_commit(db_url: str) -> None:
    writer, reader = App(db_url, Clock(NOW)), App(db_url, Clock(NOW))
    depots.add_depot(writer.uow(), Depot("L", "L", "UTC"), NOW)
    fleet.import_fleet(writer.uow(), "L", [FleetEntry(1, "E1", EV)])
    if writer.engine.dialect.name == "sqlite":
        reader = writer  # one node: the in-process hub is the feed

    async def scenario() -> list[dict]:
        await asyncio.to_thread(reader.listen_for_changes)
        queue = reader.changes.subscribe("L")

        def write() -> None:
            at = (NOW - timedelta(minutes=1)).isoformat()
            raw = json.dumps({"soc_pct": 70, "measured_at": at}).encode()
            msg = parse_message("depots/L/vehicles/E1/telemetry", raw)
            telemetry.take_telemetry(writer.uow(), [msg], NOW)
            yard.import_chargers(writer.uow(), "L", [Charger("C1", 150)], NOW, "t")
            yard.set_spot(writer.uow(), "L", "E1", bay="4", lane=None, lane_order=None, now=NOW, actor="t")

        await asyncio.to_thread(write)
        got = [await asyncio.wait_for(queue.get(), 5) for _ in range(3)]
        return got

    try:
        with ThreadPoolExecutor(1) as pool:
            got = pool.submit(asyncio.run, scenario()).result()
    finally:
        writer.close()
        if reader is not writer:
            reader.close()
    assert [(c["depot_id"], c["kind"]) for c in got] == [("L", "reading"), ("L", "yard"), ("L", "yard")]
    assert got[2]["vehicle_id"] == "E1"
