"""Benchmark the web app: the board page and its live partial for a 500-block day (server time, p50/p95),
and the live update's latency measured in a real browser (Debian Chromium).

Run from the repository root:  .venv/bin/python bench/web.py [--blocks 500] [--vehicles 300] [--repeat 50]
                                   [--updates 20] [--pg]

The depot is bench/gen_board.py's synthetic one, at 13:00 local (many blocks in service, many still to
come). A uvicorn server runs on a random loopback port; times are measured by the client over loopback
(so they include one HTTP round trip on 127.0.0.1, which is well under a millisecond). The board is
measured twice: with nothing changed between requests (the server's board cache answers), and right
after a reading stored by this process before each request (the cache must compute it again, as it
does for every open board when something lands). The live update:
an assignment is written through the API (as a second dispatcher would) and the time until the first
browser's board shows it is taken by a MutationObserver in the page. Seeding is not timed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import gen_board
import httpx
from machine import machine_info  # bench/machine.py (scripts run from bench/)

from depotdispatch.adapters.clock import Clock
from depotdispatch.adapters.db.migrate import upgrade
from depotdispatch.bootstrap import App
from depotdispatch.services import board as board_svc
from depotdispatch.services import identity, picker
from depotdispatch.services import plan as plan_svc

PASSWORD = "correct horse battery staple"
PG_BASE = "postgresql://postgres@127.0.0.1:5432"


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def start_server(db_url: str, now: str) -> tuple[str, subprocess.Popen[bytes]]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    env = {**os.environ, "DEPOTDISPATCH_DATABASE_URL": db_url, "DEPOTDISPATCH_NOW": now}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "depotdispatch.asgi:create_app", "--factory", "--fd",
                             str(sock.fileno()), "--log-level", "warning", "--no-access-log"], env=env,
                            pass_fds=(sock.fileno(),))
    sock.close()
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return url, proc
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def server_cpu_s(proc: subprocess.Popen[bytes]) -> float:
    """The server process's CPU time so far (user + system), from /proc."""
    fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def signed_in_client(url: str, name: str) -> httpx.Client:
    c = httpx.Client(base_url=url, timeout=30)
    page = c.get("/signin").text
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    r = c.post("/signin", data={"name": name, "password": PASSWORD, "next": "/", "csrf_token": csrf})
    assert r.status_code == 303, r.text
    return c


def timed(c: httpx.Client, path: str, n: int, headers: dict[str, str] | None = None) -> list[float]:
    c.get(path, headers=headers)  # warm-up
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = c.get(path, headers=headers)
        out.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, r.status_code
    return out


def timed_after_change(c: httpx.Client, path: str, n: int, app: App, spec: gen_board.DepotSpec,
                       headers: dict[str, str] | None = None, first: int = 0) -> list[float]:
    """Each request right after a new reading is stored by another process (this one): the server's board
    cache has to compute the board again, as it does for every open board when something lands."""
    from datetime import timedelta

    from depotdispatch.domain.readings import SocReading
    from depotdispatch.services import readings

    ev = [e.vehicle_id for e in spec.entries if e.vehicle_type.usable_kwh]
    out = []
    for i in range(n):
        at = spec.now_mid - timedelta(seconds=first + n - i)  # a new reading each time: never a duplicate
        readings.add_readings(app.uow(), [(None, SocReading(ev[i % len(ev)], 60 + i % 30, at, "telematics"))],
                              spec.now_mid)
        t0 = time.perf_counter()
        r = c.get(path, headers=headers)
        out.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, r.status_code
    return out


def in_process_ab(app: App, spec: gen_board.DepotSpec, n: int) -> dict[str, tuple[list[float], list[float]]]:
    """A/B in this process, after each of `n` new readings: the board and its live HTML computed from
    scratch (services.board.board, every row rendered) against the board cache (reads again what the reading
    touched, keeps the other buses' judgements) with the rows rendered once per distinct data. Wall and CPU."""
    from datetime import timedelta

    from depotdispatch.domain.readings import SocReading
    from depotdispatch.services import readings
    from depotdispatch.web import board as web_board

    ev = [e.vehicle_id for e in spec.entries if e.vehicle_type.usable_kwh]
    cache = app.boards
    depot, now = spec.depot.depot_id, spec.now_mid
    filters = web_board.Filters()
    out: dict[str, tuple[list[float], list[float]]] = {"scratch": ([], []), "cache": ([], [])}
    cache.board(app.uow(), depot, now)
    for i in range(n):
        at = now - timedelta(seconds=3 * n - i, microseconds=1)  # another time than the HTTP part's readings
        readings.add_readings(app.uow(), [(None, SocReading(ev[(7 * i) % len(ev)], 40 + i % 50, at, "telematics"))],
                              now)
        for kind in ("scratch", "cache"):
            w, c = time.perf_counter(), time.process_time()
            if kind == "scratch":
                b = board_svc.board(app.uow(), depot, now)
                with web_board._ROW_LOCK:
                    web_board._ROWS.clear()
            else:
                b = cache.board(app.uow(), depot, now)
            web_board._live_html(b, filters, True)
            out[kind][0].append((time.perf_counter() - w) * 1000)
            out[kind][1].append((time.process_time() - c) * 1000)
    return out


SEEN = """(block) => { window.benchSeen = new Promise((resolve) => {
  const before = (document.querySelector('.board-row[data-block="' + block + '"] .vehicle') || {}).textContent;
  const obs = new MutationObserver(() => {
    const c = document.querySelector('.board-row[data-block="' + block + '"] .vehicle');
    if (c && c.textContent !== before) { obs.disconnect(); resolve(true); } });
  obs.observe(document.body, {childList: true, subtree: true, characterData: true}); }); }"""


def live_latency(url: str, app: App, spec: gen_board.DepotSpec, updates: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    depot = spec.depot.depot_id
    day = spec.dates[len(spec.dates) // 2]
    token = identity.issue_token(app.uow(), "bench-b", app.auth_clock.now()).token
    api = httpx.Client(base_url=url + "/api/v1", timeout=30, headers={"Authorization": f"Bearer {token}"})
    b = board_svc.board(app.uow(), depot, spec.now_mid, candidates=False)
    open_rows = [r for r in b.rows if r.state.actionable and r.assignment is None and r.block.service_date == day]
    used: set[str] = set()
    out: list[float] = []
    refused = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(url + "/signin")
        page.get_by_label("Name").fill("bench-a")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector("body[data-live='on']", timeout=30000)
        for row in open_rows:
            if len(out) == updates:
                break
            # a bus the picker says is ok, used once: every write lands, no warning to acknowledge
            opts = picker.vehicle_options(app.uow(), depot, day, row.block.block_id, spec.now_mid)
            vid = next((o.vehicle_id for o in opts.options if o.viability.status == "ok" and o.vehicle_id not in used),
                       None)
            if vid is None:
                continue
            used.add(vid)
            page.evaluate(SEEN, row.block.block_id)
            version = plan_svc.plan_version(app.uow(), depot, day)
            t0 = time.perf_counter()
            r = api.put(f"/depots/{depot}/days/{day}/plan/assignments/{row.block.block_id}",
                        json={"vehicle_id": vid, "plan_version": version})
            if r.status_code != 200:
                refused += 1
                print(f"write refused ({r.status_code}): {r.text[:200]}", file=sys.stderr)
                continue
            page.evaluate("() => window.benchSeen")
            out.append((time.perf_counter() - t0) * 1000)
        browser.close()
    if refused:
        print(f"{refused} writes were refused", file=sys.stderr)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--blocks", type=int, default=500)
    ap.add_argument("--vehicles", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=50)
    ap.add_argument("--updates", type=int, default=20)
    ap.add_argument("--pg", action="store_true", help="PostgreSQL on 127.0.0.1:5432 instead of a SQLite file")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    pg_name = None
    if args.pg:
        import psycopg

        pg_name = f"dd_bench_web_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_BASE + "/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')
        db_url = f"{PG_BASE}/{pg_name}"
    else:
        db_url = f"sqlite:///{tmp / 'web.db'}"
    proc = None
    try:
        upgrade(db_url)
        spec = gen_board.make_depot(args.seed, args.blocks, args.vehicles)
        app = App(database_url=db_url, clock=Clock(spec.now_mid))
        gen_board.seed(app, spec)
        for name in ("bench-a", "bench-b"):
            identity.add_user(app.uow(), name, "dispatcher", [spec.depot.depot_id], PASSWORD, app.auth_clock.now())
        url, proc = start_server(db_url, spec.now_mid.isoformat())
        c = signed_in_client(url, "bench-a")
        path = f"/depots/{spec.depot.depot_id}/board"
        rows = c.get(path).text.count('class="board-row')
        live_headers = {"HX-Request": "true", "HX-Target": "board-live"}
        cpu: dict[str, float] = {}

        def measured(label: str, run: Callable[[], list[float]]) -> list[float]:
            before = server_cpu_s(proc)
            xs = run()
            cpu[label] = (server_cpu_s(proc) - before) * 1000 / len(xs)
            return xs

        full = measured("full", lambda: timed(c, path, args.repeat))
        partial = measured("partial", lambda: timed(c, path, args.repeat, live_headers))
        full_changed = measured("full_changed", lambda: timed_after_change(c, path, args.repeat, app, spec))
        partial_changed = measured("partial_changed", lambda: timed_after_change(
            c, path, args.repeat, app, spec, live_headers, first=args.repeat))
        live = live_latency(url, app, spec, args.updates)
        ab = in_process_ab(app, spec, args.repeat)
        load_after = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(machine_info())
        print(f"backend: {'PostgreSQL' if args.pg else 'SQLite'}; {args.blocks} blocks, {args.vehicles} vehicles; "
              f"{rows} rows on the board at 13:00")
        print(f"load average before the run: {load_before}; after: {load_after}")
        for key, label, xs in (("full", "board page, nothing changed (cache)", full),
                               ("partial", "live partial, nothing changed", partial),
                               ("full_changed", "board page after a change", full_changed),
                               ("partial_changed", "live partial after a change", partial_changed)):
            print(f"{label:37s} n={len(xs)}  p50 {statistics.median(xs):7.1f} ms  p95 {pct(xs, 0.95):7.1f} ms"
                  f"  (server CPU {cpu[key]:.1f} ms per request)")
        for kind, words in (("scratch", "from scratch, every row rendered"), ("cache", "board cache + row cache")):
            wall, cpu_ms = ab[kind]
            print(f"in process after a reading, {words:33s} n={len(wall)}  wall p50 {statistics.median(wall):6.1f}"
                  f" p95 {pct(wall, 0.95):6.1f} ms  CPU p50 {statistics.median(cpu_ms):6.1f}"
                  f" p95 {pct(cpu_ms, 0.95):6.1f} ms")
        if live:
            print(f"{'live update':37s} n={len(live)}  p50 {statistics.median(live):7.1f} ms  "
                  f"p95 {pct(live, 0.95):7.1f} ms "
                  "(API write to the first browser's DOM)")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
        if pg_name:
            import psycopg

            with psycopg.connect(PG_BASE + "/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
