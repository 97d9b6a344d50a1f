"""Benchmark the KPI query: a year of a 300-bus depot (about 110,000 blocks and their events).

Run from the repository root:  .venv/bin/python bench/kpi.py [--days 365] [--blocks 300] [--vehicles 300]
                                   [--repeat 3] [--sqlite-only | --pg-only] [--seed 1]

The data is drawn from a seeded generator and written in bulk (core inserts, not the services: the
services would take hours for a year). What is written is what the services would write: dispatch
days, blocks, the final assignments, one event per plan change with the plan-time verdict on it,
readings before the day and after each EV block, a few overrides, change-outs, cancellations, late
reassignments and blocks left open. Seeding is not timed. Each figure is `services.kpi.report(...)`
in-process (load + compute; serialisation excluded), median of --repeat runs after one warm-up.
Goal: one month < 1 s, a year < 5 s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from machine import machine_info  # bench/machine.py (scripts run from bench/)
from sqlalchemy import insert

from depotdispatch.adapters.clock import Clock
from depotdispatch.adapters.db.kpi_repo import KpiRepository
from depotdispatch.adapters.db.migrate import upgrade
from depotdispatch.adapters.db.tables import (
    AssignmentRow,
    BlockRow,
    DepotRow,
    DispatchDayRow,
    EventRow,
    SocReadingRow,
    VehicleRow,
    VehicleTypeRow,
)
from depotdispatch.bootstrap import App
from depotdispatch.domain.kpi import compute
from depotdispatch.services import kpi

DEPOT = "KPI"
FIRST = date(2025, 1, 1)
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BASE = "postgresql://postgres@127.0.0.1:5432"
CHUNK = 5_000


def generate(seed: int, n_days: int, per_day: int, n_vehicles: int) -> dict[str, list[dict]]:
    rng = random.Random(seed)
    now = datetime(2024, 12, 1, tzinfo=UTC)
    rows: dict[str, list[dict]] = {k: [] for k in ("depots", "types", "vehicles", "days", "blocks", "assignments",
                                                  "events", "readings")}
    rows["depots"].append({"depot_id": DEPOT, "name": "KPI bench", "timezone": "UTC", "reserve_pct": 20.0,
                           "settings": {}, "created_at": now, "lookback_min": 120, "lookahead_min": 1440})
    rows["types"] += [
        {"vehicle_type_id": 1, "depot_id": DEPOT, "name": "E12", "propulsion": "bev", "usable_kwh": 400.0,
         "kwh_per_km": 1.3, "vehicle_class": "12m", "charge_kw": 150.0, "settings": {}},
        {"vehicle_type_id": 2, "depot_id": DEPOT, "name": "D12", "propulsion": "diesel", "usable_kwh": None,
         "kwh_per_km": None, "vehicle_class": "12m", "charge_kw": None, "settings": {}}]
    n_ev = round(n_vehicles * 0.6)
    evs = [f"E{i:03d}" for i in range(n_ev)]
    diesels = [f"D{i:03d}" for i in range(n_vehicles - n_ev)]
    rows["vehicles"] += [{"vehicle_id": v, "depot_id": DEPOT, "vehicle_type_id": 1, "availability": "available"}
                         for v in evs]
    rows["vehicles"] += [{"vehicle_id": v, "depot_id": DEPOT, "vehicle_type_id": 2, "availability": "available"}
                         for v in diesels]
    block_pk = event_id = 0
    for di in range(n_days):
        d = FIRST + timedelta(days=di)
        day_id = di + 1
        origin = datetime(d.year, d.month, d.day, tzinfo=UTC)
        plan_at = origin + timedelta(hours=3)
        rows["days"].append({"dispatch_day_id": day_id, "depot_id": DEPOT, "service_date": d, "plan_version": 1,
                             "set_up_at": plan_at - timedelta(hours=1), "warnings": []})
        for v in evs:
            rows["readings"].append(_reading(v, rng.uniform(70, 100), plan_at - timedelta(minutes=30), True, now))
        blocks = []
        for i in range(per_day):
            start = origin + timedelta(minutes=rng.randrange(4 * 60, 20 * 60, 5))
            hours = rng.uniform(2, 9)
            blocks.append((f"B{i:04d}", start, start + timedelta(hours=hours), round(hours * rng.uniform(12, 18), 1)))
        blocks.sort(key=lambda b: b[1])
        free_at: dict[str, datetime] = {}
        version = 1
        for bid, start, end, km in blocks:
            block_pk += 1
            cancelled = rng.random() < 0.005
            actual_end = None
            if rng.random() < 0.01:  # cut short
                actual_end = start + (end - start) / 2
            rows["blocks"].append({
                "block_pk": block_pk, "dispatch_day_id": day_id, "block_id": bid, "origin": "scheduled",
                "schedule_id": None, "pull_out": start, "pull_in": end, "distance_km": km, "distance_source": "stated",
                "trip_ids": [], "routes": ["1"], "vehicle_class": "12m", "generated": False, "signature": "bench",
                "adhoc_reason": None, "replaces_block": None, "note": None,
                "cancelled_at": plan_at if cancelled else None, "cancel_reason": "bench" if cancelled else None,
                "actual_start": start if actual_end else None, "actual_end": actual_end})
            if cancelled or rng.random() < 0.004:  # cancelled, or left open (uncovered)
                continue
            # EV-first dispatch, as the recommendation does, with a diesel by habit one block in ten
            pools = (evs, diesels) if km * 1.3 < 250 and rng.random() > 0.1 else (diesels, evs)
            choice = next((v for pool in pools for v in rng.sample(pool, len(pool))
                           if free_at.get(v, origin) + timedelta(minutes=15) <= start), None)
            if choice is None:
                continue
            free_at[choice] = end
            override = rng.random() < 0.01
            verdict = "marginal" if override else "ok"
            event_id += 1
            after = {"vehicle_id": choice, "source": "recommended", "actor": "bench",
                     "assigned_at": plan_at.isoformat(),
                     "override_reason": "only bus left" if override else None,
                     "acknowledged": ["soc_marginal"] if override else [], "viability": verdict}
            rows["events"].append(_event(event_id, d, bid, choice, "override" if override else
                                         "recommendation_accepted", plan_at, version, None, after))
            final = choice
            if rng.random() < 0.05:  # a late change during the day, by hand
                other = next((v for v in rng.sample(evs, 20) if free_at.get(v, origin) + timedelta(minutes=15)
                              <= start), None)
                if other is not None:
                    event_id += 1
                    version += 1
                    at = start - timedelta(minutes=rng.randrange(10, 120))
                    rows["events"].append(_event(event_id, d, bid, other, "reassigned", at, version, after, {
                        **after, "vehicle_id": other, "source": "manual", "override_reason": None,
                        "acknowledged": [], "viability": "ok"}))
                    free_at[other], final = end, other
            rows["assignments"].append({"block_pk": block_pk, "dispatch_day_id": day_id, "vehicle_id": final,
                                        "source": "recommended", "actor": "bench", "assigned_at": plan_at,
                                        "override_reason": None, "acknowledged": []})
            if final.startswith("E"):
                rows["readings"].append(_reading(final, rng.uniform(10, 70), (actual_end or end)
                                                 + timedelta(minutes=rng.randrange(5, 60)), True, now))
    return rows


def _reading(v: str, soc: float, at: datetime, plugged: bool, now: datetime) -> dict:
    return {"vehicle_id": v, "soc_pct": round(soc, 1), "measured_at": at, "source": "telematics",
            "odometer_km": None, "plugged_in": plugged, "charger_id": None, "received_at": now}


def _event(eid: int, d: date, bid: str, v: str, kind: str, at: datetime, version: int, before: dict | None,
           after: dict) -> dict:
    return {"event_id": eid, "depot_id": DEPOT, "service_date": d, "block_id": bid, "vehicle_id": v, "kind": kind,
            "actor": "bench", "at": at, "plan_version": version, "before": before, "after": after}


def seed(app: App, rows: dict[str, list[dict]]) -> None:
    order = (("depots", DepotRow), ("types", VehicleTypeRow), ("vehicles", VehicleRow), ("days", DispatchDayRow),
             ("blocks", BlockRow), ("assignments", AssignmentRow), ("events", EventRow),
             ("readings", SocReadingRow))
    with app.engine.begin() as conn:
        for key, table in order:
            data = rows[key]
            for i in range(0, len(data), CHUNK):
                conn.execute(insert(table.__table__), data[i:i + CHUNK])
        if app.engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")


def fingerprint(r: kpi.KpiReport) -> str:
    """The whole report as the CLI gives it (JSON document and CSV), hashed: equal before and after a
    speed change means every KPI answer and every drill-down list is unchanged."""
    doc = json.dumps(kpi.report_doc(r, DEPOT), sort_keys=True, default=str)
    return hashlib.sha256((doc + "\n" + kpi.report_csv(r)).encode()).hexdigest()[:16]


class QueryClock:
    """Wall time spent in the KPI repository's queries (execute + fetching every row by the driver):
    the database's share; the rest of a run is Python."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._rows = KpiRepository._rows

    def __enter__(self) -> QueryClock:
        clock, rows = self, self._rows

        def timed(repo: KpiRepository, q: object) -> object:
            t0 = time.perf_counter()
            try:
                return rows(repo, q)
            finally:
                clock.seconds += time.perf_counter() - t0
        KpiRepository._rows = timed
        return self

    def __exit__(self, *exc: object) -> None:
        KpiRepository._rows = self._rows


@dataclass
class Figures:
    wall: float  # services.kpi.report, median
    cpu: float  # this process's CPU time for it
    db: float  # of which in the KPI queries (wall)
    load: float  # loading the records (queries + making them), wall
    rules: float  # computing the rules, wall
    report: kpi.KpiReport


def measure(app: App, first: date, last: date, now: datetime, repeat: int) -> Figures:
    """Median of the whole query (wall and this process's CPU: on a shared machine the wall clock also
    counts others' work), of its time in the database, and of its two halves: loading the records,
    computing the rules."""
    kpi.report(app.uow(), DEPOT, first, last, now)  # warm-up
    total, cpus, dbs, loads, computes = [], [], [], [], []
    for _ in range(repeat):
        with QueryClock() as queries:
            t0, c0 = time.perf_counter(), time.process_time()
            r = kpi.report(app.uow(), DEPOT, first, last, now)
            total.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        dbs.append(queries.seconds)
        gc.disable()  # as services.kpi.report does while the records are made
        t0 = time.perf_counter()
        with app.uow() as uow:
            facts = kpi.load_facts(uow, DEPOT, first, last, now)
        t1 = time.perf_counter()
        compute(facts, first, last, now)
        loads.append(t1 - t0)
        computes.append(time.perf_counter() - t1)
        gc.enable()
    med = statistics.median
    return Figures(med(total), med(cpus), med(dbs), med(loads), med(computes), r)


def run(url: str, label: str, rows: dict[str, list[dict]], n_days: int, repeat: int,
        hashes: dict[str, str]) -> None:
    upgrade(url)
    app = App(database_url=url, clock=Clock(datetime(2026, 1, 2, tzinfo=UTC)))
    try:
        t0 = time.perf_counter()
        seed(app, rows)
        print(f"{label}: seeded {len(rows['blocks']):,} blocks, {len(rows['events']):,} events, "
              f"{len(rows['readings']):,} readings in {time.perf_counter() - t0:.0f} s (not timed)")
        now = app.clock.now()
        last = FIRST + timedelta(days=n_days - 1)
        month = (FIRST + timedelta(days=min(151, n_days - 1)), min(FIRST + timedelta(days=180), last))
        for name, (a, b) in (("one month", month), ("the whole range", (FIRST, last))):
            f = measure(app, a, b, now, repeat)
            r = f.report
            hashes[f"{label} {a}..{b}"] = fingerprint(r)
            print(f"{label}: {name} {a}..{b}: {f.wall:.2f} s wall, {f.cpu:.2f} s CPU; {f.db:.2f} s of it in the "
                  f"database queries, {f.wall - f.db:.2f} s Python (load {f.load:.2f} s + rules {f.rules:.2f} s; "
                  f"load average {os.getloadavg()[0]:.1f}; {r.blocks:,} blocks ran, "
                  f"{len(r.substitutions):,} substitutions, {len(r.overrides):,} overrides, "
                  f"{len(r.churn):,} changes, {len(r.uncovered):,} uncovered; report {fingerprint(r)})")
    finally:
        app.close()
    with contextlib.suppress(OSError):
        print(f"load average while measuring: {os.getloadavg()[0]:.1f} (the machine is shared)")


def check_hashes(hashes: dict[str, str], path: Path | None) -> int:
    """With --hashes FILE: the first run writes the reports' fingerprints, later runs (other code, same
    data) must match them exactly."""
    if path is None:
        return 0
    if not path.exists():
        path.write_text(json.dumps(hashes, indent=1, sort_keys=True))
        print(f"report fingerprints written to {path}")
        return 0
    before = json.loads(path.read_text())
    differ = sorted(k for k in hashes if k in before and before[k] != hashes[k])
    for k in differ:
        print(f"REPORT CHANGED: {k}: {before[k]} before, {hashes[k]} now")
    same = sorted(k for k in hashes if before.get(k) == hashes[k])
    print(f"reports identical to {path}: {len(same)} of {len(hashes)}" + (" — ANSWERS CHANGED" if differ else ""))
    return 1 if differ else 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--blocks", type=int, default=300, help="blocks per day")
    p.add_argument("--vehicles", type=int, default=300)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--sqlite-only", action="store_true")
    p.add_argument("--pg-only", action="store_true")
    p.add_argument("--hashes", type=Path, help="write the reports' fingerprints here, or check them against it")
    a = p.parse_args()
    hashes: dict[str, str] = {}
    print(machine_info())
    t0 = time.perf_counter()
    rows = generate(a.seed, a.days, a.blocks, a.vehicles)
    print(f"generated {a.days} days x {a.blocks} blocks, {a.vehicles} vehicles in {time.perf_counter() - t0:.0f} s")
    if not a.pg_only:
        tmp = Path(tempfile.mkdtemp())
        try:
            run(f"sqlite:///{tmp / 'kpi.db'}", "SQLite", rows, a.days, a.repeat, hashes)
        finally:
            shutil.rmtree(tmp)
    if not a.sqlite_only:
        import psycopg

        name = f"dd_bench_kpi_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            run(f"{PG_BASE}/{name}", "PostgreSQL", rows, a.days, a.repeat, hashes)
        finally:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return check_hashes(hashes, a.hashes)


if __name__ == "__main__":
    sys.exit(main())
