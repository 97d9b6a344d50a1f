"""The recommendation against an exact MIP (HiGHS) on random instances, and its promises."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import timedelta

import highspy
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import Vehicle, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.recommend import Recommender
from tests.builders import T0, block
from tests.helpers import ROOT

# No charger power: no charging anywhere, so a chain's energy adds up exactly as the MIP models it.
EV = VehicleType("E", "bev", usable_kwh=300, kwh_per_km=1.3, vehicle_class="12m")
DSL = VehicleType("D", "diesel", vehicle_class="12m")
TYPES = {"E": EV, "D": DSL}


@st.composite
def instances(draw, max_blocks=40, max_vehicles=12):
    nb = draw(st.integers(1, max_blocks))
    nv = draw(st.integers(1, max_vehicles))
    blocks = []
    for i in range(nb):
        start = T0 + timedelta(minutes=draw(st.integers(60, 18 * 60)))
        blocks.append(block(f"B{i:02d}", start=start, hours=draw(st.sampled_from([0.5, 1, 2, 3, 5, 8])),
                            km=draw(st.sampled_from([10, 30, 60, 100, 150, 200])),
                            vehicle_class=draw(st.sampled_from([None, None, None, "18m"]))))
    vehicles, readings = [], {}
    for i in range(nv):
        ev = draw(st.booleans())
        vid = f"{'E' if ev else 'D'}{i:02d}"
        avail = draw(st.sampled_from(["available"] * 6 + ["maintenance"]))
        vehicles.append(Vehicle(vid, "X", "E" if ev else "D", avail))
        if ev:
            readings[vid] = SocReading(vid, draw(st.integers(20, 100)), T0, "telematics")
    return blocks, vehicles, readings


def make_judge(vehicles, readings, turnaround=10) -> FleetJudge:
    depot = Depot("X", "X", "UTC", reserve_pct=20, marginal_band_pct=10, turnaround_min=turnaround)
    return FleetJudge(depot, TYPES, vehicles, readings, T0)


def plain_greedy(judge: FleetJudge, blocks) -> tuple[int, int]:
    """(covered, EV-covered) of the plain earliest-start greedy (bench/greedy.py, independent of the product)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from greedy import greedy

    plan = greedy(judge, blocks)
    return len(plan), sum(1 for v in plan.values() if TYPES[judge.vehicles[v].vehicle_type].is_electric)


def mip_optimum(judge: FleetJudge, blocks, at_least: tuple[int, int] = (0, 0)) -> tuple[int, int]:
    """Max blocks covered, then max covered by EVs, under the same viability rule (exact), among plans with
    at least `at_least` blocks covered and EV blocks (DESIGN §12b: never below the plain greedy)."""
    th = judge.thresholds_for("E")
    turn = th.turnaround
    vs = [v for v in judge.vehicles.values() if v.availability == "available"]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    idx: dict[tuple[str, int], int] = {}
    for v in vs:
        for b, blk in enumerate(blocks):
            if blk.vehicle_class not in (None, "12m"):
                continue
            e = judge.estimate(blk, v.vehicle_type)
            if TYPES[v.vehicle_type].is_electric and (e is None or v.vehicle_id not in judge.readings):
                continue
            idx[(v.vehicle_id, b)] = h.getNumCol()
            h.addVar(0, 1)
            h.changeColIntegrality(idx[(v.vehicle_id, b)], highspy.HighsVarType.kInteger)
            h.changeColCost(idx[(v.vehicle_id, b)], -(1e4 + (100 if TYPES[v.vehicle_type].is_electric else 0)))
    for b in range(len(blocks)):
        cols = [idx[k] for k in idx if k[1] == b]
        if cols:
            h.addRow(0, 1, len(cols), np.array(cols, dtype=np.int32), np.ones(len(cols)))
    for v in vs:
        vid = v.vehicle_id
        for a, ba in enumerate(blocks):
            for b, bb in enumerate(blocks):
                if a < b and (vid, a) in idx and (vid, b) in idx and \
                        ba.pull_out < bb.pull_in + turn and bb.pull_out < ba.pull_in + turn:
                    h.addRow(0, 1, 2, np.array([idx[(vid, a)], idx[(vid, b)]], dtype=np.int32), np.ones(2))
        if not TYPES[v.vehicle_type].is_electric:
            continue
        soc = judge.readings[vid].soc_pct
        usable = EV.usable_kwh
        big = sum(judge.estimate(x, "E").expected_kwh for x in blocks) + 1e3
        for b, bb in enumerate(blocks):
            if (vid, b) not in idx:
                continue
            e = judge.estimate(bb, "E")
            prior = [(idx[(vid, a)], judge.estimate(ba, "E").expected_kwh) for a, ba in enumerate(blocks)
                     if (vid, a) in idx and ba.pull_in <= bb.pull_out]
            for need, floor in ((e.expected_kwh, th.reserve_pct + th.marginal_band_pct),
                                (e.conservative_kwh, th.reserve_pct)):
                cap = (soc - floor) / 100 * usable - need  # kWh the earlier blocks may use
                cols = [c for c, _ in prior] + [idx[(vid, b)]]
                vals = [k for _, k in prior] + [big]
                h.addRow(-highspy.kHighsInf, cap + big, len(cols), np.array(cols, dtype=np.int32), np.array(vals))
    cols = np.array(sorted(idx.values()), dtype=np.int32)
    ev_cols = np.array(sorted(i for (vid, _), i in idx.items()
                              if TYPES[judge.vehicles[vid].vehicle_type].is_electric), dtype=np.int32)
    if at_least[0] and len(cols):
        h.addRow(at_least[0], highspy.kHighsInf, len(cols), cols, np.ones(len(cols)))
    if at_least[1] and len(ev_cols):
        h.addRow(at_least[1], highspy.kHighsInf, len(ev_cols), ev_cols, np.ones(len(ev_cols)))
    h.run()
    if h.getModelStatus() == highspy.HighsModelStatus.kModelEmpty:  # nobody can run anything
        return 0, 0
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal  # no limit set: the oracle always proves
    x = h.getSolution().col_value
    chosen = [k for k, i in idx.items() if x[i] > 0.5]
    return len(chosen), sum(1 for vid, _ in chosen if TYPES[judge.vehicles[vid].vehicle_type].is_electric)


def solve(judge, blocks, previous=None):
    return Recommender(judge, blocks, {}, previous).solve()


@st.composite
def one_block_each(draw):
    """Every block spans 13:00, so no vehicle can run two: the assignment is exact here."""
    blocks, vehicles, readings = draw(instances(max_blocks=60))
    pinned = [replace(b, pull_out=T0 + timedelta(hours=1) - (b.pull_in - b.pull_out) / 2,
                      pull_in=T0 + timedelta(hours=1) + (b.pull_in - b.pull_out) / 2) for b in blocks]
    return pinned, vehicles, readings


@pytest.mark.slow  # HiGHS MIP per example (make test runs it, make test-fast leaves it)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(one_block_each())
def test_coverage_and_ev_coverage_equal_the_mip_optimum_when_each_vehicle_runs_one_block(inst) -> None:
    blocks, vehicles, readings = inst
    judge = make_judge(vehicles, readings)
    rec = solve(judge, blocks)
    covered = len(rec.proposals)
    ev_covered = sum(1 for p in rec.proposals if p.vehicle_id.startswith("E"))
    assert (covered, ev_covered) == mip_optimum(judge, blocks, plain_greedy(judge, blocks))


@pytest.mark.slow  # HiGHS MIP per example (make test runs it, make test-fast leaves it)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_blocks=60, max_vehicles=8), st.sampled_from([10, 240]))
def test_coverage_and_ev_coverage_equal_the_mip_optimum_with_chains(inst, turnaround) -> None:
    # Chaining with batteries is NP-hard: small days are solved exactly by the product's own MILP
    # (domain/exact.py, clique and cumulative-energy rows); this oracle is formulated independently
    # (pairwise overlaps, big-M energy rows, highspy directly).
    # The product's MILP has work limits, never a time limit: the result does not depend on how busy the
    # test machine is (see test_same_answer_under_a_cpu_hog). This oracle has no limit and always proves
    # its optimum, so the product must reach it on every day, and say it proved it. (With charging between
    # blocks: tests/unit/test_recommend_vs_mip.py.)
    # The optimum is taken among plans at or above the plain greedy on both counts (DESIGN §12b): where the
    # most blocks can be covered only with fewer on EVs than the greedy puts there (a drawn day: (8, 2)
    # against the greedy's (7, 3)), the rule keeps the greedy's EV blocks, and the product cannot call its
    # plan proved against its model's bound, which knows no floor.
    blocks, vehicles, readings = inst
    judge = make_judge(vehicles, readings, turnaround)
    rec = solve(judge, blocks)
    got = (len(rec.proposals), sum(1 for p in rec.proposals if p.vehicle_id.startswith("E")))
    floor = plain_greedy(judge, blocks)
    best = mip_optimum(judge, blocks, floor)
    assert got == best
    unbounded = mip_optimum(judge, blocks)
    assert rec.optimality is not None
    if unbounded != best:  # the floor decided: the lexicographic optimum has fewer EV blocks than the greedy
        assert unbounded[1] < floor[1] and unbounded > best
        assert not rec.optimality.proved and (rec.optimality.covered_bound, rec.optimality.ev_bound) == unbounded
    else:
        assert rec.optimality.proved


@settings(max_examples=40, deadline=None)
@given(instances())
def test_never_double_books_and_every_proposal_is_ok(inst) -> None:
    blocks, vehicles, readings = inst
    judge = make_judge(vehicles, readings)
    rec = solve(judge, blocks)
    by_vehicle: dict[str, list] = {}
    by_id = {b.block_id: b for b in blocks}
    for p in rec.proposals:
        by_vehicle.setdefault(p.vehicle_id, []).append(by_id[p.block_id])
    assert len({p.block_id for p in rec.proposals}) == len(rec.proposals)
    for vid, chain in by_vehicle.items():
        for p in rec.proposals:
            if p.vehicle_id == vid:
                assert judge.judge(vid, by_id[p.block_id], chain).status == "ok"
    assert {p.block_id for p in rec.proposals} | {u.block_id for u in rec.uncovered} == set(by_id)


@settings(max_examples=25, deadline=None)
@given(instances())
def test_deterministic(inst) -> None:
    blocks, vehicles, readings = inst
    a = solve(make_judge(vehicles, readings), blocks)
    b = solve(make_judge(list(reversed(vehicles)), readings), list(reversed(blocks)))
    assert [(p.block_id, p.vehicle_id) for p in a.proposals] == [(p.block_id, p.vehicle_id) for p in b.proposals]


def test_keeps_operator_assignments_and_plans_around_them() -> None:
    vehicles = [Vehicle("E1", "X", "E"), Vehicle("E2", "X", "E")]
    readings = {v.vehicle_id: SocReading(v.vehicle_id, 90, T0, "telematics") for v in vehicles}
    judge = make_judge(vehicles, readings)
    am = block("AM", start=T0 + timedelta(hours=1), hours=3, km=60)
    pm = block("PM", start=T0 + timedelta(hours=2), hours=3, km=60)
    rec = Recommender(judge, [pm], {"E1": [am]}).solve()
    assert [(p.block_id, p.vehicle_id) for p in rec.proposals] == [("PM", "E2")]  # E1 is busy with AM


def test_an_earlier_block_of_another_service_day_is_named_with_its_day() -> None:
    """Block ids repeat every day: 'after block AM' must not point at today's AM when it was yesterday's."""
    from datetime import date

    from depotdispatch.domain.explain import explain_proposal
    vehicles = [Vehicle("E1", "X", "E")]
    judge = make_judge(vehicles, {"E1": SocReading("E1", 90, T0, "telematics")})
    today = block("PM", start=T0 + timedelta(hours=6), hours=2, km=40)
    yesterday = block("AM", start=T0 - timedelta(hours=2), hours=1, km=20, service_date=date(2026, 11, 24))
    earlier = block("AM", start=T0 - timedelta(hours=2), hours=1, km=20, service_date=date(2026, 11, 20))
    same_day = block("AM", start=T0 + timedelta(hours=1), hours=1, km=20)
    words = {}
    for name, prior in (("yesterday", yesterday), ("earlier", earlier), ("today", same_day)):
        chains = {"E1": [prior, today]}
        words[name] = explain_proposal(judge, "E1", today, judge.judge("E1", today, [prior, today]), chains, ["E1"])
    assert ", after block AM of Tue 24 Nov," in words["yesterday"]  # planned the day before, "yesterday's" misled
    assert ", after block AM of Fri 20 Nov," in words["earlier"]
    assert ", after block AM," in words["today"]


def test_a_block_of_unknown_distance_is_explained_by_its_distance_not_by_charge() -> None:
    """An ad-hoc block entered without km: no EV can be judged, and the reason is the distance, not the EVs'
    charge ("9 EVs would run short") nor "only a non-EV can run it"."""
    vehicles = [Vehicle("D1", "X", "D"), Vehicle("E1", "X", "E")]
    judge = make_judge(vehicles, {"E1": SocReading("E1", 80, T0, "telematics")})
    rec = solve(judge, [block("X6", start=T0 + timedelta(hours=1), hours=3, km=None)])
    words = [p.explanation for p in rec.proposals] + [u.explanation for u in rec.uncovered]
    assert len(words) == 1 and "its distance is unknown, so no EV can be judged for it" in words[0]
    assert "short of charge" not in words[0] and "only a non-EV" not in words[0]


def test_ev_first_and_explanations_with_numbers() -> None:
    vehicles = [Vehicle("D1", "X", "D"), Vehicle("E1", "X", "E")]
    judge = make_judge(vehicles, {"E1": SocReading("E1", 80, T0, "telematics")})
    b1 = block("B1", start=T0 + timedelta(hours=1), hours=3, km=60)
    rec = solve(judge, [b1])
    assert [(p.block_id, p.vehicle_id) for p in rec.proposals] == [("B1", "E1")]
    assert rec.proposals[0].explanation == "EV E1: 80 % at pull-out, needs 26 %, pulls in at 54 %"
    long = block("B2", start=T0 + timedelta(hours=1), hours=8, km=300)  # 390 kWh: no 300 kWh EV can
    rec = solve(make_judge(vehicles, {"E1": SocReading("E1", 80, T0, "telematics")}), [long])
    assert rec.proposals[0].vehicle_id == "D1"
    assert "no EV could, even fully charged: the best EV type for it, E (300 kWh usable), would run out 30 % " \
           "short" in rec.proposals[0].explanation  # not "1 EV would run short of charge": a charge would not do
    mid = block("B3", start=T0 + timedelta(hours=1), hours=4, km=150)  # 65 % of a battery: a charge would do
    rec = solve(make_judge(vehicles, {"E1": SocReading("E1", 40, T0, "telematics")}), [mid])
    assert rec.proposals[0].vehicle_id == "D1"
    assert "no EV can run it safely (1 EV would run short of charge)" in rec.proposals[0].explanation


def test_uncovered_blocks_say_why() -> None:
    judge = make_judge([Vehicle("E1", "X", "E")], {"E1": SocReading("E1", 40, T0, "telematics")})
    rec = solve(judge, [block("B1", start=T0 + timedelta(hours=1), hours=3, km=150)])
    assert rec.proposals == [] and len(rec.uncovered) == 1
    assert "1 EV would run short of charge" in rec.uncovered[0].explanation
    assert "no other vehicle" in rec.uncovered[0].explanation


def test_previous_proposal_is_kept_when_still_as_good() -> None:
    vehicles = [Vehicle("E1", "X", "E"), Vehicle("E2", "X", "E")]
    readings = {v.vehicle_id: SocReading(v.vehicle_id, 90, T0, "telematics") for v in vehicles}
    b = block("B1", start=T0 + timedelta(hours=1), hours=3, km=60)
    first = solve(make_judge(vehicles, readings), [b]).proposals[0].vehicle_id
    other = "E2" if first == "E1" else "E1"
    again = solve(make_judge(vehicles, readings), [b], previous={"B1": other}).proposals[0].vehicle_id
    assert again == other


@pytest.mark.parametrize("n", [0])
def test_nothing_to_do(n) -> None:
    assert solve(make_judge([], {}), []).proposals == []


def test_where_more_blocks_need_fewer_on_evs_than_the_greedy_the_greedy_floor_holds() -> None:
    # A drawn day (hypothesis, kept as it was found): the most blocks, 8, are covered only with 2 on EVs,
    # and the plain greedy covers 7 with 3 on EVs. DESIGN §12b: never fewer blocks nor fewer EV blocks than
    # the greedy, so the answer is the greedy's (7, 3), and it does not say proved against the bound (8, 2).
    def at(hours: float, length: float, km: float = 10):
        return T0 + timedelta(hours=hours), length, km

    times = [at(1, 0.5)] * 3 + [at(7 + 7 / 60, 0.5), at(9.1, 0.5), at(8 + 26 / 60, 0.5, 30),
                                 at(7 + 16 / 60, 2), at(7 + 7 / 60, 5)]
    blocks = [block(f"B{i:02d}", start=s, hours=h, km=km) for i, (s, h, km) in enumerate(times)]
    vehicles = [Vehicle("D00", "X", "D", "available"), Vehicle("D01", "X", "D", "available"),
                Vehicle("E02", "X", "E", "available"), Vehicle("E03", "X", "E", "available")]
    readings = {"E02": SocReading("E02", 20, T0, "telematics"), "E03": SocReading("E03", 48, T0, "telematics")}
    judge = make_judge(vehicles, readings)
    assert plain_greedy(judge, blocks) == (7, 3) and mip_optimum(judge, blocks) == (8, 2)
    rec = solve(judge, blocks)
    assert (len(rec.proposals), sum(1 for p in rec.proposals if p.vehicle_id.startswith("E"))) == (7, 3)
    assert rec.optimality is not None and not rec.optimality.proved
    assert (rec.optimality.covered_bound, rec.optimality.ev_bound) == (8, 2)
