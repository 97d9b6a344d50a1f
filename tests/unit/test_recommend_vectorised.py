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
from depotdispatch.domain.charging import ChargingCurve
from depotdispatch.domain.constructions import construct, ev_greedy, seed_chains
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.explain import by_charge, why_no_ev
from depotdispatch.domain.feasibility import WHY_NOT, Feasibility, Plan
from depotdispatch.domain.fleet import Vehicle, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.turnaround import block_clash, clash, clear_of
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


def exactly_a_turnaround_apart(a, b, turn: timedelta) -> bool:
    return b.pull_out - a.pull_in == turn or a.pull_out - b.pull_in == turn


@pytest.mark.parametrize("seed", SEEDS)
def test_time_and_class_rows_are_the_turnaround_rule(seed: int) -> None:
    """`clear_pairs` is `clash` for every pair of open blocks, and a vehicle's row without energy (its chain
    given, an operator's block among it) says it may take a block exactly when no block of the chain clashes
    with it, not even by a short turnaround, and the class fits; a gap of exactly the turnaround too (in hours
    of floating point it came out a hair short before turnaround.SLACK)."""
    judge, blocks = day(seed)
    first = {v[0]: v for v in sorted(judge.vehicles, reverse=True)}  # an EV and a diesel with an operator's block
    fixed = {first["E"]: [block("OP1", start=T0 + timedelta(hours=6), hours=2, km=30)],
             first["D"]: [block("OP2", start=T0 + timedelta(hours=9), hours=1, km=15)]}
    f = Feasibility(judge, blocks, fixed)
    turn = timedelta(minutes=10)
    boundary = 0
    for k in range(len(f.blocks)):
        assert (f.clear[k] == clear_of(f.starts, f.ends, [f.starts[k]], [f.ends[k]], f.turn_h)).all()
    for i, a in enumerate(f.blocks):
        for k, b in enumerate(f.blocks):
            if i != k:
                assert f.clear[i, k] == (clash(a.pull_out, a.pull_in, b.pull_out, b.pull_in, turn) is None), (a, b)
                boundary += exactly_a_turnaround_apart(a, b, turn)
    for plan in plans(f):
        for vid, chain in plan.chains.items():
            row = f.row(plan, vid, energy=False)
            vclass = judge.types[judge.vehicles[vid].vehicle_type].vehicle_class
            for bi, b in enumerate(f.blocks):
                if b in chain:
                    continue
                rule = all(block_clash(b, c, turn) is None for c in chain) and b.vehicle_class in (None, vclass)
                assert row[bi] == rule, (vid, b)
    assert boundary > 0  # the day has pairs exactly a turnaround apart, where float hours used to differ


@pytest.mark.parametrize("seed", SEEDS)
def test_rows_grown_from_a_shorter_chain_are_rows_worked_out_afresh(seed: int) -> None:
    """A chain's time-and-class row, derived from the known row of the chain one open block shorter (how the
    constructions grow chains), is the row worked out from the whole chain by a Feasibility that knows no
    row yet; an operator's block among the chain included. The constructions do take the shortcut."""
    judge, blocks = day(seed)
    first = {v[0]: v for v in sorted(judge.vehicles, reverse=True)}
    fixed = {first["E"]: [block("OP1", start=T0 + timedelta(hours=6), hours=2, km=30)]}
    f = Feasibility(judge, blocks, fixed)
    grown = 0
    for plan in plans(f):
        fresh = Feasibility(judge, blocks, fixed).matrix(plan, f.vehicle_ids, energy=False)
        for vid in f.vehicle_ids:
            grown += f._grown(vid, plan.chains[vid], plan.keys[vid]) is not None
        assert np.array_equal(f.matrix(plan, f.vehicle_ids, energy=False), fresh)
    assert grown > 10


@pytest.mark.parametrize("charger", [None, 100.0, 400.0])
def test_charging_from_one_start_per_row_is_charging_per_stay(charger: float | None) -> None:
    """`soc_after_each` (the curve looked up once per row) gives `soc_after`'s very figures, a flat 0 kW
    segment, starts below 0 and above 1 and negative hours included."""
    rng = np.random.default_rng(7)
    curve = ChargingCurve(300, [(0, 250.0), (0.6, 180.0), (0.85, 150.0), (0.95, 0.0), (1.0, 0.0)], charger_kw=charger)
    starts = np.concatenate([rng.uniform(-0.1, 1.1, 40), [0.0, 0.6, 0.95, 1.0]])
    which = rng.integers(0, len(starts), 2000)
    hours = rng.uniform(-1, 12, len(which))
    assert np.array_equal(curve.soc_after_each(starts, which, hours), curve.soc_after(starts[which], hours))


@pytest.mark.parametrize("seed", SEEDS)
def test_energy_rows_are_the_closed_form_pair_by_pair(seed: int) -> None:
    """A row with energy says what the closed form says for each (EV, free block) alone: the charge its
    chain leaves (or its standing, charging only if plugged in), charged on its own connector from the
    chain's pull-in (or the standing's time) to the block's pull-out, against both energy thresholds."""
    judge, blocks = day(seed)
    f = Feasibility(judge, blocks, {})
    for plan in [f.new_plan(), *plans(f)]:
        for vid in [v for v in f.vehicle_ids if f.is_ev[v]]:
            vtype = judge.types[judge.vehicles[vid].vehicle_type]
            th, curve = judge.thresholds_for(vtype.name), judge.curve_for(vtype.name)
            free, row = f.row(plan, vid, energy=False), f.row(plan, vid)
            chain = plan.chains[vid]
            st = judge.standing(vid)
            for bi, b in enumerate(f.blocks):
                if not free[bi]:
                    assert not row[bi]
                    continue
                est = judge.estimate(b, vtype.name)
                if judge.fresh_reading(vid) is None or est is None or (chain and f.left(vid, chain) is None):
                    assert not row[bi], (vid, b.block_id)
                    continue
                assert st is not None
                soc, since, plugged = ((f.left(vid, chain), f.ends_of(chain[-1]), True) if chain
                                       else (st.soc_pct, (st.since - judge.now).total_seconds() / 3600, st.plugged))
                ready = soc
                if curve is not None and plugged and (not chain or f.starts[bi] >= since):
                    ready = 100 * curve.soc_after(np.array([max(soc, 0.0) / 100]), np.array([f.starts[bi] - since]))[0]
                usable = vtype.usable_kwh or 1.0
                want = (ready - 100 * est.expected_kwh / usable >= th.reserve_pct + th.marginal_band_pct
                        and ready - 100 * est.conservative_kwh / usable >= th.reserve_pct)
                assert row[bi] == want, (vid, b.block_id, ready)
