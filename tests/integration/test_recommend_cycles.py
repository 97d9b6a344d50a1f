"""The recommendation and the re-plan solve with the cycle collector paused (services/cycles.py: its passes
found nothing in a solve and cost 4-8 ms of ~100, a full pass 40-60 ms), and it is on again after."""

from __future__ import annotations

import gc

import pytest

from depotdispatch.domain.recommend import Recommender
from depotdispatch.domain.recommendation import Recommendation
from depotdispatch.services import recommendations, replan
from tests.integration.test_plan import DAY, NOW, day  # noqa: F401  (the day fixture)


def test_the_solve_runs_with_the_collector_paused(app, day, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    solve = Recommender.solve
    during: list[bool] = []

    def watched(self: Recommender) -> Recommendation:  # the real solve, its collector state noted
        during.append(gc.isenabled())
        return solve(self)

    monkeypatch.setattr(Recommender, "solve", watched)
    assert gc.isenabled()
    rec = recommendations.recommend(app.uow(), "V", DAY, NOW)
    assert rec.recommendation.proposals and gc.isenabled()
    replan.replan(app.uow(), "V", DAY, NOW)
    assert during == [False, False] and gc.isenabled()
