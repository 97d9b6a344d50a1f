"""The depot charging plan and the plug-in order on constructed nights with known answers, and the plan
against an exact MIP on 200 random small nights (buses ready at pull-out)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix

from depotdispatch.domain.charging import ChargingCurve
from depotdispatch.domain.charging_plan import Bus, Charger, Work, YardRules, plan_charging
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.plug_in import plug_in_order
from depotdispatch.domain.readiness import PriorWork, readiness_at
from depotdispatch.domain.readings import SocReading

TZ = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 11, 24, 22, 0, tzinfo=TZ)  # 22:00 local


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def flat(kw: float) -> tuple[tuple[float, float], ...]:
    return ((0.0, kw), (1.0, kw))


def bus(vid: str, soc: float, out_h: float, need_kwh: float, *, usable: float = 100, kw: float = 60,
        since_h: float = 0, use_kwh: float | None = None, **kw_args) -> Bus:
    work = (Work(f"B-{vid}", at(out_h), at(out_h + 3), use_kwh if use_kwh is not None else need_kwh - 20, need_kwh),)
    return Bus(vid, usable, kw, soc, at(since_h), True, work, flat(kw), 1.0, **kw_args)


def test_fewer_connectors_than_buses_earliest_pull_out_charges_first() -> None:
    buses = [bus("A", 20, 7, 80), bus("B", 20, 8, 80), bus("C", 20, 6, 80)]  # out 05:00, 06:00, 04:00
    plan = plan_charging(buses, [Charger("C1", 150, 1)], YardRules(), at(9))
    first = {v: plan.sessions_of(v)[0] for v in "ABC"}
    # 60 kWh each at 60 kW: one hour each, in pull-out order C, A, B
    assert [(first[v].start, first[v].end) for v in "CA"] == [(at(0), at(1)), (at(1), at(2))]
    assert first["B"].start == at(2)
    assert all(s.charger_id == "C1" for s in plan.sessions)
    # never two buses on the one connector at once
    spans = sorted((s.start, s.end) for s in plan.sessions)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    assert plan.ready_count() == 3
    assert plan.pull_outs[("C", "B-C")].soc_pct >= 80


def test_a_bus_that_has_what_it_needs_gives_up_its_connector() -> None:
    # A is plugged in and already has enough; B, due out sooner than A is, lacks 60 kWh
    a = bus("A", 90, 8, 80, connected_to="C1")
    b = bus("B", 20, 1.5, 80)
    plan = plan_charging([a, b], [Charger("C1", 150, 1)], YardRules(), at(9))
    assert plan.sessions_of("B")[0].start == at(0) and plan.pull_outs[("B", "B-B")].ready
    assert plan.pull_outs[("A", "B-A")].ready


def test_site_power_cap_shares_power_by_priority() -> None:
    buses = [bus("A", 0, 3, 50, usable=200, kw=100), bus("B", 0, 5, 50, usable=200, kw=100)]
    # two 100 kW chargers, 100 kW for the whole site: A (out first) takes it all until it has its 100 kWh... ->
    # it needs 50 kWh: half an hour, then B gets the power
    capped = plan_charging(buses, [Charger("C1", 100), Charger("C2", 100)], YardRules(site_cap_kw=100), at(6))
    a0, b0 = capped.sessions_of("A")[0], capped.sessions_of("B")[0]
    assert (a0.start, a0.end, a0.kw) == (at(0), at(0.5), 100)
    assert b0.start == at(0.5) and b0.kw == 100
    for t in np.arange(0, 6, 0.25):  # the site never draws more than its cap
        live = [s for s in capped.sessions if s.start <= at(t) < s.end]
        assert sum(s.kw for s in live) <= 100 + 1e-6
    free = plan_charging(buses, [Charger("C1", 100), Charger("C2", 100)], YardRules(), at(6))
    assert free.sessions_of("B")[0].start == at(0)
    # one 100 kW charger with two connectors: they share its 100 kW the same way
    shared = plan_charging(buses, [Charger("C1", 100, 2)], YardRules(), at(6))
    assert shared.sessions_of("A")[0].kw == 100 and shared.sessions_of("B")[0].start == at(0.5)


def test_a_bus_that_cannot_be_ready_is_flagged_and_the_rest_ordered() -> None:
    late = bus("L", 10, 1, 90)  # out 23:00, 80 kWh short, 1 h at 60 kW gives 60
    soon = bus("S", 30, 2, 80)  # out 00:00, needs 50 kWh
    fine = bus("F", 95, 3, 80)  # has what it needs: not in the order
    chargers = [Charger("C1", 150, 1)]
    rules = YardRules()
    plan = plan_charging([late, soon, fine], chargers, rules, at(6))
    assert not plan.pull_outs[("L", "B-L")].ready
    order = plug_in_order(plan, [late, soon, fine], chargers, rules, at(0), TZ)
    # the bus that can still be ready goes first; the one that cannot is flagged, to be swapped early
    assert [e.vehicle_id for e in order] == ["S", "L"]
    s, lt = order
    assert lt.not_ready_in_time and not s.not_ready_in_time
    assert s.charger_id == "C1" and s.plug_in_at == at(0) and s.needs_pct == 50
    # out after midnight (it is 22:00): the sentence says the day, never a bare 00:00 read as today's
    assert s.reason == "S: out at Wed 25 Nov 00:00 on B-S, needs 50 % more, 50 min at 60 kW; plug in now on C1"
    assert lt.needs_pct == 80 and "cannot be ready" in lt.reason and "by 23:00" in lt.reason and "70 %" in lt.reason
    # L gets the connector when S has what it needs (50 min), local time in the sentence
    assert lt.plug_in_at == at(50 / 60) and "plug in at 22:50 on C1" in lt.reason
    assert plan.pull_outs[("S", "B-S")].ready


def test_a_bus_the_plan_leaves_short_says_so_though_it_could_be_ready_alone() -> None:
    """One connector, A out at 23:00 and B at 23:30, each 60 kWh short (1 h at 60 kW): B could be ready if
    plugged in now alone, so it is not `not_ready_in_time`, but the plan gives it the connector only at 23:00
    and it leaves with 50 % of the 80 % it needs. Its entry says so (it read like a bus that will be fine)."""
    a, b = bus("A", 20, 1, 80), bus("B", 20, 1.5, 80)
    chargers, rules = [Charger("C1", 150, 1)], YardRules()
    plan = plan_charging([a, b], chargers, rules, at(6))
    assert plan.pull_outs[("A", "B-A")].ready and not plan.pull_outs[("B", "B-B")].ready
    first, second = plug_in_order(plan, [a, b], chargers, rules, at(0), TZ)
    assert (first.vehicle_id, first.short_on_plan, first.not_ready_in_time) == ("A", False, False)
    assert (second.vehicle_id, second.short_on_plan, second.not_ready_in_time) == ("B", True, False)
    assert "plug in at 23:00 on C1" in second.reason
    assert second.reason.endswith("; on the depot's charging plan it has only 50 % by then against 80 % needed: "
                                  "swap it early or free a connector")
    assert "charging plan" not in first.reason and second.as_dict()["short_on_plan"] is True
    # a second connector: both ready, neither flagged
    two = [Charger("C1", 150, 2)]
    both = plug_in_order(plan_charging([a, b], two, rules, at(6)), [a, b], two, rules, at(0), TZ)
    assert [(e.vehicle_id, e.short_on_plan) for e in both] == [("A", False), ("B", False)]


def test_under_a_site_cap_the_plug_in_order_says_the_capped_power() -> None:
    """Two 150 kW chargers under a site cap: the sentence's time and power are the cap's, and the bus the cap
    leaves short is flagged as short on the plan."""
    a, b = bus("A", 0, 1.5, 50, usable=200, kw=150), bus("B", 0, 1.5, 50, usable=200, kw=150)  # both out 23:30
    chargers, rules = [Charger("C1", 150), Charger("C2", 150)], YardRules(site_cap_kw=100)
    plan = plan_charging([a, b], chargers, rules, at(6))
    first, second = plug_in_order(plan, [a, b], chargers, rules, at(0), TZ)
    # 50 kWh at 100 kW: 30 min each; A first (same pull-out and laxity: by name), then B: both ready
    assert first.reason == "A: out at 23:30 on B-A, needs 25 % more, 30 min at 100 kW; plug in now on C1"
    assert second.vehicle_id == "B" and not second.short_on_plan and "30 min at 100 kW" in second.reason
    # 60 kW for the site: 50 min each, 90 min to go: one of them can be ready, not both. Laxity is judged at
    # the power the site can give: at the chargers' 150 kW the two tied buses took the power in turns (each
    # 5-minute step the other had less laxity) and both came out short (22.5 % of 25 %)
    tight = YardRules(site_cap_kw=60)
    plan = plan_charging([a, b], chargers, tight, at(6))
    assert plan.pull_outs[("A", "B-A")].ready and not plan.pull_outs[("B", "B-B")].ready
    assert plan.ready_count() == 1
    entries = plug_in_order(plan, [a, b], chargers, tight, at(0), TZ)
    assert [(e.vehicle_id, e.not_ready_in_time, e.short_on_plan) for e in entries] == [
        ("A", False, False), ("B", False, True)]
    assert "50 min at 60 kW" in entries[1].reason


def test_on_a_free_connector_a_bus_is_plugged_in_now_though_the_power_goes_first_to_another() -> None:
    """One 150 kW charger with two connectors, two buses out at 23:30 each 50 kWh short: the second connector is
    free at 22:00, so both are plugged in now; the charger's kW goes by priority, and the entry says when the
    second one draws (it said 'plug in at 22:05 on C1, when a connector comes free', with a connector free)."""
    a, b = bus("A", 0, 1.5, 50, usable=200, kw=150), bus("B", 0, 1.5, 50, usable=200, kw=150)
    chargers, rules = [Charger("C1", 150, 2)], YardRules()
    plan = plan_charging([a, b], chargers, rules, at(6))
    assert plan.ready_count() == 2
    assert [(p.vehicle_id, p.charger_id, p.at) for p in plan.plugs if p.at < at(1)] == [
        ("A", "C1", at(0)), ("B", "C1", at(0))]
    first, second = plug_in_order(plan, [a, b], chargers, rules, at(0), TZ)
    assert first.reason == "A: out at 23:30 on B-A, needs 25 % more, 20 min at 150 kW; plug in now on C1"
    assert second.plug_in_at == at(0) and second.charger_id == "C1"
    assert second.reason == ("B: out at 23:30 on B-B, needs 25 % more, 20 min at 150 kW; plug in now on C1; it "
                             "charges from 22:05, when the power goes to it (buses ranked before it draw first)")


def test_allowances_and_minimum_dwell_shorten_the_charging_window() -> None:
    out, back = timedelta(minutes=20), timedelta(minutes=10)  # each block's, as Depot.allowances gives them
    b = Bus("A", 100, 60, 20, at(0), True,
            (Work("W1", at(1), at(2), 30, 40, out, back), Work("W2", at(2.5), at(4), 30, 40, out, back),
             Work("W3", at(5), at(6), 10, 20, out, back)),
            flat(60), 1.0)
    rules = YardRules(min_dwell=timedelta(minutes=30))
    plan = plan_charging([b], [Charger("C1", 150)], rules, at(8))
    # before W1: 40 min (out at 22:40 for a 23:00 start) -> +40 kWh
    assert plan.pull_outs[("A", "W1")].soc_pct == pytest.approx(60)
    # between W1 and W2: 30 min less 30 min of allowances: no charging
    assert plan.pull_outs[("A", "W2")].soc_pct == pytest.approx(30)
    # between W2 and W3: 60 min less 30 = 30 min, exactly the minimum dwell -> +30 kWh
    assert plan.pull_outs[("A", "W3")].soc_pct == pytest.approx(30)
    assert plan.pull_outs[("A", "W3")].charged_kwh == pytest.approx(30)


def test_as_many_chargers_as_buses_equals_unlimited_readiness() -> None:
    """No allowances, no cap, a connector each: every bus gets exactly today's readiness projection."""
    pts = ((0.0, 150.0), (0.8, 150.0), (1.0, 30.0))
    buses = []
    rng = random.Random(3)
    for i in range(6):
        work = []
        t = rng.uniform(0.5, 3)
        for k in range(3):
            d = rng.uniform(1, 3)
            work.append(Work(f"W{i}-{k}", at(t), at(t + d), rng.uniform(40, 150), 0.0))
            t += d + rng.uniform(0.3, 2)
        buses.append(Bus(f"E{i}", 350, 150, rng.uniform(10, 90), at(rng.uniform(-1, 0)), True, tuple(work), pts, 0.95))
    plan = plan_charging(buses, [Charger(f"C{i}", 150) for i in range(6)], YardRules(), at(20))
    for b in buses:
        curve = ChargingCurve(350, pts, charger_kw=150, efficiency=0.95)
        reading = SocReading(b.vehicle_id, b.soc_pct, b.since, "telematics", plugged_in=True)
        for k, w in enumerate(b.work):
            prior = [PriorWork(p.block_id, p.pull_out, p.pull_in, p.use_kwh) for p in b.work[:k]]
            want = readiness_at(w.pull_out, at(0), reading, 350, curve, prior).soc_pct
            assert plan.pull_outs[(b.vehicle_id, w.block_id)].soc_pct == pytest.approx(want, abs=0.02)


def test_bad_chargers_are_refused() -> None:
    for args in (("", 50, 1), ("C", 0, 1), ("C", float("nan"), 1), ("C", 50, 0), ("C", 1e9, 1)):
        with pytest.raises(InvalidInput):
            Charger(*args)
    with pytest.raises(InvalidInput, match="positive step"):
        plan_charging([bus("A", 20, 3, 50)], [Charger("C", 50)], YardRules(step=timedelta(0)), at(4))


# --- the exact optimum on small nights ---------------------------------------------------------------

STEP_H = 0.25


def random_night(rng: random.Random) -> tuple[list[Bus], list[Charger], YardRules]:
    n = rng.randint(3, 6)
    chargers = [Charger(f"C{i}", 150) for i in range(rng.randint(1, 3))]
    cap = rng.choice([None, None, 150.0, 200.0])
    buses = []
    for i in range(n):
        a = rng.randint(0, 12)
        d = rng.randint(a + 4, 32)
        kw = rng.choice([50.0, 100.0, 150.0])
        soc = rng.uniform(5, 60)
        need = min(rng.uniform(soc + 10, 100), 100) * 2  # usable 200 kWh
        work = (Work(f"W{i}", at(d * STEP_H), at(d * STEP_H + 2), need / 2, need),)
        buses.append(Bus(f"E{i}", 200, kw, soc, at(a * STEP_H), True, work, flat(kw), 1.0))
    return buses, chargers, YardRules(site_cap_kw=cap, step=timedelta(hours=STEP_H))


def mip_ready(buses: list[Bus], chargers: list[Charger], rules: YardRules) -> int:
    """Max buses ready at pull-out: x[v,t] on a connector, p[v,t] kW, y[v] ready (preemption allowed)."""
    steps = 32
    n = len(buses)
    nx = n * steps
    nvar = 2 * nx + n
    xi = lambda v, t: v * steps + t  # noqa: E731
    pi = lambda v, t: nx + v * steps + t  # noqa: E731
    rows: list[tuple[dict[int, float], float, float]] = []
    ub = np.ones(nvar)
    kw_best = max(c.max_kw for c in chargers)
    for v, b in enumerate(buses):
        a = round((b.since - T0).total_seconds() / 3600 / STEP_H)
        d = round((b.work[0].pull_out - T0).total_seconds() / 3600 / STEP_H)
        for t in range(steps):
            inside = a <= t < d
            ub[xi(v, t)] = 1 if inside else 0
            ub[pi(v, t)] = min(b.charge_kw, kw_best) if inside else 0
            rows.append(({pi(v, t): 1, xi(v, t): -min(b.charge_kw, kw_best)}, -np.inf, 0))
        e0 = b.usable_kwh * b.soc_pct / 100
        energy = {pi(v, t): STEP_H for t in range(steps)}
        rows.append((dict(energy), -np.inf, b.usable_kwh - e0))
        rows.append(({**energy, 2 * nx + v: -(b.work[0].need_kwh - e0)}, 0, np.inf))
    for t in range(steps):
        rows.append(({xi(v, t): 1 for v in range(n)}, 0, len(chargers)))
        if rules.site_cap_kw is not None:
            rows.append(({pi(v, t): 1 for v in range(n)}, 0, rules.site_cap_kw))
    A = lil_matrix((len(rows), nvar))
    for r, (coefs, _, _) in enumerate(rows):
        for j, c in coefs.items():
            A[r, j] = c
    c = np.zeros(nvar)
    c[2 * nx:] = -1
    integrality = np.zeros(nvar)
    integrality[:nx] = 1
    integrality[2 * nx:] = 1
    res = milp(c, constraints=LinearConstraint(A.tocsr(), [r[1] for r in rows], [r[2] for r in rows]),
               integrality=integrality, bounds=Bounds(np.zeros(nvar), ub))
    assert res.status == 0
    return round(-res.fun)


def test_plan_against_the_mip_optimum_on_200_random_nights() -> None:
    rng = random.Random(20261201)
    gaps = []
    for _ in range(200):
        buses, chargers, rules = random_night(rng)
        got = plan_charging(buses, chargers, rules, at(8)).ready_count()
        best = mip_ready(buses, chargers, rules)
        assert got <= best  # the MIP is exact: the plan can never beat it
        gaps.append(best - got)
    # the rule is a heuristic; measured on these nights: optimal on most, never more than one bus short
    assert sum(g == 0 for g in gaps) >= 175, gaps
    assert max(gaps) <= 1, gaps


# --- shared chargers and binding site caps ------------------------------------------------------------
# The nights above have 150 kW single-connector chargers and caps (150/200 kW) that never bind below one
# charger's kW: nothing there shares a charger's power between connectors or holds buses under a cap
# (AUDIT A14-5). These do, against a MIP that assigns buses to chargers.

def shared_night(rng: random.Random) -> tuple[list[Bus], list[Charger], YardRules]:
    chargers = [Charger(f"C{i}", rng.choice([100.0, 150.0, 250.0]), rng.randint(1, 3))
                for i in range(rng.randint(1, 2))]
    cap = rng.choice([None, 60.0, 100.0, 150.0, 200.0])
    buses = []
    for i in range(rng.randint(3, 6)):
        a = rng.randint(0, 12)
        d = rng.randint(a + 4, 32)
        kw = rng.choice([50.0, 100.0, 150.0])
        soc = rng.uniform(5, 60)
        need = min(rng.uniform(soc + 10, 100), 100) * 2  # usable 200 kWh
        work = (Work(f"W{i}", at(d * STEP_H), at(d * STEP_H + 2), need / 2, need),)
        buses.append(Bus(f"E{i}", 200, kw, soc, at(a * STEP_H), True, work, flat(kw), 1.0))
    return buses, chargers, YardRules(site_cap_kw=cap, step=timedelta(hours=STEP_H))


def mip_ready_shared(buses: list[Bus], chargers: list[Charger], rules: YardRules) -> int:
    """Max buses ready: x[v,c,t] bus v on a connector of charger c, p[v,c,t] its kW (at most its own and the
    charger's), a charger's connectors and kW shared by its buses, the site cap over all; preemption and
    moving between chargers allowed, so it bounds any plan from above."""
    steps, n, m = 32, len(buses), len(chargers)
    nx = n * m * steps
    xi = lambda v, c, t: (v * m + c) * steps + t  # noqa: E731
    pi = lambda v, c, t: nx + xi(v, c, t)  # noqa: E731
    nvar = 2 * nx + n
    ub = np.ones(nvar)
    rows: list[tuple[dict[int, float], float, float]] = []
    for v, b in enumerate(buses):
        a = round((b.since - T0).total_seconds() / 3600 / STEP_H)
        d = round((b.work[0].pull_out - T0).total_seconds() / 3600 / STEP_H)
        for t in range(steps):
            inside = a <= t < d
            rows.append(({xi(v, c, t): 1 for c in range(m)}, 0, 1))  # one connector at a time
            for c, ch in enumerate(chargers):
                kw = min(b.charge_kw, ch.max_kw)
                ub[xi(v, c, t)] = 1 if inside else 0
                ub[pi(v, c, t)] = kw if inside else 0
                rows.append(({pi(v, c, t): 1, xi(v, c, t): -kw}, -np.inf, 0))
        e0 = b.usable_kwh * b.soc_pct / 100
        energy = {pi(v, c, t): STEP_H for c in range(m) for t in range(steps)}
        rows.append((dict(energy), -np.inf, b.usable_kwh - e0))
        rows.append(({**energy, 2 * nx + v: -(b.work[0].need_kwh - e0)}, 0, np.inf))
    for t in range(steps):
        for c, ch in enumerate(chargers):
            rows.append(({xi(v, c, t): 1 for v in range(n)}, 0, ch.connectors))
            rows.append(({pi(v, c, t): 1 for v in range(n)}, 0, ch.max_kw))
        if rules.site_cap_kw is not None:
            rows.append(({pi(v, c, t): 1 for v in range(n) for c in range(m)}, 0, rules.site_cap_kw))
    A = lil_matrix((len(rows), nvar))
    for r, (coefs, _, _) in enumerate(rows):
        for j, x in coefs.items():
            A[r, j] = x
    cost = np.zeros(nvar)
    cost[2 * nx:] = -1
    integrality = np.zeros(nvar)
    integrality[:nx] = 1
    integrality[2 * nx:] = 1
    res = milp(cost, constraints=LinearConstraint(A.tocsr(), [r[1] for r in rows], [r[2] for r in rows]),
               integrality=integrality, bounds=Bounds(np.zeros(nvar), ub))
    assert res.status == 0
    return round(-res.fun)


@pytest.mark.slow  # 100 MIPs of up to 1,200 variables: ~5 s of CPU
def test_plan_against_the_mip_on_100_nights_with_shared_chargers_and_binding_caps() -> None:
    rng = random.Random(1)
    gaps = []
    for _ in range(100):
        buses, chargers, rules = shared_night(rng)
        got = plan_charging(buses, chargers, rules, at(8)).ready_count()
        best = mip_ready_shared(buses, chargers, rules)
        assert got <= best
        gaps.append(best - got)
    # measured on these nights: optimal on 91, never more than one bus short (with the laxity at the chargers'
    # kW instead of the site's, 87 and two buses short on one night)
    assert sum(g == 0 for g in gaps) >= 89, gaps
    assert max(gaps) <= 1, gaps

def test_a_bus_whose_block_needs_more_than_a_full_battery_is_told_so() -> None:
    # a replay (U-M, 2022-02-09): "cannot be ready: reaches 100 % by 08:30 at best against 106 % needed"
    over = bus("O", 88, 4, 106)  # needs 106 kWh of a 100 kWh battery
    chargers = [Charger("C1", 150, 1)]
    plan = plan_charging([over], chargers, YardRules(), at(6))
    (entry,) = plug_in_order(plan, [over], chargers, YardRules(), at(0), TZ)
    assert entry.not_ready_in_time
    assert entry.reason.startswith("O: out at Wed 25 Nov 02:00 on B-O, needs 18 % more; cannot be ready: its "
                                   "block needs 106 % of the battery, more than a full charge; swap it early"), \
        entry.reason
    assert "reaches 100 %" not in entry.reason
