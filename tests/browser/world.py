"""The browser tests' day: a small GTFS depot at 10:00 local with work done, running and to come."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from depotdispatch.adapters.gtfs import read_gtfs
from depotdispatch.bootstrap import App
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.services import days, depots, fleet, readings, schedules
from tests.gtfs_builder import make_feed

DEPOT = "T"
DAY = date(2026, 11, 25)
NOW = datetime.fromisoformat("2026-11-25T10:00:00-05:00")
EV = VehicleType("XE40", "bev", usable_kwh=400, kwh_per_km=1.3, vehicle_class="40ft", charge_kw=150)
DSL = VehicleType("D40", "diesel", vehicle_class="40ft")
# three stops 20 km apart on a meridian: one trip A-B-C is about 40 km
STOPS = ("stop_id,stop_name,stop_lat,stop_lon\nA,Depot Loop,40.00,-74.00\nB,Midtown,40.18,-74.00\n"
         "C,Harbor,40.36,-74.00\n")


def _hm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def _block(name: str, start_h: float, trips: int) -> list[tuple[str, str, str | None, list[tuple[str, str, str]]]]:
    out = []
    t = int(start_h * 60)
    for i in range(trips):
        stops = ["A", "B", "C"] if i % 2 == 0 else ["C", "B", "A"]
        sched = [(s, _hm(t + 25 * j), _hm(t + 25 * j)) for j, s in enumerate(stops)]
        out.append((f"{name}-t{i + 1}", "S", name, sched))
        t += 60
    return out


BLOCKS = {"EARLY": (6.0, 3), "RUN": (8.0, 4), "B1": (11.0, 3), "B2": (12.0, 2), "B3": (14.5, 3),
          "B4": (16.0, 2), "LONG": (6.5, 10)}  # LONG: 10 x 40 km, no EV runs it on one charge


def seed(app: App, tmp: Path) -> None:
    trips = [t for name, (h, n) in BLOCKS.items() for t in _block(name, h, n)]
    feed = make_feed(tmp / "feed.zip", trips=trips, extra={"stops.txt": STOPS})
    depots.add_depot(app.uow(), Depot(DEPOT, "Test Depot", "America/New_York"), NOW)
    schedules.import_gtfs(app.uow(), DEPOT, read_gtfs(feed), NOW)
    days.setup_day(app.uow(), DEPOT, DAY, NOW)
    entries = [FleetEntry(1, "E1", EV), FleetEntry(2, "E2", EV), FleetEntry(3, "E3", EV), FleetEntry(4, "E4", EV),
               FleetEntry(5, "D1", DSL), FleetEntry(6, "D2", DSL)]
    fleet.import_fleet(app.uow(), DEPOT, entries)
    readings.add_readings(app.uow(), [
        (1, SocReading("E1", 95, NOW - timedelta(minutes=20), "telematics", plugged_in=True)),
        (2, SocReading("E2", 88, NOW - timedelta(minutes=30), "telematics")),
        (3, SocReading("E3", 18, NOW - timedelta(minutes=10), "telematics")),  # low: below the reserve
        (4, SocReading("E4", 90, NOW - timedelta(hours=9), "manual")),  # stale
    ], NOW)
