"""Benchmark the board service: every block on the board, viability per assigned pair, best candidate per open block.

Run from the repository root:  .venv/bin/python bench/board.py [--seed 1] [--blocks 500] [--vehicles 300]
                                   [--repeat 20] [--days 1] [--history 0] [--pg] [--profile]

The depot is synthetic and seeded (bench/gen_board.py). Two moments are measured: 03:00 local, when
nearly every block of the day is still upcoming (the board judges almost all of them), and 13:00,
when many are in service or done. Seeding is not timed. Each call is `board(app.uow(), depot, now)`
in-process, after one warm-up call; a second, instrumented pass splits the time into loading and
judging, and --profile prints cProfile's top functions of one call.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import math
import pstats
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import gen_board
from machine import machine_info  # bench/machine.py (scripts run from bench/)

from depotdispatch.adapters.clock import Clock
from depotdispatch.adapters.db.migrate import upgrade
from depotdispatch.adapters.db.plan_repo import PlanRepository
from depotdispatch.adapters.db.readings_repo import SocReadingRepository
from depotdispatch.adapters.db.repositories import DayRepository, FleetRepository
from depotdispatch.bootstrap import App
from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.services import board as board_mod
from depotdispatch.services import board_load

GOAL_MS = 50.0
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BASE = "postgresql://postgres@127.0.0.1:5432"

# What the instrumented pass times: (owner, attribute, label). Nested ones are indented in the report.
SECTIONS = (
    (board_load, "require_depot", "depot lookup"),
    (board_mod, "load_context", "load_context"),
    (DayRepository, "blocks_for_dates", "  blocks_for_dates"),
    (PlanRepository, "assignments_for_dates", "  assignments_for_dates"),
    (FleetRepository, "types", "  fleet.types"),
    (FleetRepository, "vehicles", "  fleet.vehicles"),
    (SocReadingRepository, "latest_for_depot", "  readings.latest_for_depot"),
    (DayRepository, "temperatures", "  days.temperatures"),
    (FleetJudge, "__init__", "  FleetJudge()"),
    (board_mod, "_add_candidates", "candidates (_add_candidates)"),
    (FleetJudge, "end_soc_matrix", "  end_soc_matrix"),
)



def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]  # nearest rank


@contextlib.contextmanager
def instrumented() -> Iterator[tuple[dict[str, float], Counter[str]]]:
    """Wrap the board's pieces with timers for one call at a time; yields (ms per label, call counts)."""
    spent: dict[str, float] = defaultdict(float)
    calls: Counter[str] = Counter()
    in_candidates = [False]
    saved = []

    def timed(fn: Callable, label: str) -> Callable:
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            if label.strip().startswith("candidates"):
                in_candidates[0] = True
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label] += (time.perf_counter() - t0) * 1000
                calls[label] += 1
                if label.strip().startswith("candidates"):
                    in_candidates[0] = False
        return wrapper

    def judge_counter(fn: Callable) -> Callable:
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                key = "judge (candidates)" if in_candidates[0] else "judge (assigned rows)"
                spent[key] += (time.perf_counter() - t0) * 1000
                calls[key] += 1
        return wrapper

    for owner, attr, label in SECTIONS:
        original = getattr(owner, attr)
        saved.append((owner, attr, original))
        setattr(owner, attr, timed(original, label))
    saved.append((FleetJudge, "judge", FleetJudge.judge))
    FleetJudge.judge = judge_counter(FleetJudge.judge)  # type: ignore[method-assign]
    try:
        yield spent, calls
    finally:
        for owner, attr, original in reversed(saved):
            setattr(owner, attr, original)


def describe(result: board_mod.Board) -> list[str]:
    states = Counter(r.state.status for r in result.rows)
    viab = Counter(r.viability.status for r in result.rows if r.viability is not None)
    cand = Counter(r.candidate.viability.status for r in result.rows if r.candidate is not None)
    open_rows = sum(1 for r in result.rows if r.state.actionable and r.assignment is None)
    fmt = lambda c: ", ".join(f"{k} {v}" for k, v in sorted(c.items())) or "-"  # noqa: E731
    return [
        f"rows {len(result.rows)} ({fmt(states)})",
        f"with viability {sum(viab.values())} ({fmt(viab)})",
        f"with candidate {sum(cand.values())} of {open_rows} open ({fmt(cand)}); "
        f"distinct candidate vehicles {len({r.candidate.vehicle_id for r in result.rows if r.candidate})}",
    ]


def measure(app: App, depot_id: str, now: datetime, repeat: int, label: str) -> dict[str, object]:
    result = board_mod.board(app.uow(), depot_id, now)  # warm-up: SQL compilation caches, imports, pool
    times = []
    gen2 = gc.get_stats()[2]["collections"]
    for _ in range(repeat):
        t0 = time.perf_counter()
        board_mod.board(app.uow(), depot_id, now)
        times.append((time.perf_counter() - t0) * 1000)
    gen2 = gc.get_stats()[2]["collections"] - gen2

    per_call: dict[str, list[float]] = defaultdict(list)
    counts: Counter[str] = Counter()
    totals = []
    for _ in range(repeat):
        with instrumented() as (spent, calls):
            t0 = time.perf_counter()
            board_mod.board(app.uow(), depot_id, now)
            totals.append((time.perf_counter() - t0) * 1000)
        for k, v in spent.items():
            per_call[k].append(v)
        counts = calls
    rest = [t - sum(per_call[k][i] for k in ("depot lookup", "load_context", "candidates (_add_candidates)"))
            for i, t in enumerate(totals)]

    print(f"\n[{label}] now {now.astimezone(gen_board.ZoneInfo(gen_board.DEPOT.timezone)).isoformat()} "
          f"({now.isoformat()}), {repeat} calls after 1 warm-up")
    print(f"  per call ms: min {min(times):.1f}  median {statistics.median(times):.1f}  p90 {p90(times):.1f}  "
          f"max {max(times):.1f}  (full gc collections during them: {gen2})")
    for line in describe(result):
        print(f"  {line}")
    print(f"  where the time goes (median ms per call over {repeat} instrumented calls, "
          f"total median {statistics.median(totals):.1f}):")
    labels = [s[2] for s in SECTIONS]
    labels.insert(labels.index("candidates (_add_candidates)"), "rows loop (status, horizon, judge assigned)")
    labels.insert(labels.index("candidates (_add_candidates)"), "  judge (assigned rows)")
    labels.append("  judge (candidates)")
    for name in labels:
        if name.startswith("rows loop"):
            values = rest
            extra = "  [= total - depot - load - candidates; includes session open/close]"
        else:
            values = per_call.get(name.strip()) or per_call.get(name) or [0.0]
            n = counts.get(name.strip()) or counts.get(name) or 0
            extra = f"  [{n} calls]" if "judge" in name else ""
        print(f"    {name:<46} {statistics.median(values):7.2f}{extra}")
    return {"median": statistics.median(times), "result": result}


def profile_one(app: App, depot_id: str, now: datetime, label: str) -> str:
    prof = cProfile.Profile()
    prof.enable()
    board_mod.board(app.uow(), depot_id, now)
    prof.disable()
    out = io.StringIO()
    for key in ("cumulative", "tottime"):
        out.write(f"\n--- profile [{label}] one call, top 15 by {key} ---\n")
        stats = pstats.Stats(prof, stream=out)
        stats.strip_dirs().sort_stats(key).print_stats(15)
    return out.getvalue()


def run_backend(url: str, kind: str, spec: gen_board.DepotSpec, args: argparse.Namespace,
                profiles: list[str]) -> dict[str, float]:
    t0 = time.perf_counter()
    upgrade(url)
    app = App(database_url=url, clock=Clock(spec.now_early))
    try:
        stored = gen_board.seed(app, spec)
        print(f"\n== {kind}: seeded in {time.perf_counter() - t0:.1f} s (untimed): "
              + ", ".join(f"{k} {v}" for k, v in stored.items()))
        medians = {}
        for when, now in (("03:00 local", spec.now_early), ("13:00 local", spec.now_mid)):
            medians[when] = measure(app, spec.depot.depot_id, now, args.repeat, f"{kind} {when}")["median"]
        if args.profile:
            profiles.append(profile_one(app, spec.depot.depot_id, spec.now_early, f"{kind} 03:00 local"))
        return medians
    finally:
        app.close()


def run_sqlite(spec: gen_board.DepotSpec, args: argparse.Namespace, profiles: list[str]) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="bench_board_"))
    try:
        return run_backend(f"sqlite:///{tmp / 'board.db'}", "sqlite", spec, args, profiles)
    finally:
        shutil.rmtree(tmp)


def run_pg(spec: gen_board.DepotSpec, args: argparse.Namespace, profiles: list[str]) -> dict[str, float]:
    import psycopg

    name = f"bench_board_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            return run_backend(f"{PG_BASE}/{name}", "postgresql", spec, args, profiles)
        finally:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--blocks", type=int, default=500)
    ap.add_argument("--vehicles", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=20, help="timed calls per measurement, after one warm-up")
    ap.add_argument("--days", type=int, default=1,
                    help="dispatch days set up around the measured one (1, or 3 = yesterday/today/tomorrow)")
    ap.add_argument("--history", type=int, default=0,
                    help="older telematics readings per EV (15 min apart) behind each latest one")
    ap.add_argument("--assigned", type=float, default=0.5, help="share of each day's blocks with a vehicle")
    ap.add_argument("--artic-share", type=float, default=0.0,
                    help="share of blocks needing an 18m vehicle (only diesel 18m vehicles exist)")
    ap.add_argument("--pg", action="store_true", help="also measure PostgreSQL on 127.0.0.1:5432")
    ap.add_argument("--profile", action="store_true", help="print cProfile top 15 of one call at the end")
    args = ap.parse_args()
    if args.repeat < 1 or args.blocks < 1 or args.vehicles < 3 or args.days < 1:
        ap.error("need --repeat >= 1, --blocks >= 1, --vehicles >= 3, --days >= 1")

    spec = gen_board.make_depot(args.seed, args.blocks, args.vehicles, args.days, args.history, args.assigned,
                                args.artic_share)
    print(machine_info())
    n = spec.notes
    print(f"scenario: seed {args.seed}, {len(spec.blocks)} blocks x {len(spec.entries)} vehicles "
          f"({n['evs']} bev / {len(spec.entries) - n['evs']} diesel, {n['maintenance']} in maintenance, "
          f"{n['evs_without_reading']} EVs without a reading); {len(spec.dates)} service day(s) "
          f"{', '.join(d.isoformat() for d in spec.dates)} {spec.depot.timezone}; "
          f"{sum(len(p) for p in spec.plan.values())} assignments; readings {len(spec.early)} before 03:00 "
          f"+ {len(spec.later)} before 13:00 (history {args.history}/EV)")

    profiles: list[str] = []
    results = {"sqlite": run_sqlite(spec, args, profiles)}
    if args.pg:
        results["postgresql"] = run_pg(spec, args, profiles)

    print("\nsummary (median ms per call)")
    for kind, medians in results.items():
        print(f"  {kind:<11} " + "  ".join(f"{when}: {ms:.1f}" for when, ms in medians.items()))
    worst = max(results["sqlite"].values())
    ok = worst < GOAL_MS
    print(f"goal < {GOAL_MS:.0f} ms on SQLite: {'PASS' if ok else 'FAIL'} "
          f"(worst median of the two moments: {worst:.1f} ms)")
    for text in profiles:
        print(text, end="")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
