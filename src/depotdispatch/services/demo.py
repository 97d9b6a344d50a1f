"""The demo: a real feed, a mixed fleet that fits it, and today as a service day."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from depotdispatch.domain.charging_plan import Charger
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.schedules import FeedContent
from depotdispatch.services import days, demo_history, depots, fleet, readings, schedules, yard

DEMO_DEPOT = Depot("KCM", "King County Metro (demo)", "America/Los_Angeles")
EV = VehicleType("XE40", "bev", usable_kwh=400.0, kwh_per_km=1.3, vehicle_class="40ft", charge_kw=150.0)
DIESEL = VehicleType("D40", "diesel", vehicle_class="40ft")


@dataclass
class DemoSummary:
    depot: Depot
    schedule_id: int
    service_date: date
    setup: days.SetupResult
    vehicles: int


def demo_fleet(blocks: int) -> list[FleetEntry]:
    """About two thirds battery-electric, enough vehicles for every block plus spares."""
    evs = max(1, round(blocks * 0.7))
    diesels = max(1, blocks - evs + 3)
    return ([FleetEntry(i, f"E{100 + i}", EV) for i in range(1, evs + 1)]
            + [FleetEntry(evs + i, f"D{200 + i}", DIESEL) for i in range(1, diesels + 1)])


def seed(uow_factory, feed: FeedContent, now: datetime, today: date) -> DemoSummary:  # type: ignore[no-untyped-def]
    depots.add_depot(uow_factory(), DEMO_DEPOT, now)
    result = schedules.import_gtfs(uow_factory(), DEMO_DEPOT.depot_id, feed, now)
    with uow_factory() as uow:
        [schedule] = uow.schedules.for_depot(DEMO_DEPOT.depot_id)
    # The bundled feed is from 2016: extend its applicability so that the coming weeks are service days.
    # (the start moves too: a date range is at most a few years long)
    extended = replace(schedule.applicability, start=max(today - timedelta(days=14), schedule.applicability.start),
                       end=max(schedule.applicability.end, today + timedelta(days=30)))
    schedules.set_applicability(uow_factory(), DEMO_DEPOT.depot_id, result.schedule_id, extended)
    setup = days.setup_day(uow_factory(), DEMO_DEPOT.depot_id, today, now)
    days.setup_day(uow_factory(), DEMO_DEPOT.depot_id, today + timedelta(days=1), now)
    entries = demo_fleet(setup.blocks)
    fleet.import_fleet(uow_factory(), DEMO_DEPOT.depot_id, entries)
    # a yard walk an hour ago: spread charge, most buses on a charger
    soc = [(e.row, SocReading(e.vehicle_id, 45 + (e.row * 37) % 50, now - timedelta(hours=1), "telematics",
                              plugged_in=e.row % 4 != 0)) for e in entries if e.vehicle_type.is_electric]
    readings.add_readings(uow_factory(), soc, now)
    # the yard: a 150 kW charger with two connectors for every four buses, and where each stands
    evs = [e.vehicle_id for e in entries if e.vehicle_type.is_electric]
    yard.import_chargers(uow_factory(), DEMO_DEPOT.depot_id,
                         [Charger(f"C{i}", 150.0, 2) for i in range(1, len(evs) // 4 + 2)], now, "demo")
    for i, vid in enumerate(evs):
        yard.set_spot(uow_factory(), DEMO_DEPOT.depot_id, vid, bay=str(i + 1), lane="AB"[i % 2],
                      lane_order=i // 2 + 1, now=now, actor="demo")
    demo_history.seed_past_week(uow_factory, DEMO_DEPOT.depot_id, today, now)  # for the KPI page
    return DemoSummary(DEMO_DEPOT, result.schedule_id, today, setup, len(entries))
