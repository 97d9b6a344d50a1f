"""Load on the API: 50 readers of a 500-block board while 5 dispatchers write, and a 40k-vehicle fleet import.

Run from the repository root:  .venv/bin/python bench/load.py [--readers 50] [--writers 5] [--seconds 20] [--skip-pg]

Loopback only, bounded in requests and time. The server is the real `depotdispatch serve` (uvicorn):
SQLite with one worker, PostgreSQL with four. Each reader loads the day's board about once a second
(`--read-pause 0` for as fast as the server answers); each dispatcher reads the plan and assigns a
vehicle at that version (409 when another got there first).
Prints p50/p95/p99 per kind of request, errors (anything but 200, and 409 for writes), and the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import gen_board
import httpx
from machine import machine_info  # bench/machine.py (scripts run from bench/)

from depotdispatch.adapters.clock import Clock
from depotdispatch.adapters.db.migrate import upgrade
from depotdispatch.bootstrap import App
from depotdispatch.services import identity

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BASE = "postgresql://postgres@127.0.0.1:5432"
GOAL_P95_MS = 50.0
MAX_REQUESTS = 200_000


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def run_load(base: str, token: str, day: str, vehicles: list[str], blocks: list[str], args: argparse.Namespace
                   ) -> dict[str, object]:
    times: dict[str, list[float]] = {"board": [], "write": []}
    statuses: dict[str, dict[int, int]] = {"board": {}, "write": {}}
    errors: list[str] = []
    stop_at = time.monotonic() + args.seconds
    budget = [MAX_REQUESTS]
    limits = httpx.Limits(max_connections=args.readers + args.writers + 5)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits,
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        async def record(kind: str, started: float, r: httpx.Response | None, exc: Exception | None) -> None:
            times[kind].append((time.perf_counter() - started) * 1000)
            code = r.status_code if r is not None else -1
            statuses[kind][code] = statuses[kind].get(code, 0) + 1
            if exc is not None or (code != 200 and not (kind == "write" and code == 409)):
                errors.append(f"{kind} {code} {exc or r.text[:200]}")

        async def reader(n: int) -> None:
            rng = random.Random(1000 + n)
            await asyncio.sleep(rng.uniform(0, args.read_pause))  # users do not all arrive at once
            while time.monotonic() < stop_at and budget[0] > 0:
                budget[0] -= 1
                started = time.perf_counter()
                try:
                    r = await client.get(f"/api/v1/depots/BENCH/days/{day}/board")
                    await record("board", started, r, None)
                except httpx.HTTPError as exc:
                    await record("board", started, None, exc)
                await asyncio.sleep(rng.uniform(0.5, 1.5) * args.read_pause)

        async def writer(n: int) -> None:
            rng = random.Random(n)
            while time.monotonic() < stop_at and budget[0] > 0:
                budget[0] -= 1
                started = time.perf_counter()
                try:
                    plan = await client.get(f"/api/v1/depots/BENCH/days/{day}/plan")
                    version = plan.json()["plan_version"]
                    r = await client.put(f"/api/v1/depots/BENCH/days/{day}/plan/assignments/{rng.choice(blocks)}",
                                         json={"vehicle_id": rng.choice(vehicles), "plan_version": version,
                                               "override_reason": "bench"})
                    await record("write", started, r, None)
                except httpx.HTTPError as exc:
                    await record("write", started, None, exc)
                await asyncio.sleep(args.write_pause)

        began = time.monotonic()
        await asyncio.gather(*[reader(i) for i in range(args.readers)], *[writer(i) for i in range(args.writers)])
        elapsed = time.monotonic() - began
    return {"times": times, "statuses": statuses, "errors": errors, "elapsed": elapsed}


def serve(url: str, workers: int, now: str) -> tuple[subprocess.Popen, str]:
    port = _port()
    proc = subprocess.Popen([sys.executable, "-m", "depotdispatch", "--db", url, "--now", now, "serve", "--port",
                             str(port), "--workers", str(workers)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,  # several workers share one session secret
                            env={**os.environ, "DEPOTDISPATCH_SESSION_SECRET": secrets.token_urlsafe(32)})
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start")


def run_backend(url: str, kind: str, workers: int, spec: gen_board.DepotSpec, args: argparse.Namespace) -> None:
    upgrade(url)
    app = App(url, Clock(spec.now_early))
    try:
        gen_board.seed(app, spec)
        user = identity.add_user(app.uow(), "bench", "dispatcher", ["BENCH"], "bench password 1", app.auth_clock.now())
        token = identity.issue_token(app.uow(), user.name, app.auth_clock.now()).token
    finally:
        app.close()
    proc, base = serve(url, workers, spec.now_mid.isoformat())
    try:
        day = gen_board.SERVICE_DATE.isoformat()
        result = asyncio.run(run_load(base, token, day, [e.vehicle_id for e in spec.entries],
                                      [b.block_id for b in spec.blocks if b.start_s > 15 * 3600], args))
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
    times, statuses, errors = result["times"], result["statuses"], result["errors"]  # type: ignore[index]
    print(f"\n{kind}, {workers} worker(s), {args.readers} readers + {args.writers} dispatchers, "
          f"{result['elapsed']:.1f} s:")  # type: ignore[index]
    for what in ("board", "write"):
        t = times[what]  # type: ignore[index]
        rate = len(t) / result["elapsed"]  # type: ignore[index,operator]
        print(f"  {what:<6} n={len(t):>6} ({rate:6.1f}/s)  p50 {pct(t, 50):7.1f} ms  p95 {pct(t, 95):7.1f} ms  "
              f"p99 {pct(t, 99):7.1f} ms  statuses {dict(sorted(statuses[what].items()))}")  # type: ignore[index]
    board_p95 = pct(times["board"], 95)  # type: ignore[index]
    print(f"  errors (not 200, or not 200/409 for writes): {len(errors)}"
          + (f"; first: {errors[0]}" if errors else ""))  # type: ignore[arg-type]
    print(f"  goal board p95 < {GOAL_P95_MS:.0f} ms: {'PASS' if board_p95 < GOAL_P95_MS else 'FAIL'} "
          f"({board_p95:.1f} ms); median write {statistics.median(times['write'] or [0]):.1f} ms")  # type: ignore


def fleet_import(url: str, n: int) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of the whole `fleet import` process."""
    upgrade(url)
    tmp = Path(tempfile.mkdtemp(prefix="bench_fleet_"))
    try:
        csv = tmp / "fleet.csv"
        csv.write_text("vehicle_id,vehicle_type,propulsion,usable_kwh,kwh_per_km\n"
                       + "".join(f"V{i:06d},XE{i % 7},bev,400,1.3\n" for i in range(n)))
        env = {**os.environ}
        base = [sys.executable, "-m", "depotdispatch", "--db", url]
        subprocess.run([*base, "depot", "add", "F", "--name", "F", "--tz", "UTC"], check=True, env=env,
                       capture_output=True)
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        r = subprocess.run([*base, "fleet", "import", str(csv), "--depot", "F", "--json"], env=env,
                           capture_output=True, text=True)
        took = time.perf_counter() - started
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        if r.returncode != 0:
            raise RuntimeError(r.stderr)
        return took, cpu.ru_utime - cpu_before.ru_utime + cpu.ru_stime - cpu_before.ru_stime
    finally:
        shutil.rmtree(tmp)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--readers", type=int, default=50)
    ap.add_argument("--writers", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=20.0, help="how long the load runs per backend (max 120)")
    ap.add_argument("--read-pause", type=float, default=1.0,
                    help="a reader's mean pause between board loads (s); 0 = as fast as the server answers")
    ap.add_argument("--write-pause", type=float, default=0.5, help="a dispatcher's pause between writes (s)")
    ap.add_argument("--blocks", type=int, default=500)
    ap.add_argument("--vehicles", type=int, default=300)
    ap.add_argument("--pg-workers", type=int, default=4)
    ap.add_argument("--fleet", type=int, default=40_000, help="vehicles in the fleet import (0 skips it)")
    ap.add_argument("--skip-pg", action="store_true")
    ap.add_argument("--fleet-only", action="store_true", help="only the fleet import")
    args = ap.parse_args()
    if not (1 <= args.readers <= 500 and 0 <= args.writers <= 50 and 0 < args.seconds <= 120):
        ap.error("readers 1-500, writers 0-50, seconds (0, 120]")
    spec = gen_board.make_depot(1, args.blocks, args.vehicles)
    print(machine_info())
    print(f"scenario: {len(spec.blocks)} blocks, {len(spec.entries)} vehicles, half assigned; board at 13:00 local")
    tmp = Path(tempfile.mkdtemp(prefix="bench_load_"))
    try:
        if not args.fleet_only:
            run_backend(f"sqlite:///{tmp / 'load.db'}", "SQLite", 1, spec, args)
        if args.fleet:
            took, cpu = fleet_import(f"sqlite:///{tmp / 'fleet.db'}", args.fleet)
            print(f"\nfleet import of {args.fleet:,} vehicles (CLI, whole process), SQLite: {took:.2f} s "
                  f"({cpu:.2f} s CPU)")
    finally:
        shutil.rmtree(tmp)
    if not args.skip_pg:
        import psycopg

        for what in ("load", "fleet"):
            if (what == "fleet" and not args.fleet) or (what == "load" and args.fleet_only):
                continue
            name = f"bench_{what}_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
                try:
                    if what == "load":
                        run_backend(f"{PG_BASE}/{name}", "PostgreSQL", args.pg_workers, spec, args)
                    else:
                        took, cpu = fleet_import(f"{PG_BASE}/{name}", args.fleet)
                        print(f"\nfleet import of {args.fleet:,} vehicles (CLI, whole process), PostgreSQL: "
                              f"{took:.2f} s ({cpu:.2f} s CPU in the client process)")
                finally:
                    admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
