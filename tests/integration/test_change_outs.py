"""Barrie in February (shared/data/gtfs): no EV runs the 255-414 km blocks on one charge. The diesels get
the blocks only a diesel can run, and the rest get change-out suggestions that the split accepts."""

from __future__ import annotations

from datetime import datetime

from depotdispatch.adapters.gtfs import read_gtfs
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.servicetime import parse_date
from depotdispatch.services import adhoc, days, depots, fleet, readings, recommendations, schedules
from tests.helpers import shared

DAY = parse_date("2026-02-18")
NOW = datetime.fromisoformat("2026-02-18T03:00:00-05:00")
# 660 kWh: at -8 degC heating costs ~23 kW (issue 10), so half a Barrie block needs a big battery
EV = VehicleType("E12", "bev", usable_kwh=660, kwh_per_km=1.2, vehicle_class="12m", charge_kw=150)
DSL = VehicleType("D12", "diesel", vehicle_class="12m")


def test_barrie_february_diesels_on_the_longest_blocks_and_change_outs_for_the_rest(app) -> None:
    depots.add_depot(app.uow(), Depot("BAR", "Barrie", "America/Toronto", temperature_c=-8), NOW)
    schedules.import_gtfs(app.uow(), "BAR", read_gtfs(shared("gtfs", "barrie_2026.zip")), NOW)
    days.setup_day(app.uow(), "BAR", DAY, NOW)
    entries = [FleetEntry(i + 1, f"E{i:02d}", EV) for i in range(30)] + \
              [FleetEntry(31 + i, f"D{i}", DSL) for i in range(3)]
    fleet.import_fleet(app.uow(), "BAR", entries)
    readings.add_readings(app.uow(), [(i, SocReading(f"E{i:02d}", 100, NOW, "telematics", plugged_in=True))
                                      for i in range(30)], NOW)
    result = recommendations.recommend(app.uow(), "BAR", DAY, NOW, actor="t")
    doc = result.as_dict()
    listed = {b.block_id: b for b, _ in days.day_blocks(app.uow(), "BAR", DAY, NOW).blocks}
    on_diesel = [p["block_id"] for p in doc["proposals"] if p["vehicle_id"].startswith("D")]
    ev_blocks = {p["block_id"] for p in doc["proposals"] if p["vehicle_id"].startswith("E")}
    long = sorted((b for b in listed.values() if b.block_id not in ev_blocks), key=lambda b: -(b.distance_km or 0))
    # the diesels run blocks no EV can (none of them is a block an EV was given or could have been)
    assert len(on_diesel) == 3 and all(listed[b].distance_km > 250 for b in on_diesel)
    assert all("only a non-EV can run it" in p["explanation"] for p in doc["proposals"] if p["block_id"] in on_diesel)
    outs = doc["change_outs"]
    assert outs, "no change-out suggested"
    suggested = {c["block_id"] for c in outs}
    assert suggested <= {b.block_id for b in long} and len(suggested) >= 10
    for c in outs:
        block = listed[c["block_id"]]
        at = datetime.fromisoformat(c["at"])
        assert block.pull_out < at < block.pull_in and c["swap_vehicle"] != c["first_vehicle"]
        assert abs(c["first_km"] + c["second_km"] - block.distance_km) < 0.5
        assert c["explanation"].startswith("no EV runs all")
    # accepted through the existing split: the two parts add up to the block
    c = outs[0]
    change = adhoc.split_for_change_out(app.uow(), "BAR", DAY, c["block_id"], datetime.fromisoformat(c["at"]),
                                        actor="t", now=NOW)
    assert change.extra is not None and change.extra.pull_out == datetime.fromisoformat(c["at"])
    assert abs(change.extra.distance_km - c["second_km"]) < 0.01
