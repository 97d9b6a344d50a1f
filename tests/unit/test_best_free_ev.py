"""The explanation's "best free EV": judged in full only where `soc_bound.end_soc_bound` says it could be
the best, with the same sentence as judging every candidate. The bound is never below the judged end SoC:
on random days with and without chargers, allowances, a minimum dwell, a site cap and yard plug marks."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from depotdispatch.domain import explain
from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.charging_plan import Charger
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.explain import why_no_ev
from depotdispatch.domain.fleet import Vehicle, VehicleType
from depotdispatch.domain.readiness import PlugMark
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.soc_bound import end_soc_bound
from tests.builders import T0, block

H = timedelta(hours=1)
EV = VehicleType("E", "bev", usable_kwh=300, kwh_per_km=1.3, charge_kw=150)


def random_day(rng: random.Random, chargers: bool) -> tuple[FleetJudge, list, dict]:  # type: ignore[type-arg]
    """EVs with chains of 0-3 blocks (some timed by their trips), readings (some plugged in, some during a block,
    some old) and, with `chargers`, fewer connectors than buses, allowances, a dwell, a cap and yard marks;
    `blocks`: candidates to explain, between and after the chains."""
    n = rng.randint(3, 8)
    vehicles = [Vehicle(f"E{i}", "X", "E") for i in range(n)]
    chains, readings, plugs = {}, {}, {}
    for v in vehicles:
        t, bs = T0 + rng.uniform(-3, 2) * H, []
        for k in range(rng.randint(0, 3)):
            hours = rng.uniform(1, 4)
            bs.append(block(f"{v.vehicle_id}-{k}", start=t, hours=hours, km=rng.uniform(10, 90),
                            trip_ids=("t",) if rng.random() < 0.5 else ()))
            t += (hours + rng.uniform(0.2, 3)) * H
        chains[v.vehicle_id] = bs
        at = T0 - rng.uniform(0, 8) * H
        readings[v.vehicle_id] = SocReading(v.vehicle_id, rng.uniform(5, 100), at, "telematics",
                                            plugged_in=rng.choice([True, False, None]))
        if chargers and rng.random() < 0.3:
            plugs[v.vehicle_id] = [PlugMark(at + rng.uniform(0, 2) * H, rng.random() < 0.7, "C0")]
    settings = {"pull_out_allowance_min": rng.choice([0, 10]), "pull_in_allowance_min": rng.choice([0, 15]),
                "min_dwell_min": rng.choice([0, 30]), "site_cap_kw": rng.choice([None, 200.0])} if chargers else {}
    depot = Depot("X", "X", "UTC", reserve_pct=20, marginal_band_pct=10, **settings)  # type: ignore[arg-type]
    judge = FleetJudge(depot, {"E": EV}, vehicles, readings, T0, plan=chains, plugs=plugs,
                       chargers=[Charger(f"C{i}", 150, 1) for i in range(max(n // 3, 1))] if chargers else None)
    blocks = [block(f"X{k}", start=T0 + rng.uniform(-2, 14) * H, hours=rng.uniform(0.5, 5), km=rng.uniform(5, 150))
              for k in range(6)]
    return judge, blocks, chains


@pytest.mark.parametrize("chargers", [False, True])
def test_the_bound_is_never_below_the_judged_end_soc(chargers: bool) -> None:
    rng = random.Random(7 + chargers)
    bounded = 0
    for _ in range(40):
        judge, blocks, chains = random_day(rng, chargers)
        for b in blocks + [x for bs in chains.values() for x in bs]:
            for vid, chain in chains.items():
                mine = [x for x in chain if x.block_id != b.block_id] + [b]
                end, bound = judge.judge(vid, b, mine).end_soc_pct, end_soc_bound(judge, vid, b, mine)
                if end is not None and bound is not None:
                    assert bound >= end, (vid, b.block_id)
                    bounded += 1
    assert bounded > 300  # most pairs have a bound


def test_the_best_free_ev_is_the_same_with_fewer_judgements(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(3)
    real = FleetJudge.judge
    judged: list[str] = []

    def counted(self: FleetJudge, *args, **kwargs):  # type: ignore[no-untyped-def]
        judged.append(args[0])
        return real(self, *args, **kwargs)

    monkeypatch.setattr(FleetJudge, "judge", counted)
    pruned = every = 0
    for chargers in (False, True) * 15:
        judge, blocks, chains = random_day(rng, chargers)
        for b in blocks:
            judged.clear()
            text = why_no_ev(judge, b, chains, list(judge.vehicles), lambda vid: None)
            pruned += len(judged)
            with monkeypatch.context() as m:  # no bound: every free EV judged, as before
                m.setattr(explain, "end_soc_bound", lambda *a: None)
                judged.clear()
                assert why_no_ev(judge, b, chains, list(judge.vehicles), lambda vid: None) == text
                every += len(judged)
    assert pruned < every / 2, (pruned, every)
