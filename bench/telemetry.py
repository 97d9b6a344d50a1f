"""Sustained telemetry: readings per second broker -> worker -> database, and the board's p95 meanwhile.

Run from the repository root:  .venv/bin/python bench/telemetry.py [--messages 20000] [--backend sqlite|postgresql|all]
                                                                   [--no-chargers]

A synthetic 300-bus, 500-block depot (bench/gen_board.py) is seeded; a Mosquitto of our own is started
on a free loopback port. One process publishes QoS-1 readings as fast as the broker takes them (each a
distinct vehicle and time, so none is a duplicate); the worker (`run_worker`, the same code as
`depotdispatch worker telematics`) stores them; a third process asks for the depot's board in a loop
meanwhile. The clock moves as a live one does (from 13:02:30 of the synthetic day, in step with the wall
clock): every board is asked at its own `now`, every reading is measured a second before it is sent.
The sampler's App is the serving process's (`background_boards=True`, as `asgi.create_app` makes it): the
board cache's periodic full read and the next step's charging plan are done on its background thread, and
gc.freeze() follows the first board (services/board_cache.py); every board is still the one at its `now`.
--start moves the synthetic clock's start (seconds after 13:00:00; the default 150 = 13:02:30 crosses no
plan step while loaded; 280 = 13:04:40 puts the 13:05 step's settle time and switch in the realistic phase).
Two loaded phases: the realistic rate (a 300-bus depot sends ~30 readings/s: --rate, for --seconds) and the
most the broker, worker and database take (--messages, as fast as possible). Figures per phase: readings/s
from the first publish to the last reading stored, the worker's CPU, the board's p50/p95 wall and CPU (the
sampler is a process of its own: its requesting thread's CPU is the board's; the cache's background thread
is not counted there, but competes for the same cores and GIL, which the wall time shows), and the load
average before and after. The goal is >= 1,000 readings/s on PostgreSQL with the board p95 under 50 ms.

The depot has a charger list (a two-connector 150 kW charger per four buses; --no-chargers: none, every bus
on a connector of its own), so every board asks the depot's charging plan. Before the load, in the same
process: one board with the plan made afresh (its cache emptied first) against one with the plan cached,
wall and CPU time (the plan is cached on its inputs, made from the readings as of its 5-minute anchor).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import multiprocessing as mp
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import gen_board
from machine import machine_info

from depotdispatch.adapters.clock import Clock
from depotdispatch.adapters.db.migrate import upgrade
from depotdispatch.adapters.telematics_mqtt import run_worker
from depotdispatch.bootstrap import App
from depotdispatch.services.board import board
from depotdispatch.telemetry_worker import make_store

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BASE = "postgresql://postgres@127.0.0.1:5432"


class MovingClock(Clock):
    """`base` at the wall instant `origin` (time.time()), moving with the wall clock from then; `base` itself
    while `origin` is None (seeding)."""

    def __init__(self, base: datetime, origin: float | None = None) -> None:
        super().__init__(None)
        self.base, self.origin = base, origin

    def now(self) -> datetime:
        return self.base if self.origin is None else self.base + timedelta(seconds=time.time() - self.origin)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_broker(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    conf = folder / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                    "max_inflight_messages 1000\nmax_queued_messages 1000000\n")
    proc = subprocess.Popen([shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(conf)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return proc, port
        time.sleep(0.05)
    raise RuntimeError("mosquitto did not start")


def publish(port: int, depot: str, vehicles: list[str], base_iso: str, origin: float, n: int, rate: float | None,
            started: mp.Event) -> None:
    """Child process: n readings, QoS 1, a window of 1000 unacknowledged at most; `rate` per second (None:
    as fast as the broker takes them)."""
    from collections import deque

    import paho.mqtt.client as mqtt

    clock = MovingClock(datetime.fromisoformat(base_iso), origin)
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    c.max_inflight_messages_set(1000)
    c.max_queued_messages_set(0)
    c.connect("127.0.0.1", port)
    c.loop_start()
    started.set()
    t0 = time.perf_counter()
    window: deque[mqtt.MQTTMessageInfo] = deque()  # sent, not yet acknowledged by the broker, oldest first
    for i in range(n):
        if rate:
            time.sleep(max(0.0, t0 + i / rate - time.perf_counter()))
        v = vehicles[i % len(vehicles)]
        # measured a second before it is sent (as live readings are), after the charging plan's anchor: a
        # reading measured before the anchor is a late one and changes the plan's inputs (it is made again)
        at = clock.now() - timedelta(seconds=1) + timedelta(microseconds=i % 1000)
        window.append(c.publish(f"depots/{depot}/vehicles/{v}/telemetry",
                                json.dumps({"soc_pct": 50 + (i % 40), "measured_at": at.isoformat(),
                                            "odometer_km": 1000 + i * 0.01}), qos=1))
        # drop the acknowledged from the front (a list filtered per message made the publisher the bottleneck)
        while window and window[0].is_published():
            window.popleft()
        if len(window) >= 1000:
            window.popleft().wait_for_publish(60)
    for x in window:
        x.wait_for_publish(60)
    c.loop_stop()
    c.disconnect()


def sample_board(url: str, depot: str, base_iso: str, origin: float, warm: mp.Event, stop: mp.Event,
                 out: mp.Queue) -> None:
    """Child process: the board again and again until told to stop, each at the moving clock's `now`, in turn
    computed from scratch (services.board.board) and through the board cache the web and API use (app.boards:
    it reads again only what the readings since touched, keeps the judgements that still hold); wall and CPU
    ms of each."""
    clock = MovingClock(datetime.fromisoformat(base_iso), origin)
    app = App(database_url=url, clock=clock, background_boards=True)  # as the server's (asgi.create_app)
    board(app.uow(), depot, clock.now())  # warm-up
    app.boards.board(app.uow(), depot, clock.now())
    app.boards.idle()  # the background's first jobs (gc.freeze after the first board)
    from depotdispatch.domain import depot_charging

    warm.set()
    times: dict[str, list[float]] = {"scratch": [], "cache": [], "scratch_cpu": [], "cache_cpu": []}
    replans = 0  # charging plans made by the cache's boards, on the request path
    while not stop.is_set() or len(times["cache"]) < 5:
        # the cache's board first: a board from scratch just before would make the plan for it
        for kind in ("cache", "scratch"):
            # CPU of this thread: the request's own (the cache's background thread runs in the same process)
            t, c = time.perf_counter(), time.thread_time()
            if kind == "scratch":
                board(app.uow(), depot, clock.now())
            else:
                misses = depot_charging._seam.cache_info().misses
                app.boards.board(app.uow(), depot, clock.now())
                replans += depot_charging._seam.cache_info().misses - misses
            times[kind].append(1000 * (time.perf_counter() - t))
            times[f"{kind}_cpu"].append(1000 * (time.thread_time() - c))
    times["replans"] = [float(replans)]
    times["partial"] = [float(app.boards.partial)]
    times["background"] = [float(app.boards.refreshed), float(app.boards.prepared)]
    out.put(times)
    app.close()


def plan_cost(app: App, depot: str, now: object, rounds: int = 5) -> dict[str, float]:
    """Board wall/CPU ms with the charging plan made afresh vs taken from its cache (A/B, alternating)."""
    from depotdispatch.domain import depot_charging

    got: dict[str, list[tuple[float, float]]] = {"fresh": [], "cached": []}
    board(app.uow(), depot, now)  # type: ignore[arg-type]
    for _ in range(rounds):
        for kind in ("fresh", "cached"):
            if kind == "fresh":
                depot_charging._seam.cache_clear()
            w, c = time.perf_counter(), time.process_time()
            board(app.uow(), depot, now)  # type: ignore[arg-type]
            got[kind].append((1000 * (time.perf_counter() - w), 1000 * (time.process_time() - c)))
    return {f"{kind}_{what}": round(statistics.median(x[i] for x in xs), 1)
            for kind, xs in got.items() for i, what in enumerate(("wall", "cpu"))}


def load_avg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def run(backend: str, n: int, folder: Path, chargers: bool = True, rate: float = 30.0,
        seconds: float = 60.0, start_s: float = 150.0) -> dict[str, object]:
    name = None
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'bench.db'}"
    else:
        import psycopg

        name = f"dd_bench_tel_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"{PG_BASE}/{name}"
    broker = None
    try:
        upgrade(url)
        spec = gen_board.make_depot(seed=1, blocks=500, vehicles=300)
        # mid-way through a 5-minute step of the charging plan's anchor (13:02:30), as a live clock mostly is
        now = spec.now_mid + timedelta(seconds=start_s)
        app = App(database_url=url, clock=Clock(now))
        gen_board.seed(app, spec)
        depot = spec.depot.depot_id
        # only battery buses report a state of charge (a diesel's reading is refused as not_electric)
        vehicles = [e.vehicle_id for e in spec.entries if e.vehicle_type.propulsion == "bev"]
        cost: dict[str, float] = {}
        if chargers:
            from depotdispatch.domain.charging_plan import Charger
            from depotdispatch.services.yard import import_chargers

            import_chargers(app.uow(), depot, [Charger(f"C{i:02d}", 150, 2) for i in range(len(spec.entries) // 4)],
                            now, "bench")
            cost = plan_cost(app, depot, now)
        broker, port = start_broker(folder)
        ctx = mp.get_context("spawn")
        origin = time.time()
        app.clock.origin = origin  # type: ignore[attr-defined]  # the worker's clock moves too (future-time check)
        base = now.isoformat()

        def sampler_start() -> tuple[mp.Process, mp.Event, mp.Queue]:
            warm, stop, q = ctx.Event(), ctx.Event(), ctx.Queue()
            proc = ctx.Process(target=sample_board, args=(url, depot, base, origin, warm, stop, q))
            proc.start()
            warm.wait(120)
            return proc, stop, q

        def phase(count: int, rate: float | None) -> dict[str, object]:
            """The worker, the board sampler and the publisher together, `count` readings at `rate`."""
            ready = threading.Event()
            result: dict[str, object] = {}
            worker = threading.Thread(target=lambda: result.setdefault("stats", run_worker(
                make_store(app), port=port, client_id=f"bench-{uuid.uuid4().hex[:6]}", max_messages=count,
                timeout_s=900, on_ready=ready.set)))
            worker.start()
            ready.wait(30)
            proc, stop, q = sampler_start()
            load_before = load_avg()
            started = ctx.Event()
            pub = ctx.Process(target=publish, args=(port, depot, vehicles, base, origin, count, rate, started))
            pub.start()
            started.wait(30)
            t0, c0 = time.perf_counter(), time.process_time()
            worker.join()
            elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
            stop.set()
            got = q.get(timeout=300)
            proc.join()
            pub.join()
            stats = result["stats"]
            return {"messages": count, "stored": stats.stored, "duplicates": stats.duplicates,  # type: ignore[attr-defined]
                    "rejected": stats.rejected, "seconds": round(elapsed, 2),  # type: ignore[attr-defined]
                    "per_s": round(stats.stored / elapsed),  # type: ignore[attr-defined]
                    "worker_cpu_s": round(cpu, 2), "boards": got, "load_before": load_before,
                    "load_after": load_avg()}

        # the board without load
        proc, stop, q = sampler_start()
        load_before = load_avg()
        time.sleep(4)
        stop.set()
        idle = {"boards": q.get(timeout=120), "load_before": load_before, "load_after": load_avg()}
        proc.join()
        phases = {"idle": idle, "realistic": phase(max(1, round(rate * seconds)), rate), "max": phase(n, None)}
        app.close()
        return {"backend": backend, "plan": cost, "phases": phases}
    finally:
        if broker is not None:
            broker.terminate()
            broker.wait(10)
        if name is not None:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def board_line(boards: dict[str, list[float]], kind: str) -> str:
    wall, cpu = boards[kind], boards[f"{kind}_cpu"]
    return (f"p50/p95 {statistics.median(wall):.1f}/{pct(wall, 0.95):.1f} ms wall, "
            f"{statistics.median(cpu):.1f}/{pct(cpu, 0.95):.1f} ms CPU ({len(wall)} boards)")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--messages", type=int, default=20_000, help="readings of the max-throughput phase")
    p.add_argument("--rate", type=float, default=30.0, help="readings/s of the realistic phase (300 buses: ~30)")
    p.add_argument("--seconds", type=float, default=60.0, help="length of the realistic phase")
    p.add_argument("--backend", choices=("sqlite", "postgresql", "all"), default="all")
    p.add_argument("--no-chargers", action="store_true", help="no charger list: no depot charging plan")
    p.add_argument("--start", type=float, default=150.0, help="the clock's start, seconds after 13:00:00")
    args = p.parse_args()
    print(machine_info())
    print(f"load before: {load_avg()}")
    for backend in (["sqlite", "postgresql"] if args.backend == "all" else [args.backend]):
        with tempfile.TemporaryDirectory() as tmp:
            r = run(backend, args.messages, Path(tmp), chargers=not args.no_chargers, rate=args.rate,
                    seconds=args.seconds, start_s=args.start)
        plan = r["plan"]
        if plan:
            print(f"{r['backend']:10s} board (300 buses, 75 chargers) with the charging plan made afresh: "
                  f"{plan['fresh_wall']} ms wall / {plan['fresh_cpu']} ms CPU; with it cached: "  # type: ignore[index]
                  f"{plan['cached_wall']} ms wall / {plan['cached_cpu']} ms CPU (medians of 5, same process)")  # type: ignore[index]
        for name, ph in r["phases"].items():  # type: ignore[attr-defined]
            if name == "idle":
                head = "no load"
            else:
                head = (f"{'realistic' if name == 'realistic' else 'max throughput'}: {ph['stored']}/{ph['messages']} "
                        f"stored in {ph['seconds']} s = {ph['per_s']} readings/s (duplicates {ph['duplicates']}, "
                        f"rejected {ph['rejected']}), worker CPU {ph['worker_cpu_s']} s")
            print(f"{r['backend']:10s} {head}; load {ph['load_before']} -> {ph['load_after']}")
            b = ph["boards"]
            print(f"{'':12s}board through the board cache (as served): {board_line(b, 'cache')}")
            print(f"{'':12s}board from scratch (same process, in turn): {board_line(b, 'scratch')}")
            print(f"{'':12s}charging plans made by the cache's boards (request path): {int(b['replans'][0])}; "
                  f"boards that read only part of the data: {int(b['partial'][0])}; background: "
                  f"{int(b['background'][0])} full reads, {int(b['background'][1])} plans made ahead")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
