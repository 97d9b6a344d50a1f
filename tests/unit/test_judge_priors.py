"""FleetJudge keeps each earlier block's PriorWork per vehicle (every judgement of a chain asks them again), and
a copy of the judge at another moment or with other readings works them out afresh."""

from __future__ import annotations

from datetime import timedelta

import pytest

from depotdispatch.domain import assessment
from depotdispatch.domain.assessment import FleetJudge
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.readings import SocReading
from tests.builders import EV, T0, block, vehicle

H = timedelta(hours=1)


def test_an_earlier_block_is_worked_out_once_per_vehicle_and_afresh_in_a_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[str] = []
    real = assessment.PriorWork

    def counted(block_id: str, *args: object) -> object:
        made.append(block_id)
        return real(block_id, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(assessment, "PriorWork", counted)
    b1, b2, b3 = block("B1", start=T0, hours=3, km=60), block("B2", start=T0 + 5 * H, hours=2, km=40), \
        block("B3", start=T0 + 6 * H, hours=2, km=40)
    judge = FleetJudge(Depot("X", "X", "UTC"), {EV.name: EV}, [vehicle("E1")],
                       {"E1": SocReading("E1", 90, T0 - H, "telematics")}, T0 - H, plan={"E1": [b1]})
    first, second = judge.judge("E1", b2, [b1, b2]), judge.judge("E1", b3, [b1, b3])
    assert made == ["B1"] and first.readiness and second.readiness
    assert first.readiness.prior_kwh == second.readiness.prior_kwh > 0
    # read during B1 (which the plan gives it): a copy at that moment spends only B1's rest before B2
    later = judge.at_moment(T0 + 2 * H)
    later.readings["E1"] = SocReading("E1", 50, T0 + 2 * H, "telematics")
    rest = later.judge("E1", b2, [b1, b2])
    assert made == ["B1", "B1"] and rest.readiness and rest.readiness.prior_kwh < first.readiness.prior_kwh
