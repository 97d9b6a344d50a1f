"""The depot charging plan (DESIGN §12a): who charges on which connector when, within the site's power.

Charging happens only at the depot, on a free connector, between a pull-in (plus its block's pull-in allowance)
and the next pull-out (less its block's pull-out allowance), and only in stays of at least the minimum dwell.
The allowances come with each `Work`, as `Depot.allowances` decides them for its block (none for a
yard-timed block: its times are the yard's already).
When more buses wait than connectors, the earliest next pull-out goes first, then the least laxity
(time to spare after charging what it lacks at full power: the best charger's, within the site cap).
A bus keeps its connector until it has what its next pull-out needs; after that it tops up only while
nobody that still lacks energy waits.
Power goes by the same priority: each connected bus draws what its curve accepts, up to its own and
its charger's kW, until the charger's (shared by its connectors) or the site's cap is used up.

The plan is a time-stepped simulation: it decides who is on which connector at each `step` (5 min),
and within a step each connected bus charges at a constant cap with the closed-form curve exactly while
it stands at the depot, so a bus that is never short of connector or power gets exactly the readiness of
an unlimited charger. A bus that arrives or leaves within a step holds its connector for the whole
step (the cost of a day is steps x buses, whatever the number of arrivals: bench/charging.py).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from depotdispatch.domain.charging import DEFAULT_EFFICIENCY, ChargingCurve, default_curve
from depotdispatch.domain.errors import InvalidInput

EPS_KWH = 1e-6
UNKNOWN_CHARGER = "?"  # plugged in (a reading said so), charger not known: it holds the best free connector


@dataclass(frozen=True)
class Charger:
    charger_id: str
    max_kw: float  # shared by its connectors
    connectors: int = 1

    def __post_init__(self) -> None:
        if not self.charger_id.strip():
            raise InvalidInput("a charger needs an id")
        if not (0 < self.max_kw <= 10_000) or not math.isfinite(self.max_kw):
            raise InvalidInput(f"charger {self.charger_id}: max_kw {self.max_kw} must be above 0 and at most 10000")
        if not 1 <= self.connectors <= 64:
            raise InvalidInput(f"charger {self.charger_id}: connectors {self.connectors} must be 1 to 64")


@dataclass(frozen=True)
class YardRules:
    """Depot settings for charging."""

    site_cap_kw: float | None = None
    min_dwell: timedelta = timedelta(0)
    step: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class Work:
    """A block the bus runs: energy it uses (expected) and energy it must carry at pull-out to be ok."""

    block_id: str
    pull_out: datetime
    pull_in: datetime
    use_kwh: float
    need_kwh: float
    # before `pull_out` and after `pull_in`, off the charging window: `Depot.allowances(trip_ids)`
    out_allowance: timedelta = timedelta(0)
    in_allowance: timedelta = timedelta(0)
    block_name: str | None = None  # the feed's, for the sentences people read (blocks.block_label)


@dataclass(frozen=True)
class Bus:
    vehicle_id: str
    usable_kwh: float
    charge_kw: float  # the most the vehicle accepts from a charger
    soc_pct: float  # known at `since`
    since: datetime
    at_depot: bool  # standing at the depot from `since` (until its first block), so it may charge
    work: tuple[Work, ...] = ()
    curve_points: tuple[tuple[float, float], ...] | None = None  # battery-side kW by SoC; None = default
    efficiency: float = DEFAULT_EFFICIENCY
    connected_to: str | None = None  # charger it is plugged into at `since`

    def points(self) -> list[tuple[float, float]]:
        return list(self.curve_points) if self.curve_points else default_curve(self.charge_kw)


@dataclass(frozen=True)
class Session:
    vehicle_id: str
    charger_id: str
    start: datetime
    end: datetime
    kw: float  # the cap it charged at (charger side)


@dataclass(frozen=True)
class PullOut:
    vehicle_id: str
    block_id: str
    at: datetime  # the block's pull-out
    soc_pct: float  # projected at pull-out
    need_pct: float  # to be ok
    charged_kwh: float  # on the depot's chargers since the previous pull-out (or `since`)

    @property
    def ready(self) -> bool:
        return self.soc_pct + 1e-9 >= self.need_pct


@dataclass(frozen=True)
class Plug:
    """When the plan puts a bus on a connector (it may draw power only later: a charger's kW and the site's
    cap go by priority, so a bus on a free connector can wait for power)."""

    vehicle_id: str
    charger_id: str
    at: datetime


@dataclass(frozen=True)
class Load:
    """What one bus drew on one charger over one step of the plan; `needed`: it still lacked energy for its
    next pull-out (a top-up is not needed: it yields its connector to a bus that lacks energy)."""

    vehicle_id: str
    charger_id: str
    start: datetime
    end: datetime
    draw_kw: float
    needed: bool


@dataclass
class ChargingPlan:
    sessions: list[Session] = field(default_factory=list)
    pull_outs: dict[tuple[str, str], PullOut] = field(default_factory=dict)
    loads: list[Load] = field(default_factory=list)
    plugs: list[Plug] = field(default_factory=list)

    def ready_count(self) -> int:
        return sum(p.ready for p in self.pull_outs.values())

    def sessions_of(self, vehicle_id: str) -> list[Session]:
        return [s for s in self.sessions if s.vehicle_id == vehicle_id]


@dataclass(frozen=True)
class Stay:
    """A time the bus stands at the depot and may charge, with the pull-out it must be ready for."""

    arrive: datetime
    depart: datetime
    work: Work | None


def stays(bus: Bus, rules: YardRules, end: datetime) -> list[Stay]:
    work = sorted(bus.work, key=lambda w: w.pull_out)
    out: list[Stay] = []
    arrive: datetime | None = bus.since if bus.at_depot else None
    for w in work:
        if w.pull_in <= bus.since:
            continue
        if arrive is not None:
            out.append(Stay(arrive, w.pull_out - w.out_allowance, w))
        arrive = w.pull_in + w.in_allowance
    if arrive is not None:
        out.append(Stay(arrive, end, None))
    return [s for s in out if s.depart > s.arrive and (s.depart - s.arrive >= rules.min_dwell or s is out[0]
                                                        and bus.connected_to is not None)]


def kw_step(kw: float) -> float:
    """A power cap on a 0.1 kW grid (rounded down: never more than the charger gives), so that the
    closed-form curves can be shared between steps and buses."""
    return math.floor(kw * 10 + 1e-9) / 10


@lru_cache(maxsize=4096)
def capped_curve(usable_kwh: float, points: tuple[tuple[float, float], ...], efficiency: float,
                 kw: float) -> ChargingCurve:
    return ChargingCurve(usable_kwh, points, charger_kw=kw, efficiency=efficiency)


class _State:
    def __init__(self, bus: Bus, rules: YardRules, end: datetime) -> None:
        self.bus = bus
        self.soc = bus.soc_pct / 100
        self.stays = stays(bus, rules, end)
        self._stay = 0  # the plan asks in time order: the first stay that may still hold `t`
        self.pending = sorted((w for w in bus.work if w.pull_out > bus.since), key=lambda w: w.pull_out)
        self.connected: str | None = bus.connected_to
        self.charged = 0.0
        self._points = tuple(sorted((float(x), float(y)) for x, y in bus.points()))
        self._xs = [x for x, _ in self._points]
        self._ys = [y for _, y in self._points]

    def stay_in(self, t: datetime, t_next: datetime) -> Stay | None:
        """The stay that overlaps [t, t_next) (the plan asks in time order)."""
        while self._stay < len(self.stays) and self.stays[self._stay].depart <= t:
            self._stay += 1
        if self._stay < len(self.stays) and self.stays[self._stay].arrive < t_next:
            return self.stays[self._stay]
        return None

    def curve(self, kw: float) -> ChargingCurve:
        return capped_curve(self.bus.usable_kwh, self._points, self.bus.efficiency, kw)

    def lack_kwh(self, stay: Stay) -> float:
        return 0.0 if stay.work is None else max(stay.work.need_kwh - self.soc * self.bus.usable_kwh, 0.0)

    def accept_kw(self) -> float:
        """Charger-side power the battery takes at its present SoC (the curve, linear between points)."""
        if self.soc >= 1 - 1e-9:
            return 0.0
        xs, ys = self._xs, self._ys
        k = min(max(bisect.bisect_right(xs, self.soc) - 1, 0), len(xs) - 2)
        x0, x1 = xs[k], xs[k + 1]
        share = 0.0 if x1 <= x0 else min(max((self.soc - x0) / (x1 - x0), 0.0), 1.0)
        return (ys[k] + share * (ys[k + 1] - ys[k])) / self.bus.efficiency


def _key(st: _State, stay: Stay, t: datetime, best_kw: float) -> tuple[bool, float, float, str]:
    """Earliest pull-out, then least laxity; a bus that cannot be ready even at full power from now on
    goes after those that still can (it still charges, on what is left)."""
    if stay.work is None:
        return (True, math.inf, math.inf, st.bus.vehicle_id)
    kw = min(st.bus.charge_kw, best_kw) * st.bus.efficiency
    need_h = st.lack_kwh(stay) / kw if kw > 0 else math.inf
    left_s = (stay.depart - t).total_seconds()
    laxity = left_s / 3600 - need_h
    return (laxity < -1e-9, left_s, laxity, st.bus.vehicle_id)


def plan_charging(buses: Sequence[Bus], chargers: Sequence[Charger], rules: YardRules,
                  end: datetime) -> ChargingPlan:
    """Simulate the depot from each bus's `since` to `end` and say when each bus charges where."""
    if rules.step <= timedelta(0):
        raise InvalidInput("the charging plan needs a positive step")
    plan = ChargingPlan()
    states = [_State(b, rules, end) for b in buses]
    if not states:
        return plan
    by_id = {c.charger_id: c for c in chargers}
    order_kw = _best_first(by_id)
    # full power for a bus: its best charger's, within the site's cap (the laxity and who cannot be ready
    # are judged on what the site can give; above the cap, tied buses took turns and all came out short)
    best_kw = min(max((c.max_kw for c in chargers), default=0.0), rules.site_cap_kw or math.inf)
    start = min(b.since for b in buses)
    # decisions on the step's grid only (so a day costs steps x buses, not events x buses); within a step
    # each bus charges exactly while it stands there, so nobody short of a connector loses a minute
    times = [start + k * rules.step for k in range(int((end - start) / rules.step) + 1)]
    if times[-1] < end:
        times.append(end)
    for t, t_next in zip(times, times[1:], strict=False):
        _pull_outs(states, t, plan)
        present: list[tuple[_State, Stay]] = []
        for st in states:
            stay = st.stay_in(t, t_next) if t_next > st.bus.since else None
            if stay is None:
                st.connected = None
            else:
                present.append((st, stay))
        present.sort(key=lambda p: _key(p[0], p[1], t, best_kw))
        for st, stay, cid in _connect(present, by_id, order_kw):
            plan.plugs.append(Plug(st.bus.vehicle_id, cid, max(t, stay.arrive, st.bus.since)))
        _charge(present, by_id, rules, t, t_next, plan)
    _pull_outs(states, times[-1] + timedelta(microseconds=1), plan)
    plan.sessions = _merged(plan.sessions)
    return plan


def _pull_outs(states: list[_State], t: datetime, plan: ChargingPlan) -> None:
    for st in states:
        while st.pending and st.pending[0].pull_out <= t:
            w = st.pending.pop(0)
            usable = st.bus.usable_kwh
            plan.pull_outs[(st.bus.vehicle_id, w.block_id)] = PullOut(
                st.bus.vehicle_id, w.block_id, w.pull_out, round(st.soc * 100, 2),
                round(100 * w.need_kwh / usable, 2), round(st.charged, 2))
            st.soc -= w.use_kwh / usable
            st.charged = 0.0
            st.connected = None


def _best_first(chargers: dict[str, Charger]) -> list[str]:
    """Charger ids, the one a bus is put on first (most kW, then by id) first."""
    return sorted(chargers, key=lambda c: (chargers[c].max_kw, _neg(c)), reverse=True)


def _first_free(order: list[str], free: dict[str, int]) -> str | None:
    return next((c for c in order if free[c] > 0), None)


def _connect(present: list[tuple[_State, Stay]], chargers: dict[str, Charger], order_kw: list[str]
             ) -> list[tuple[_State, Stay, str]]:
    """Who holds which connector this step; returns the buses put on one now."""
    free = {cid: c.connectors for cid, c in chargers.items()}
    for st, stay in present:
        if st.connected is not None and st.accept_kw() <= 0 and st.lack_kwh(stay) <= EPS_KWH:
            st.connected = None  # full: it frees its connector (unplugged when the next bus needs it)
        if st.connected is not None:
            if st.connected in free and free[st.connected] > 0:
                free[st.connected] -= 1
            elif st.connected == UNKNOWN_CHARGER and (best := _first_free(order_kw, free)) is not None:
                st.connected = best
                free[best] -= 1
            else:
                st.connected = None
    waiting = sum(1 for st, stay in present if st.connected is None and st.lack_kwh(stay) > EPS_KWH)
    short = waiting - sum(free.values())
    # a bus that has what it needs gives its connector to one that still lacks energy (lowest priority first)
    for st, stay in reversed(present):
        if short <= 0:
            break
        if st.connected is not None and st.lack_kwh(stay) <= EPS_KWH:
            free[st.connected] += 1
            st.connected = None
            short -= 1
    order = [(st, stay) for st, stay in present if st.connected is None and st.lack_kwh(stay) > EPS_KWH]
    order += [(st, stay) for st, stay in present if st.connected is None and st.lack_kwh(stay) <= EPS_KWH
              and st.accept_kw() > 0]
    made: list[tuple[_State, Stay, str]] = []
    for st, stay in order:
        cid = _first_free(order_kw, free)
        if cid is None:
            break
        free[cid] -= 1
        st.connected = cid
        made.append((st, stay, cid))
    return made


def _neg(text: str) -> tuple[int, ...]:
    return tuple(-ord(ch) for ch in text)


def _charge(present: list[tuple[_State, Stay]], chargers: dict[str, Charger], rules: YardRules,
            t: datetime, t_next: datetime, plan: ChargingPlan) -> None:
    site_left = math.inf if rules.site_cap_kw is None else rules.site_cap_kw
    charger_left = {cid: c.max_kw for cid, c in chargers.items()}
    connected = [p for p in present if p[0].connected is not None]
    # those that still lack energy draw first, in priority order; then the top-ups
    connected.sort(key=lambda p: p[0].lack_kwh(p[1]) <= EPS_KWH)
    for st, stay in connected:
        cid = st.connected
        assert cid is not None
        a, b = max(t, stay.arrive, st.bus.since), min(t_next, stay.depart)
        if b <= a:
            continue
        hours = (b - a).total_seconds() / 3600
        cap = kw_step(min(st.bus.charge_kw, charger_left[cid], site_left))
        draw = min(cap, st.accept_kw())
        if cap <= 1e-9 or draw <= 1e-9:
            continue
        charger_left[cid] -= draw
        site_left -= draw
        needed = st.lack_kwh(stay) > EPS_KWH
        before = st.soc
        st.soc = float(st.curve(cap).soc_after(max(st.soc, 0.0), hours))
        st.charged += (st.soc - max(before, 0.0)) * st.bus.usable_kwh
        plan.sessions.append(Session(st.bus.vehicle_id, cid, a, b, round(cap, 6)))
        plan.loads.append(Load(st.bus.vehicle_id, cid, a, b, draw, needed))


def _merged(sessions: list[Session]) -> list[Session]:
    out: list[Session] = []
    last: dict[str, int] = {}
    for s in sorted(sessions, key=lambda s: (s.vehicle_id, s.start)):
        i = last.get(s.vehicle_id)
        if i is not None and out[i].end == s.start and out[i].charger_id == s.charger_id and out[i].kw == s.kw:
            out[i] = Session(s.vehicle_id, s.charger_id, out[i].start, s.end, s.kw)
        else:
            last[s.vehicle_id] = len(out)
            out.append(s)
    return sorted(out, key=lambda s: (s.start, s.vehicle_id))
