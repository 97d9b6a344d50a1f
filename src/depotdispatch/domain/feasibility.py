"""Who can run what, for the recommendation: the full viability rule per pair, and the same questions
vectorised over all open blocks at once to narrow the search.

`Feasibility` holds one day's problem (open blocks in time order, available vehicles, what operators
already gave each vehicle, last time's proposals) and answers:
- `take`: may this vehicle add this block to its chain? The full rule (`FleetJudge.judge`) for the
  block and every later block of the chain; only this ever writes a proposal into a `Plan`.
- `row`: over all open blocks, which could the vehicle add on top of its chain? Time and class by the
  plan's one turnaround rule (domain/turnaround.py), energy in closed form from what the chain leaves.
  It may be kinder than `take` (it does not look at later blocks), never stricter on time or class
  (tests/unit/test_recommend_vectorised.py, a gap of exactly the turnaround included).
Rows are cached per (vehicle, chain), so a row is recomputed only when that vehicle's chain changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import attrgetter

import numpy as np

from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.charging import ChargingCurve
from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.explain import FREE_JUDGED, NOT_FREE, EvReasons
from depotdispatch.domain.relink import changed
from depotdispatch.domain.turnaround import clear_pairs, clear_rows
from depotdispatch.domain.viability import Viability

Score = tuple[int, int, int, int, int]
KIND = 1.0  # percentage points `may_take` gives away to stay kinder than the full rule
WHY_NOT = (None, "class_mismatch", "overlaps_block", "soc_missing", "soc_stale", "soc_below_reserve")
NOT_FREE_CODE = np.array([c in NOT_FREE for c in WHY_NOT], dtype=bool)  # per WHY_NOT index: not free for the block


PULL_OUT = attrgetter("pull_out")  # the order of a chain


def ids(chain: Sequence[DayBlock]) -> tuple[str, ...]:
    """A chain's block ids: its key in the caches (a list, not a generator: asked for every take)."""
    return tuple([b.block_id for b in chain])


def hours(a: datetime, b: datetime) -> float:
    return (a - b).total_seconds() / 3600


@dataclass
class Plan:
    """A construction's working state: each vehicle's chain (fixed blocks included, in time order) and
    the open blocks it took. Chains are replaced, never changed in place, through `set_chain`."""

    chains: dict[str, tuple[DayBlock, ...]]
    chosen: dict[int, tuple[str, Viability]] = field(default_factory=dict)
    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)  # vehicle -> its chain's block ids

    def __post_init__(self) -> None:
        if not self.keys:
            self.keys = {v: ids(c) for v, c in self.chains.items()}

    def set_chain(self, vid: str, chain: Sequence[DayBlock], key: tuple[str, ...] | None = None) -> None:
        """`key`: the chain's block ids, when the caller has them already."""
        self.chains[vid] = tuple(chain)
        self.keys[vid] = key if key is not None else ids(chain)

    def as_map(self) -> dict[int, str]:
        return {bi: vid for bi, (vid, _) in self.chosen.items()}

    def copy(self) -> Plan:
        return Plan(dict(self.chains), dict(self.chosen), dict(self.keys))


class Feasibility:
    def __init__(self, judge: FleetJudge, open_blocks: Sequence[DayBlock],
                 vehicle_blocks: Mapping[str, Sequence[DayBlock]], previous: Mapping[str, str] | None = None) -> None:
        self.judge = judge
        self.blocks = sorted(open_blocks, key=lambda b: (b.pull_out, b.block_id))
        self.vehicle_ids = sorted(v for v, veh in judge.vehicles.items() if veh.availability == "available")
        self.is_ev = {v: judge.is_electric(v) for v in self.vehicle_ids}
        self.ev_mask = np.array([self.is_ev[v] for v in self.vehicle_ids], dtype=bool)
        self.fixed = {v: tuple(sorted((b for b in vehicle_blocks.get(v, []) if b.cancelled_at is None),
                                      key=lambda b: b.pull_out)) for v in self.vehicle_ids}
        self.index = {(b.block_id, b.pull_out): bi for bi, b in enumerate(self.blocks)}
        self.previous = dict(previous or {})
        self.prev_by_index = {bi: self.previous[b.block_id] for bi, b in enumerate(self.blocks)
                              if b.block_id in self.previous}
        self.turn = timedelta(minutes=judge.depot.turnaround_min)
        self.turn_h = judge.depot.turnaround_min / 60
        self.starts = np.array([hours(b.pull_out, judge.now) for b in self.blocks])
        self.ends = np.array([hours(b.pull_in, judge.now) for b in self.blocks])
        self.clear = clear_pairs(self.starts, self.ends, self.turn_h)  # open x open blocks: may one vehicle run both?
        self._need: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # type -> (expected, conservative) kWh
        for name in sorted({judge.vehicles[v].vehicle_type for v in self.vehicle_ids if self.is_ev[v]}):
            est = [judge.estimate(b, name) for b in self.blocks]
            self._need[name] = (np.array([e.expected_kwh if e else np.nan for e in est]),
                                np.array([e.conservative_kwh if e else np.nan for e in est]))
        # what `may_take` asks of each EV type for every pair, as plain floats (it is asked thousands of times a
        # solve): the need in % of the battery per block, its curve, the two thresholds less `KIND`
        self._type_of = {v: judge.vehicles[v].vehicle_type for v in self.vehicle_ids}
        self._bounds: dict[str, tuple[list[float], list[float], ChargingCurve | None, float, float]] = {}
        for name, (exp, p90) in self._need.items():
            th, usable = judge.thresholds_for(name), judge.types[name].usable_kwh or 1.0
            self._bounds[name] = ((100 * exp / usable).tolist(), (100 * p90 / usable).tolist(), judge.curve_for(name),
                                  th.reserve_pct + th.marginal_band_pct - KIND, th.reserve_pct - KIND)
        self._starts = self.starts.tolist()
        classes = {judge.types[judge.vehicles[v].vehicle_type].vehicle_class for v in self.vehicle_ids} - {None}
        self._class_ok = {c: np.array([b.vehicle_class in (None, c) for b in self.blocks], dtype=bool)
                          for c in classes}
        self._verdicts: dict[tuple[str, str, tuple[str, ...]], Viability] = {}
        self._rows: dict[tuple[str, tuple[str, ...], bool], np.ndarray] = {}
        self._full = self._full_charge()
        self.recoverable = self._recoverable()

    def new_plan(self) -> Plan:
        return Plan({v: self.fixed[v] for v in self.vehicle_ids})

    def score(self, plan: Plan) -> Score:
        """Lexicographic (DESIGN §12b, issue 16): blocks covered, covered by EVs, fewest changes against
        last time's proposals, then the most recoverable blocks among those left uncovered (an EV could
        run them once charged or read: so non-EVs get the blocks only they can run), then energy margin."""
        ev = sum(1 for vid, _ in plan.chosen.values() if self.is_ev[vid])
        changes = changed(plan.as_map(), self.prev_by_index)
        covered = np.zeros(len(self.blocks), dtype=bool)
        covered[np.fromiter(plan.chosen, dtype=np.intp, count=len(plan.chosen))] = True
        recoverable = int(np.count_nonzero(self.recoverable & ~covered))
        margin = round(sum(v.end_soc_pct or 0.0 for vid, v in plan.chosen.values() if self.is_ev[vid]))
        return len(plan.chosen), ev, -changes, recoverable, margin

    # -- the full rule ---------------------------------------------------------------------------
    def verdict(self, vid: str, block: DayBlock, chain: Sequence[DayBlock],
                key: tuple[str, ...] | None = None) -> Viability:
        """`FleetJudge.judge` of the block with this chain, cached per (vehicle, block, chain ids): the
        constructions, the re-finishing and the row energy ask the same pairs again and again, and the
        judge (its readiness replays the whole chain) is most of a solve's time. The judge and the day
        are fixed for this object's life, so the same question has the same answer."""
        k = (vid, block.block_id, key if key is not None else ids(chain))
        v = self._verdicts.get(k)
        if v is None:
            v = self._verdicts[k] = self.judge.judge(vid, block, chain)
        return v

    def left(self, vid: str, chain: Sequence[DayBlock], key: tuple[str, ...] | None = None) -> float | None:
        """SoC % the chain leaves (after its last block)."""
        return self.verdict(vid, chain[-1], chain, key).end_soc_pct

    def chain_ok(self, vid: str, chain: Sequence[DayBlock], new: DayBlock,
                 key: tuple[str, ...] | None = None) -> Viability | None:
        """The new block's viability if it and every later block of the chain stay ok, else None (`key`: the
        chain's block ids, when the caller has them)."""
        key = key if key is not None else ids(chain)
        v = self.verdict(vid, new, chain, key)
        if v.status != "ok":
            return None
        for b in chain:
            if b.pull_out > new.pull_out and self.verdict(vid, b, chain, key).status != "ok":
                return None
        return v

    def take(self, plan: Plan, vid: str, bi: int) -> bool:
        block = self.blocks[bi]
        chain = sorted([*plan.chains[vid], block], key=PULL_OUT)
        key = ids(chain)
        v = self.chain_ok(vid, chain, block, key)
        if v is None:
            return False
        plan.set_chain(vid, chain, key)
        plan.chosen[bi] = (vid, v)
        return True

    def drop(self, plan: Plan, bi: int) -> None:
        """Take block `bi` away from its vehicle; the vehicle's other proposals are judged again."""
        vid, _ = plan.chosen.pop(bi)
        block = self.blocks[bi]
        plan.set_chain(vid, [b for b in plan.chains[vid] if b is not block])
        self.rejudge(plan, vid)

    def rejudge(self, plan: Plan, vid: str) -> None:
        chain, key = plan.chains[vid], plan.keys[vid]
        for b in chain:
            bi = self.index.get((b.block_id, b.pull_out))
            if bi is not None and bi in plan.chosen and plan.chosen[bi][0] == vid:
                plan.chosen[bi] = (vid, self.verdict(vid, b, chain, key))

    def may_take(self, plan: Plan, vid: str, bi: int) -> bool:
        """Could the vehicle (an EV) add block `bi` after the last block of its chain, on energy? What the chain leaves,
        charged for the whole gap on a connector of its own, against the block's need, `KIND` points
        kinder than `take` (its roundings, the depot's allowances only take charge away): a cheap "no"
        saves a full judgement that would say no. True whenever it cannot tell (no chain, a block after
        this one, an unknown energy): `take` decides."""
        chain = plan.chains[vid]
        if not self.is_ev[vid] or not chain or chain[-1].pull_in > self.blocks[bi].pull_out:
            return True
        left = self.left(vid, chain, plan.keys[vid])
        need, need_p90, curve, ok_at, ok_p90_at = self._bounds[self._type_of[vid]]
        if left is None or need[bi] != need[bi]:  # NaN: no estimate
            return True
        ready = left if curve is None else 100 * curve.soc_after_one(max(left, 0.0) / 100,
                                                                      self._starts[bi] - self.ends_of(chain[-1]))
        return ready - need[bi] >= ok_at and ready - need_p90[bi] >= ok_p90_at

    def ends_of(self, block: DayBlock) -> float:
        return hours(block.pull_in, self.judge.now)

    def charge(self, plan: Plan, vid: str) -> float:
        """SoC % the vehicle has after its chain (its reading when it has none yet)."""
        chain = plan.chains[vid]
        if chain:
            return self.left(vid, chain, plan.keys[vid]) or 0.0
        reading = self.judge.readings.get(vid)
        return reading.soc_pct if reading else 0.0

    # -- the vectorised rule ---------------------------------------------------------------------
    def feasible(self, plan: Plan, open_idx: Sequence[int]) -> np.ndarray:
        """Vehicles x open blocks: could the vehicle take the block on top of its chain?"""
        if not len(open_idx) or not self.vehicle_ids:
            return np.zeros((len(self.vehicle_ids), len(open_idx)), dtype=bool)
        return self.matrix(plan, self.vehicle_ids)[:, np.asarray(open_idx)]

    def matrix(self, plan: Plan, vids: Sequence[str], energy: bool = True) -> np.ndarray:
        """`row` for each of `vids` (rows) over all open blocks; the rows not cached yet are computed
        together, the energy rule per vehicle type in one array operation."""
        missing = [v for v in vids if (v, plan.keys[v], energy) not in self._rows]
        if missing:
            self._fill([(v, plan.chains[v], plan.keys[v]) for v in missing], energy)
        return np.array([self._rows[(v, plan.keys[v], energy)] for v in vids]) if vids else \
            np.zeros((0, len(self.blocks)), dtype=bool)

    def row(self, plan: Plan, vid: str, energy: bool = True) -> np.ndarray:
        return self.row_of(vid, plan.chains[vid], plan.keys[vid], energy)

    def row_of(self, vid: str, chain: Sequence[DayBlock], key: tuple[str, ...], energy: bool = True) -> np.ndarray:
        """Over all open blocks, for this vehicle with this chain (`key`: its block ids)."""
        k = (vid, key, energy)
        if k not in self._rows:
            self._fill([(vid, chain, key)], energy)
        return self._rows[k]

    def _fill(self, wanted: Sequence[tuple[str, Sequence[DayBlock], tuple[str, ...]]], energy: bool) -> None:
        j = self.judge
        todo = []
        for w in wanted:
            if (w[0], w[2], False) not in self._rows:
                grown = self._grown(*w)
                if grown is None:
                    todo.append(w)
                else:
                    self._rows[(w[0], w[2], False)] = grown
        if todo:  # time and class: the plan's one turnaround rule, its rows of open blocks worked out once
            rows = np.array([self._class_ok[c] if (c := j.types[j.vehicles[vid].vehicle_type].vehicle_class)
                             else np.ones(len(self.blocks), bool) for vid, _, _ in todo])
            others = []  # blocks of a chain that are not open (an operator's): the rule for those in one go
            for r, (_, chain, _) in enumerate(todo):
                mine, rest = [], []
                for b in chain:
                    k = self.index.get((b.block_id, b.pull_out))
                    if k is not None and self.blocks[k] is b:
                        mine.append(k)
                    else:
                        rest.append(b)
                if mine:
                    rows[r] &= self.clear[mine].all(axis=0)
                if rest:
                    others.append((r, rest))
            if others:
                busy = [([hours(b.pull_out, j.now) for b in bs], [hours(b.pull_in, j.now) for b in bs])
                        for _, bs in others]
                rows[[r for r, _ in others]] &= clear_rows(self.starts, self.ends, busy, self.turn_h)
            for (vid, _, key), row in zip(todo, rows, strict=True):
                self._rows[(vid, key, False)] = row
        if not energy:
            return
        by_type: dict[str, list[tuple[str, Sequence[DayBlock], tuple[str, ...]]]] = {}
        for w in wanted:
            if self.is_ev[w[0]]:
                by_type.setdefault(j.vehicles[w[0]].vehicle_type, []).append(w)
            else:
                self._rows[(w[0], w[2], True)] = self._rows[(w[0], w[2], False)]
        for type_name, group in sorted(by_type.items()):
            free = np.array([self._rows[(vid, key, False)] for vid, _, key in group])
            ok = free & self._energy_ok(type_name, group, free)
            for (vid, _, key), row in zip(group, ok, strict=True):
                self._rows[(vid, key, True)] = row

    def _grown(self, vid: str, chain: Sequence[DayBlock], key: tuple[str, ...]) -> np.ndarray | None:
        """The time-and-class row of a chain that is one open block more than a chain whose row is known: that
        row and the block's row of `clear` (the same AND, all but one of its terms done). None: none known.
        Tried from the chain's end, where the constructions mostly add."""
        for p in range(len(chain) - 1, -1, -1):
            known = self._rows.get((vid, key[:p] + key[p + 1:], False))
            if known is not None:
                b = chain[p]
                k = self.index.get((b.block_id, b.pull_out))
                if k is not None and self.blocks[k] is b:
                    row: np.ndarray = known & self.clear[k]
                    return row
        return None

    def _energy_ok(self, type_name: str, group: Sequence[tuple[str, Sequence[DayBlock], tuple[str, ...]]],
                   free: np.ndarray) -> np.ndarray:
        """EVs of one type (rows) x open blocks: enough charge at pull-out, on top of what each chain leaves
        (charging after its last block) or from the reading (charging only when it is plugged in). Only
        where `free` (time and class) is worked out in full: elsewhere the answer is not asked."""
        j = self.judge
        vtype = j.types[type_name]
        th = j.thresholds_for(type_name)
        curve = j.curve_for(type_name)
        exp, p90 = self._need[type_name]
        usable = vtype.usable_kwh or 1.0
        n = len(group)
        soc0, since, plugged = np.zeros(n), np.zeros(n), np.zeros(n, dtype=bool)
        from_t = np.full(n, -np.inf)  # charging applies to blocks starting after this (the chain's last end)
        known = np.zeros(n, dtype=bool)
        for r, (vid, chain, key) in enumerate(group):
            reading = j.fresh_reading(vid)
            if reading is None:
                continue
            if chain:
                left = self.left(vid, chain, key)
                if left is None:
                    continue
                soc0[r], since[r], plugged[r] = left, hours(chain[-1].pull_in, j.now), True
                from_t[r] = since[r]
            else:
                st = j.standing(vid)  # the reading, or the yard's later plug mark (readiness' own start)
                assert st is not None
                soc0[r], since[r], plugged[r] = st.soc_pct, hours(st.since, j.now), st.plugged
            known[r] = True
        need, need_p90 = 100 * exp / usable, 100 * p90 / usable

        def enough(pct: np.ndarray | float, at: np.ndarray | slice) -> np.ndarray:  # the two energy thresholds
            return (pct - need[at] >= th.reserve_pct + th.marginal_band_pct) & (pct - need_p90[at] >= th.reserve_pct)

        ready = np.repeat(soc0[:, None], len(self.blocks), axis=1)
        if curve is not None and plugged.any():
            rows = np.nonzero(plugged)[0]
            # before or between its blocks a vehicle has only what its chain leaves; the charging curve (the
            # costly part) only where the block is free and after the chain
            at_row, at_col = np.nonzero(free[rows] & (self.starts[None, :] >= from_t[rows][:, None]))
            at_row = rows[at_row]
            start = np.maximum(soc0, 0.0) / 100
            # charging only adds, up to a full battery: where what it starts from is enough, or a full battery is
            # not, the answer is known without the curve (and the same)
            least = 100 * np.clip(start, 0.0, 1.0)[at_row]
            with np.errstate(invalid="ignore"):
                ask = ~enough(least, at_col) & enough(100.0, at_col)
            ready[at_row, at_col] = least
            ready[at_row[ask], at_col[ask]] = curve.soc_after_each(start, at_row[ask],
                                                                   self.starts[at_col[ask]] - since[at_row[ask]]) * 100
        with np.errstate(invalid="ignore"):
            ok: np.ndarray = enough(ready, slice(None)) & ~np.isnan(exp) & known[:, None]
        return ok

    def _full_charge(self) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per EV type of the fleet: the SoC each block would leave it on a full charge (expected, conservative;
        NaN where the block's class is not the type's or its energy is unknown), and whether that is enough."""
        out = {}
        j = self.judge
        for name in sorted({j.vehicles[v].vehicle_type for v in self.vehicle_ids if self.is_ev[v]}):
            vtype = j.types[name]
            th = j.thresholds_for(vtype.name)
            exp, p90 = self._need[vtype.name]
            usable = vtype.usable_kwh or 1.0
            cls = self._class_ok[vtype.vehicle_class] if vtype.vehicle_class else np.ones(len(self.blocks), bool)
            end, end_p90 = np.where(cls, 100 - 100 * exp / usable, np.nan), np.where(cls, 100 - 100 * p90 / usable,
                                                                                       np.nan)
            with np.errstate(invalid="ignore"):
                enough = (end >= th.reserve_pct + th.marginal_band_pct) & (end_p90 >= th.reserve_pct)
            out[name] = (end, end_p90, enough)
        return out

    def _recoverable(self) -> np.ndarray:
        """Per block: could some available EV run it on a full charge (so it is the one to leave uncovered
        when something must be: a reading or a charge away from covered)?"""
        out = np.zeros(len(self.blocks), dtype=bool)
        for _, _, enough in self._full.values():  # every EV of a type answers the same on a full charge
            out |= enough
        return out

    def best_full_charge(self, bi: int) -> tuple[str, float, float] | None:
        """For a block: the EV type that a full charge takes furthest on it, with the SoC it would leave
        (expected, conservative); None when no EV of the fleet is of the block's class."""
        ends = [(float(end[bi]), float(p90[bi]), name) for name, (end, p90, _) in self._full.items()
                if not np.isnan(end[bi])]
        if not ends:
            return None
        end, p90, name = max(ends, key=lambda e: (e[0], e[1], e[2]))
        return name, end, p90

    def ev_codes(self, plan: Plan) -> tuple[dict[str, int], np.ndarray]:
        """Why each EV is not on each block with the chains of `plan` (EVs x blocks, an index into
        WHY_NOT; 0: it could run it), from the cached rows, all at once."""
        j = self.judge
        evs = [v for v in self.vehicle_ids if self.is_ev[v]]
        if not evs:
            return {}, np.zeros((0, len(self.blocks)), dtype=np.int8)
        free, ok = self.matrix(plan, evs, energy=False), self.matrix(plan, evs)
        wrong_class = np.array([~self._class_ok[c] if (c := j.types[j.vehicles[v].vehicle_type].vehicle_class)
                                else np.zeros(len(self.blocks), bool) for v in evs])
        missing = np.array([j.readings.get(v) is None for v in evs])[:, None]
        stale = np.array([j.fresh_reading(v) is None for v in evs])[:, None]
        codes = np.where(~free, np.where(wrong_class, 1, 2),
                         np.where(missing, 3, np.where(stale, 4, np.where(ok, 0, 5)))).astype(np.int8)
        return {v: r for r, v in enumerate(evs)}, codes

    def ev_reasons(self, plan: Plan, bi: int, codes: tuple[dict[str, int], np.ndarray],
                   by_charge: np.ndarray) -> EvReasons:
        """Why each EV is not on block `bi`, counted from the column of `ev_codes` (the holder's own reason
        asked lazily), with the first free EVs in `by_charge` order (EV rows of `codes`, the explanation's
        "best free EV" order: explain.by_charge)."""
        rows, matrix = codes
        col = matrix[:, bi].copy()
        holder = plan.chosen[bi][0] if bi in plan.chosen else None
        if holder in rows:
            col[rows[holder]] = WHY_NOT.index(self.why_not(plan, bi)(holder))
        counts = np.bincount(col, minlength=len(WHY_NOT))
        names = list(rows)
        free = [names[r] for r in by_charge[~NOT_FREE_CODE[col[by_charge]]][:FREE_JUDGED]]
        return EvReasons({WHY_NOT[c] or "taken": int(n) for c, n in enumerate(counts) if n}, free)

    def why_not(self, plan: Plan, bi: int, codes: tuple[dict[str, int], np.ndarray] | None = None
                ) -> Callable[[str], str | None]:
        """Why a vehicle is not on block `bi` (None: it could run it); `codes` from `ev_codes(plan)`."""
        block = self.blocks[bi]
        holder = plan.chosen[bi][0] if bi in plan.chosen else None
        rows, matrix = codes if codes is not None else ({}, None)

        def why(vid: str) -> str | None:
            if vid != holder and vid in rows and matrix is not None:
                return WHY_NOT[int(matrix[rows[vid], bi])]
            chain = tuple(b for b in plan.chains[vid] if b is not block)
            key = ids(chain)
            if not self.row_of(vid, chain, key, energy=False)[bi]:
                vclass = self.judge.types[self.judge.vehicles[vid].vehicle_type].vehicle_class
                # a vehicle of no class fits every block (viability's rule): then it is on other work
                return ("class_mismatch" if vclass is not None and block.vehicle_class not in (None, vclass)
                        else "overlaps_block")
            if self.judge.readings.get(vid) is None:
                return "soc_missing"
            if self.judge.fresh_reading(vid) is None:
                return "soc_stale"
            return None if self.row_of(vid, chain, key)[bi] else "soc_below_reserve"

        return why
