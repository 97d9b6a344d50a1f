"""Sustained telemetry: readings per second broker -> worker -> database, and the board's p95 meanwhile.

Run from the repository root:  .venv/bin/python bench/telemetry.py [--messages 20000] [--backend sqlite|postgresql|all]
                                                                   [--no-chargers]

A synthetic 300-bus, 500-block depot (bench/gen_board.py) is seeded; a Mosquitto of our own is started
on a free loopback port. One process publishes QoS-1 readings as fast as the broker takes them (each a
distinct vehicle and time, so none is a duplicate); the worker (`run_worker`, the same code as
`depotdispatch worker telematics`) stores them; a third process asks for the depot's board in a loop
meanwhile. Figures: readings/s from the first publish to the last reading stored, and the board's p50/p95
with and without that load. A 300-bus depot sends ~30 readings/s; the goal is >= 1,000/s on PostgreSQL
with the board p95 under 50 ms.

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
from datetime import timedelta
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


def publish(port: int, depot: str, vehicles: list[str], now_iso: str, n: int, started: mp.Event) -> None:
    """Child process: n readings, QoS 1, a window of 1000 unacknowledged at most."""
    from collections import deque
    from datetime import datetime

    import paho.mqtt.client as mqtt

    now = datetime.fromisoformat(now_iso)
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    c.max_inflight_messages_set(1000)
    c.max_queued_messages_set(0)
    c.connect("127.0.0.1", port)
    c.loop_start()
    started.set()
    window: deque[mqtt.MQTTMessageInfo] = deque()  # sent, not yet acknowledged by the broker, oldest first
    for i in range(n):
        v = vehicles[i % len(vehicles)]
        # measured just before `now` (as live readings are), after the charging plan's anchor: a reading
        # measured before the anchor is a late one and changes the plan's inputs (it is made again)
        at = now - timedelta(seconds=2) + timedelta(microseconds=i)
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


def sample_board(url: str, depot: str, now_iso: str, warm: mp.Event, stop: mp.Event, out: mp.Queue) -> None:
    """Child process: the board again and again until told to stop, in turn computed from scratch
    (services.board.board) and through the board cache the web and API use (app.boards: it reads again only
    what the readings since touched); both latencies in ms."""
    from datetime import datetime

    now = datetime.fromisoformat(now_iso)
    app = App(database_url=url, clock=Clock(now))
    board(app.uow(), depot, now)  # warm-up
    app.boards.board(app.uow(), depot, now)
    from depotdispatch.domain import depot_charging

    before = depot_charging._seam.cache_info().misses
    warm.set()
    times: dict[str, list[float]] = {"scratch": [], "cache": []}
    while not stop.is_set() or len(times["cache"]) < 5:
        for kind in ("scratch", "cache"):
            t = time.perf_counter()
            if kind == "scratch":
                board(app.uow(), depot, now)
            else:
                app.boards.board(app.uow(), depot, now)
            times[kind].append(1000 * (time.perf_counter() - t))
    times["replans"] = [float(depot_charging._seam.cache_info().misses - before)]  # charging plans made meanwhile
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


def run(backend: str, n: int, folder: Path, chargers: bool = True) -> dict[str, object]:
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
        now = spec.now_mid + timedelta(minutes=2, seconds=30)
        app = App(database_url=url, clock=Clock(now))
        gen_board.seed(app, spec)
        depot = spec.depot.depot_id
        vehicles = [e.vehicle_id for e in spec.entries]
        cost: dict[str, float] = {}
        if chargers:
            from depotdispatch.domain.charging_plan import Charger
            from depotdispatch.services.yard import import_chargers

            import_chargers(app.uow(), depot, [Charger(f"C{i:02d}", 150, 2) for i in range(len(vehicles) // 4)],
                            now, "bench")
            cost = plan_cost(app, depot, now)
        broker, port = start_broker(folder)
        ctx = mp.get_context("spawn")
        # the board without load
        warm, stop, q = ctx.Event(), ctx.Event(), ctx.Queue()
        sampler = ctx.Process(target=sample_board, args=(url, depot, now.isoformat(), warm, stop, q))
        sampler.start()
        warm.wait(120)
        time.sleep(4)
        stop.set()
        idle = q.get(timeout=120)
        sampler.join()
        # the worker, then the board sampler and the publisher together
        ready = threading.Event()
        result: dict[str, object] = {}
        worker = threading.Thread(target=lambda: result.setdefault("stats", run_worker(
            make_store(app), port=port, client_id=f"bench-{uuid.uuid4().hex[:6]}", max_messages=n,
            timeout_s=600, on_ready=ready.set)))
        worker.start()
        ready.wait(30)
        warm, stop, q = ctx.Event(), ctx.Event(), ctx.Queue()
        sampler = ctx.Process(target=sample_board, args=(url, depot, now.isoformat(), warm, stop, q))
        sampler.start()
        warm.wait(120)
        started = ctx.Event()
        pub = ctx.Process(target=publish, args=(port, depot, vehicles, now.isoformat(), n, started))
        pub.start()
        started.wait(30)
        t0 = time.perf_counter()
        worker.join()
        elapsed = time.perf_counter() - t0
        stop.set()
        loaded = q.get(timeout=120)
        sampler.join()
        pub.join()
        stats = result["stats"]
        app.close()
        load = load_avg()
        replans = int(loaded.pop("replans")[0]) + int(idle.pop("replans")[0])
        figures = {f"board_{phase}_{kind}_{q}": round(statistics.median(xs) if q == "p50" else pct(xs, 0.95), 1)
                   for phase, got in (("idle", idle), ("load", loaded)) for kind, xs in got.items()
                   for q in ("p50", "p95")}
        return {"backend": backend, "messages": n, "stored": stats.stored, "duplicates": stats.duplicates,  # type: ignore[attr-defined]
                "rejected": stats.rejected, "seconds": round(elapsed, 2),  # type: ignore[attr-defined]
                "per_s": round(stats.stored / elapsed),  # type: ignore[attr-defined]
                **figures, "board_samples": len(loaded["cache"]), "plan": cost, "load_after": load,
                "replans": replans}
    finally:
        if broker is not None:
            broker.terminate()
            broker.wait(10)
        if name is not None:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--messages", type=int, default=20_000)
    p.add_argument("--backend", choices=("sqlite", "postgresql", "all"), default="all")
    p.add_argument("--no-chargers", action="store_true", help="no charger list: no depot charging plan")
    args = p.parse_args()
    print(machine_info())
    print(f"load before: {load_avg()}")
    for backend in (["sqlite", "postgresql"] if args.backend == "all" else [args.backend]):
        with tempfile.TemporaryDirectory() as tmp:
            r = run(backend, args.messages, Path(tmp), chargers=not args.no_chargers)
        plan = r["plan"]
        if plan:
            print(f"{r['backend']:10s} board (300 buses, 75 chargers) with the charging plan made afresh: "
                  f"{plan['fresh_wall']} ms wall / {plan['fresh_cpu']} ms CPU; with it cached: "  # type: ignore[index]
                  f"{plan['cached_wall']} ms wall / {plan['cached_cpu']} ms CPU (medians of 5, same process)")  # type: ignore[index]
        print(f"{r['backend']:10s} {r['stored']}/{r['messages']} stored in {r['seconds']} s = {r['per_s']} readings/s "
              f"(duplicates {r['duplicates']}, rejected {r['rejected']})")
        for kind, words in (("scratch", "from scratch"), ("cache", "through the board cache (as served)")):
            print(f"{'':10s} board {words}: p50/p95 idle "
                  f"{r[f'board_idle_{kind}_p50']}/{r[f'board_idle_{kind}_p95']} ms,"
                  f" under load {r[f'board_load_{kind}_p50']}/{r[f'board_load_{kind}_p95']} ms"
                  f" ({r['board_samples']} boards each)")
        print(f"{'':10s} charging plans made by the board sampler after its warm-up: {r['replans']} "
              f"(the readings all fall after the plan's anchor); load after the run: {r['load_after']}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
