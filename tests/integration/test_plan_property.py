"""Property (issue 10, must show): for any plan reachable through assign, accept, sheet apply and ad-hoc
changes, no vehicle holds two overlapping blocks. Real feed (UMich 2022), both databases; the state
carries over from one example to the next, so later examples start from plans reached before."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from depotdispatch.adapters.clock import Clock
from depotdispatch.adapters.gtfs import read_gtfs
from depotdispatch.bootstrap import App
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.errors import DomainError
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.reconcile import SheetRow
from depotdispatch.services import adhoc, days, depots, fleet, readings, recommendations, schedules, sheets
from depotdispatch.services import plan as plan_svc
from tests.helpers import override, shared

DAY = date(2022, 1, 5)
NOW = datetime.fromisoformat("2022-01-04T22:00:00-05:00")
# the morning rush: blocks that overlap each other in many ways
BLOCKS = ["14703", "13503", "703", "803", "903", "203", "303", "15203", "403", "5503", "3803", "5703", "4303",
          "13903", "X1", "X2"]
VEHICLES = ["E1", "E2", "E3", "D1", "D2"]
EV = VehicleType("XE", "bev", usable_kwh=500, kwh_per_km=1.2, charge_kw=150)
DSL = VehicleType("D", "diesel")

_made: dict[str, App] = {}


def app_for(db_url: str) -> App:
    if db_url not in _made:
        app = App(database_url=db_url, clock=Clock(NOW))
        depots.add_depot(app.uow(), Depot("UM", "UMich", "America/Detroit"), NOW)
        schedules.import_gtfs(app.uow(), "UM", read_gtfs(shared("gtfs", "umich_ann_arbor_2022.zip")), NOW)
        days.setup_day(app.uow(), "UM", DAY, NOW)
        fleet.import_fleet(app.uow(), "UM", [FleetEntry(i, v, EV if v.startswith("E") else DSL)
                                             for i, v in enumerate(VEHICLES)])
        readings.add_readings(app.uow(), [(i, SocReading(v, 90, NOW - timedelta(minutes=30), "telematics",
                                                         plugged_in=True))
                                          for i, v in enumerate(VEHICLES) if v.startswith("E")], NOW)
        for bid, start in (("X1", "08:00"), ("X2", "12:00")):
            at = datetime.fromisoformat(f"2022-01-05T{start}:00-05:00")
            adhoc.create_adhoc(app.uow(), "UM", DAY, adhoc.AdhocSpec(bid, "extra_service", at, at + timedelta(hours=2),
                                                                     20.0), actor="t", now=NOW)
        _made[db_url] = app
    return _made[db_url]


def version(app: App) -> int:
    return plan_svc.plan_version(app.uow(), "UM", DAY)


def assert_no_double_booking(app: App) -> None:
    with app.uow() as uow:
        blocks = {b.pk: b for b in uow.days.blocks_for_dates("UM", DAY, DAY) if b.cancelled_at is None}
        plan = uow.plans.assignments_for_dates("UM", [DAY])
    per: dict[str, list] = defaultdict(list)
    for pk, a in plan.items():
        if pk in blocks:
            per[a.vehicle_id].append(blocks[pk])
    for vid, chain in per.items():
        chain.sort(key=lambda b: b.pull_out)
        for a, b in zip(chain, chain[1:], strict=False):
            assert b.pull_out >= a.pull_in, f"{vid} on {a.block_id} and {b.block_id}, which overlap"


block_ids = st.sampled_from(BLOCKS)
vehicle_ids = st.sampled_from(VEHICLES)
ops = st.one_of(
    st.tuples(st.just("assign"), block_ids, vehicle_ids, st.booleans()),
    st.tuples(st.just("unassign"), block_ids),
    st.tuples(st.just("sheet"), st.lists(st.tuples(block_ids, st.one_of(st.none(), vehicle_ids)), min_size=1,
                                          max_size=6), st.booleans()),
    st.tuples(st.just("accept"), st.booleans()),
    st.tuples(st.just("adhoc"), st.sampled_from(["X1", "X2"]), st.integers(5 * 60, 20 * 60), st.integers(30, 300)),
)


def run(app: App, op: tuple) -> None:  # type: ignore[type-arg]
    kind = op[0]
    if kind == "assign":
        _, block, vid, with_reason = op
        override(app.uow(), "UM", DAY, block, vid, plan_version=version(app), actor="p", now=NOW,
                 override_reason="property test" if with_reason else None)
    elif kind == "unassign":
        plan_svc.unassign(app.uow(), "UM", DAY, op[1], plan_version=version(app), actor="p", now=NOW)
    elif kind == "sheet":
        _, pairs, some = op
        rows = [SheetRow(i + 2, b, v, raw=(b, str(v))) for i, (b, v) in enumerate(pairs)]
        preview = sheets.preview_sheet(app.uow(), "UM", DAY, rows, "csv", NOW)
        chosen = [r.row for r in preview.preview.rows if r.actionable]
        sheets.apply_sheet(app.uow(), "UM", DAY, preview.preview_id, actor="p", now=NOW,
                           rows=chosen[: max(1, len(chosen) // 2)] if some and chosen else None)
    elif kind == "accept":
        rec = recommendations.recommend(app.uow(), "UM", DAY, NOW)
        wanted = [p.block_id for p in rec.recommendation.proposals][::2] if op[1] else None
        recommendations.accept(app.uow(), "UM", DAY, rec.recommendation_id, plan_version=rec.plan_version, actor="p",
                               now=NOW, block_ids=wanted)
    else:
        _, block, start_min, length = op
        start = datetime.fromisoformat("2022-01-05T00:00:00-05:00") + timedelta(minutes=start_min)
        adhoc.update_adhoc(app.uow(), "UM", DAY, block, actor="p", now=NOW, pull_out=start,
                           pull_in=start + timedelta(minutes=length))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(sequence=st.lists(ops, min_size=1, max_size=6))
def test_no_reachable_plan_puts_one_vehicle_on_overlapping_blocks(db_url: str, sequence: list) -> None:  # type: ignore[type-arg]
    app = app_for(db_url)
    for op in sequence:
        try:
            run(app, op)
        except DomainError:
            pass  # refused (a rule, a warning to acknowledge, nothing to do): the plan is what it was
        assert_no_double_booking(app)
