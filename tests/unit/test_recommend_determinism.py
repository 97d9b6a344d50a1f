"""DESIGN §12b: the same inputs give the same answer under any load (work limits, no wall clock)."""

from __future__ import annotations

import multiprocessing
import os
import signal
from datetime import timedelta

import numpy as np
import pytest

from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import Vehicle, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.recommend import Recommendation, Recommender
from tests.builders import T0, block

EV = VehicleType("E", "bev", usable_kwh=300, kwh_per_km=1.3, vehicle_class="12m", charge_kw=120)
DSL = VehicleType("D", "diesel", vehicle_class="12m")


def _hog() -> None:  # pragma: no cover - runs in the child process
    while True:
        pass


def a_day(seed: int):
    """A day small enough for the exact mode (the part that had a wall-clock limit) and with chains."""
    rng = np.random.default_rng(seed)
    blocks = [block(f"B{i:02d}", start=T0 + timedelta(minutes=int(rng.integers(60, 16 * 60))),
                    hours=float(rng.choice([1, 2, 3, 5])), km=float(rng.choice([20, 50, 90, 140])))
              for i in range(24)]
    vehicles = [Vehicle(f"E{i}", "X", "E") for i in range(7)] + [Vehicle(f"D{i}", "X", "D") for i in range(2)]
    readings = {v.vehicle_id: SocReading(v.vehicle_id, float(rng.integers(30, 100)), T0, "telematics",
                                         plugged_in=bool(i % 3 == 0))
                for i, v in enumerate(vehicles) if v.vehicle_type == "E"}
    depot = Depot("X", "X", "UTC", reserve_pct=20, marginal_band_pct=10, turnaround_min=10)
    return FleetJudge(depot, {"E": EV, "D": DSL}, vehicles, readings, T0), blocks


def answer(rec: Recommendation) -> list[tuple[str, ...]]:
    return ([("p", p.block_id, p.vehicle_id, p.explanation) for p in rec.proposals]
            + [("u", u.block_id, u.explanation) for u in rec.uncovered] + [("c", rec.construction)])


@pytest.mark.slow  # busy processes on every core: not in make test-fast on a shared machine
def test_same_answer_under_a_cpu_hog() -> None:
    # the exact mode runs on these days (construction "exact" on one of them): it is the part that had a
    # wall-clock limit
    quiet = {seed: answer(Recommender(*a_day(seed), {}).solve()) for seed in (1, 2)}
    ctx = multiprocessing.get_context("spawn")
    hogs = [ctx.Process(target=_hog, daemon=True) for _ in range(max(2, os.cpu_count() or 1))]
    for h in hogs:
        h.start()
    try:
        busy = {seed: answer(Recommender(*a_day(seed), {}).solve()) for seed in (1, 2)}
    finally:
        for h in hogs:  # only the processes this test started, by their pid
            if h.pid is not None:
                os.kill(h.pid, signal.SIGKILL)
            h.join(5)
    assert busy == quiet
