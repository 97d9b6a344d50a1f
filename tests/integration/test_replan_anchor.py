"""A re-plan keeps to what the dispatcher was last shown where that still holds (DESIGN §12b, stable): a block with
no bus keeps the last recommendation's bus, so asking again on an unchanged day does not reshuffle it."""

from __future__ import annotations

from datetime import timedelta

from depotdispatch.domain.readings import SocReading
from depotdispatch.services import readings
from tests.helpers import run_cli
from tests.integration.test_plan import NOW, day  # noqa: F401  (the day fixture)


def _json(db_url: str, *args: str, now=NOW) -> dict:
    r = run_cli(db_url, "plan", *args, "--depot", "V", "--date", "2026-11-25", "--json", now=now.isoformat())
    assert r.code == 0, r.stderr
    return r.json()


def test_a_replan_keeps_the_recommendations_bus_on_a_block_with_no_bus(app, day, db_url) -> None:  # noqa: F811
    shown = {p["block_id"]: p["vehicle_id"] for p in _json(db_url, "recommend")["proposals"]}
    assert shown == {"A": "E1", "B": "E3", "C": "E1", "LONG": "D1"}
    # E2 charged up and E3 topped off: every shown proposal still holds, but a re-plan planned afresh gave all
    # three EV blocks to other buses (A to E2, B to E1, C to E3)
    later = NOW + timedelta(minutes=5)
    readings.add_readings(app.uow(), [(1, SocReading("E2", 70, later, "telematics")),
                                      (2, SocReading("E3", 100, later, "telematics", plugged_in=True))], later)
    doc = _json(db_url, "replan", now=later)
    moved = {m["block_id"]: m["to_vehicle"] for m in doc["moves"] if m["from_vehicle"] is None}
    assert moved == shown, (moved, shown)
    assert {p["block_id"]: p["vehicle_id"] for p in _json(db_url, "recommend", now=later)["proposals"]} == shown
    again = _json(db_url, "replan", now=later + timedelta(minutes=5))
    assert again["moves"] == doc["moves"]
