"""Faults and concurrency (issue 17): SIGKILL in the middle of a write leaves all or nothing and the
command re-runs cleanly (both databases); 20 concurrent writers through 2 API workers on PostgreSQL."""

from __future__ import annotations

import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import date, datetime

import httpx
import pytest
from sqlalchemy.engine import make_url

from depotdispatch.adapters.blocks_csv import read_blocks
from depotdispatch.adapters.clock import Clock
from depotdispatch.adapters.sheet_csv import read_sheet
from depotdispatch.bootstrap import App
from depotdispatch.domain.applicability import Applicability
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.services import days, depots, fleet, schedules, sheets
from tests.api.test_hostile_api import seed
from tests.auth_helpers import token_for
from tests.helpers import shared

DAY = date(2026, 11, 25)
NOW = datetime.fromisoformat("2026-11-25T03:00:00+01:00")
VILNIUS = "vilnius_2015.zip"
VILNIUS_DAY = "2015-11-25"


def _cli(url: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "depotdispatch", "--db", url, "--now", NOW.isoformat(), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONHASHSEED": "0"})


def _writing(url: str) -> Callable[[], bool]:
    """A probe: is a write transaction open (written, not committed) on this database right now?"""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        def probe() -> bool:
            conn = sqlite3.connect(u.database, timeout=0, isolation_level=None)
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("ROLLBACK")
                return False
            except sqlite3.OperationalError:
                return True
            finally:
                conn.close()
        return probe
    import psycopg

    admin = psycopg.connect(u.set(drivername="postgresql", database="postgres").render_as_string(False),
                            autocommit=True)

    def probe_pg() -> bool:
        return admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_xid IS NOT NULL",
                             (u.database,)).fetchone()[0] > 0
    return probe_pg


def _kill_mid_write(url: str, args: list[str], attempts: int = 6) -> bool:
    """Start the command and SIGKILL it once it holds an open write transaction; True if that happened."""
    probe = _writing(url)
    for _ in range(attempts):
        proc = _cli(url, *args)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if probe():
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
                return True
            time.sleep(0.002)
        proc.communicate(timeout=30)
        return False  # it finished before a write was seen: the caller checks it then did everything
    return False


def _rerun(url: str, *args: str) -> None:
    proc = _cli(url, *args)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()[-2000:]


def _count(app: App, sql: str) -> int:
    from sqlalchemy import text

    with app.engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar() or 0)


def test_sigkill_mid_gtfs_import(app: App, db_url: str) -> None:
    depots.add_depot(app.uow(), Depot("V", "Vilnius", "Europe/Vilnius"), NOW)
    args = ["schedule", "import-gtfs", str(shared("gtfs", VILNIUS)), "--depot", "V"]
    killed = _kill_mid_write(db_url, args)
    trips, n = _count(app, "SELECT count(*) FROM trips"), _count(app, "SELECT count(*) FROM schedules")
    assert (n, trips) in ((0, 0), (1, 23398)), (n, trips)  # all or nothing
    assert killed or n == 1
    _rerun(db_url, *args)
    assert (_count(app, "SELECT count(*) FROM schedules"), _count(app, "SELECT count(*) FROM trips")) == (1, 23398)


def test_sigkill_mid_day_setup(app: App, db_url: str) -> None:
    from depotdispatch.adapters.gtfs import read_gtfs

    depots.add_depot(app.uow(), Depot("V", "Vilnius", "Europe/Vilnius"), NOW)
    schedules.import_gtfs(app.uow(), "V", read_gtfs(shared("gtfs", VILNIUS)), NOW)
    args = ["day", "setup", "--depot", "V", "--date", VILNIUS_DAY]
    killed = _kill_mid_write(db_url, args)
    blocks = _count(app, "SELECT count(*) FROM blocks")
    n_days = _count(app, "SELECT count(*) FROM dispatch_days")
    assert (n_days == 0 and blocks == 0) or n_days == 1, (n_days, blocks)
    partial = blocks
    _rerun(db_url, *args)
    full = _count(app, "SELECT count(*) FROM blocks")
    assert full > 300 and partial in (0, full) and (killed or partial == full)


def test_sigkill_mid_sheet_apply(app: App, db_url: str) -> None:
    n = 2500
    blocks = "block_id,pull_out,pull_in\n" + "".join(f"K{i},05:00,09:00\n" for i in range(n))
    depots.add_depot(app.uow(), Depot("B", "Berlin", "Europe/Berlin"), NOW)
    schedules.import_blocks(app.uow(), "B", "b", read_blocks(blocks.encode()), Applicability(DAY, DAY), NOW)
    days.setup_day(app.uow(), "B", DAY, NOW)
    fleet.import_fleet(app.uow(), "B", [FleetEntry(i, f"D{i}", VehicleType("D", "diesel")) for i in range(n)])
    sheet = read_sheet(("block_id,vehicle_id\n" + "".join(f"K{i},D{i}\n" for i in range(n))).encode(), "s.csv", DAY)
    preview = sheets.preview_sheet(app.uow(), "B", DAY, sheet.rows, sheet.format, NOW)
    args = ["sheet", "apply", preview.preview_id, "--depot", "B", "--date", DAY.isoformat()]
    killed = _kill_mid_write(db_url, args)
    applied = "SELECT count(*) FROM events WHERE kind NOT IN ('schedule_imported', 'day_set_up')"  # the set-up's own
    state = (_count(app, "SELECT plan_version FROM dispatch_days"), _count(app, "SELECT count(*) FROM assignments"),
             _count(app, applied))
    assert state in ((0, 0, 0), (1, n, n)), state
    assert killed or state[0] == 1
    _rerun(db_url, *args)  # applying the same preview again is fine, and changes nothing more
    assert (_count(app, "SELECT count(*) FROM assignments"), _count(app, applied)) == (n, n)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_twenty_writers_through_two_workers_on_postgresql(templates, backend) -> None:
    if backend != "postgresql":
        pytest.skip("several workers need PostgreSQL (DESIGN §8)")
    with templates.fresh("postgresql") as url:
        setup = App(url, Clock(NOW))
        seed(setup)
        auth = {"Authorization": f"Bearer {token_for(setup, 'dispatcher', ['B'])}"}
        port = _port()
        server = subprocess.Popen([sys.executable, "-m", "depotdispatch", "--db", url, "--now", NOW.isoformat(),
                                   "serve", "--port", str(port), "--workers", "2"],
                                  env={**os.environ, "DEPOTDISPATCH_SESSION_SECRET": "w" * 40},  # one for both
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        base = f"http://127.0.0.1:{port}/api/v1/depots/B/days/2026-11-25"
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            results: list[tuple[int, str, str, dict]] = []
            lock = threading.Lock()

            def writer(seed_: int) -> None:
                rng = random.Random(seed_)
                with httpx.Client(timeout=30, headers=auth) as c:
                    for _ in range(6):
                        version = c.get(base + "/plan").json()["plan_version"]
                        block, vehicle = f"{100 + rng.randrange(20)}", f"E{rng.randrange(1, 21)}"
                        r = c.put(f"{base}/plan/assignments/{block}",
                                  json={"vehicle_id": vehicle, "plan_version": version})
                        with lock:
                            results.append((r.status_code, block, vehicle, r.json()))

            threads = [threading.Thread(target=writer, args=(i,)) for i in range(20)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            assert {s for s, *_ in results} <= {200, 409}, [r for r in results if r[0] not in (200, 409)][:3]
            accepted = sorted((doc["plan_version"], block, vehicle) for s, block, vehicle, doc in results
                              if s == 200 and doc["changed"])
            assert accepted, "no write was accepted"
            versions = [v for v, *_ in accepted]
            assert versions == list(range(1, len(accepted) + 1))  # one version step per accepted write
            replay: dict[str, str] = {}
            for _, block, vehicle in accepted:
                replay[block] = vehicle
            plan = httpx.get(base + "/plan", headers=auth).json()
            final = {b["block_id"]: b["vehicle_id"] for b in plan["blocks"] if b["vehicle_id"]}
            assert plan["plan_version"] == len(accepted) and final == replay
            events = httpx.get(f"http://127.0.0.1:{port}/api/v1/depots/B/events", headers=auth).json()["events"]
            # one event per accepted write (besides the import's and the set-up's, before them)
            assert len([e for e in events if e["block_id"]]) == len(accepted)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
            setup.close()

