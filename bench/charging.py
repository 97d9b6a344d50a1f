"""Buses ready at pull-out: the depot charging plan vs earliest-deadline-first vs the MIP optimum.

Run from the repository root:  .venv/bin/python bench/charging.py [--nights 300] [--seed 7] [--max-buses 8]
                                                                  [--scale 50 100 300]

Small random nights (3..max buses, 1..3 connectors of 150 kW, sometimes a site cap; 15-minute grid,
8 hours, flat charging curves, efficiency 1 so that all three see the same physics). EDF: every step
the connectors go to the buses that still lack energy with the earliest pull-out (preemptive, power by
the same order). MIP: scipy milp (HiGHS) maximising buses ready, preemption allowed: an upper bound.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from machine import machine_info
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from depotdispatch.domain.charging_plan import Bus, Charger, Work, YardRules, plan_charging  # noqa: E402

T0 = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)
STEP_H, STEPS = 0.25, 32


def night(rng: random.Random, max_buses: int) -> tuple[list[Bus], list[Charger], float | None]:
    chargers = [Charger(f"C{i}", 150) for i in range(rng.randint(1, 3))]
    cap = rng.choice([None, None, 150.0, 200.0])
    buses = []
    for i in range(rng.randint(3, max_buses)):
        a = rng.randint(0, 12)
        d = rng.randint(a + 4, STEPS)
        kw = rng.choice([50.0, 100.0, 150.0])
        soc = rng.uniform(5, 60)
        need = min(rng.uniform(soc + 10, 100), 100) * 2
        at = T0 + timedelta(hours=d * STEP_H)
        buses.append(Bus(f"E{i}", 200, kw, soc, T0 + timedelta(hours=a * STEP_H), True,
                         (Work(f"W{i}", at, at + timedelta(hours=2), need / 2, need),),
                         ((0.0, kw), (1.0, kw)), 1.0))
    return buses, chargers, cap


def _steps(b: Bus) -> tuple[int, int]:
    return (round((b.since - T0).total_seconds() / 3600 / STEP_H),
            round((b.work[0].pull_out - T0).total_seconds() / 3600 / STEP_H))


def edf(buses: list[Bus], chargers: list[Charger], cap: float | None) -> int:
    energy = [b.usable_kwh * b.soc_pct / 100 for b in buses]
    for t in range(STEPS):
        here = [i for i, b in enumerate(buses) if _steps(b)[0] <= t < _steps(b)[1]
                and energy[i] < b.work[0].need_kwh - 1e-9]
        here.sort(key=lambda i: (_steps(buses[i])[1], buses[i].vehicle_id))
        site = cap if cap is not None else float("inf")
        for i in here[:len(chargers)]:
            kw = min(buses[i].charge_kw, 150.0, site)
            add = min(kw * STEP_H, buses[i].usable_kwh - energy[i])
            energy[i] += add
            site -= add / STEP_H
    return sum(e >= b.work[0].need_kwh - 1e-9 for e, b in zip(energy, buses, strict=True))


def mip(buses: list[Bus], chargers: list[Charger], cap: float | None) -> int:
    n = len(buses)
    nx = n * STEPS
    nvar = 2 * nx + n
    rows: list[tuple[dict[int, float], float, float]] = []
    ub = np.ones(nvar)
    for v, b in enumerate(buses):
        a, d = _steps(b)
        kw = min(b.charge_kw, 150.0)
        for t in range(STEPS):
            inside = a <= t < d
            ub[v * STEPS + t] = 1 if inside else 0
            ub[nx + v * STEPS + t] = kw if inside else 0
            rows.append(({nx + v * STEPS + t: 1, v * STEPS + t: -kw}, -np.inf, 0))
        e0 = b.usable_kwh * b.soc_pct / 100
        energy = {nx + v * STEPS + t: STEP_H for t in range(STEPS)}
        rows.append((dict(energy), -np.inf, b.usable_kwh - e0))
        rows.append(({**energy, 2 * nx + v: -(b.work[0].need_kwh - e0)}, 0, np.inf))
    for t in range(STEPS):
        rows.append(({v * STEPS + t: 1 for v in range(n)}, 0, len(chargers)))
        if cap is not None:
            rows.append(({nx + v * STEPS + t: 1 for v in range(n)}, 0, cap))
    A = lil_matrix((len(rows), nvar))
    for r, (coefs, _, _) in enumerate(rows):
        for j, c in coefs.items():
            A[r, j] = c
    c = np.zeros(nvar)
    c[2 * nx:] = -1
    integ = np.zeros(nvar)
    integ[:nx] = 1
    integ[2 * nx:] = 1
    res = milp(c, constraints=LinearConstraint(A.tocsr(), [r[1] for r in rows], [r[2] for r in rows]),
               integrality=integ, bounds=Bounds(np.zeros(nvar), ub))
    return round(-res.fun)


def depot_day(rng: random.Random, n: int) -> tuple[list[Bus], list[Charger]]:
    """A day at an n-bus depot, as the board plans it: two blocks a bus over 12 h, readings up to 3 h old,
    a two-connector 150 kW charger per four buses, the default curve, 5-minute steps, 30 h ahead."""
    buses = []
    for i in range(n):
        t = T0 + timedelta(hours=rng.uniform(0, 12))
        work = []
        for k in range(2):
            d = timedelta(hours=rng.uniform(2, 6))
            work.append(Work(f"W{i}-{k}", t, t + d, rng.uniform(80, 200), rng.uniform(150, 300)))
            t += d + timedelta(hours=rng.uniform(0.5, 4))
        buses.append(Bus(f"E{i}", 400, 150, rng.uniform(20, 90), T0 - timedelta(hours=rng.uniform(0, 3)), True,
                         tuple(work)))
    return buses, [Charger(f"C{i}", 150, 2) for i in range(n // 4)]


def scale(sizes: list[int], seed: int) -> None:
    print("the depot's day (what the board plans when a reading or an assignment changed):")
    for n in sizes:
        buses, chargers = depot_day(random.Random(seed), n)
        t = time.perf_counter()
        plan = plan_charging(buses, chargers, YardRules(), T0 + timedelta(hours=30))
        print(f"  {n:4d} buses, {len(chargers):3d} chargers: {1000 * (time.perf_counter() - t):7.0f} ms, "
              f"{plan.ready_count()}/{len(plan.pull_outs)} pull-outs ready")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--nights", type=int, default=300)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--max-buses", type=int, default=8)
    p.add_argument("--scale", type=int, nargs="*", default=[50, 100, 300],
                   help="depot sizes to time a day's plan on (none: skip)")
    args = p.parse_args()
    rng = random.Random(args.seed)
    totals = {"plan": 0, "edf": 0, "mip": 0}
    gaps = {"plan": [], "edf": []}
    plan_ms = []
    for _ in range(args.nights):
        buses, chargers, cap = night(rng, args.max_buses)
        t = time.perf_counter()
        got = plan_charging(buses, chargers, YardRules(site_cap_kw=cap, step=timedelta(hours=STEP_H)),
                            T0 + timedelta(hours=8)).ready_count()
        plan_ms.append(1000 * (time.perf_counter() - t))
        e, best = edf(buses, chargers, cap), mip(buses, chargers, cap)
        for name, value in (("plan", got), ("edf", e), ("mip", best)):
            totals[name] += value
        gaps["plan"].append(best - got)
        gaps["edf"].append(best - e)
    print(machine_info())
    if not args.nights:
        scale(args.scale, args.seed)
        return
    print(f"{args.nights} nights (seed {args.seed}, 3..{args.max_buses} buses): buses ready at pull-out")
    for name in ("plan", "edf", "mip"):
        extra = ""
        if name in gaps:
            g = gaps[name]
            extra = (f"  optimal on {sum(x == 0 for x in g)}/{len(g)} nights, worst gap {max(g)}, "
                     f"{100 * totals[name] / totals['mip']:.1f} % of the optimum")
        print(f"  {name:5s} {totals[name]:5d}{extra}")
    print(f"  plan time per night: median {statistics.median(plan_ms):.1f} ms, max {max(plan_ms):.1f} ms")
    if args.scale:
        scale(args.scale, args.seed)


if __name__ == "__main__":
    main()
