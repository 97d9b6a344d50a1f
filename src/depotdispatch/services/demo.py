"""The demo (DESIGN §13): a real feed, a mixed fleet that fits its peak, and every day a service day."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from depotdispatch.domain.actuals import Sighting
from depotdispatch.domain.charging_plan import Charger
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.schedules import FeedContent
from depotdispatch.domain.words import ReadingSource
from depotdispatch.services import (
    actuals,
    adhoc,
    applicability,
    days,
    demo_history,
    depots,
    fleet,
    plan,
    readings,
    recommendations,
    schedules,
    yard,
)
from depotdispatch.services.demo_history import UowFactory

# a morning of history on the board (lookback 6 h)
# its location (Metro's Central Base, SoDo) makes the stops near it relief points for a change-out or a takeover
DEMO_DEPOT = Depot("KCM", "King County Metro (demo)", "America/Los_Angeles", lookback_min=6 * 60,
                   latitude=47.5935, longitude=-122.3220, relief_km=1.5)
EV = VehicleType("XE40", "bev", usable_kwh=400.0, kwh_per_km=1.3, vehicle_class="40ft", charge_kw=150.0)
DIESEL = VehicleType("D40", "diesel", vehicle_class="40ft")
EV_SHARE = 0.6
LONG_KM = 420.0  # more than an XE40 runs on one charge (400 kWh / 1.3 kWh/km = 307 km)


@dataclass
class DemoSummary:
    depot: Depot
    schedule_id: int
    service_date: date
    setup: days.SetupResult
    vehicles: int
    peak: int
    evs: int
    long_block: str


def every_weekday(feed: FeedContent) -> FeedContent:
    """The bundled subset has next to no Monday or weekend service in its weekly pattern (Mondays come
    from one-off dates): let the thin weekdays run every service, so the demo has work on any day."""
    count = {d: sum(d in cal.weekdays for cal in feed.services.values()) for d in range(1, 8)}
    missing = frozenset(d for d, n in count.items() if n < max(count.values()) / 2)
    if not missing:
        return feed
    return replace(feed, services={sid: replace(cal, weekdays=cal.weekdays | missing) if cal.weekdays else cal
                                   for sid, cal in feed.services.items()})


def peak_blocks(blocks: list[tuple[datetime, datetime]]) -> int:
    """The most blocks running at once (a sweep over pull-outs and pull-ins)."""
    edges = sorted([(s, 1) for s, _ in blocks] + [(e, -1) for _, e in blocks], key=lambda x: (x[0], x[1]))
    peak = running = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


def demo_fleet(peak: int) -> list[FleetEntry]:
    """Enough for the peak plus spares, about 60 % battery-electric; one bus in the workshop."""
    total = peak + max(2, math.ceil(peak * 0.2))
    evs = round(total * EV_SHARE)
    entries = ([FleetEntry(i, f"E{100 + i}", EV) for i in range(1, evs + 1)]
               + [FleetEntry(evs + i, f"D{200 + i}", DIESEL) for i in range(1, total - evs + 1)])
    entries.append(FleetEntry(total + 1, f"E{100 + evs + 1}", EV, availability="maintenance"))
    return entries


def seed(uow_factory: UowFactory, feed: FeedContent, now: datetime, today: date) -> DemoSummary:
    depots.add_depot(uow_factory(), DEMO_DEPOT, now)
    result = schedules.import_gtfs(uow_factory(), DEMO_DEPOT.depot_id, every_weekday(feed), now)
    with uow_factory() as uow:
        [schedule] = uow.schedules.for_depot(DEMO_DEPOT.depot_id)
    # The bundled feed is from 2016: extend its applicability so that the coming weeks are service days.
    # (the start moves too: a date range is at most a few years long)
    extended = replace(schedule.applicability, start=max(today - timedelta(days=14), schedule.applicability.start),
                       end=max(schedule.applicability.end, today + timedelta(days=30)))
    applicability.apply_applicability(uow_factory(), DEMO_DEPOT.depot_id, result.schedule_id, extended, actor="demo",
                                      now=now, confirm=True)
    days.setup_day(uow_factory(), DEMO_DEPOT.depot_id, today - timedelta(days=1), now)
    setup = days.setup_day(uow_factory(), DEMO_DEPOT.depot_id, today, now)
    days.setup_day(uow_factory(), DEMO_DEPOT.depot_id, today + timedelta(days=1), now)
    blocks = [b for b, _ in days.day_blocks(uow_factory(), DEMO_DEPOT.depot_id, today, now).blocks]
    # a charter added by the depot: longer than any EV runs on one charge, so a diesel (or a change-out) it is
    on_minute = now.replace(second=0, microsecond=0)  # the demo's own blocks: times a sheet can show as HH:MM
    start = (max(on_minute + timedelta(hours=2), min(b.pull_out for b in blocks)) if blocks
             else on_minute + timedelta(hours=2))
    long_id = "CHARTER-1"
    adhoc.create_adhoc(uow_factory(), DEMO_DEPOT.depot_id, today, adhoc.AdhocSpec(
        long_id, "extra_service", start, start + timedelta(hours=9), LONG_KM,
        note="stadium charter shuttle, all day"), actor="demo", now=now)
    spans = [(b.pull_out, b.pull_in) for b in blocks] + [(start, start + timedelta(hours=9))]
    yesterday = [b for b, _ in days.day_blocks(uow_factory(), DEMO_DEPOT.depot_id, today - timedelta(days=1),
                                               now).blocks]
    night = None
    if not any(b.pull_out <= now < b.pull_in for b in [*blocks, *yesterday]):
        # the feed runs no night service: so that a demo started at night still has work in service
        night = adhoc.create_adhoc(uow_factory(), DEMO_DEPOT.depot_id, today, adhoc.AdhocSpec(
            "NIGHT-1", "extra_service", on_minute - timedelta(minutes=90), on_minute + timedelta(minutes=90), 45.0,
            note="overnight shuttle (the demo feed has no night service)"), actor="demo", now=now).block
        spans.append((on_minute - timedelta(minutes=90), on_minute + timedelta(minutes=90)))
    peak = peak_blocks(spans)
    entries = demo_fleet(peak)
    fleet.import_fleet(uow_factory(), DEMO_DEPOT.depot_id, entries)
    if night is not None:
        diesel = next(e.vehicle_id for e in entries if not e.vehicle_type.is_electric)
        plan.assign(uow_factory(), DEMO_DEPOT.depot_id, today, night.block_id, diesel,
                    plan_version=plan.plan_version(uow_factory(), DEMO_DEPOT.depot_id, today), actor="demo", now=now)
    evs = [e for e in entries if e.vehicle_type.is_electric]
    out_on = _cover_started(uow_factory, [*yesterday, *blocks], entries, now)
    # a yard walk an hour ago: spread charge, most buses on a charger (not those out on a block); two low,
    # two not read since last night
    soc = []
    for i, e in enumerate(evs):
        pct, at = 55 + (e.row * 37) % 45, now - timedelta(hours=1)
        if i in (1, 4):
            pct = 14 + i
        if i in (2, 6):
            at = now - timedelta(hours=10)
        plugged = e.row % 4 != 0 and not (e.vehicle_id in out_on and out_on[e.vehicle_id].pull_out <= at)
        soc.append((e.row, SocReading(e.vehicle_id, pct, at, ReadingSource.TELEMATICS, plugged_in=plugged)))
    readings.add_readings(uow_factory(), soc, now)
    # and live data saw each of them leave at its pull-out (so the simulator, which continues the day from the
    # readings, does not have it start the block at its first reading since, hours late)
    actuals.record_sightings(uow_factory(), DEMO_DEPOT.depot_id,
                             [Sighting(vid, b.pull_out, b.block_id) for vid, b in sorted(out_on.items())], now,
                             actor="demo")
    # the yard: a 150 kW charger with two connectors for every four buses, and where each stands
    ev_ids = [e.vehicle_id for e in evs]
    yard.import_chargers(uow_factory(), DEMO_DEPOT.depot_id,
                         [Charger(f"C{i}", 150.0, 2) for i in range(1, len(ev_ids) // 4 + 2)], now, "demo")
    taken = _first_pull_outs_as_recommended(uow_factory, today, now, {b.block_id: b for b in blocks})
    _park(uow_factory, ev_ids, taken, now)
    _one_off_its_charger(uow_factory, taken, now)
    demo_history.seed_past_week(uow_factory, DEMO_DEPOT.depot_id, today, now)  # for the KPI page
    return DemoSummary(DEMO_DEPOT, result.schedule_id, today, setup, len(entries), peak, len(evs), long_id)


FIRST_HOURS = timedelta(hours=3)


def _first_pull_outs_as_recommended(uow_factory: UowFactory, today: date, now: datetime,
                                    blocks: dict[str, DayBlock]) -> list[tuple[DayBlock, str, float]]:
    """The blocks pulling out in the next three hours taken as recommended, so that the yard view has buses
    to plug in and send out; the rest of the day is left to the dispatcher. Returns (block, bus, the share
    of the bus's charge at pull-out the block uses) for each."""
    rec = recommendations.recommend(uow_factory(), DEMO_DEPOT.depot_id, today, now, actor="demo")
    first = [p for p in rec.recommendation.proposals
             if (b := blocks.get(p.block_id)) is not None and now < b.pull_out <= now + FIRST_HOURS]
    if first:
        recommendations.accept(uow_factory(), DEMO_DEPOT.depot_id, today, rec.recommendation_id,
                               plan_version=rec.plan_version, actor="demo", now=now,
                               block_ids=[p.block_id for p in first])
    return [(blocks[p.block_id], p.vehicle_id, p.viability.estimate.expected_kwh if p.viability.estimate else 0.0)
            for p in first]


def _park(uow_factory: UowFactory, ev_ids: list[str], taken: list[tuple[DayBlock, str, float]],
          now: datetime) -> None:
    """Two lanes, the buses due out first at the front, as a tidy yard would park them; but the last two
    of lane A swapped, so one blocked_in_lane warning shows."""
    out = {vid: b.pull_out for b, vid, _ in taken}
    order = sorted(ev_ids, key=lambda v: (out.get(v) is None, out.get(v) or now, v))
    lanes: dict[str, list[str]] = {"A": [], "B": []}
    for i, vid in enumerate(order):
        lanes["AB"[i % 2]].append(vid)
    due = [v for v in lanes["A"] if v in out]
    if len(due) >= 2:  # the two last buses of lane A that are due out, swapped
        i, j = lanes["A"].index(due[-2]), lanes["A"].index(due[-1])
        lanes["A"][i], lanes["A"][j] = lanes["A"][j], lanes["A"][i]
    for lane, vids in lanes.items():
        for k, vid in enumerate(vids):
            yard.set_spot(uow_factory(), DEMO_DEPOT.depot_id, vid, bay=str(ev_ids.index(vid) + 1), lane=lane,
                          lane_order=k + 1, now=now, actor="demo")


def _one_off_its_charger(uow_factory: UowFactory, taken: list[tuple[DayBlock, str, float]], now: datetime) -> None:
    """The EV with the heaviest of those blocks was found off its charger at 35 % a few minutes ago: the
    plug-in order has a bus to put on a connector."""
    evs = [(kwh, b, vid) for b, vid, kwh in taken if vid.startswith("E") and kwh > 0]
    if not evs:
        return
    _, _, vid = max(evs, key=lambda e: (e[0], e[2]))
    low = SocReading(vid, 35.0, now - timedelta(minutes=5), ReadingSource.TELEMATICS, plugged_in=False)
    readings.add_readings(uow_factory(), [(0, low)], now)


def _cover_started(uow_factory: UowFactory, blocks: list[DayBlock], entries: list[FleetEntry],
                   now: datetime) -> dict[str, DayBlock]:
    """The work in service went out on buses (the night dispatcher's plan), but for the one that started
    last: a missed pull-out, the board's first live risk. Diesels first, then the EVs in fleet order.
    Returns the block each bus is out on."""
    from depotdispatch.domain.errors import DomainError

    running = sorted((b for b in blocks if b.pull_out <= now < b.pull_in and b.cancelled_at is None),
                     key=lambda b: (b.pull_out, b.block_id))[:-1]
    buses = [e.vehicle_id for e in sorted(entries, key=lambda e: (e.vehicle_type.is_electric, e.row))
             if e.availability == "available"]
    out: dict[str, DayBlock] = {}
    for b in running:
        for vid in buses:
            try:
                plan.assign(uow_factory(), DEMO_DEPOT.depot_id, b.service_date, b.block_id, vid,
                            plan_version=plan.plan_version(uow_factory(), DEMO_DEPOT.depot_id, b.service_date),
                            actor="demo", now=now)
            except DomainError:
                continue  # that bus is on an overlapping block
            buses.remove(vid)
            out[vid] = b
            break
    return out
