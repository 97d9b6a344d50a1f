"""The recommendation a dispatcher can follow (DESIGN §12b): stable under small changes, never below a
plain greedy. Days with charging between blocks and vehicles on and off chargers."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import Vehicle, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.recommend import Recommender
from depotdispatch.domain.relink import MOVES_PER_COVERED, MOVES_PER_EV, worth_it
from tests.builders import T0, block
from tests.helpers import ROOT

pytestmark = pytest.mark.slow  # 40 re-solves of random days each: ~1 min of CPU for the module

EV = VehicleType("E", "bev", usable_kwh=300, kwh_per_km=1.3, vehicle_class="12m", charge_kw=100)
DSL = VehicleType("D", "diesel", vehicle_class="12m")
TYPES = {"E": EV, "D": DSL}
# The bound (DESIGN §12b "stable", issue 16): a reading moved by up to 5 points changes at most the
# blocks the first plan gave that vehicle (what the change can force out), plus 2 for each block the new
# plan covers beyond the first one or gives to an EV beyond it (a move to an EV frees a vehicle for a
# block nobody ran: two changes for one gain), plus EXTRA_CHANGES. Measured on 84 re-solves of random
# days up to 45 blocks (tests/unit/test_recommend_vs_mip.a_day, seeds 0-39): never more than the chain
# plus the blocks gained.
EXTRA_CHANGES = 2

_spec = importlib.util.spec_from_file_location("bench_greedy", ROOT / "bench" / "greedy.py")
assert _spec and _spec.loader
greedy_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(greedy_module)


@st.composite
def days(draw, max_blocks=45, max_vehicles=12, min_blocks=1, min_vehicles=1):
    nb = draw(st.integers(min_blocks, max_blocks))
    nv = draw(st.integers(min_vehicles, max_vehicles))
    blocks = [block(f"B{i:02d}", start=T0 + timedelta(minutes=5 * draw(st.integers(12, 200))),
                    hours=draw(st.sampled_from([0.5, 1, 2, 3, 5, 8])),
                    km=draw(st.sampled_from([10, 30, 60, 100, 150, 220])),
                    vehicle_class=draw(st.sampled_from([None, None, None, None, "18m"])))
              for i in range(nb)]
    vehicles, readings = [], {}
    for i in range(nv):
        ev = draw(st.booleans()) or draw(st.booleans())
        vid = f"{'E' if ev else 'D'}{i:02d}"
        availability = draw(st.sampled_from(["available"] * 8 + ["maintenance"]))
        vehicles.append(Vehicle(vid, "X", "E" if ev else "D", availability))
        if ev:
            readings[vid] = SocReading(vid, draw(st.integers(25, 100)), T0, "telematics",
                                       plugged_in=draw(st.booleans()))
    return blocks, vehicles, readings


def judge_of(vehicles, readings) -> FleetJudge:
    depot = Depot("X", "X", "UTC", reserve_pct=20, marginal_band_pct=10, turnaround_min=10)
    return FleetJudge(depot, TYPES, vehicles, readings, T0)


def plan_of(rec) -> dict[str, str]:
    return {p.block_id: p.vehicle_id for p in rec.proposals}


def diff(a: dict[str, str], b: dict[str, str]) -> int:
    return sum(1 for k in set(a) | set(b) if a.get(k) != b.get(k))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True,
          phases=[Phase.explicit, Phase.generate])  # a fixed sample: the suite stays bounded in time
@given(days())
def test_an_unchanged_day_re_solved_with_previous_changes_nothing(day) -> None:
    blocks, vehicles, readings = day
    first = Recommender(judge_of(vehicles, readings), blocks, {}).solve()
    again = Recommender(judge_of(vehicles, readings), blocks, {}, plan_of(first)).solve()
    assert again.changes == []
    assert plan_of(again) == plan_of(first)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True,
          phases=[Phase.explicit, Phase.generate])  # a fixed sample: the suite stays bounded in time
@given(days(), st.data())
def test_one_reading_moved_by_up_to_5_points_changes_its_chain_and_a_few_more(day, data) -> None:
    blocks, vehicles, readings = day
    first = Recommender(judge_of(vehicles, readings), blocks, {}).solve()
    if not readings:
        return
    vid = data.draw(st.sampled_from(sorted(readings)))
    delta = data.draw(st.integers(-5, 5))
    moved = dict(readings)
    moved[vid] = replace(readings[vid], soc_pct=min(100.0, max(0.0, readings[vid].soc_pct + delta)))
    again = Recommender(judge_of(vehicles, moved), blocks, {}, plan_of(first)).solve()
    chain = sum(1 for p in first.proposals if p.vehicle_id == vid)
    assert len(again.changes) == diff(plan_of(first), plan_of(again))

    def score(rec) -> tuple[int, int]:
        return len(rec.proposals), sum(1 for p in rec.proposals if p.vehicle_id.startswith("E"))

    # DESIGN §12b ranks "never fewer blocks, or fewer with EVs, than the plain greedy" above stability: when
    # what is left of last time's plan (`repaired`) is below the greedy of the changed day on either count, the
    # re-solve takes the changes it needs to reach the greedy (a day drawn here: E02 -5 points, repaired 72/54
    # against the greedy's 72/55, back to 72/55 by swapping E02's and E05's chains, 7 blocks); the bound holds
    # on every other day
    g = greedy_module.greedy(judge_of(vehicles, moved), blocks)
    floor = (len(g), sum(1 for v in g.values() if v.startswith("E")))
    assert again.repaired is not None
    if again.repaired[0] < floor[0] or again.repaired[1] < floor[1]:
        assert score(again)[0] >= floor[0] and score(again)[1] >= floor[1]
        return
    gained = max(0, score(again)[0] - score(first)[0]) + max(0, score(again)[1] - score(first)[1])
    assert len(again.changes) <= chain + 2 * gained + EXTRA_CHANGES, [(c.block_id, c.before, c.after)
                                                                      for c in again.changes]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True,
          phases=[Phase.explicit, Phase.generate])  # a fixed sample: the suite stays bounded in time
@given(days())
def test_never_fewer_blocks_or_ev_blocks_than_greedy(day) -> None:
    blocks, vehicles, readings = day
    judge = judge_of(vehicles, readings)
    rec = Recommender(judge, blocks, {}).solve()
    g = greedy_module.greedy(judge_of(vehicles, readings), blocks)
    ev = {v.vehicle_id for v in vehicles if v.vehicle_type == "E"}
    covered, ev_covered = len(rec.proposals), sum(1 for p in rec.proposals if p.vehicle_id in ev)
    # DESIGN §12b: never fewer blocks, nor fewer with EVs (each on its own, not only lexicographically)
    assert covered >= len(g)
    assert ev_covered >= sum(1 for v in g.values() if v in ev)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True,
          phases=[Phase.explicit, Phase.generate])  # a fixed sample: the suite stays bounded in time
@given(days(), st.data())
def test_after_several_changes_moves_beyond_the_kept_plan_only_buy_a_bounded_gain(day, data) -> None:
    # DESIGN §12b "stable" after 3-10 changes (issue 16): last time's proposals that still hold are kept;
    # anything changed beyond that plan must buy blocks covered (at most MOVES_PER_COVERED changed blocks
    # each) or blocks on an EV (MOVES_PER_EV each), and the result never covers fewer than that plan
    blocks, vehicles, readings = day
    first = Recommender(judge_of(vehicles, readings), blocks, {}).solve()
    if not readings:
        return
    moved = dict(readings)
    for vid in data.draw(st.lists(st.sampled_from(sorted(readings)), min_size=1, max_size=4, unique=True)):
        delta = data.draw(st.integers(-15, 15))
        moved[vid] = replace(readings[vid], soc_pct=min(100.0, max(0.0, readings[vid].soc_pct + delta)))
    down = data.draw(st.sampled_from([None, *sorted(v.vehicle_id for v in vehicles)]))
    fleet = [replace(v, availability="maintenance") if v.vehicle_id == down else v for v in vehicles]
    again = Recommender(judge_of(fleet, moved), blocks, {}, plan_of(first)).solve()
    assert again.repaired is not None
    covered, ev_covered, kept_changes = again.repaired
    after = (len(again.proposals), sum(1 for p in again.proposals if p.vehicle_id.startswith("E")))
    assert after[0] >= covered
    extra = len(again.changes) - kept_changes
    if extra > 0:
        assert worth_it(after[0] - covered, after[1] - ev_covered, extra), (again.repaired, after, extra)
    assert extra <= MOVES_PER_COVERED * max(after[0] - covered, 0) + MOVES_PER_EV * max(after[1] - ev_covered, 0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True,
          phases=[Phase.explicit, Phase.generate])  # a fixed sample: the suite stays bounded in time
@given(days(max_blocks=40), st.data())
def test_on_a_day_the_exact_mode_proves_the_re_solve_is_lexicographic(day, data) -> None:
    # issue 16 item 1: covered, then EV-covered, then the fewest changes. Where the exact mode proves the
    # day, a re-solve with `previous` after a few changes covers as many blocks and EV blocks as a fresh
    # solve of the changed day (no bound on moves holds it back), changes no more blocks than that fresh
    # plan or last time's plan repaired (both candidates at their coverage), and says it proved it
    blocks, vehicles, readings = day
    first = Recommender(judge_of(vehicles, readings), blocks, {}).solve()
    if not readings:
        return
    moved = dict(readings)
    for vid in data.draw(st.lists(st.sampled_from(sorted(readings)), min_size=1, max_size=3, unique=True)):
        delta = data.draw(st.integers(-15, 15))
        moved[vid] = replace(readings[vid], soc_pct=min(100.0, max(0.0, readings[vid].soc_pct + delta)))
    fresh = Recommender(judge_of(vehicles, moved), blocks, {}).solve()
    again = Recommender(judge_of(vehicles, moved), blocks, {}, plan_of(first)).solve()
    assert fresh.optimality is not None and again.optimality is not None
    if not fresh.optimality.proved:
        return  # beyond the exact mode's work limit: the bounded rule (the test above)

    def score(rec) -> tuple[int, int]:
        return len(rec.proposals), sum(1 for p in rec.proposals if p.vehicle_id.startswith("E"))

    assert score(again) == score(fresh)
    assert len(again.changes) <= diff(plan_of(first), plan_of(fresh))
    if not plan_of(first):
        return  # last time proposed nothing (no bus could run anything): there is nothing to keep or repair
    assert again.repaired is not None
    if again.repaired[:2] == score(again):
        assert len(again.changes) <= again.repaired[2]
    assert again.optimality.fewest_changes


# The days above (<= 45 blocks, <= 12 vehicles) are all inside the exact mode (<= 60 open blocks with charging
# EVs, 80 without; <= 1,200 vehicle x block columns). Every bench day of 50x30 and up takes the heuristic path instead
# (the portfolio, the plain greedy as a construction up to 200 open blocks, the bounded relink), so the same
# three properties on days beyond the exact mode's size (issue 16 "heuristics above that size, never below
# greedy"; AUDIT A16-3). Each asserts that the exact mode did not run.
HEURISTIC_DAYS = days(min_blocks=81, max_blocks=120, min_vehicles=12, max_vehicles=30)  # > exact.MAX_BLOCKS


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True,
          phases=[Phase.explicit, Phase.generate])
@given(HEURISTIC_DAYS)
def test_beyond_the_exact_mode_an_unchanged_day_changes_nothing_and_never_below_greedy(day) -> None:
    blocks, vehicles, readings = day
    first = Recommender(judge_of(vehicles, readings), blocks, {}).solve()
    assert first.optimality is None  # the heuristic path
    again = Recommender(judge_of(vehicles, readings), blocks, {}, plan_of(first)).solve()
    assert again.changes == [] and plan_of(again) == plan_of(first)
    g = greedy_module.greedy(judge_of(vehicles, readings), blocks)
    ev = {v.vehicle_id for v in vehicles if v.vehicle_type == "E"}
    assert len(first.proposals) >= len(g)
    assert sum(1 for p in first.proposals if p.vehicle_id in ev) >= sum(1 for v in g.values() if v in ev)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True,
          phases=[Phase.explicit, Phase.generate])
@given(HEURISTIC_DAYS, st.data())
def test_beyond_the_exact_mode_one_reading_moved_by_up_to_5_points_changes_its_chain_and_a_few_more(
        day, data) -> None:
    blocks, vehicles, readings = day
    first = Recommender(judge_of(vehicles, readings), blocks, {}).solve()
    if not readings:
        return
    vid = data.draw(st.sampled_from(sorted(readings)))
    delta = data.draw(st.integers(-5, 5))
    moved = dict(readings)
    moved[vid] = replace(readings[vid], soc_pct=min(100.0, max(0.0, readings[vid].soc_pct + delta)))
    again = Recommender(judge_of(vehicles, moved), blocks, {}, plan_of(first)).solve()
    assert again.optimality is None
    chain = sum(1 for p in first.proposals if p.vehicle_id == vid)
    assert len(again.changes) == diff(plan_of(first), plan_of(again))

    def score(rec) -> tuple[int, int]:
        return len(rec.proposals), sum(1 for p in rec.proposals if p.vehicle_id.startswith("E"))

    # DESIGN §12b ranks "never fewer blocks, or fewer with EVs, than the plain greedy" above stability: when
    # what is left of last time's plan (`repaired`) is below the greedy of the changed day on either count, the
    # re-solve takes the changes it needs to reach the greedy (a day drawn here: E02 -5 points, repaired 72/54
    # against the greedy's 72/55, back to 72/55 by swapping E02's and E05's chains, 7 blocks); the bound holds
    # on every other day
    g = greedy_module.greedy(judge_of(vehicles, moved), blocks)
    floor = (len(g), sum(1 for v in g.values() if v.startswith("E")))
    assert again.repaired is not None
    if again.repaired[0] < floor[0] or again.repaired[1] < floor[1]:
        assert score(again)[0] >= floor[0] and score(again)[1] >= floor[1]
        return
    gained = max(0, score(again)[0] - score(first)[0]) + max(0, score(again)[1] - score(first)[1])
    assert len(again.changes) <= chain + 2 * gained + EXTRA_CHANGES, [(c.block_id, c.before, c.after)
                                                                      for c in again.changes]
