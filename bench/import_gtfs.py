"""Benchmark the whole CLI GTFS import against a bare-polars floor and gtfs-kit as a peer.

Run from the repository root:  .venv/bin/python bench/import_gtfs.py [--repeat N] [--skip-pg] [--skip-peer]

Every measured thing runs in its own process so that interpreter start-up and imports are
counted (that is what a user waits for) and so that peak RSS belongs to that thing alone.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from machine import machine_info  # bench/machine.py (scripts run from bench/)

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
PYTHON = str(BIN / "python")
CLI = str(BIN / "depotdispatch")
DEFAULT_FEED = Path("/work/shared/data/gtfs/vilnius_2015.zip")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"

# The floor: the least work any importer must do, reading the two big tables and reducing
# stop_times to one row per trip. Times are parsed to seconds because GTFS allows "7:05:00"
# and hours past 24, so a string min/max would not be the real work.
FLOOR = """
import sys, zipfile, polars as pl
z = zipfile.ZipFile(sys.argv[1])
def secs(col):
    h, m, s = (pl.col(col).str.split_exact(":", 2).struct.field(f"field_{i}").cast(pl.Int32) for i in range(3))
    return h * 3600 + m * 60 + s
st = pl.read_csv(z.read("stop_times.txt"), infer_schema=False)
trips = pl.read_csv(z.read("trips.txt"), infer_schema=False)
per_trip = (st.with_columns(dep=secs("departure_time"), arr=secs("arrival_time"))
            .group_by("trip_id").agg(first_dep=pl.col("dep").min(), last_arr=pl.col("arr").max()))
print(trips.join(per_trip, on="trip_id").height, "trips")
"""

PEER = """
import sys, gtfs_kit
feed = gtfs_kit.read_feed(sys.argv[1], dist_units="km")
print(len(feed.trips), "trips")
"""


def measure(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MiB and stdout of one child.

    os.wait4 gives the rusage of exactly this child; RUSAGE_CHILDREN is a running maximum over
    every child ever reaped, so a big earlier child would mask a smaller later one.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{stderr.strip()}")
    return wall, usage.ru_maxrss / 1024, stdout  # ru_maxrss is KiB on Linux


def best_of(repeat: int, run_once: Callable[[], tuple[float, float, str]]) -> tuple[float, float, str]:
    runs = [run_once() for _ in range(repeat)]
    # Best wall time filters scheduler noise; worst peak RSS is what the 500 MiB goal must survive.
    return min(r[0] for r in runs), max(r[1] for r in runs), runs[-1][2]


def cli_import(url: str, feed: Path) -> tuple[float, float, str]:
    # Setup is untimed: the issue is about the import, and the depot's zone does not change its cost.
    for setup in (["db", "upgrade"], ["depot", "add", "V", "--name", "Vilnius", "--tz", "Europe/Vilnius"]):
        subprocess.run([CLI, "--db", url, *setup], check=True, capture_output=True, cwd=ROOT)
    return measure([CLI, "--db", url, "schedule", "import-gtfs", str(feed), "--depot", "V", "--json"])


def sqlite_import(feed: Path) -> tuple[float, float, str]:
    tmp = Path(tempfile.mkdtemp(prefix="bench_gtfs_"))
    try:
        return cli_import(f"sqlite:///{tmp / 'bench.db'}", feed)
    finally:
        shutil.rmtree(tmp)


def pg_import(feed: Path) -> tuple[float, float, str]:
    import psycopg

    # A fresh database per run: importing twice into one would measure a different code path.
    name = f"bench_gtfs_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            return cli_import(f"postgresql://postgres@127.0.0.1:5432/{name}", feed)
        finally:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def summary(stdout: str) -> str:
    try:
        doc = json.loads(stdout)
        return f"{doc['trips']} trips, {doc['blocks']} blocks"
    except (ValueError, KeyError):
        return stdout.strip()[-60:]



def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feed", type=Path, default=DEFAULT_FEED)
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement; best wall time wins")
    ap.add_argument("--skip-pg", action="store_true", help="do not measure the PostgreSQL import")
    ap.add_argument("--skip-peer", action="store_true", help="do not measure gtfs-kit")
    args = ap.parse_args()
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    if not args.feed.is_file():
        sys.exit(f"feed not found: {args.feed}")

    print(machine_info())
    print(f"feed: {args.feed} ({args.feed.stat().st_size / 2**20:.1f} MiB), best of {args.repeat}\n")

    rows: dict[str, tuple[float, float, str]] = {}
    rows["floor (polars)"] = best_of(args.repeat, lambda: measure([PYTHON, "-c", FLOOR, str(args.feed)]))
    peer_missing = subprocess.run([PYTHON, "-c", "import gtfs_kit"], capture_output=True).returncode != 0
    if peer_missing and not args.skip_peer:
        print("gtfs-kit is not importable; skipping the peer (.venv/bin/pip install gtfs-kit==13.0.1)\n")
    elif not args.skip_peer:
        rows["peer (gtfs_kit.read_feed)"] = best_of(args.repeat, lambda: measure([PYTHON, "-c", PEER, str(args.feed)]))
    imports = ["import sqlite"]
    rows["import sqlite"] = best_of(args.repeat, lambda: sqlite_import(args.feed))
    if not args.skip_pg:
        imports.append("import postgresql")
        rows["import postgresql"] = best_of(args.repeat, lambda: pg_import(args.feed))

    floor = rows["floor (polars)"][0]
    print(f"{'what':<26} {'wall s':>7} {'x floor':>8} {'peak MiB':>9}  output")
    for what, (wall, rss, out) in rows.items():
        print(f"{what:<26} {wall:7.2f} {wall / floor:8.1f} {rss:9.0f}  {summary(out)}")

    peer = rows.get("peer (gtfs_kit.read_feed)")
    failed = False
    print("\ngoals")
    for what in imports:
        wall, rss, _ = rows[what]
        goals = [(f"{what}: within 10x the floor", wall <= 10 * floor), (f"{what}: peak < 500 MiB", rss < 500)]
        if peer:
            goals.append((f"{what}: faster than the peer", wall < peer[0]))
        for text, ok in goals:
            failed |= not ok
            print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
