"""The recommendation's array forms answer as the scalar rules they stand for (issue 16, speed).

Each test builds random mixed-fleet days (charging EVs of two sizes, some on a charger, some with stale
or no readings, diesels, 18 m blocks only an 18 m diesel may run) and compares, pair by pair or
sentence by sentence, what the vectorised form says with what the scalar rule says.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.constructions import construct, ev_greedy, seed_chains
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.explain import by_charge, why_no_ev
from depotdispatch.domain.feasibility import WHY_NOT, Feasibility, Plan
from depotdispatch.domain.fleet import Vehicle, VehicleType
from depotdispatch.domain.readings import SocReading
from tests.builders import T0, block

TYPES = {t.name: t for t in (
    VehicleType("E35", "bev", usable_kwh=350, kwh_per_km=1.4, vehicle_class="12m", charge_kw=150),
    VehicleType("E45", "bev", usable_kwh=450, kwh_per_km=1.2, vehicle_class="12m", charge_kw=150),
    VehicleType("D12", "diesel", vehicle_class="12m"),
    VehicleType("D18", "diesel", vehicle_class="18m"),
)}
SEEDS = range(6)


def day(seed: int, n_blocks: int = 60, n_vehicles: int = 30) -> tuple[FleetJudge, list]:
    rng = np.random.default_rng(seed)
    blocks = []
    for i in range(n_blocks):
        start = T0 + timedelta(minutes=5 * int(rng.integers(12, 18 * 12)))
        hours = float(rng.choice([0.5, 1, 2, 3, 5, 8, 12, 15.5]))
        blocks.append(block(f"B{i:03d}", start=start, hours=hours, km=round(hours * float(rng.uniform(12, 22)), 1),
                            vehicle_class="18m" if rng.random() < 0.06 else None))
    vehicles, readings = [], {}
    for i in range(n_vehicles):
        kind = rng.choice(["E35", "E45", "E35", "E45", "D12", "D18"])
        vid = f"{kind[0]}{i:03d}"
        vehicles.append(Vehicle(vid, "X", str(kind), "maintenance" if rng.random() < 0.05 else "available"))
        if kind.startswith("E") and rng.random() < 0.9:
            age = timedelta(hours=8) if rng.random() < 0.1 else timedelta(0)
            readings[vid] = SocReading(vid, round(float(rng.uniform(20, 100)), 1), T0 - age, "telematics",
                                       plugged_in=bool(rng.random() < 0.2))
    depot = Depot("X", "X", "UTC", reserve_pct=20, marginal_band_pct=10, turnaround_min=10)
    return FleetJudge(depot, TYPES, vehicles, readings, T0), blocks


def plans(f: Feasibility) -> list[Plan]:
    """A few plans the constructions build (chains of several blocks, diesels and uncovered blocks)."""
    return [construct(f, ev_greedy), construct(f, seed_chains)]


@pytest.mark.parametrize("seed", SEEDS)
def test_counted_reasons_read_as_the_reasons_of_each_ev(seed: int) -> None:
    """`Feasibility.ev_reasons` (counted from the arrays) words every block as the list of each EV's
    reason does (the holder's own reason included)."""
    judge, blocks = day(seed)
    f = Feasibility(judge, blocks, {})
    for plan in plans(f):
        codes = f.ev_codes(plan)
        charged = np.array([codes[0][v] for v in by_charge(judge, list(codes[0]))], dtype=int)
        chains = {v: list(c) for v, c in plan.chains.items()}
        for bi, b in enumerate(f.blocks):
            holder = plan.chosen[bi][0] if bi in plan.chosen else None
            why = f.why_not(plan, bi)
            each = [(v, why(v) if v == holder else WHY_NOT[c])
                    for v, c in zip(codes[0], codes[1][:, bi].tolist(), strict=True)]
            counted = f.ev_reasons(plan, bi, codes, charged)
            assert why_no_ev(judge, b, chains, f.vehicle_ids, counted) == \
                why_no_ev(judge, b, chains, f.vehicle_ids, each)
