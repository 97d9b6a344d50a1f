"""The recommendation against an independent MIP at a depot with fewer connectors than buses (AUDIT A16-8).

Run from the repository root:  .venv/bin/python bench/connectors.py [--loose 40] [--tight 40]

The days of tests/unit/test_recommend_connectors.py (`a_day`: 10-60 blocks, up to 11 vehicles, single-connector
chargers fewer than the EVs, a flat charging curve so that bench/mip_connectors.py is exact for it): per day the
recommendation (covered, EV-covered, whether it says it proved it, CPU and wall time), the MIP's optimum (HiGHS
through scipy, node limit 50,000) and whether the MIP's own plan holds under the product's rule (the depot charging
plan made for all of it): where it does not, the product's charging plan cannot charge that plan in time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from machine import machine_info  # noqa: E402  (bench/machine.py)
from mip_connectors import connector_mip  # noqa: E402

from depotdispatch.domain.recommend import Recommender  # noqa: E402
from tests.unit.test_recommend_connectors import KW, a_day, counts, failing, judge_of  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--loose", type=int, default=40, help="loose days: seeds 0..N-1")
    ap.add_argument("--tight", type=int, default=40, help="tight days: seeds 100..100+N-1")
    args = ap.parse_args()
    print(machine_info())
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    days = [*((s, False) for s in range(args.loose)), *((s, True) for s in range(100, 100 + args.tight))]
    proved = equal = 0
    short: list[str] = []
    rec_cpu = mip_cpu = 0.0
    print(f"{'day':>10} {'blocks':>6} {'EVs':>3} {'conn':>4} | {'rec':>8} {'proved':>6} {'cpu ms':>7} {'wall ms':>7} | "
          f"{'MIP':>8} {'status':<18} {'cpu s':>6} | MIP plan under the product's rule")
    for seed, tight in days:
        blocks, vehicles, readings, connectors = a_day(seed, tight)
        t, c = time.perf_counter(), time.process_time()
        rec = Recommender(judge_of(vehicles, readings, connectors), blocks, {}).solve()
        wall, cpu = (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000
        c = time.process_time()
        m = connector_mip(judge_of(vehicles, readings, connectors), blocks, connectors, KW)
        mcpu = time.process_time() - c
        rec_cpu, mip_cpu = rec_cpu + cpu, mip_cpu + mcpu
        bad = failing(judge_of(vehicles, readings, connectors), blocks, m.plan)
        evs = sum(1 for v in vehicles if v.vehicle_type == "E")
        got, best = counts(rec), (m.covered, m.ev_covered)
        if m.status == "optimal":
            proved += 1
            if got == best:
                equal += 1
            else:
                short.append(f"{'tight' if tight else 'loose'} {seed}: {got} against {best}")
        said = rec.optimality.proved if rec.optimality is not None else "-"
        print(f"{('tight ' if tight else 'loose ') + str(seed):>10} {len(blocks):6d} {evs:3d} {connectors:4d} | "
              f"{got[0]:3d}/{got[1]:<4d} {str(said):>6} {cpu:7.0f} {wall:7.0f} | {best[0]:3d}/{best[1]:<4d} "
              f"{m.status:<18} {mcpu:6.1f} | {'ok' if not bad else 'not ok: ' + ', '.join(bad)}", flush=True)
    print(f"\nrecommendation at the MIP optimum on {equal}/{proved} days the MIP proves; short on: "
          f"{'; '.join(short) or 'none'}")
    print(f"CPU: recommendation {rec_cpu / 1000:.1f} s over {len(days)} days, MIP {mip_cpu:.1f} s")
    print("load average at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
