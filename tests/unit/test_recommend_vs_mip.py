"""Against an independent MIP *with charging between blocks* (bench/recommend.py `mip_optimum`: every
chain an EV can run enumerated with its own copy of the readiness arithmetic, non-EVs as a
vehicle-scheduling flow, highspy directly): on random days up to 60 blocks, the recommendation's EV
coverage equals the MIP's on every instance the MIP proves optimal (and so does the coverage: the two
are lexicographic, blocks covered first), and the recommendation says it proved it."""

from __future__ import annotations

import importlib.util
import sys
from datetime import timedelta

import numpy as np
import pytest

from depotdispatch.domain.fleet import Vehicle
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.recommend import Recommender
from tests.builders import T0, block
from tests.helpers import ROOT
from tests.unit.test_recommend_stability import judge_of


def _bench_mip():  # type: ignore[no-untyped-def]
    import highspy

    # the bench MIP asks HiGHS for 1 thread; once another test has run a model with the default, HiGHS
    # refuses that (run() errors, nothing is "optimal") unless its global scheduler is reset first
    highspy.Highs.resetGlobalScheduler(True)
    sys.path.insert(0, str(ROOT / "bench"))  # bench/recommend.py imports its siblings
    spec = importlib.util.spec_from_file_location("bench_recommend", ROOT / "bench" / "recommend.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_recommend"] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module.mip_optimum


def a_day(seed: int):
    rng = np.random.default_rng([seed, 16])
    nb, nv = int(rng.integers(1, 61)), int(rng.integers(1, 12))
    blocks = [block(f"B{i:02d}", start=T0 + timedelta(minutes=5 * int(rng.integers(12, 200))),
                    hours=float(rng.choice([0.5, 1, 2, 3, 5, 8])), km=float(rng.choice([10, 30, 60, 100, 150, 220])),
                    vehicle_class=None if rng.random() < 0.8 else "18m") for i in range(nb)]
    vehicles, readings = [], {}
    for i in range(nv):
        ev = bool(rng.random() < 0.75)
        vid = f"{'E' if ev else 'D'}{i:02d}"
        vehicles.append(Vehicle(vid, "X", "E" if ev else "D", "available" if rng.random() < 0.9 else "maintenance"))
        if ev:
            readings[vid] = SocReading(vid, float(rng.integers(25, 100)), T0, "telematics",
                                       plugged_in=bool(rng.random() < 0.5))
    return blocks, vehicles, readings


# 12 random days, and a 57-block one (seed 22) the MIP proves at 28 covered, 16 on EVs, where the exact
# mode's work budget before its charging envelope (domain/exact_energy.py) stopped at 26 unproved
SEEDS = (*range(12), 22)


@pytest.mark.slow
def test_ev_coverage_equals_the_mip_optimum_with_charging() -> None:
    mip_optimum = _bench_mip()
    proved = 0
    short: list[tuple[int, int, tuple[int, int], tuple[int, int]]] = []
    unproved: list[int] = []
    for seed in SEEDS:
        blocks, vehicles, readings = a_day(seed)
        rec = Recommender(judge_of(vehicles, readings), blocks, {}).solve()
        m = mip_optimum(judge_of(vehicles, readings), blocks, 30.0)  # the oracle's own limit, not the product's
        if m.status != "optimal":
            continue
        proved += 1
        ev = {v.vehicle_id for v in vehicles if v.vehicle_type == "E"}
        ev_covered = sum(1 for p in rec.proposals if p.vehicle_id in ev)
        if (len(rec.proposals), ev_covered) != (m.covered, m.ev_covered):
            short.append((seed, len(blocks), (len(rec.proposals), ev_covered), (m.covered, m.ev_covered)))
        elif rec.optimality is None or not rec.optimality.proved:
            unproved.append(seed)  # at the optimum, but the product does not know it
    assert proved >= len(SEEDS) - 2 and not short, short
    assert not unproved, unproved
