"""The seam between the depot's chargers and everything that projects a state of charge (DESIGN §12a).

One question, asked by readiness (and so by the board, viability, the picker, block detail, the timeline,
plan/assign), by the recommendation and by its exact model: a vehicle stands at the depot from `arrive`
(its pull-in, or the reading that found it on a charger) to `depart` (its next block's start) with SoC
`soc`: what SoC does it leave with? `DepotCharging.after_stay` answers it:

- the charging window is [arrive + pull-in allowance, depart - pull-out allowance], each the allowance of
  the block on that side as `Depot.allowances` decides it (none for a yard-timed block; a vehicle a reading
  found plugged in is already on its connector: no pull-in allowance), and a window shorter than the
  minimum dwell charges nothing (again unless it is already plugged in);
- without a charger list (a depot that never imported one) every vehicle has a connector of its own at
  its full rate: today's projection, less the allowances;
- with chargers, a vehicle charges on what the depot's charging plan leaves free: at each instant the
  connectors and kW not taken by other vehicles' charging, top-ups included, capped by the site's power;
  its own planned charging is left out, so asking for the vehicle's planned chain gives what the plan
  gives it, and asking for another chain gives what it could have on top of everyone else's plan. (A
  top-up yields its connector in the plan only to a bus that lacks energy for its *next* pull-out; left
  out here, it was counted twice: a bus that lacked nothing for its next block was credited the top-up's
  connector for the blocks after, 11-44 points above what the plan gave it, AUDIT A16-12.)
  With as many chargers as vehicles, each at least the vehicle's rate, and no cap, that is again today's
  projection less the allowances.

The plan itself is `charging_plan.plan_charging` over `charging_buses(...)`: each EV from its latest
reading (or the yard's later plugged/unplugged mark: `readiness.standing`), with the blocks the plan
gives it. A vehicle found unplugged at the depot is assumed to stay unplugged until its next block (the
safe assumption readiness always made) unless the yard marks it plugged in; after a block it goes on a
charger only as the plan allows.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from depotdispatch.domain.charging import DEFAULT_EFFICIENCY, ChargingCurve, default_curve
from depotdispatch.domain.charging_plan import (
    UNKNOWN_CHARGER,
    Bus,
    Charger,
    ChargingPlan,
    Work,
    YardRules,
    plan_charging,
)
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.energy import EnergyEstimate
from depotdispatch.domain.fleet import VehicleType
from depotdispatch.domain.readiness import NO_ALLOW, Allow
from depotdispatch.domain.status import running_span
from depotdispatch.domain.viability import Thresholds

if TYPE_CHECKING:
    from depotdispatch.domain.assessment import FleetJudge
    from depotdispatch.domain.days import DayBlock

PLAN_AHEAD = timedelta(hours=24)
PLAN_MAX = timedelta(hours=48)
PLAN_EVERY = timedelta(minutes=5)  # the plan's anchor moves in these steps (its own decision step)
# a step's plan comes into force this long after its anchor: what was known at the anchor is all in by then
# (a reading is stored a second or so after it is measured), so a serving process can make the plan in the
# meantime, off the request path (services/board_cache.py), and no request waits for a whole depot's plan
PLAN_SETTLE = timedelta(seconds=30)
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _step(t: datetime) -> datetime:
    return t - (t - _EPOCH) % PLAN_EVERY


def plan_anchor(now: datetime) -> datetime:
    """The anchor of the plan in force at `now`: `now - PLAN_SETTLE` rounded down to the plan's step (UTC).
    The depot's charging plan is made from what was known then, so readings arriving within the step do not
    re-plan the depot (each vehicle's own readiness still starts from its latest reading)."""
    return _step(now - PLAN_SETTLE)


def next_anchor(now: datetime) -> datetime | None:
    """The anchor whose plan is not yet in force at `now` but can be made (its step has begun: it comes into
    force at the anchor + PLAN_SETTLE); None outside that window."""
    step = _step(now)
    return step if step > plan_anchor(now) else None


def yard_rules(depot: Depot) -> YardRules:
    """The depot-wide charging settings (the allowances are per block: `Depot.allowances`, on each `Work`)."""
    return YardRules(site_cap_kw=depot.site_cap_kw, min_dwell=timedelta(minutes=depot.min_dwell_min))


@dataclass(frozen=True)
class Battery:
    """How a vehicle type takes charge: battery-side kW by SoC, capped by `charge_kw` (charger side)."""

    usable_kwh: float
    points: tuple[tuple[float, float], ...]
    charge_kw: float | None
    efficiency: float = DEFAULT_EFFICIENCY

    def curve(self, kw: float | None = None) -> ChargingCurve:
        cap = self.charge_kw if kw is None else kw if self.charge_kw is None else min(kw, self.charge_kw)
        return ChargingCurve(self.usable_kwh, self.points, charger_kw=cap, efficiency=self.efficiency)


def battery(vtype: VehicleType) -> Battery | None:
    """None for a vehicle that does not charge (not electric, or nothing said about how it charges)."""
    if not vtype.is_electric or not vtype.usable_kwh:
        return None
    points = vtype.charging_curve or (default_curve(vtype.charge_kw) if vtype.charge_kw else None)
    if points is None:
        return None
    return Battery(vtype.usable_kwh, tuple((float(s), float(p)) for s, p in points), vtype.charge_kw,
                   vtype.charging_efficiency or DEFAULT_EFFICIENCY)


class DepotCharging:
    """See the module docstring. `chargers=None`: a connector per vehicle (no charger list)."""

    def __init__(self, rules: YardRules, batteries: Mapping[str, Battery | None],
                 chargers: Sequence[Charger] | None = None, plan: ChargingPlan | None = None) -> None:
        self.rules, self.batteries = rules, batteries
        self.chargers = None if chargers is None else list(chargers)
        self.plan = plan
        self._curves: dict[tuple[Battery, float | None], ChargingCurve] = {}
        self._own_curves: dict[str, ChargingCurve] = {}  # vehicle -> its battery's curve at its full rate
        self._free: dict[str, np.ndarray] = {}
        self._last_own: tuple[tuple[str, float, datetime, datetime, bool, bool, Allow], float] | None = None
        self._views: dict[str, VehicleCharging] = {}  # `of`, asked for every judgement
        if self.chargers is not None:
            self._timeline()

    # -- the question ----------------------------------------------------------------------------
    def window(self, arrive: datetime, depart: datetime, *, plugged: bool = False, leaves: bool = True,
               allow: Allow = NO_ALLOW) -> tuple[datetime, datetime] | None:
        """When a vehicle standing at the depot from `arrive` to `depart` may be on a connector (`leaves`
        False: `depart` is an unplugging, not a pull-out). `allow`: (pull-in allowance of the block it
        arrives from, pull-out allowance of the block it leaves for), as `Depot.allowances` gives them."""
        start = arrive if plugged else arrive + allow[0]
        end = depart - allow[1] if leaves else depart
        if end <= start or (not plugged and end - start < self.rules.min_dwell):
            return None
        return start, end

    def after_stay(self, vehicle_id: str, soc: float, arrive: datetime, depart: datetime, *,
                   plugged: bool = False, leaves: bool = True, allow: Allow = NO_ALLOW) -> float:
        """SoC fraction at `depart` (see the module docstring); `soc` as it arrives (may be below 0)."""
        if self.chargers is None:
            return self.own_charger(vehicle_id, soc, arrive, depart, plugged=plugged, leaves=leaves, allow=allow)
        bat = self.batteries.get(vehicle_id)
        span = self.window(arrive, depart, plugged=plugged, leaves=leaves, allow=allow)
        if bat is None or span is None:
            return soc
        start, end = span
        s = max(soc, 0.0)
        for a, b, k in _pieces(self._stamps, self._free_for(vehicle_id), start, end, self.idle_kw()):
            if k > 1e-9:
                s = self._curve(vehicle_id, k).soc_after_one(s, (b - a).total_seconds() / 3600)
        return s

    def own_charger(self, vehicle_id: str, soc: float, arrive: datetime, depart: datetime, *,
                    plugged: bool = False, leaves: bool = True, allow: Allow = NO_ALLOW) -> float:
        """The same stay on a connector of its own at its full rate (the allowances and dwell still apply)."""
        # readiness asks each stay twice (`after_stay`, then this for the shortfall), which without a
        # charger list is this same question: the last answer is kept (pure: same question, same answer)
        ask = (vehicle_id, soc, arrive, depart, plugged, leaves, allow)
        last = self._last_own  # one read: a seam shared between threads sees a whole pair or another
        if last is not None and last[0] == ask:
            return last[1]
        bat = self.batteries.get(vehicle_id)
        span = self.window(arrive, depart, plugged=plugged, leaves=leaves, allow=allow)
        if bat is None or span is None:
            return soc
        hours = (span[1] - span[0]).total_seconds() / 3600
        out = self._curve(vehicle_id, None).soc_after_one(max(soc, 0.0), hours)
        self._last_own = (ask, out)
        return out

    def of(self, vehicle_id: str) -> VehicleCharging:
        view = self._views.get(vehicle_id)
        if view is None:
            view = self._views[vehicle_id] = VehicleCharging(self, vehicle_id)
        return view

    # -- what the plan leaves free ---------------------------------------------------------------
    def _curve(self, vehicle_id: str, kw: float | None) -> ChargingCurve:
        if kw is None and vehicle_id in self._own_curves:  # asked for every stay: no battery hashed each time
            return self._own_curves[vehicle_id]
        bat = self.batteries[vehicle_id]
        assert bat is not None
        key = (bat, None if kw is None else round(kw, 3))  # per battery, not per vehicle: a type's buses share
        if key not in self._curves:
            self._curves[key] = bat.curve(key[1])
        if kw is None:
            self._own_curves[vehicle_id] = self._curves[key]
        return self._curves[key]

    def _timeline(self) -> None:
        assert self.chargers is not None
        loads = list(self.plan.loads if self.plan else [])  # top-ups too: the plan holds the connector for them
        self._ids = {c.charger_id: k for k, c in enumerate(self.chargers)}
        loads = [x for x in loads if x.charger_id in self._ids]
        stamps = sorted({x.start for x in loads} | {x.end for x in loads})
        self._stamps = stamps
        n, nc = max(len(stamps) - 1, 0), len(self.chargers)
        self._conn = np.zeros((n, nc))
        self._kw = np.zeros((n, nc))
        self._own: dict[str, list[tuple[int, int, int, float]]] = {}
        index = {t: i for i, t in enumerate(stamps)}
        for x in loads:
            i0, i1, c = index[x.start], index[x.end], self._ids[x.charger_id]
            self._conn[i0:i1, c] += 1
            self._kw[i0:i1, c] += x.draw_kw
            self._own.setdefault(x.vehicle_id, []).append((i0, i1, c, x.draw_kw))
        self._max_kw = np.array([c.max_kw for c in self.chargers])
        self._connectors = np.array([c.connectors for c in self.chargers], dtype=float)
        self._shared = self._best(self._conn, self._kw)

    def _best(self, conn: np.ndarray, kw: np.ndarray) -> np.ndarray:
        """Per interval: the most kW a further vehicle could draw (a free connector, its charger's and
        the site's power left)."""
        if not len(self._max_kw):
            return np.zeros(len(conn))
        left = np.where(conn < self._connectors - 1e-9, np.maximum(self._max_kw - kw, 0.0), 0.0)
        best = left.max(axis=1) if len(left) else np.zeros(0)
        cap = self.rules.site_cap_kw
        if cap is not None:
            best = np.minimum(best, np.maximum(cap - kw.sum(axis=1), 0.0))
        return best

    def _free_for(self, vehicle_id: str) -> np.ndarray:
        """The free kW over time for this vehicle: everyone's charging but its own."""
        if vehicle_id not in self._free:
            free = self._shared
            own = self._own.get(vehicle_id)
            if own:
                conn, kw = self._conn.copy(), self._kw.copy()
                rows: set[int] = set()
                for i0, i1, c, draw in own:
                    conn[i0:i1, c] -= 1
                    kw[i0:i1, c] -= draw
                    rows.update(range(i0, i1))
                free = self._shared.copy()
                idx = np.array(sorted(rows))
                free[idx] = self._best(conn[idx], kw[idx])
            self._free[vehicle_id] = free
        return self._free[vehicle_id]

    def idle_kw(self) -> float:
        """What a vehicle gets when nobody else charges: the best charger, within the site's cap."""
        if self.chargers is None:
            return float("inf")
        best = max((c.max_kw for c in self.chargers), default=0.0)
        return min(best, self.rules.site_cap_kw) if self.rules.site_cap_kw is not None else best


def _pieces(stamps: Sequence[datetime], free: np.ndarray, start: datetime, end: datetime,
            idle_kw: float) -> Iterable[tuple[datetime, datetime, float]]:
    """[start, end) cut at the timeline's stamps, each piece with its free kW; outside the timeline nobody
    else needs a charger (`idle_kw`). Neighbouring pieces with the same kW are one."""
    k = bisect.bisect_right(stamps, start) - 1
    t, run_kw, run_start = start, None, start
    while t < end:
        inside = 0 <= k < len(free)
        nxt = stamps[k + 1] if k + 1 < len(stamps) else end
        kw = float(free[k]) if inside else idle_kw
        stop = min(nxt, end)
        if stop > t:
            if run_kw is not None and abs(kw - run_kw) > 1e-9:
                yield run_start, t, run_kw
                run_start = t
            run_kw = kw
        t = stop
        k += 1
    if run_kw is not None and end > run_start:
        yield run_start, end, run_kw


@dataclass(frozen=True)
class VehicleCharging:
    """One vehicle's view of the seam, as readiness takes it."""

    depot: DepotCharging
    vehicle_id: str

    @property
    def own_connectors(self) -> bool:
        return self.depot.chargers is None

    def after_stay(self, soc: float, arrive: datetime, depart: datetime, *, plugged: bool = False,
                   leaves: bool = True, allow: Allow = NO_ALLOW) -> float:
        return self.depot.after_stay(self.vehicle_id, soc, arrive, depart, plugged=plugged, leaves=leaves,
                                     allow=allow)

    def own_charger(self, soc: float, arrive: datetime, depart: datetime, *, plugged: bool = False,
                    leaves: bool = True, allow: Allow = NO_ALLOW) -> float:
        return self.depot.own_charger(self.vehicle_id, soc, arrive, depart, plugged=plugged, leaves=leaves,
                                      allow=allow)


def need_kwh(estimate: EnergyEstimate | None, usable_kwh: float, th: Thresholds) -> float:
    """What a bus must carry at pull-out for a block to be `ok` (the energy thresholds of `assess`)."""
    use, cons = (estimate.expected_kwh, estimate.conservative_kwh) if estimate else (0.0, 0.0)
    return max(use + usable_kwh * (th.reserve_pct + th.marginal_band_pct) / 100,
               cons + usable_kwh * th.reserve_pct / 100)


def charging_buses(judge: FleetJudge, vehicle_blocks: Mapping[str, Iterable[DayBlock]], *,
                   idle: bool = True) -> list[Bus]:
    """Each EV with a fresh reading, from that reading on, with the blocks the plan gives it: the input of
    the depot's charging plan for readiness. `idle=False` leaves out the buses with no block to come: they
    would only top up, which yields to every bus that needs charge, so the needed charging is the same."""
    buses = []
    for vid, vehicle in judge.vehicles.items():
        vtype = judge.types[vehicle.vehicle_type]
        bat = battery(vtype)
        reading = judge.readings.get(vid)
        th = judge.thresholds_for(vtype.name)
        if bat is None or reading is None or vehicle.availability != "available" \
                or judge.now - reading.measured_at > th.stale_after:
            continue
        st = judge.standing(vid, plan_free=True)
        assert st is not None
        # each block as run so far (status.running_span: a bus back early charges from its actual return)
        runs = sorted(((b, *running_span(b)) for b in vehicle_blocks.get(vid, ()) if b.cancelled_at is None),
                      key=lambda x: x[1])
        soc, at_depot = st.soc_pct, st.plugged
        work = []
        for b, out, back in runs:
            if back <= st.since:
                continue
            est = judge.estimate(b, vtype.name)
            use = est.expected_kwh if est else 0.0
            if out <= st.since:  # read during this block: the rest of it is spent first
                rest = judge.rest_of(vid, b)
                soc -= 100 * (rest.expected_kwh if rest else use) / bat.usable_kwh
                at_depot = False  # (the block stays in `work`: the plan needs its pull-in, not its energy)
            work.append(Work(b.block_id, out, back, use, need_kwh(est, bat.usable_kwh, th),
                             *judge.depot.allowances(b.trip_ids)))
        if not idle and not any(w.pull_out > st.since for w in work):
            continue
        plugged = (st.charger_id or UNKNOWN_CHARGER) if at_depot else None
        buses.append(Bus(vid, bat.usable_kwh, bat.charge_kw or max(p for _, p in bat.points), max(soc, 0.0),
                         st.since, at_depot, tuple(work), bat.points, bat.efficiency, plugged))
    return buses


def depot_charging(judge: FleetJudge, chargers: Sequence[Charger] | None,
                   vehicle_blocks: Mapping[str, Iterable[DayBlock]]) -> DepotCharging:
    """The seam for a judge: the charging plan of `vehicle_blocks` over `chargers` (None: no charger list).

    A pure function of its inputs, cached on them: the plan is made from the judge as of the plan's anchor
    (`FleetJudge.anchored`: the readings then, the yard's marks, the blocks each vehicle runs, the
    chargers, the depot's settings), so every board, block page and yard view within the anchor's step
    share one plan and one seam, and a reading arriving meanwhile costs no re-plan. The plan is made again
    when the anchor moves (every PLAN_EVERY) or an input changes (an assignment, a charger, a setting, a
    mark, a vehicle's type)."""
    rules = yard_rules(judge.depot)
    fleet = (tuple(sorted((v.vehicle_id, v.vehicle_type) for v in judge.vehicles.values())),
             tuple(sorted((n, battery(t)) for n, t in judge.types.items())))
    if chargers is None:
        return _seam(rules, fleet, None, (), None)
    at = judge.anchored()
    buses = charging_buses(at, vehicle_blocks, idle=False)
    ends = [w.pull_in for b in buses for w in b.work]
    end = min(max([at.now + PLAN_AHEAD, *ends]), at.now + PLAN_MAX)
    end = end.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)  # the same plan all hour
    return _seam(rules, fleet, tuple(chargers), tuple(buses), end)


@lru_cache(maxsize=4)  # a seam holds per-vehicle arrays of free kW: a few MB at 300 buses
def _seam(rules: YardRules, fleet: tuple[tuple[tuple[str, str], ...], tuple[tuple[str, Battery | None], ...]],
          chargers: tuple[Charger, ...] | None, buses: tuple[Bus, ...], end: datetime | None) -> DepotCharging:
    """Never changed after it is made (its per-vehicle views are filled in on first use, the same each time)."""
    by_type = dict(fleet[1])
    batteries = {vid: by_type.get(name) for vid, name in fleet[0]}
    if chargers is None:
        return DepotCharging(rules, batteries)
    plan = plan_charging(buses, chargers, rules, end) if buses and end is not None else None
    return DepotCharging(rules, batteries, chargers, plan)
