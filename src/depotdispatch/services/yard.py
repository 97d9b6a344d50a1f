"""The yard: chargers, charging settings, where buses stand and what they are plugged into, the plug-in order.

The only writer of chargers and yard spots; each change writes an Event.

The yard view plans charging from `now` as the yard should work it: a bus standing unplugged may go on a
free connector now (that is what the plug-in order asks for). Readiness on the board does not assume it
(a bus found unplugged stays unplugged until its next block: domain/depot_charging.py), so the yard's
"at pull-out" can be higher than the board's until the bus is plugged in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache

from depotdispatch.domain.actuals import runs
from depotdispatch.domain.assessment import FleetJudge, thresholds
from depotdispatch.domain.blocks import other_name
from depotdispatch.domain.charging import DEFAULT_EFFICIENCY
from depotdispatch.domain.charging_plan import (
    UNKNOWN_CHARGER,
    Bus,
    Charger,
    ChargingPlan,
    Work,
    YardRules,
    plan_charging,
)
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.depot_charging import need_kwh, yard_rules
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.durations import duration_words
from depotdispatch.domain.errors import InvalidInput, NotFound
from depotdispatch.domain.events import Event
from depotdispatch.domain.plug_in import PlugIn, plug_in_order
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.servicetime import clock_on, to_local, zone
from depotdispatch.domain.status import out_on, running_span, still_to_run
from depotdispatch.domain.telemetry import Place
from depotdispatch.domain.yard import Blocked, YardSpot, blocked_in_lane, checked_place
from depotdispatch.services.board import load_context
from depotdispatch.services.changes import announce
from depotdispatch.services.depots import require_depot
from depotdispatch.services.unit_of_work import UnitOfWork

PLAN_AHEAD = timedelta(hours=24)
TELEMATICS = "telematics"  # the actor of what the vehicles say of themselves
CHARGING_SETTINGS = ("site_cap_kw", "pull_in_allowance_min", "pull_out_allowance_min", "min_dwell_min",
                     "pull_in_allowance_km", "pull_out_allowance_km")


def charging_settings(depot: Depot) -> dict[str, object]:
    """The one document of a depot's charging settings (CLI --json and the API)."""
    return {"depot_id": depot.depot_id, **{k: getattr(depot, k) for k in CHARGING_SETTINGS}}


@dataclass
class ChargerImport:
    chargers: int
    added: int
    updated: int

    def as_dict(self) -> dict[str, object]:
        return {"chargers": self.chargers, "added": self.added, "updated": self.updated, "problems": []}


def import_chargers(uow: UnitOfWork, depot_id: str, chargers: Sequence[Charger], now: datetime,
                    actor: str) -> ChargerImport:
    with uow:
        require_depot(uow, depot_id)
        added, updated = uow.yard.upsert_chargers(depot_id, chargers, now)
        announce(uow, depot_id, None, "yard", what="chargers")
        uow.plans.add_event(Event(depot_id, "chargers_imported", actor, now, after={
            "chargers": [{"charger_id": c.charger_id, "max_kw": c.max_kw, "connectors": c.connectors}
                         for c in chargers]}))
        uow.commit()
    return ChargerImport(len(chargers), added, updated)


def chargers(uow: UnitOfWork, depot_id: str) -> list[dict[str, object]]:
    with uow:
        require_depot(uow, depot_id)
        off = uow.yard.unavailable_chargers(depot_id)
        return [{"charger_id": c.charger_id, "max_kw": c.max_kw, "connectors": c.connectors,
                 "available": c.charger_id not in off} for c in uow.yard.chargers(depot_id)]


def set_charger_available(uow: UnitOfWork, depot_id: str, charger_id: str, available: bool, now: datetime,
                          actor: str) -> None:
    with uow:
        require_depot(uow, depot_id)
        if not uow.yard.set_charger_available(depot_id, charger_id, available, now):
            raise NotFound(f"no charger {charger_id!r} at depot {depot_id!r}")
        announce(uow, depot_id, None, "yard", charger_id=charger_id)
        uow.plans.add_event(Event(depot_id, "charger_availability", actor, now,
                                  after={"charger_id": charger_id, "available": available}))
        uow.commit()


def set_charging_settings(uow: UnitOfWork, depot_id: str, now: datetime, actor: str, **changes: object) -> Depot:
    """Site power cap (kW, None for none), pull-in/pull-out allowances (minutes and km) and minimum dwell
    (minutes). The Depot validates them: a bad value changes nothing."""
    allowed = set(CHARGING_SETTINGS)
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(f"unknown charging setting(s): {', '.join(sorted(unknown))}")
    with uow:
        depot = require_depot(uow, depot_id)
        new = replace(depot, **changes)  # type: ignore[arg-type]  # names checked against `allowed` above
        uow.depots.update(new)
        announce(uow, depot_id, None, "yard", what="settings")
        uow.plans.add_event(Event(depot_id, "charging_settings_changed", actor, now,
                                  before={k: getattr(depot, k) for k in changes},
                                  after={k: getattr(new, k) for k in changes}))
        uow.commit()
    return new


def _vehicle_in(uow: UnitOfWork, depot_id: str, vehicle_id: str) -> None:
    require_depot(uow, depot_id)
    if uow.fleet.vehicle_depot(vehicle_id) != depot_id:
        raise NotFound(f"no vehicle {vehicle_id!r} at depot {depot_id!r}")


def set_spot(uow: UnitOfWork, depot_id: str, vehicle_id: str, *, bay: str | None, lane: str | None,
             lane_order: int | None, now: datetime, actor: str) -> YardSpot:
    bay, lane, lane_order = checked_place(bay, lane, lane_order)
    with uow:
        _vehicle_in(uow, depot_id, vehicle_id)
        old = uow.yard.spots(depot_id).get(vehicle_id, YardSpot(vehicle_id))
        spot = _place(uow, depot_id, old, bay, lane, lane_order, now, actor)
        uow.commit()
    return spot


def _place(uow: UnitOfWork, depot_id: str, old: YardSpot, bay: str | None, lane: str | None,
           lane_order: int | None, at: datetime, actor: str) -> YardSpot:
    spot = replace(old, bay=bay, lane=lane, lane_order=lane_order)
    uow.yard.save_spot(spot, at, actor)
    announce(uow, depot_id, None, "yard", vehicle_id=old.vehicle_id)
    uow.plans.add_event(Event(depot_id, "yard_spot_set", actor, at, vehicle_id=old.vehicle_id,
                              before=_spot_doc(old), after=_spot_doc(spot)))
    return spot


def place_from_telematics(uow: UnitOfWork, depot_id: str, places: Sequence[tuple[str, Place, datetime]]) -> int:
    """Where telematics saw each bus (vehicle, place, measured at), inside the caller's unit of work (the
    telemetry batch's transaction; the vehicles are the depot's, checked by the caller). A bus's latest
    place in the batch (as of the first of the messages that say it since it moved) is written, as the yard
    view writes one, when it moves the bus and is newer than the
    yard's last word on it (a message delivered again after the yard view placed the bus changes nothing);
    a bus reporting the place it already has writes nothing, so a position in every message costs no event.
    Returns how many buses moved."""
    seen: dict[str, list[tuple[datetime, Place]]] = {}
    for vid, place, at in places:
        seen.setdefault(vid, []).append((at, place))
    latest: dict[str, tuple[Place, datetime]] = {}
    for vid, said in seen.items():
        said.sort(key=lambda x: x[0])
        place, at = said[-1][1], said[-1][0]
        for t, p in reversed(said):  # there since the first of the messages that all say this place
            if p != place:
                break
            at = t
        latest[vid] = (place, at)
    if not latest:
        return 0
    spots = uow.yard.spots(depot_id)
    moved = 0
    for vid, (place, at) in sorted(latest.items()):
        old = spots.get(vid, YardSpot(vid))
        if (old.bay, old.lane, old.lane_order) == (place.bay, place.lane, place.lane_order) \
                or (old.updated_at is not None and at < old.updated_at):
            continue
        _place(uow, depot_id, old, place.bay, place.lane, place.lane_order, at, TELEMATICS)
        moved += 1
    return moved


def set_plugged(uow: UnitOfWork, depot_id: str, vehicle_id: str, charger_id: str | None, now: datetime,
                actor: str) -> YardSpot:
    """Plugged into `charger_id`, or unplugged (None)."""
    with uow:
        _vehicle_in(uow, depot_id, vehicle_id)
        if charger_id is not None and charger_id not in {c.charger_id for c in uow.yard.chargers(depot_id)}:
            raise NotFound(f"no charger {charger_id!r} at depot {depot_id!r}; import chargers first")
        old = uow.yard.spots(depot_id).get(vehicle_id, YardSpot(vehicle_id))
        spot = replace(old, charger_id=charger_id, plugged_at=now) if charger_id is not None \
            else replace(old, charger_id=None, unplugged_at=now)
        uow.yard.save_spot(spot, now, actor)
        announce(uow, depot_id, None, "yard", vehicle_id=vehicle_id)
        uow.plans.add_event(Event(depot_id, "plugged_in" if charger_id else "unplugged", actor, now,
                                  vehicle_id=vehicle_id, before=_spot_doc(old), after=_spot_doc(spot)))
        uow.commit()
    return spot


def vehicle_depot(uow: UnitOfWork, vehicle_id: str) -> str | None:
    with uow:
        return uow.fleet.vehicle_depot(vehicle_id)


def _spot_doc(s: YardSpot) -> dict[str, object]:
    return {"bay": s.bay, "lane": s.lane, "lane_order": s.lane_order, "charger_id": s.charger_id}


@dataclass(frozen=True)
class ComingIn:
    block: DayBlock
    vehicle_id: str
    back_at: datetime  # in the yard (the pull-in allowance after its return)
    soc_pct: float | None  # expected at pull-in; None when its reading is stale (or it has none)
    read_age: timedelta | None  # of its latest reading
    stale: bool  # that reading is older than the staleness threshold: no SoC is predicted from it (soc_stale)


@dataclass
class YardState:
    depot: Depot
    now: datetime
    order: list[PlugIn]
    plan: ChargingPlan
    spots: dict[str, YardSpot]
    next_out: dict[str, tuple[DayBlock, datetime]]  # vehicle -> its next block and the yard's pull-out time
    blocked: list[Blocked]
    soc_now: dict[str, float]
    on_charger: dict[str, str]  # standing on a connector now (the yard marked it, or its reading says so) -> which
    plan_as_of: datetime  # the charging plan's anchor (the plug-in order is made from what was known then)
    readings: dict[str, SocReading]
    coming_in: list[ComingIn]  # out on a block now, by when each is back
    electric: frozenset[str] = frozenset()  # the battery buses: a diesel has no SoC nor plug to show

    def as_dict(self) -> dict[str, object]:
        return {"now": self.now.isoformat(), "order": [e.as_dict() for e in self.order]}


def yard_state(uow: UnitOfWork, depot_id: str, now: datetime) -> YardState:
    """The plug-in order and what the yard view shows, from the plan of the next 24 h."""
    with uow:
        depot = require_depot(uow, depot_id)
        tz = zone(depot.timezone)
        today = to_local(now, tz).date()
        ctx = load_context(uow, depot, today - timedelta(days=1), today + timedelta(days=1), now)
        chargers_ = uow.yard.chargers(depot_id, available_only=True)
        spots = uow.yard.spots(depot_id)
    rules = yard_rules(depot)
    buses, next_out = _buses(ctx.judge, ctx.vehicle_blocks, now)
    # the plan (and so the plug-in order) as of the charging plan's anchor with the yard's marks to now: the
    # same inputs all step, so one plan serves every yard view until the anchor moves or the yard acts
    at = ctx.judge.anchored()
    planned, _ = _buses(at, ctx.vehicle_blocks, at.now)
    plan = _yard_plan(tuple(planned), tuple(chargers_), rules, at.now + PLAN_AHEAD)
    order = plug_in_order(plan, planned, chargers_, rules, now, tz)
    coming = _coming_in(ctx.judge, ctx.vehicle_blocks, now)
    # a bus out on a block is not in its lane, whatever its last place says: it blocks nobody
    away = {c.vehicle_id for c in coming} | _away(ctx.vehicle_blocks, now)
    blocked = blocked_in_lane(list(spots.values()), {v: t for v, (_, t) in next_out.items()}, tz, now, away)
    soc_now = {b.vehicle_id: b.soc_pct for b in buses if b.since <= now}
    on_charger = {b.vehicle_id: b.connected_to for b in buses if b.connected_to is not None and b.since <= now}
    electric = frozenset(v for v, x in ctx.judge.vehicles.items() if ctx.judge.types[x.vehicle_type].is_electric)
    return YardState(depot, now, order, plan, spots, next_out, blocked, soc_now, on_charger, at.now,
                     ctx.judge.readings, coming, electric)


def _away(vehicle_blocks: dict[str, list[DayBlock]], now: datetime) -> set[str]:
    """Every bus (EV or not) out on a block at `now`, by the one status rule (actuals win over the plan)."""
    return {vid for vid, blocks in vehicle_blocks.items()
            if any(b.cancelled_at is None and out_on(b, now) and runs(b, vid) for b in blocks)}


def _coming_in(judge: FleetJudge, vehicle_blocks: dict[str, list[DayBlock]], now: datetime) -> list[ComingIn]:
    """Buses out on a block now, by the time they are due back in the yard, with the SoC readiness expects
    at pull-in (None for a bus that does not say, or whose reading is stale: a 10-hour-old reading says
    nothing about the charge left after a day on the road)."""
    out = []
    for vid, blocks in vehicle_blocks.items():
        mine = [b for b in blocks if b.cancelled_at is None]
        for b in mine:
            if out_on(b, now) and runs(b, vid):
                back = running_span(b)[1]
                vehicle = judge.vehicles.get(vid)
                reading = judge.readings.get(vid)
                age = max(now - reading.measured_at, timedelta(0)) if reading is not None else None
                vtype = judge.types.get(vehicle.vehicle_type) if vehicle is not None else None
                stale = age is not None and vtype is not None and age > thresholds(judge.depot, vtype).stale_after
                soc = None
                if vehicle is not None and not stale:
                    before = [x for x in mine if running_span(x)[1] <= back]
                    ready = judge.readiness_until(vehicle, back, before)
                    soc = ready.soc_pct if ready else None
                out.append(ComingIn(b, vid, judge.depot.yard_in(back, b.trip_ids), soc, age, stale))
    return sorted(out, key=lambda c: (c.back_at, c.vehicle_id))


@lru_cache(maxsize=8)
def _yard_plan(buses: tuple[Bus, ...], chargers: tuple[Charger, ...], rules: YardRules, end: datetime) -> ChargingPlan:
    """Pure in its inputs (never changed after it is made)."""
    return plan_charging(buses, chargers, rules, end)


def _buses(judge: FleetJudge, vehicle_blocks: dict[str, list[DayBlock]],
           now: datetime) -> tuple[list[Bus], dict[str, tuple[DayBlock, datetime]]]:
    """Each EV with a reading, as it stands at `now` (or at its pull-in when it is out on a block)."""
    buses, next_out = [], {}
    for vid, vehicle in judge.vehicles.items():
        # the one status rule (actuals win over the plan): out on a block now, or still to leave for one
        upcoming = sorted((b for b in vehicle_blocks.get(vid, []) if still_to_run(b, now)), key=lambda b: b.pull_out)
        if upcoming:
            next_out[vid] = (upcoming[0], judge.depot.yard_out(upcoming[0].pull_out, upcoming[0].trip_ids))
        vtype = judge.types[vehicle.vehicle_type]
        reading = judge.readings.get(vid)
        if not vtype.is_electric or not vtype.usable_kwh or not vtype.charge_kw or reading is None \
                or vehicle.availability != "available":
            continue
        usable = vtype.usable_kwh
        mine = [b for b in vehicle_blocks.get(vid, []) if b.cancelled_at is None]
        out_now = next((b for b in mine if out_on(b, now) and runs(b, vid)), None)
        # back at the depot (or due back) as run, not as planned: a bus whose return was recorded early is
        # on the yard from then, on a connector once the pull-in allowance has passed
        if out_now is not None:
            since = judge.depot.yard_in(running_span(out_now)[1], out_now.trip_ids)
        else:
            back = max((judge.depot.yard_in(t, b.trip_ids) for b in mine if (t := running_span(b)[1]) <= now),
                       default=None)
            since = now if back is None else max(now, back)
        # up to `now` (or its pull-in) as readiness projects it (from the reading or the yard's later mark):
        # on the chargers the depot's plan leaves free
        ready = judge.readiness_until(vehicle, since, [b for b in mine if running_span(b)[1] <= since])
        soc = ready.soc_pct if ready else None
        th = thresholds(judge.depot, vtype)
        work = []
        for b in upcoming:
            est = judge.estimate(b, vehicle.vehicle_type)
            work.append(Work(b.block_id, b.pull_out, b.pull_in, est.expected_kwh if est else 0.0,
                             need_kwh(est, usable, th), *judge.depot.allowances(b.trip_ids), b.block_name))
        # on a connector now: the latest of the yard's mark and the reading says so, and no pull-out since
        st = judge.standing(vid)
        plugged = (st.charger_id or UNKNOWN_CHARGER) if st is not None and st.plugged and not any(
            st.since < running_span(b)[0] <= now for b in mine) else None
        buses.append(Bus(vid, usable, vtype.charge_kw, max(soc or 0.0, 0.0), since, True, tuple(work),
                         vtype.charging_curve, vtype.charging_efficiency or DEFAULT_EFFICIENCY,
                         None if out_now else plugged))
    return buses, next_out


def plug_in(uow: UnitOfWork, depot_id: str, now: datetime) -> dict[str, object]:
    return yard_state(uow, depot_id, now).as_dict()



def yard_view(uow: UnitOfWork, depot_id: str, now: datetime) -> dict[str, object]:
    """What the yard coordinator's phone shows: next pull-outs (bus, bay, SoC), plug-in order, blocked lanes."""
    st = yard_state(uow, depot_id, now)
    tz = zone(st.depot.timezone)
    today = to_local(now, tz).date()
    outs = []
    # the plan charges an unplugged bus from its anchor (up to 5 min ago): never more than plugging it in now
    # gives, the number its plug-in line says ("reaches 54 % by 11:00 at best" beside "at pull-out 57 %")
    best_now = {e.vehicle_id: e.reach_pct for e in st.order if e.reach_pct is not None}
    for vid, (block, at) in sorted(st.next_out.items(), key=lambda kv: (kv[1][1], kv[0])):
        spot = st.spots.get(vid, YardSpot(vid))
        ready = st.plan.pull_outs.get((vid, block.block_id))
        if ready is not None and vid in best_now and vid not in st.on_charger:
            ready = replace(ready, soc_pct=min(ready.soc_pct, best_now[vid]))
        reading = st.readings.get(vid)
        charger = st.on_charger.get(vid)
        outs.append({"vehicle_id": vid, "electric": vid in st.electric, "block_id": block.block_id,
                     "block_name": other_name(block.block_id, block.block_name),
                     "pull_out": at.isoformat(),
                     "pull_out_local": clock_on(to_local(at, tz), today), "bay": spot.bay, "lane": spot.lane,
                     "position": spot.lane_order, "charger_id": None if charger == UNKNOWN_CHARGER else charger,
                     "soc_pct": st.soc_now.get(vid), "soc_at_pull_out": ready.soc_pct if ready else None,
                     "ready": ready.ready if ready else None, "on_charger": charger is not None,
                     "read_at": reading.measured_at.isoformat() if reading else None,
                     "read_ago": duration_words(max(now - reading.measured_at, timedelta(0))) if reading else None})
    coming = [{"vehicle_id": c.vehicle_id, "electric": c.vehicle_id in st.electric, "block_id": c.block.block_id,
               "block_name": other_name(c.block.block_id, c.block.block_name),
               "back_at": c.back_at.isoformat(),
               "back_at_local": clock_on(to_local(c.back_at, tz), today), "soc_pct": c.soc_pct,
               "soc_stale": c.stale, "read_ago": duration_words(c.read_age) if c.read_age is not None else None}
              for c in st.coming_in]
    return {"now": now.isoformat(), "now_local": to_local(now, tz).strftime("%H:%M"),
            "plan_as_of_local": to_local(st.plan_as_of, tz).strftime("%H:%M"), "next_pull_outs": outs,
            "coming_in": coming, "order": [e.as_dict() for e in st.order],
            "blocked_in_lane": [{"code": b.code, "vehicle_id": b.vehicle_id, "behind": b.behind, "lane": b.lane,
                                 "message": b.message} for b in st.blocked]}
