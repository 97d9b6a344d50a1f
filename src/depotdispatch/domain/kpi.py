"""KPIs for operations managers (DESIGN §12): pure rules over plain records, `now` as a parameter.

- A block "ran" when its status is completed or in_service at `now`; the vehicle that ran it is the one
  holding it when it ended (or at `now`, while it runs).
- "The plan at pull-out" is the plan as it stood at the block's actual (else planned) start, rebuilt
  from the audit log.
- A warning "proved right" when the block ended badly: the vehicle's first reading after the block
  ended was below its reserve, the block was cut short, or it was changed out.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache, reduce
from itertools import compress
from operator import add

import numpy as np

from depotdispatch.domain.assessment import FleetJudge, thresholds
from depotdispatch.domain.blocks import label_of
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import Vehicle, VehicleType
from depotdispatch.domain.kpi_columns import NONE, BlockColumns, first_after
from depotdispatch.domain.kpi_records import Availability, BlockKey, ReadingLog, Step, micros
from depotdispatch.domain.status import block_status
from depotdispatch.domain.temperature import TemperatureProfile
from depotdispatch.domain.turnaround import NONE as NO_CLASH
from depotdispatch.domain.turnaround import clash_matrix

RAN = frozenset({"completed", "in_service"})
WARNED = frozenset({"not_viable", "marginal"})
JUDGED = WARNED | {"ok"}  # the verdicts warning accuracy counts
BAD_OUTCOMES = frozenset({"below_reserve", "cut_short", "changed_out"})
# An actual pull-in this much before the planned one means the block did not run its work.
CUT_SHORT = timedelta(minutes=20)
_US = timedelta(microseconds=1)


@dataclass(frozen=True)
class Outcome:
    kind: str  # below_reserve | cut_short | changed_out | fine | unknown
    detail: str

    @property
    def bad(self) -> bool:
        return self.kind in BAD_OUTCOMES


def block_outcome(block: DayBlock, vehicle_id: str, *, reserve_pct: float, readings: ReadingLog,
                  changed_out: bool, look_after: timedelta) -> Outcome:
    """How the block ended for the vehicle that ran it."""
    kind, at = _ending(block, vehicle_id, reserve_pct, readings, changed_out, look_after)
    if kind == "changed_out":
        return Outcome(kind, f"{label_of(block)} was changed out")
    if kind == "cut_short" and block.actual_end is not None:  # cut short: it has its actual end
        return Outcome(kind, f"{label_of(block)} ended {block.actual_end.isoformat()}, "
                             f"planned {block.pull_in.isoformat()}")
    if at is None:
        return Outcome(kind, f"no reading of {vehicle_id} after the block ended")
    reading = readings.reading(at)
    if kind == "below_reserve":
        return Outcome(kind, f"{vehicle_id} read {reading.soc_pct:.0f} % at "
                             f"{reading.measured_at.isoformat()}, reserve {reserve_pct:.0f} %")
    return Outcome(kind, f"{vehicle_id} read {reading.soc_pct:.0f} % at {reading.measured_at.isoformat()}")


def _ending(block: DayBlock, vehicle_id: str, reserve_pct: float, readings: ReadingLog, changed_out: bool,
            look_after: timedelta) -> tuple[str, int | None]:
    """The rule of block_outcome without its sentence (warning accuracy asks it of every block); with
    the position of the reading it went by, if any."""
    if changed_out:
        return "changed_out", None
    if block.actual_end is not None and block.actual_end < block.pull_in - CUT_SHORT:
        return "cut_short", None
    end = block.actual_end or block.pull_in
    at = readings.first_after_index(vehicle_id, end, look_after)
    if at is None:
        return "unknown", None
    return ("below_reserve" if readings.soc[at] < reserve_pct else "fine"), at


@dataclass
class DayUse:
    service_date: date
    blocks: list[str] = field(default_factory=list)  # ran with a vehicle
    ev_blocks: list[str] = field(default_factory=list)
    km: float = 0.0
    ev_km: float = 0.0


@dataclass(frozen=True)
class Substitution:
    service_date: date
    block_id: str
    vehicle_id: str
    ev_available: str  # an EV that was ok, available and unassigned at the block's pull-out
    reason: str
    event_id: int | None


@dataclass(frozen=True)
class OverrideCase:
    event_id: int | None
    service_date: date
    block_id: str
    vehicle_id: str
    reason: str
    acknowledged: tuple[str, ...]
    verdict: str  # proved_right | proved_wrong | unknown
    outcome: Outcome


@dataclass
class WeekAccuracy:
    week: str  # ISO week, e.g. 2026-W48
    warned_right: list[BlockKey] = field(default_factory=list)
    warned_wrong: list[BlockKey] = field(default_factory=list)
    warned_unknown: list[BlockKey] = field(default_factory=list)
    ok_failed: list[BlockKey] = field(default_factory=list)
    ok_held: list[BlockKey] = field(default_factory=list)
    ok_unknown: list[BlockKey] = field(default_factory=list)


@dataclass(frozen=True)
class Change:
    event_id: int | None
    service_date: date
    block_id: str
    vehicle_id: str | None
    source: str
    kind: str
    at: datetime


@dataclass
class KpiReport:
    first: date
    last: date
    now: datetime
    days: list[DayUse]
    substitutions: list[Substitution]
    overrides: list[OverrideCase]
    weeks: list[WeekAccuracy]
    churn: list[Change]
    uncovered: list[BlockKey]

    @property
    def blocks(self) -> int:
        return sum(len(d.blocks) for d in self.days)

    @property
    def ev_blocks(self) -> int:
        return sum(len(d.ev_blocks) for d in self.days)

    @property
    def ev_share_blocks(self) -> float | None:
        return share(self.ev_blocks, self.blocks)

    @property
    def ev_share_km(self) -> float | None:
        return share(sum(d.ev_km for d in self.days), sum(d.km for d in self.days))


def share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class KpiFacts:
    """What the KPIs are computed from: the range's blocks and a day either side, the audit log's
    vehicle changes per block, availability history, readings, and the fleet."""

    depot: Depot
    types: Mapping[str, VehicleType]
    vehicles: Mapping[str, Vehicle]
    blocks: Sequence[DayBlock]
    steps: Mapping[BlockKey, list[Step]]
    availability: Availability
    readings: ReadingLog
    temperatures: Mapping[date, float | TemperatureProfile] = field(default_factory=dict)


@lru_cache(maxsize=1024)
def iso_week(d: date) -> str:
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def pulled_out_at(b: DayBlock) -> datetime:
    return b.actual_start or b.pull_out


def compute(facts: KpiFacts, first: date, last: date, now: datetime) -> KpiReport:
    cols = BlockColumns(facts.blocks, facts.steps)
    blocks, steps = cols.blocks, cols.steps  # a block's DayBlock is made only when a rule needs it whole
    changed_out = blocks.changed_out()
    is_ev = {v: facts.types[x.vehicle_type].is_electric for v, x in facts.vehicles.items()}
    days = {first + timedelta(days=i): DayUse(first + timedelta(days=i)) for i in range((last - first).days + 1)}
    finder = SubstitutionFinder(facts, is_ev, cols)
    weeks: dict[str, WeekAccuracy] = {}
    subs: list[Substitution] = []
    uncovered: list[BlockKey] = []
    by_diesel: list[tuple[int, Step]] = []  # blocks run by a non-EV: was an EV free and ok?
    reserves = {v: _reserve_of(facts, v) for v in facts.vehicles}
    look_after = timedelta(hours=facts.depot.stale_after_h)
    # the rules that compare instants, for every block at once (kpi_columns); then the range's blocks
    # that ran, in (service date, pull-out, block id) order
    in_range = np.flatnonzero((cols.day >= first.toordinal()) & (cols.day <= last.toordinal()))
    ids = np.array([blocks.block_id[i] for i in in_range.tolist()], dtype=str)
    in_range = in_range[np.lexsort((ids, cols.start_us[in_range], cols.day[in_range]))]
    ran_mask = cols.ran(now)
    at_start_of = cols.in_effect(cols.pull_out_us)
    ran_of = cols.in_effect(np.minimum(micros(now), cols.done_us))
    ran = in_range[ran_mask[in_range]]
    start_step = at_start_of.tolist()
    judged = [i for i in ran[(at_start_of[ran] >= 0) & (ran_of[ran] >= 0)].tolist()
              if steps[start_step[i]].verdict in JUDGED]
    kinds = _endings(facts, cols, judged, [steps[start_step[i]].vehicle_id or "" for i in judged], reserves,
                     changed_out, look_after)
    service_dates, block_ids, distance_km = blocks.service_date, blocks.block_id, blocks.distance_km
    # the blocks that ran, day by day (`ran` is in day order), as columns: what each day counts, in order
    r0 = ran_of[ran]
    keys = blocks.keys()
    started = in_range[(ran_mask | cols.missed(now))[in_range]]  # in day order, as `ran`
    uncovered += [keys[i] for i in started[at_start_of[started] < 0].tolist()]
    held = r0 >= 0  # ran with a vehicle
    used, step_of = ran[held], r0[held]
    step_ev = np.fromiter((is_ev.get(s.vehicle_id or "", False) for s in steps), bool, len(steps))
    by_ev = step_ev[step_of] if len(step_of) else np.zeros(0, dtype=bool)
    cut = np.flatnonzero(np.diff(cols.day[used])) + 1
    for part, of_ev in zip(np.split(used, cut), np.split(by_ev, cut), strict=True):
        mine = part.tolist()
        if not mine:
            continue
        day = days[service_dates[mine[0]]]
        evs = list(compress(mine, of_ev.tolist()))
        day.blocks, day.ev_blocks = [block_ids[i] for i in mine], [block_ids[i] for i in evs]
        # summed in order as one running total (not numpy's pairwise sum): the same float to the last bit
        day.km = reduce(add, [distance_km[i] or 0.0 for i in mine], day.km)
        day.ev_km = reduce(add, [distance_km[i] or 0.0 for i in evs], day.ev_km)
    by_diesel += zip(used[~by_ev].tolist(), [steps[k] for k in step_of[~by_ev].tolist()], strict=True)
    for i, kind in zip(judged, kinds, strict=True):  # in the order they ran
        name = iso_week(service_dates[i])
        week = weeks.get(name) or weeks.setdefault(name, WeekAccuracy(name))
        if steps[start_step[i]].verdict in WARNED:
            bucket = week.warned_unknown if kind == "unknown" else (
                week.warned_right if kind in BAD_OUTCOMES else week.warned_wrong)
        else:
            bucket = week.ok_unknown if kind == "unknown" else (
                week.ok_failed if kind in BAD_OUTCOMES else week.ok_held)
        bucket.append(keys[i])
    for (i, ran_with), ev in zip(by_diesel, finder.free_ok_evs([blocks[i] for i, _ in by_diesel]), strict=True):
        if ev is not None:
            reason = ran_with.override_reason or f"no reason recorded ({ran_with.source})"
            subs.append(Substitution(service_dates[i], block_ids[i], ran_with.vehicle_id or "", ev, reason,
                                     ran_with.event_id))
    in_range_mask = np.zeros(len(blocks), dtype=bool)
    in_range_mask[in_range] = True
    ran_by = np.where(ran_mask, at_start_of, NONE)  # the step each block that ran started with
    overrides = _overrides(facts, cols, in_range_mask, ran_by, changed_out, now)
    churn = _churn(cols, in_range_mask, now)
    return KpiReport(first, last, now, list(days.values()), subs, overrides,
                     [weeks[w] for w in sorted(weeks)], churn, uncovered)


def _endings(facts: KpiFacts, cols: BlockColumns, at: Sequence[int], vehicle_ids: Sequence[str],
             reserves: Mapping[str, float], changed_out: set[tuple[date, str]], look_after: timedelta) -> list[str]:
    """_ending's kind for many blocks (positions in cols) and the vehicles that ran them, as columns."""
    idx = np.array(at, dtype=np.int64)
    end = cols.done_us[idx]
    read = first_after(facts.readings, vehicle_ids, end, look_after)
    short = cols.has_actual_end[idx] & (cols.actual_end_us[idx] < cols.end_us[idx] - CUT_SHORT // _US)
    reserve = np.array([reserves[v] if v in reserves else _reserve_of(facts, v) for v in vehicle_ids])
    soc = facts.readings.soc if len(facts.readings.soc) else np.zeros(1)  # no reading at all: nothing is below
    below = (read >= 0) & (soc[np.maximum(read, 0)] < reserve)
    out = []
    service_dates, block_ids = cols.blocks.service_date, cols.blocks.block_id
    for k, i in enumerate(at):
        if (service_dates[i], block_ids[i]) in changed_out:
            out.append("changed_out")
        elif short[k]:
            out.append("cut_short")
        elif read[k] < 0:
            out.append("unknown")
        else:
            out.append("below_reserve" if below[k] else "fine")
    return out


def _outcome(facts: KpiFacts, b: DayBlock, vehicle_id: str, changed_out: bool) -> Outcome:
    return block_outcome(b, vehicle_id, reserve_pct=_reserve_of(facts, vehicle_id), readings=facts.readings,
                         changed_out=changed_out, look_after=timedelta(hours=facts.depot.stale_after_h))


def _reserve_of(facts: KpiFacts, vehicle_id: str) -> float:
    vehicle = facts.vehicles.get(vehicle_id)
    return _reserve(facts, vehicle.vehicle_type) if vehicle else facts.depot.reserve_pct


def _reserve(facts: KpiFacts, type_name: str) -> float:
    cache: dict[str, float] = facts.__dict__.setdefault("_reserve", {})
    if type_name not in cache:
        vtype = facts.types.get(type_name)
        cache[type_name] = thresholds(facts.depot, vtype).reserve_pct if vtype else facts.depot.reserve_pct
    return cache[type_name]


def _overrides(facts: KpiFacts, cols: BlockColumns, in_range: np.ndarray, ran_by: np.ndarray,
               changed_out: set[tuple[date, str]], now: datetime) -> list[OverrideCase]:
    """Every override made on the range's blocks; judged only when it is the assignment the block ran with
    (`ran_by`: per block, the position of the step it started with, NONE when it did not run)."""
    out = []
    u = micros(now)
    for k in np.flatnonzero(in_range[cols.step_block] & (cols.step_at_us <= u)).tolist():
        s = cols.steps[k]
        if s.override_reason is None:  # not an override (Step.is_override)
            continue
        i = int(cols.step_block[k])
        b = cols.blocks[i]
        r = int(ran_by[i])
        if r < 0 or cols.steps[r].event_id != s.event_id:
            outcome = Outcome("unknown", "the block did not run with this override's vehicle")
        elif block_status(b, now, now).status != "completed":
            outcome = Outcome("unknown", "the block has not ended yet")
        else:
            outcome = _outcome(facts, b, s.vehicle_id or "", (b.service_date, b.block_id) in changed_out)
        verdict = "unknown" if outcome.kind == "unknown" else ("proved_right" if outcome.bad else "proved_wrong")
        out.append(OverrideCase(s.event_id, b.service_date, b.block_id, s.vehicle_id or "",
                                s.override_reason or "", s.acknowledged, verdict, outcome))
    return sorted(out, key=lambda o: (o.service_date, o.block_id, o.event_id or 0))


def _churn(cols: BlockColumns, in_range: np.ndarray, now: datetime) -> list[Change]:
    """Vehicle changes after the first plan of the day: the plan as it stood at the day's first pull-out."""
    days, day_of = np.unique(cols.day, return_inverse=True)
    first = np.full(len(days), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, day_of[in_range], cols.start_us[in_range])  # the day's first planned pull-out
    block = cols.step_block
    after = in_range[block] & (cols.step_at_us > first[day_of[block]]) & (cols.step_at_us <= micros(now))
    out = []
    for k in np.flatnonzero(after).tolist():
        s, b = cols.steps[k], cols.blocks[int(block[k])]
        out.append(Change(s.event_id, b.service_date, b.block_id, s.vehicle_id, s.source, s.kind, s.at))
    return sorted(out, key=lambda c: (c.at, c.event_id or 0))


def by_reason(items: Sequence[Substitution]) -> dict[str, int]:
    return dict(Counter(s.reason for s in items).most_common())


class SubstitutionFinder:
    """Was an EV `ok` for this block, available and unassigned, in the plan as it stood at its pull-out?

    The EVs' assignments are held as numpy rows (vehicle, block times, when the assignment held) per
    service date, so "who was busy at T" is one vectorised test per block, not a loop over the fleet.
    """

    def __init__(self, facts: KpiFacts, is_ev: Mapping[str, bool], cols: BlockColumns | None = None) -> None:
        self.facts = facts
        self.evs = sorted(v for v, e in is_ev.items() if e)
        index = self.ev_index = {v: i for i, v in enumerate(self.evs)}
        self.turn = timedelta(minutes=facts.depot.turnaround_min).total_seconds()
        cols = cols or BlockColumns(facts.blocks, facts.steps)
        self.blocks = cols.blocks
        # one row per EV step: (EV, block start, block end, held from, held until the next step, block)
        ev = np.array([index.get(s.vehicle_id or "", -1) for s in cols.steps], dtype=np.int64)
        sel = np.flatnonzero(ev >= 0)
        bi = cols.step_block[sel]
        table = np.column_stack([ev[sel], cols.start_us[bi] / 1e6, cols.end_us[bi] / 1e6,
                                 cols.step_at_us[sel] / 1e6,
                                 np.where(cols.step_is_last[sel], np.inf, cols.step_until_us[sel] / 1e6), bi]
                                ).astype(float).reshape(-1, 6)
        day = cols.day[bi]
        order = np.argsort(day, kind="stable")
        days, cut = np.unique(day[order], return_index=True)
        self.rows = {date.fromordinal(int(d)): part for d, part in
                     zip(days.tolist(), np.split(table[order], cut[1:]), strict=True)} if len(sel) else {}
        self.index_of: dict[BlockKey, int] = {key: bi for bi, key in enumerate(self.blocks.keys())}
        self._near: dict[date, np.ndarray] = {}
        stale_after = {n: thresholds(facts.depot, vt).stale_after.total_seconds() for n, vt in facts.types.items()}
        types_of = [facts.vehicles[v].vehicle_type for v in self.evs]
        self.stale_s = np.array([stale_after[t] for t in types_of])
        self.max_stale = float(self.stale_s.max()) if self.evs else 0.0
        self.ev_classes = [facts.types[t].vehicle_class for t in types_of]
        self._class_masks: dict[str | None, np.ndarray] = {}
        # availability: a mask for vehicles whose availability never changed, a check for the others
        self.availability_changes = [i for i, v in enumerate(self.evs) if not facts.availability.constant(v)]
        self.available_always = np.array([not facts.availability.constant(v)
                                          or facts.availability.current.get(v, "available") == "available"
                                          for v in self.evs], dtype=bool)
        # every EV's readings in one time line (ties by EV), as arrays
        self.r_ts, self.r_ev, self.r_pos = facts.readings.timeline(self.evs)
        self.r_soc = facts.readings.soc[self.r_pos]
        self.r_of_ev = [np.flatnonzero(self.r_ev == k) for k in range(len(self.evs))]  # each EV's, in time order
        # every EV is judged as available here: availability at the moment asked is checked before
        self.judge = FleetJudge(facts.depot, facts.types,
                                [replace(facts.vehicles[v], availability="available") for v in self.evs], {},
                                datetime.min.replace(tzinfo=UTC), facts.temperatures)
        # made once, before the per-block copies: with no charger list the depot's charging seam depends
        # on the fleet alone, so every copy shares it (made per copy, it was most of a year's query)
        assert self.judge.chargers is None
        _ = self.judge.charging

    def _rows_near(self, d: date) -> np.ndarray:
        if d not in self._near:
            parts = [self.rows[x] for x in (d - timedelta(days=1), d, d + timedelta(days=1)) if x in self.rows]
            self._near[d] = np.concatenate(parts) if parts else np.empty((0, 6))
        return self._near[d]

    def free_ok_ev(self, block: DayBlock) -> str | None:
        return self.free_ok_evs([block])[0]

    def free_ok_evs(self, blocks: Sequence[DayBlock]) -> list[str | None]:
        """For each block, the EV that was ok for it, available and unassigned at its pull-out (the
        fullest such), or None. The tests that need no judge are made for all the blocks at once, as
        (blocks x EVs) matrices; the judge is asked only of the EVs left, fullest first."""
        out: list[str | None] = [None] * len(blocks)
        if not self.evs or not blocks:
            return out
        pulls = [pulled_out_at(b) for b in blocks]
        ts = np.array([t.timestamp() for t in pulls])
        # each EV's latest reading at or before the pull-out; a reading older than the type's staleness
        # threshold makes viability unknown, never ok: only EVs read inside that window are judged
        latest = np.full((len(blocks), len(self.evs)), -1, dtype=np.int64)
        for k, mine in enumerate(self.r_of_ev):
            if not len(mine):  # an EV never read: never ok (and nothing to index)
                continue
            j = np.searchsorted(self.r_ts[mine], ts, "right") - 1
            latest[:, k] = np.where(j >= 0, mine[np.maximum(j, 0)], -1)
        if not len(self.r_ts):
            return out
        ok = (latest >= 0) & (ts[:, None] - self.r_ts[np.maximum(latest, 0)] <= self.stale_s[None, :])
        ok &= self.available_always[None, :]
        held_by_block: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # the rows of its day, held at its pull-out
        by_day: dict[date, list[int]] = defaultdict(list)
        by_class: dict[str | None, list[int]] = defaultdict(list)
        for n, b in enumerate(blocks):
            by_class[b.vehicle_class].append(n)
            by_day[b.service_date].append(n)
        for vehicle_class, ns in by_class.items():
            ok[ns] &= self._class_ok(vehicle_class)
        for d, ns in by_day.items():  # EVs holding a block that overlaps this one (with turnaround)
            rows = self._rows_near(d)
            idx = np.array(ns)
            t = ts[idx, None]
            me = np.array([self.index_of.get((blocks[n].service_date, blocks[n].block_id), -1) for n in ns])
            s = np.array([blocks[n].pull_out.timestamp() for n in ns])
            e = np.array([blocks[n].pull_in.timestamp() for n in ns])
            held = (rows[:, 3] <= t) & (t < rows[:, 4]) & (rows[:, 5] != me[:, None])
            # the plan's one overlap-and-turnaround rule: even a short turnaround makes the EV busy
            busy = held & (clash_matrix(s, e, rows[:, 1], rows[:, 2], self.turn) != NO_CLASH)
            bi, ri = np.nonzero(busy)
            ok[idx[bi], rows[ri, 0].astype(int)] = False
            for k, n in enumerate(ns):
                held_by_block[n] = (rows, held[k])
        for i in self.availability_changes:
            for n in np.flatnonzero(ok[:, i]).tolist():
                if self.facts.availability.at(self.evs[i], pulls[n]) != "available":
                    ok[n, i] = False
        for n in np.flatnonzero(ok.any(axis=1)).tolist():
            rows, held_now = held_by_block[n]
            out[n] = self._first_ok(blocks[n], pulls[n], np.flatnonzero(ok[n]), latest[n], rows[held_now])
        return out

    def _first_ok(self, block: DayBlock, t: datetime, evs: np.ndarray, latest: np.ndarray,
                  held: np.ndarray) -> str | None:
        at = latest[evs]
        judge = self.judge.at_moment(t)  # estimates cached per block and type hold at any moment
        for j in np.argsort(-self.r_soc[at], kind="stable"):  # the fullest first: usually the first is ok
            i = int(evs[j])
            judge.readings[self.evs[i]] = self.facts.readings.reading(int(self.r_pos[at[j]]))
            mine = [self.blocks[int(bi)] for bi in held[held[:, 0] == i, 5]]
            if judge.judge(self.evs[i], block, [*mine, block]).status == "ok":
                return self.evs[i]
        return None

    def _class_ok(self, vehicle_class: str | None) -> np.ndarray:
        if vehicle_class not in self._class_masks:
            self._class_masks[vehicle_class] = np.array([
                not (vehicle_class and c and c != vehicle_class) for c in self.ev_classes], dtype=bool)
        return self._class_masks[vehicle_class].copy()
