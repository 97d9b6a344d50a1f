"""The status and horizon contracts (DESIGN §3, §4) as properties."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from depotdispatch.domain.depots import Depot
from depotdispatch.domain.horizon import horizon, on_board
from depotdispatch.domain.status import STATUSES, block_status
from tests.builders import T0, block

minutes = st.integers(-3000, 3000)


@st.composite
def blocks(draw):
    start = T0 + timedelta(minutes=draw(minutes))
    b = block(start=start, hours=draw(st.floats(0.25, 20)))
    actual_start = draw(st.one_of(st.none(), st.integers(-60, 60)))
    kw = {}
    if actual_start is not None:
        kw["actual_start"] = start + timedelta(minutes=actual_start)
        if draw(st.booleans()):
            kw["actual_end"] = kw["actual_start"] + timedelta(minutes=draw(st.integers(1, 1200)))
    if draw(st.integers(0, 9)) == 0:
        kw["cancelled_at"] = T0
    from dataclasses import replace

    return replace(b, **kw)


@given(blocks(), minutes)
def test_status_is_total_exclusive_and_deterministic(b, offset) -> None:
    now = T0 + timedelta(minutes=offset)
    end = now + timedelta(hours=24)
    state = block_status(b, now, end)
    assert state.status in STATUSES
    assert block_status(b, now, end) == state
    if b.cancelled_at is not None:
        assert state.status == "cancelled"
    started = (b.actual_start or b.pull_out) <= now
    if state.status in ("upcoming", "later"):
        assert not started and state.actionable
    if state.status in ("in_service", "completed", "cancelled"):
        assert not state.actionable
    if b.actual_end is not None and b.actual_end <= now and b.cancelled_at is None:
        assert state.status == "completed" and not state.assumed


@given(blocks(), minutes, st.integers(0, 600), st.integers(1, 3000))
def test_horizon_membership_is_interval_intersection(b, offset, back, ahead) -> None:
    depot = Depot("D", "D", "UTC", lookback_min=back, lookahead_min=ahead)
    now = T0 + timedelta(minutes=offset)
    w = horizon(depot, now)
    assert w.start == now - timedelta(minutes=back) and w.end == now + timedelta(minutes=ahead)
    start = b.actual_start or b.pull_out
    end = b.actual_end or start + (b.pull_in - b.pull_out)
    assert on_board(b, w) == (start <= w.end and end >= w.start)


@given(blocks(), minutes)
def test_a_block_on_the_board_is_never_later(b, offset) -> None:
    depot = Depot("D", "D", "UTC")
    now = T0 + timedelta(minutes=offset)
    w = horizon(depot, now)
    if on_board(b, w):
        assert block_status(b, now, w.end).status != "later"


@given(st.lists(blocks(), min_size=1, max_size=6), minutes, st.integers(0, 100))
def test_started_and_finished_work_never_shows_plan_time_warnings(bs, offset, soc) -> None:
    from dataclasses import replace as copy

    from depotdispatch.domain.assessment import FleetJudge
    from depotdispatch.domain.plan import Assignment
    from depotdispatch.domain.readings import SocReading
    from depotdispatch.services.board import DayContext, board_rows
    from tests.builders import EV, vehicle

    bs = [copy(b, block_id=f"B{i}", pk=i + 1) for i, b in enumerate(bs)]
    now = T0 + timedelta(minutes=offset)
    depot = Depot("D", "D", "UTC")
    judge = FleetJudge(depot, {"XE40": EV}, [vehicle("E1")], {"E1": SocReading("E1", soc, T0, "manual")}, now)
    assignments = {b.pk: Assignment(b.block_id, "E1", block_pk=b.pk) for b in bs}
    ctx = DayContext(depot, bs, assignments, judge, {"E1": bs})
    for row in board_rows(ctx, horizon(depot, now), now, include_later=True):
        if row.state.status in ("in_service", "completed", "cancelled"):
            assert row.viability is None and row.candidate is None
        else:
            assert row.viability is not None  # upcoming work is judged, warnings and all


@given(blocks(), minutes)
def test_out_on_a_block_means_inside_its_running_span_and_the_status_agrees(b, offset) -> None:
    """The one rule the yard, readiness and the charging plan ask (G14-0): out on a block is exactly its
    in_service status, and a started, not cancelled block is out from its actual start to its running end."""
    from depotdispatch.domain.status import out_on, running_span, still_to_run

    now = T0 + timedelta(minutes=offset)
    status = block_status(b, now, now).status
    start, end = running_span(b)
    assert out_on(b, now) == (status == "in_service")
    assert still_to_run(b, now) == (status in ("upcoming", "later"))
    if b.cancelled_at is None:
        assert out_on(b, now) == (start <= now < end)
        assert still_to_run(b, now) == (now < start)


def test_a_recorded_return_or_early_start_wins_over_the_plan() -> None:
    from dataclasses import replace

    from depotdispatch.domain.status import out_on, running_span, still_to_run

    planned = block(start=T0, hours=4)  # planned T0 to T0 + 4 h
    back_early = replace(planned, actual_start=T0, actual_end=T0 + timedelta(hours=2))
    assert running_span(back_early) == (T0, T0 + timedelta(hours=2))
    assert out_on(planned, T0 + timedelta(hours=3)) and not out_on(back_early, T0 + timedelta(hours=3))
    early = replace(planned, actual_start=T0 - timedelta(minutes=40))
    assert running_span(early) == (T0 - timedelta(minutes=40), T0 + timedelta(hours=3, minutes=20))
    assert out_on(early, T0 - timedelta(minutes=10)) and not still_to_run(early, T0 - timedelta(minutes=10))
    assert still_to_run(planned, T0 - timedelta(minutes=10))
