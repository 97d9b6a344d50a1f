"""Benchmark the dispatch-sheet preview and apply on the real MTA NYCT UTS pull-out sheet (19,000 rows).

Run from the repository root:  .venv/bin/python bench/reconcile.py [--repeat 3] [--applies 1] [--no-pg]
                                   [--no-cli] [--profile] [--sheet PATH]

Goal (issue): preview < 1 s, apply < 2 s on SQLite and PostgreSQL.

Per database (fresh SQLite temp file; fresh PostgreSQL database on 127.0.0.1:5432, dropped afterwards),
untimed setup: migrate; depot NYCT (America/New_York); the sheet's runs imported as stated blocks
(`uts_blocks`) applicable on 2012-08-16 and the day set up; a fleet of every BUS NUMBER in the file (one
diesel type). The clock is fixed at 2012-08-16T03:00-04:00, so every block of the day is still upcoming.

Timed, in-process, at service level:
- preview = `read_sheet(bytes)` + `preview_sheet(...)`, best of --repeat (each stores a preview row; the
  plan does not change, so every repetition does the same work);
- apply = `apply_sheet(...)` of the last preview. A preview applies once per plan version, so apply is
  measured once per database build; --applies N rebuilds the database N times (the extra builds run one
  untimed preview each) and reports the best and all values.
For information, the CLI wall time of `depotdispatch ... sheet preview FILE --json > /dev/null` (a fresh
process: interpreter start, imports, JSON of every row) is measured before the apply, best of --repeat.
--profile prints cProfile's top 15 (cumulative, tottime) of one preview and one apply per database, run on
an extra database build after the measurements (the timings above never include profiler overhead).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from machine import machine_info  # bench/machine.py (scripts run from bench/)

from depotdispatch.adapters import sheet_csv, uts
from depotdispatch.adapters.clock import Clock
from depotdispatch.adapters.db.migrate import upgrade
from depotdispatch.bootstrap import App
from depotdispatch.domain.applicability import Applicability
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.servicetime import parse_instant
from depotdispatch.services import days, depots, fleet, schedules, sheets

ROOT = Path(__file__).resolve().parent.parent
SHEET = Path("/work/shared/data/dispatch/mta_nyct_uts/UTSPUPUFULL_20120816_no_pass.csv")
DEPOT = Depot("NYCT", "NYC Transit", "America/New_York")
DAY = date(2012, 8, 16)
NOW_TEXT = "2012-08-16T03:00:00-04:00"
NOW = parse_instant(NOW_TEXT)
PREVIEW_GOAL_S = 1.0
APPLY_GOAL_S = 2.0
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BASE = "postgresql://postgres@127.0.0.1:5432"

# Pieces timed inside each call (patched names in services.sheets; one call each per preview/apply).
SECTIONS = ("day_context", "reconcile", "apply_batch")



@contextlib.contextmanager
def sections() -> Iterator[dict[str, float]]:
    """Time the named pieces of services.sheets (seconds per label) while the block runs."""
    spent: dict[str, float] = defaultdict(float)
    saved = []

    def timed(fn: Callable[..., Any], label: str) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - t0
        return wrapper

    for name in SECTIONS:
        original = getattr(sheets, name, None)
        if original is None:  # renamed in src/: the split is then missing, the totals stay right
            continue
        saved.append((name, original))
        setattr(sheets, name, timed(original, name))
    try:
        yield spent
    finally:
        for name, original in saved:
            setattr(sheets, name, original)


@dataclass
class Setup:
    blocks: int
    block_problems: int
    day_blocks: int
    vehicles: int
    seconds: float


@dataclass
class PreviewRun:
    read_s: float
    preview_s: float
    parts: dict[str, float]
    result: sheets.PreviewResult

    @property
    def total_s(self) -> float:
        return self.read_s + self.preview_s


@dataclass
class ApplyRun:
    seconds: float
    parts: dict[str, float]
    applied: int
    unchanged: int
    skipped: int
    plan_version_before: int
    plan_version: int


@dataclass
class BackendResult:
    kind: str
    setups: list[Setup] = field(default_factory=list)
    previews: list[PreviewRun] = field(default_factory=list)
    applies: list[ApplyRun] = field(default_factory=list)
    cli_s: list[float] = field(default_factory=list)
    cli_note: str = ""
    errors: list[str] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)

    def best_preview(self) -> PreviewRun | None:
        return min(self.previews, key=lambda p: p.total_s) if self.previews else None

    def best_apply(self) -> ApplyRun | None:
        return min(self.applies, key=lambda a: a.seconds) if self.applies else None


def set_up(app: App, url: str, data: bytes, name: str) -> Setup:
    t0 = time.perf_counter()
    upgrade(url)
    depots.add_depot(app.uow(), DEPOT, NOW)
    table = uts.read_uts(data, name)
    blocks, problems = uts.uts_blocks(table)
    schedules.import_blocks(app.uow(), DEPOT.depot_id, "uts", blocks, Applicability(DAY, DAY), NOW)
    day = days.setup_day(app.uow(), DEPOT.depot_id, DAY, NOW)
    buses = list(dict.fromkeys(c["bus_number"] for _, c in table.rows if c.get("bus_number")))
    vtype = VehicleType("NYCT40", "diesel")
    fleet.import_fleet(app.uow(), DEPOT.depot_id, [FleetEntry(i, bus, vtype) for i, bus in enumerate(buses, 1)])
    return Setup(len(blocks), len(problems), day.blocks, len(buses), time.perf_counter() - t0)


def preview_once(app: App, data: bytes, name: str) -> PreviewRun:
    with sections() as parts:
        t0 = time.perf_counter()
        sheet = sheet_csv.read_sheet(data, name, DAY)
        t1 = time.perf_counter()
        result = sheets.preview_sheet(app.uow(), DEPOT.depot_id, DAY, sheet.rows, sheet.format, NOW, sheet.warnings)
        t2 = time.perf_counter()
    return PreviewRun(t1 - t0, t2 - t1, dict(parts), result)


def apply_once(app: App, preview: sheets.PreviewResult) -> ApplyRun:
    with sections() as parts:
        t0 = time.perf_counter()
        result = sheets.apply_sheet(app.uow(), DEPOT.depot_id, DAY, preview.preview_id, actor="bench", now=NOW)
        seconds = time.perf_counter() - t0
    return ApplyRun(seconds, dict(parts), len(result.applied), len(result.unchanged), len(result.skipped),
                    preview.plan_version, result.plan_version)


def cli_preview(url: str, sheet: Path) -> float:
    cmd = [str(ROOT / ".venv" / "bin" / "depotdispatch"), "--db", url, "--now", NOW_TEXT, "sheet", "preview",
           str(sheet), "--depot", DEPOT.depot_id, "--date", DAY.isoformat(), "--json"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"CLI exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")
    return seconds


def profile(label: str, fn: Callable[[], Any]) -> tuple[Any, str]:
    prof = cProfile.Profile()
    prof.enable()
    try:
        value = fn()
    finally:
        prof.disable()
    out = io.StringIO()
    for key in ("cumulative", "tottime"):
        out.write(f"\n--- profile [{label}] top 15 by {key} ---\n")
        pstats.Stats(prof, stream=out).strip_dirs().sort_stats(key).print_stats(15)
    return value, out.getvalue()


def run_backend(url: str, res: BackendResult, data: bytes, sheet: Path, args: argparse.Namespace,
                build: int) -> None:
    """One database build. Build 0: the timed previews and the CLI, then the timed apply. Builds 1..N-1:
    one untimed preview, then the timed apply. Build N (only with --profile): one preview and one apply
    under cProfile, not counted in the timings."""
    app = App(database_url=url, clock=Clock(NOW))
    try:
        res.setups.append(set_up(app, url, data, sheet.name))
        if build == args.applies:  # the profiling build
            last, text = profile(f"{res.kind} preview (read_sheet + preview_sheet)",
                                 lambda: preview_once(app, data, sheet.name))
            res.profiles.append(text)
            _, text = profile(f"{res.kind} apply_sheet", lambda: apply_once(app, last.result))
            res.profiles.append(text)
            return
        if build == 0:
            for _ in range(args.repeat):
                res.previews.append(preview_once(app, data, sheet.name))
            last = res.previews[-1].result
            if args.cli:
                try:
                    res.cli_s = [cli_preview(url, sheet) for _ in range(args.repeat)]
                except (RuntimeError, OSError) as exc:
                    res.cli_note = f"CLI failed: {exc}"
        else:
            last = preview_once(app, data, sheet.name).result  # untimed
        res.applies.append(apply_once(app, last))
    finally:
        app.close()


def builds(args: argparse.Namespace) -> range:
    return range(args.applies + (1 if args.profile else 0))


def run_sqlite(res: BackendResult, data: bytes, sheet: Path, args: argparse.Namespace) -> None:
    for build in builds(args):
        tmp = Path(tempfile.mkdtemp(prefix="bench_reconcile_"))
        try:
            run_backend(f"sqlite:///{tmp / 'reconcile.db'}", res, data, sheet, args, build)
        finally:
            shutil.rmtree(tmp)


def run_pg(res: BackendResult, data: bytes, sheet: Path, args: argparse.Namespace) -> None:
    import psycopg

    for build in builds(args):
        name = f"bench_reconcile_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
            try:
                run_backend(f"{PG_BASE}/{name}", res, data, sheet, args, build)
            finally:
                admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def fmt_s(values: list[float]) -> str:
    return ", ".join(f"{v:.3f}" for v in values)


def report(res: BackendResult) -> list[str]:
    lines = [f"\n== {res.kind}"]
    if res.setups:
        s = res.setups[0]
        lines.append(f"setup (untimed; {len(res.setups)} build(s), incl. any --profile one): {s.blocks} blocks "
                     f"from the sheet ({s.block_problems} rows not read as blocks), {s.day_blocks} blocks on {DAY}, "
                     f"{s.vehicles} vehicles; {fmt_s([x.seconds for x in res.setups])} s")
    best = res.best_preview()
    if best is not None:
        lines.append(f"{'measure':<44} {'best s':>8}   all runs s")
        lines.append(f"{'preview: read_sheet':<44} {best.read_s:8.3f}   {fmt_s([p.read_s for p in res.previews])}")
        lines.append(f"{'preview: preview_sheet':<44} {best.preview_s:8.3f}   "
                     f"{fmt_s([p.preview_s for p in res.previews])}")
        for part in ("day_context", "reconcile"):
            vals = [p.parts.get(part, 0.0) for p in res.previews]
            lines.append(f"{'  of which ' + part:<44} {best.parts.get(part, 0.0):8.3f}   {fmt_s(vals)}")
        rest = [p.preview_s - p.parts.get("day_context", 0.0) - p.parts.get("reconcile", 0.0) for p in res.previews]
        best_rest = best.preview_s - best.parts.get("day_context", 0.0) - best.parts.get("reconcile", 0.0)
        lines.append(f"{'  of which rest (lookups, store preview)':<44} {best_rest:8.3f}   {fmt_s(rest)}")
        lines.append(f"{'preview total (read + preview)':<44} {best.total_s:8.3f}   "
                     f"{fmt_s([p.total_s for p in res.previews])}")
    if res.cli_s:
        lines.append(f"{'CLI sheet preview --json wall (info)':<44} {min(res.cli_s):8.3f}   {fmt_s(res.cli_s)}")
    elif res.cli_note:
        lines.append(res.cli_note)
    ap = res.best_apply()
    if ap is not None:
        lines.append(f"{'apply: apply_sheet':<44} {ap.seconds:8.3f}   {fmt_s([a.seconds for a in res.applies])}"
                     f"   ({len(res.applies)} build(s), one apply each)")
        for part in ("day_context", "apply_batch"):
            vals = [a.parts.get(part, 0.0) for a in res.applies]
            lines.append(f"{'  of which ' + part:<44} {ap.parts.get(part, 0.0):8.3f}   {fmt_s(vals)}")
        rest = [a.seconds - a.parts.get("day_context", 0.0) - a.parts.get("apply_batch", 0.0) for a in res.applies]
        best_rest = ap.seconds - ap.parts.get("day_context", 0.0) - ap.parts.get("apply_batch", 0.0)
        lines.append(f"{'  of which rest (lock, load preview, commit)':<44} {best_rest:8.3f}   {fmt_s(rest)}")
        lines.append(f"apply result: {ap.applied} rows applied, {ap.unchanged} unchanged, {ap.skipped} skipped; "
                     f"plan version {ap.plan_version_before} -> {ap.plan_version}")
    if best is not None:
        doc = best.result.as_dict()
        lines.append(f"preview summary (format {doc['format']}, plan version {doc['plan_version']}, "
                     f"{len(doc['warnings'])} sheet warnings): {doc['summary']}")
    lines.extend(res.errors)
    if best is not None:
        lines.append(f"preview < {PREVIEW_GOAL_S:.0f} s: {'PASS' if best.total_s < PREVIEW_GOAL_S else 'FAIL'} "
                     f"({best.total_s:.3f} s)")
    else:
        lines.append(f"preview < {PREVIEW_GOAL_S:.0f} s: FAIL (not measured)")
    if ap is not None:
        lines.append(f"apply < {APPLY_GOAL_S:.0f} s: {'PASS' if ap.seconds < APPLY_GOAL_S else 'FAIL'} "
                     f"({ap.seconds:.3f} s)")
    else:
        lines.append(f"apply < {APPLY_GOAL_S:.0f} s: FAIL (not measured)")
    return lines


def passed(res: BackendResult) -> bool:
    best, ap = res.best_preview(), res.best_apply()
    return best is not None and ap is not None and best.total_s < PREVIEW_GOAL_S and ap.seconds < APPLY_GOAL_S


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sheet", type=Path, default=SHEET)
    ap.add_argument("--repeat", type=int, default=3, help="timed previews (best of) and CLI runs per database")
    ap.add_argument("--applies", type=int, default=1, help="database builds per backend, one timed apply each")
    ap.add_argument("--no-pg", dest="pg", action="store_false", help="skip PostgreSQL")
    ap.add_argument("--no-cli", dest="cli", action="store_false", help="skip the CLI wall-time measurement")
    ap.add_argument("--profile", action="store_true",
                    help="cProfile one preview and one apply per database, on an extra (untimed) build")
    args = ap.parse_args()
    if args.repeat < 1 or args.applies < 1:
        ap.error("need --repeat >= 1 and --applies >= 1")

    data = args.sheet.read_bytes()
    print(machine_info())
    print(f"sheet: {args.sheet} ({len(data):,} bytes); depot {DEPOT.depot_id} {DEPOT.timezone}, day {DAY}, "
          f"now {NOW_TEXT}; preview best of {args.repeat}, apply once per build x {args.applies}")

    backends: list[tuple[str, Callable[..., None]]] = [("sqlite", run_sqlite)]
    if args.pg:
        backends.append(("postgresql", run_pg))
    results = []
    for kind, runner in backends:
        res = BackendResult(kind)
        try:
            runner(res, data, args.sheet, args)
        except Exception:  # report and carry on with the other database
            res.errors.append("ERROR:\n" + traceback.format_exc())
        results.append(res)
        print("\n".join(report(res)), flush=True)

    print("\nsummary (best seconds)")
    print(f"  {'database':<11} {'read':>7} {'preview':>8} {'total':>7} {'apply':>7} {'CLI prev':>9}")
    for res in results:
        best, app_run = res.best_preview(), res.best_apply()
        cells = [f"{best.read_s:7.3f}" if best else "      -", f"{best.preview_s:8.3f}" if best else "       -",
                 f"{best.total_s:7.3f}" if best else "      -", f"{app_run.seconds:7.3f}" if app_run else "      -",
                 f"{min(res.cli_s):9.3f}" if res.cli_s else "        -"]
        print(f"  {res.kind:<11} " + " ".join(cells))
    for res in results:
        best, app_run = res.best_preview(), res.best_apply()
        p_ok = best is not None and best.total_s < PREVIEW_GOAL_S
        a_ok = app_run is not None and app_run.seconds < APPLY_GOAL_S
        print(f"  {res.kind}: preview < {PREVIEW_GOAL_S:.0f} s: {'PASS' if p_ok else 'FAIL'}; "
              f"apply < {APPLY_GOAL_S:.0f} s: {'PASS' if a_ok else 'FAIL'}")
    for res in results:
        for text in res.profiles:
            print(text, end="")
    return 0 if all(passed(r) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
