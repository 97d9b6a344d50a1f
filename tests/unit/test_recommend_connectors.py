"""The recommendation at a depot with fewer connectors than the buses that want to charge (DESIGN §12a: the
recommendation uses the depot's charging plan, not a charger per bus; §12b: stable, never below a plain greedy,
at the optimum). The other property tests and bench/recommend.py's MIP give every bus a charger of its own
(AUDIT A16-8).

The days: one EV type with a flat charging curve at efficiency 1 (so the independent MIP's charging arithmetic,
bench/mip_connectors.py, is exact for it), single-connector chargers at the EV's rate, fewer than the EVs,
blocks on the 5-minute grid of the charging plan."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.charging_plan import Charger
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import Vehicle, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.recommend import Recommender
from depotdispatch.domain.relink import MOVES_PER_COVERED, MOVES_PER_EV
from tests.builders import T0, block
from tests.helpers import ROOT
from tests.unit.test_recommend_determinism import full_answer, hogs  # noqa: F401  (a fixture)
from tests.unit.test_recommend_stability import EXTRA_CHANGES, diff, plan_of

pytestmark = pytest.mark.slow  # random days solved many times, and a MIP per day

KW = 100.0
EV = VehicleType("E", "bev", usable_kwh=300, kwh_per_km=1.3, vehicle_class="12m", charge_kw=KW,
                 charging_curve=((0.0, KW), (1.0, KW)), charging_efficiency=1.0)
DSL = VehicleType("D", "diesel", vehicle_class="12m")


def judge_of(vehicles, readings, connectors: int) -> FleetJudge:
    depot = Depot("X", "X", "UTC", reserve_pct=20, marginal_band_pct=10, turnaround_min=10)
    return FleetJudge(depot, {"E": EV, "D": DSL}, vehicles, readings, T0, plan={},
                      chargers=[Charger(f"C{i}", KW) for i in range(connectors)])


def a_day(seed: int, tight: bool):
    """Up to 60 blocks; `tight`: readings 25-69 % and a connector per three EVs, else 25-99 % and 1 to one
    fewer than the EVs."""
    rng = np.random.default_rng([seed, 1612])
    nb, nv = int(rng.integers(10, 61)), int(rng.integers(3, 12))
    return _day(rng, nb, nv, tight, "B{:02d}")


def a_large_day(seed: int, tight: bool):
    """A real depot's size: 70-120 blocks, 20-35 buses, drawn as `a_day`'s."""
    rng = np.random.default_rng([seed, 77])
    nb, nv = int(rng.integers(70, 121)), int(rng.integers(20, 36))
    return _day(rng, nb, nv, tight, "B{:03d}")


def _day(rng: np.random.Generator, nb: int, nv: int, tight: bool, name: str):
    blocks = [block(name.format(i), start=T0 + timedelta(minutes=5 * int(rng.integers(12, 200))),
                    hours=float(rng.choice([0.5, 1, 2, 3, 5, 8])), km=float(rng.choice([10, 30, 60, 100, 150, 220])),
                    vehicle_class=None if rng.random() < 0.8 else "18m") for i in range(nb)]
    vehicles, readings = [], {}
    for i in range(nv):
        ev = bool(rng.random() < 0.75)
        vid = f"{'E' if ev else 'D'}{i:02d}"
        vehicles.append(Vehicle(vid, "X", "E" if ev else "D", "available" if rng.random() < 0.9 else "maintenance"))
        if ev:
            readings[vid] = SocReading(vid, float(rng.integers(25, 70 if tight else 100)), T0, "telematics",
                                       plugged_in=bool(rng.random() < 0.5))
    evs = sum(1 for v in vehicles if v.vehicle_type == "E")
    connectors = max(1, int(evs * 0.34)) if tight else int(rng.integers(1, max(2, evs)))
    return blocks, vehicles, readings, connectors


def failing(judge: FleetJudge, blocks, plan: dict[str, str]) -> list[str]:
    """The blocks of `plan` not `ok` under the depot charging plan that accepting all of it gives."""
    by_id = {b.block_id: b for b in blocks}
    chains: dict[str, list] = {}
    for bid, vid in plan.items():
        chains.setdefault(vid, []).append(by_id[bid])
    planned = judge.replanned({v: sorted(bs, key=lambda b: b.pull_out) for v, bs in chains.items()})
    return sorted(bid for bid, vid in plan.items()
                  if planned.judge(vid, by_id[bid], sorted(chains[vid], key=lambda b: b.pull_out)).status != "ok")


def counts(rec) -> tuple[int, int]:
    return len(rec.proposals), sum(1 for p in rec.proposals if p.vehicle_id.startswith("E"))


def _connector_mip():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location("bench_mip_connectors", ROOT / "bench" / "mip_connectors.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_mip_connectors"] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module.connector_mip


# (seed, tight): 20 loose and 40 tight days, 10-60 blocks (bench/connectors.py prints the table). Measured (AUDIT
# A16-8, A16-13, A16-14): the MIP proves all 60; the recommendation is never above it, reaches it on 55, and never
# says "proved" on the other 5. On those 5 the MIP's own plan fails the product's rule: the depot charging plan's
# priority rule (earliest pull-out first, a bus keeps its connector until its next pull-out is covered) does not
# charge it in time, so no choice of proposals alone reaches it. Until A16-14 one more (tight 137: 23/11 against
# 24/12) was a search gap, the product's rule accepting the MIP's plan: an answer not proved best is now also
# re-solved from the plain greedy's plan, which reaches 24/12 there. Before A16-10..12 the recommendation was also
# above the MIP (tight 130: readiness credited charge the plan never gave), short where the MIP's plan holds
# (loose 4), and said "proved" below its bound (loose 17)
SEEDS = [*((s, False) for s in range(20)), *((s, True) for s in range(100, 140))]
SHORT_BY_THE_CHARGING_RULE = {(17, False), (116, True), (121, True), (124, True), (130, True)}
SEARCH_GAPS: set[tuple[int, bool]] = set()


def test_against_an_independent_mip_with_fewer_connectors_than_buses() -> None:
    connector_mip = _connector_mip()
    proved, rule, search, claims = 0, set(), set(), []
    for seed, tight in SEEDS:
        blocks, vehicles, readings, connectors = a_day(seed, tight)
        rec = Recommender(judge_of(vehicles, readings, connectors), blocks, {}).solve()
        assert not failing(judge_of(vehicles, readings, connectors), blocks, plan_of(rec))
        m = connector_mip(judge_of(vehicles, readings, connectors), blocks, connectors, KW)
        if m.status != "optimal":
            continue
        proved += 1
        best = (m.covered, m.ev_covered)
        assert counts(rec) <= best, (seed, tight, counts(rec), best)  # the MIP bounds any plan on these chargers
        if counts(rec) == best:
            continue
        holds = not failing(judge_of(vehicles, readings, connectors), blocks, m.plan)
        (search if holds else rule).add((seed, tight))
        if rec.optimality is not None and rec.optimality.proved:
            claims.append((seed, tight))
    assert proved == len(SEEDS)
    assert not claims, claims
    # exactly the known ones: a new shortfall fails, and so does one that closes (update the lists and the README)
    assert search == SEARCH_GAPS, search
    assert rule == SHORT_BY_THE_CHARGING_RULE, rule


def greedy_on_connectors(judge: FleetJudge, blocks) -> dict[str, str]:
    """bench/greedy.py's plain earliest-start greedy, each EV judged with the depot charging plan of what the
    greedy gave out so far plus the block (else its plan need not hold on these chargers): in departure order,
    of the free EVs `ok` for the block with the chargers all their own, ranked by the SoC at pull-out the plan so
    far gives them, the first with which every block given out stays `ok`; else the first free non-EV `ok`."""
    turn = timedelta(minutes=judge.depot.turnaround_min)
    vids = sorted(v for v, veh in judge.vehicles.items() if veh.availability == "available")
    chains: dict[str, list] = {v: [] for v in vids}
    out: dict[str, str] = {}
    for b in sorted(blocks, key=lambda b: (b.pull_out, b.block_id)):
        free = [v for v in vids if not chains[v] or chains[v][-1].pull_in + turn <= b.pull_out]
        given = {k: list(c) for k, c in chains.items() if c}
        so_far = judge.replanned(given)
        ranked = []
        for v in (v for v in free if judge.types[judge.vehicles[v].vehicle_type].is_electric):
            if judge.judge(v, b, [*chains[v], b]).status != "ok":
                continue
            soc = so_far.judge(v, b, [*chains[v], b]).readiness
            ranked.append((soc.soc_pct if soc and soc.soc_pct is not None else 0.0, v))
        chosen = None
        for _, v in sorted(ranked):
            trial = {**given, v: [*chains[v], b]}
            planned = judge.replanned(trial)
            if all(planned.judge(u, x, trial[u]).status == "ok" for u in trial for x in trial[u]):
                chosen = v
                break
        if chosen is None:
            chosen = next((v for v in free if not judge.types[judge.vehicles[v].vehicle_type].is_electric
                           and judge.judge(v, b, [*chains[v], b]).status == "ok"), None)
        if chosen is not None:
            chains[chosen].append(b)
            out[b.block_id] = chosen
    return out


@st.composite
def charging_days(draw):
    seed, tight = draw(st.integers(0, 10_000)), draw(st.booleans())
    return a_day(seed, tight)


SETTINGS = {"deadline": None, "derandomize": True, "phases": [Phase.explicit, Phase.generate],
            "suppress_health_check": [HealthCheck.too_slow]}


@settings(max_examples=30, **SETTINGS)  # type: ignore[arg-type]
@given(charging_days())
@example(a_day(4, False)).via("found before the fix: +1 block")
@example(a_day(121, True)).via("found before the fix: +1 block")
@example(a_day(124, True)).via("found before the fix: 2 blocks changed, same counts")
def test_an_unchanged_day_re_solved_with_previous_changes_nothing_on_few_connectors(day) -> None:
    # A16-11: here the re-solve walked from last time's plan towards the chain model's best, which the charging
    # check then cut back, and came out with 1-2 blocks changed on an unchanged day (3 of 80 days)
    blocks, vehicles, readings, connectors = day
    first = Recommender(judge_of(vehicles, readings, connectors), blocks, {}).solve()
    again = Recommender(judge_of(vehicles, readings, connectors), blocks, {}, plan_of(first)).solve()
    assert again.changes == [] and plan_of(again) == plan_of(first)


@settings(max_examples=30, **SETTINGS)  # type: ignore[arg-type]
@given(charging_days())
@example(a_day(2509, True)).via("CI's, before the greedy on these connectors was the floor: 25 blocks against 26")
def test_never_fewer_blocks_or_ev_blocks_than_greedy_on_few_connectors(day) -> None:
    blocks, vehicles, readings, connectors = day
    rec = Recommender(judge_of(vehicles, readings, connectors), blocks, {}).solve()
    g = greedy_on_connectors(judge_of(vehicles, readings, connectors), blocks)
    assert not failing(judge_of(vehicles, readings, connectors), blocks, g)  # the greedy's plan holds too
    assert counts(rec)[0] >= len(g)
    assert counts(rec)[1] >= sum(1 for v in g.values() if v.startswith("E"))


@pytest.mark.parametrize(("seed", "tight"), [(2, True), (6, True), (7, False), (12, False)])
def test_never_below_the_greedy_on_a_depot_of_100_blocks(seed: int, tight: bool) -> None:
    # a sweep of 19 days of a_large_day's size: the floor did not run past 1,500 blocks x EVs, and on these 4 the
    # recommendation was below the greedy (tight 2: 73/51 against 70/52; 6: 90/56 against 89/59; loose 7: 61/54
    # against 63/55; 12: 90/62 against 93/65)
    blocks, vehicles, readings, connectors = a_large_day(seed, tight)
    rec = Recommender(judge_of(vehicles, readings, connectors), blocks, {}).solve()
    assert not failing(judge_of(vehicles, readings, connectors), blocks, plan_of(rec))
    g = greedy_on_connectors(judge_of(vehicles, readings, connectors), blocks)
    assert counts(rec)[0] >= len(g)
    assert counts(rec)[1] >= sum(1 for v in g.values() if v.startswith("E"))


# what a re-solve may move beyond the chain, the blocks lost and the gains on these days: 2 more than the chain
# model's EXTRA_CHANGES, measured: the sweep's worst, 3576 (E07 -1), moved 9 for the same counts, chain 4 + 1 lost
EXTRA_ON_CONNECTORS = EXTRA_CHANGES + 2


def still_holding(judge: FleetJudge, blocks, plan: dict[str, str]) -> dict[str, str]:
    """`plan` less what fails under the depot charging plan it gives, per vehicle its first failing block at a
    time (the later ones may fail only because of it), until nothing fails."""
    by_id, plan = {b.block_id: b for b in blocks}, dict(plan)
    while bad := failing(judge, blocks, plan):
        first: dict[str, str] = {}
        for bid in sorted(bad, key=lambda b: (by_id[b].pull_out, b)):
            first.setdefault(plan[bid], bid)
        for bid in first.values():
            del plan[bid]
    return plan


def moved_by(day, vid: str, delta: int) -> None:
    # that vehicle's chain, EXTRA_CHANGES, each other vehicle's block the moved day leaves uncovered (on few
    # connectors one bus's loss can cost another its charging: the priority rule gives the connector out anew), and
    # for what the re-solve gained, the product's own bound (relink.worth_it: DESIGN §12b, large moves only to buy
    # coverage), not tests/unit/test_recommend_stability.py's 2 a block: here the fresh answer is not always
    # proved best, and a re-solve after a small change may find a block more (a sweep of seeds 3000-3600, A16-15:
    # 3472 moved 15 for a block more, 3499 moved 8). Where the re-solve fell below the plain greedy on the moved
    # day (the floor, a must: construction "floor:..."): never more changes than switching to that greedy's plan
    blocks, vehicles, readings, connectors = day
    first = Recommender(judge_of(vehicles, readings, connectors), blocks, {}).solve()
    moved = dict(readings)
    moved[vid] = replace(readings[vid], soc_pct=min(100.0, max(0.0, readings[vid].soc_pct + delta)))
    again = Recommender(judge_of(vehicles, moved, connectors), blocks, {}, plan_of(first)).solve()
    assert len(again.changes) == diff(plan_of(first), plan_of(again))
    chain = sum(1 for p in first.proposals if p.vehicle_id == vid)
    # gains over what still holds of last time's proposals on the moved day: a block the change knocked out (its
    # charging given to another bus) and the re-solve covers again is a block gained, as the product counts it
    held = still_holding(judge_of(vehicles, moved, connectors), blocks, plan_of(first))
    held_counts = (len(held), sum(1 for v in held.values() if v.startswith("E")))
    covered, ev = (max(0, a - b) for a, b in zip(counts(again), held_counts, strict=True))
    lost = sum(1 for p in first.proposals if p.vehicle_id != vid and p.block_id not in plan_of(again))
    bound = chain + EXTRA_ON_CONNECTORS + lost + MOVES_PER_COVERED * covered + MOVES_PER_EV * ev
    if again.construction.startswith("floor:"):
        g = greedy_on_connectors(judge_of(vehicles, moved, connectors), blocks)
        assert counts(again)[0] >= len(g) and counts(again)[1] >= sum(1 for v in g.values() if v.startswith("E"))
        bound = max(bound, diff(plan_of(first), g))
    assert len(again.changes) <= bound, [(c.block_id, c.before, c.after) for c in again.changes]


@settings(max_examples=30, **SETTINGS)  # type: ignore[arg-type]
@given(charging_days(), st.data())
def test_one_reading_moved_by_up_to_5_points_changes_its_chain_and_a_few_more_on_few_connectors(day, data) -> None:
    readings = day[2]
    if readings:
        moved_by(day, data.draw(st.sampled_from(sorted(readings))), data.draw(st.integers(-5, 5)))


# A16-15: 535 found by the property test, the others by a sweep of seeds 3000-3600. 535: the greedy on the moved
# day covers a block more than the first answer; the re-solve fell below it and took the greedy's plan, 21 changes
# (now 5). 3003: the greedy covers a block more than last time's proposals still can, and the nearest plan found
# that is not below it changes 15 (the walks towards the greedy lose a block to the charging check). 3196 (loose,
# one connector, three EVs): E02's 6 blocks and 3 of E03's change, 9 against 8 before `lost`: without E02's last
# block the connector goes out anew and 4 more fail; the moved day covers 13 of 17 (a fresh solve 12). 3472 and
# 3499: a block more found by the re-solve (above); 3576: EXTRA_ON_CONNECTORS
@pytest.mark.parametrize(("seed", "tight", "vid", "delta"), [(535, True, "E02", -4), (3003, True, "E04", -5),
                                                             (3196, False, "E02", -3), (3472, False, "E03", -5),
                                                             (3499, True, "E01", -1), (3576, True, "E07", -1)])
def test_one_reading_moved_on_days_found_before(seed: int, tight: bool, vid: str, delta: int) -> None:
    moved_by(a_day(seed, tight), vid, delta)


@pytest.mark.parametrize(("seed", "tight", "vid", "delta"), [
    (23, False, "E25", -2), (12, False, "E08", -5)])
def test_one_reading_moved_on_a_depot_of_70_to_110_blocks(seed: int, tight: bool, vid: str, delta: int) -> None:
    # a sweep of 22 moves on a_large_day's days. 23: E25's B064 lost, and the re-solve walked to the plain
    # greedy's plan to reach it again: 50 changes (relink.py's walks reached the floor only at their end); the
    # re-solve's displace move (constructions.py) gives B064 to E20, whose 2 blocks go elsewhere: 2 changes.
    # 12: on 2 connectors E08's lower reading costs another bus its charging, 90 of the 92 blocks still hold, and
    # covering 92 again moves 12 (the charging check gives 4 EV blocks to diesels): within the 16 a block gained may
    # cost (relink.worth_it), above the bound counted against the first answer (8), which this test had. 23 on the
    # code before displace: 50 changes, against this bound of 23
    moved_by(a_large_day(seed, tight), vid, delta)


HOG_SETTINGS = {**SETTINGS, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]}


@settings(max_examples=8, **HOG_SETTINGS)  # type: ignore[arg-type]
@given(day=charging_days(), data=st.data())
def test_same_answer_under_a_cpu_hog_on_few_connectors(hogs, day, data) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    # issue 16 must-show "identical output under a CPU hog" on the path the other hog tests never take: the check
    # against the depot charging plan, its repairs, and the passes from what it kept (work limits, no clock)
    blocks, vehicles, readings, connectors = day
    moved = dict(readings)
    for vid in data.draw(st.lists(st.sampled_from(sorted(readings)), min_size=1, max_size=3, unique=True)):
        moved[vid] = replace(readings[vid], soc_pct=min(100.0, max(0.0, readings[vid].soc_pct
                                                                    + data.draw(st.integers(-40, 15)))))

    def both() -> tuple[list[object], list[object]]:
        first = Recommender(judge_of(vehicles, readings, connectors), blocks, {}).solve()
        again = Recommender(judge_of(vehicles, moved, connectors), blocks, {}, plan_of(first)).solve()
        return full_answer(first), full_answer(again)

    quiet = both()
    hogs(True)
    try:
        busy = both()
    finally:
        hogs(False)
    assert busy == quiet
