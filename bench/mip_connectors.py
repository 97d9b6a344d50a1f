"""An independent optimum of the recommendation at a depot with fewer connectors than buses (DESIGN §12a, §12b).

`bench/recommend.py`'s `mip_optimum` gives every EV a charger of its own. Here the EVs compete for the
depot's connectors, and the MIP chooses who charges when (any schedule the connectors allow, not the
product's priority rule), so its optimum bounds what any plan can reach with the same chargers:

- the day is cut at every block's pull-out and pull-in into periods; in each, an EV that stands at the
  depot (runs no block then; before its first block only if its reading found it plugged in) charges on
  n[v, p] of the period's 5-minute slots (the charging plan's step), and at most `connectors` buses charge
  in any slot: sum over v of n[v, p] <= connectors x slots(p) (slots are interchangeable within a period, so
  any such counts have a slot-by-slot schedule, by wrapping them round the connectors);
- a slot gives `kw` x 5 min (a flat charging curve at efficiency 1: the model is exact for such a type),
  never above a full battery; a block it runs takes its expected kWh at pull-out, and needs at pull-out
  what `assess` asks for `ok` (expected kWh above reserve + marginal band, conservative above the reserve);
- non-EVs: per type, at most as many of its blocks at any time as it has vehicles (blocks are intervals
  with the turnaround: an interval graph, so that is exact); each block at most once;
- max (blocks + 1) x covered + EV-covered: blocks first, then EV blocks (lexicographic).

Its own arithmetic throughout; from the product only the energy estimate of a block on a type
(`FleetJudge.estimate`) and the thresholds. Allowances and the minimum dwell are not modelled (the days
that use it set them to 0), nor a site power cap; the caller checks the plan with the product's full rule.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.days import DayBlock

SLOT = timedelta(minutes=5)
SLACK_PCT = 0.03  # the rule rounds the SoC at pull-out (0.01) and at the end (0.1): stay just inside it


@dataclass
class ConnectorMip:
    covered: int
    ev_covered: int
    status: str  # "optimal", "time limit", or what HiGHS said
    seconds: float
    plan: dict[str, str]  # block_id -> vehicle_id
    charging: dict[str, list[tuple[datetime, datetime, int]]]  # EV -> (period start, end, slots charged)


class _Model:
    def __init__(self) -> None:
        self.cost: list[float] = []
        self.lo: list[float] = []
        self.hi: list[float] = []
        self.integer: list[int] = []
        self.rows: list[tuple[float, float, list[int], list[float]]] = []

    def var(self, cost: float, lo: float, hi: float, integer: bool) -> int:
        self.cost.append(cost)
        self.lo.append(lo)
        self.hi.append(hi)
        self.integer.append(int(integer))
        return len(self.cost) - 1

    def row(self, lo: float, hi: float, cols: Sequence[int], vals: Sequence[float]) -> None:
        if cols:
            self.rows.append((lo, hi, list(cols), list(vals)))


def connector_mip(judge: FleetJudge, blocks: Sequence[DayBlock], connectors: int, kw: float,
                  time_limit: float = 600.0, node_limit: int = 50_000) -> ConnectorMip:
    """See the module docstring. `connectors`: single-connector chargers of at least `kw` each (the power an
    EV takes from one); `judge`: the depot, types, vehicles and readings (its own chargers are not read).
    `node_limit` is what stops a hard day the same way on any machine; `time_limit` (wall clock) only guards."""
    t0 = time.perf_counter()
    inf = np.inf
    blocks = sorted(blocks, key=lambda b: (b.pull_out, b.block_id))
    n = len(blocks)
    turn = timedelta(minutes=judge.depot.turnaround_min)
    start = judge.now
    stamps = sorted({start, *(b.pull_out for b in blocks), *(b.pull_in for b in blocks)})
    if any((s - start) % SLOT for s in stamps) or any(b.pull_out < start for b in blocks):
        raise ValueError("the model needs every block on the 5-minute grid of `now`, and not started")
    periods = list(zip(stamps, stamps[1:], strict=False))
    m = _Model()
    w_cover = float(n + 1)
    cover: list[list[int]] = [[] for _ in range(n)]
    vids = sorted(v for v, veh in judge.vehicles.items() if veh.availability == "available")
    runs: dict[tuple[str, int], int] = {}
    slots_of: dict[tuple[str, int], int] = {}

    def fits(b: DayBlock, vclass: str | None) -> bool:
        return not (b.vehicle_class and vclass and b.vehicle_class != vclass)

    def cliques(members: list[int]) -> list[list[int]]:
        """For each block start, the blocks (of `members`) one vehicle would be running or turning from then."""
        out = []
        for s in sorted({blocks[i].pull_out for i in members}):
            out.append([i for i in members if blocks[i].pull_out <= s < blocks[i].pull_in + turn])
        return out

    non_ev: dict[str, list[str]] = {}
    for v in vids:
        vehicle = judge.vehicles[v]
        vtype = judge.types[vehicle.vehicle_type]
        if not vtype.is_electric:
            non_ev.setdefault(vtype.name, []).append(v)
            continue
        reading = judge.readings.get(v)
        th = judge.thresholds_for(vtype.name)
        if reading is None or judge.now - reading.measured_at > th.stale_after or not vtype.usable_kwh:
            continue
        usable = vtype.usable_kwh
        can = []
        need: dict[int, float] = {}
        use: dict[int, float] = {}
        for i, b in enumerate(blocks):
            est = judge.estimate(b, vtype.name)
            if not fits(b, vtype.vehicle_class) or est is None:
                continue
            can.append(i)
            use[i] = est.expected_kwh
            need[i] = max(est.expected_kwh + usable * (th.reserve_pct + th.marginal_band_pct) / 100,
                          est.conservative_kwh + usable * th.reserve_pct / 100) - usable * SLACK_PCT / 100
        for i in can:
            runs[(v, i)] = m.var(-(w_cover + 1.0), 0, 1, True)
            cover[i].append(runs[(v, i)])
        for clique in cliques(can):
            m.row(-inf, 1, [runs[(v, i)] for i in clique], [1.0] * len(clique))
        # energy at each stamp before its pull-outs (pre) and after them (post)
        pre = [m.var(0, 0, usable, False) for _ in stamps]
        post = [m.var(0, 0, usable, False) for _ in stamps]
        m.row(reading.soc_pct / 100 * usable, reading.soc_pct / 100 * usable, [pre[0]], [1.0])
        for k, s in enumerate(stamps):
            leaving = [i for i in can if blocks[i].pull_out == s]
            # post = pre - what the block leaving now uses; it must carry what it needs to be ok
            m.row(0, 0, [post[k], pre[k], *(runs[(v, i)] for i in leaving)], [1.0, -1.0, *(use[i] for i in leaving)])
            for i in leaving:
                m.row(0, inf, [pre[k], runs[(v, i)]], [1.0, -need[i]])
        for k, (a, b) in enumerate(periods):
            slots = int((b - a) / SLOT)
            away = [i for i in can if blocks[i].pull_out < b and a < blocks[i].pull_in]
            back = [i for i in can if blocks[i].pull_in <= a]  # an unplugged bus charges after its first block
            c = slots_of[(v, k)] = m.var(0, 0, slots, True)
            # slots only while at the depot: none in a period it spends on a block (its blocks never overlap)
            m.row(-inf, slots, [c, *(runs[(v, i)] for i in away)], [1.0, *([float(slots)] * len(away))])
            if not reading.plugged_in:
                m.row(-inf, 0, [c, *(runs[(v, i)] for i in back)], [1.0, *([-float(slots)] * len(back))])
            # pre at the period's end = post at its start + what its slots gave (never above full: pre's bound)
            m.row(-inf, 0, [pre[k + 1], post[k], c], [1.0, -1.0, -kw * SLOT.total_seconds() / 3600])
            m.row(0, inf, [pre[k + 1], post[k]], [1.0, -1.0])  # nothing is used while standing
    for k, (a, b) in enumerate(periods):
        cs = [c for (v, kk), c in slots_of.items() if kk == k]
        m.row(-inf, connectors * int((b - a) / SLOT), cs, [1.0] * len(cs))
    takes: dict[tuple[str, int], int] = {}
    for tname, members in sorted(non_ev.items()):
        vclass = judge.types[tname].vehicle_class
        can = [i for i, b in enumerate(blocks) if fits(b, vclass)]
        for i in can:
            takes[(tname, i)] = m.var(-w_cover, 0, 1, True)
            cover[i].append(takes[(tname, i)])
        for clique in cliques(can):
            m.row(-inf, len(members), [takes[(tname, i)] for i in clique], [1.0] * len(clique))
    for cols in cover:
        m.row(-inf, 1, cols, [1.0] * len(cols))

    nc = len(m.cost)
    r = [k for k, row in enumerate(m.rows) for _ in row[2]]
    a = coo_matrix(([x for row in m.rows for x in row[3]], (r, [c for row in m.rows for c in row[2]])),
                   shape=(len(m.rows), nc)).tocsr()
    res = milp(np.array(m.cost), integrality=np.array(m.integer), bounds=Bounds(m.lo, m.hi),
               constraints=LinearConstraint(a, [row[0] for row in m.rows], [row[1] for row in m.rows]),
               options={"time_limit": time_limit, "node_limit": node_limit, "disp": False})
    status = {0: "optimal", 1: "node or time limit"}.get(res.status, res.message)
    plan: dict[str, str] = {}
    charging: dict[str, list[tuple[datetime, datetime, int]]] = {}
    if res.x is not None:
        x = res.x
        for (v, i), c in runs.items():
            if x[c] > 0.5:
                plan[blocks[i].block_id] = v
        for (v, k), c in slots_of.items():
            if x[c] > 0.5:
                charging.setdefault(v, []).append((*periods[k], round(x[c])))
        for tname, members in sorted(non_ev.items()):  # an interval graph: give blocks out by start time
            free_at = dict.fromkeys(members, start - turn)
            for i in sorted((i for (t, i), c in takes.items() if t == tname and x[c] > 0.5),
                            key=lambda i: (blocks[i].pull_out, i)):
                v = min((v for v in members if free_at[v] + turn <= blocks[i].pull_out), key=lambda v: (free_at[v], v))
                plan[blocks[i].block_id] = v
                free_at[v] = blocks[i].pull_in
    is_ev = {v: judge.types[judge.vehicles[v].vehicle_type].is_electric for v in vids}
    return ConnectorMip(len(plan), sum(1 for v in plan.values() if is_ev[v]), status,
                        time.perf_counter() - t0, plan, charging)
