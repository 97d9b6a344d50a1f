"""The rules of the plan (DESIGN §5) through the real use cases on in-memory fakes of our ports: the same
services.plan / services.adhoc / services.sheets-free code paths the API and CLI call, in milliseconds.
The database suite keeps what only a database shows (concurrency, SQL, migrations, the CLI end to end)."""

from __future__ import annotations

import pytest

from depotdispatch.domain.errors import Conflict, InvalidInput, PlanRuleBroken, StaleVersion, UnacknowledgedWarnings
from depotdispatch.domain.plan import Item
from depotdispatch.services import adhoc, days, fleet, plan
from tests.unit.fakes import DAY, NOW, FakeUnitOfWork, at, small_depot


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return small_depot()


def version(uow: FakeUnitOfWork) -> int:
    return plan.plan_version(uow, "V", DAY)


def vehicles(uow: FakeUnitOfWork) -> dict[str, str]:
    by_pk = {pk: b.block_id for pk, (_, b) in uow.store.blocks.items()}
    return {by_pk[pk]: a.vehicle_id for pk, (_, a) in uow.store.assignments.items()}


def kinds(uow: FakeUnitOfWork) -> list[tuple[str, str | None, int | None]]:
    return [(e.kind, e.block_id, e.plan_version) for e in uow.store.events]


def assign(uow: FakeUnitOfWork, block_id: str, vehicle_id: str, **kw: object) -> plan.PlanChange:
    return plan.assign(uow, "V", DAY, block_id, vehicle_id, plan_version=version(uow), actor="ann", now=NOW,
                       **kw)  # type: ignore[arg-type]


def test_an_assignment_is_one_version_step_and_one_event(uow: FakeUnitOfWork) -> None:
    change = assign(uow, "A", "E1")
    assert change.plan_version == 1 and change.changed and vehicles(uow) == {"A": "E1"}
    assert kinds(uow) == [("assigned", "A", 1)]
    again = assign(uow, "A", "E1")
    assert not again.changed and again.plan_version == 1 and len(uow.store.events) == 1
    assign(uow, "A", "D1")
    assert kinds(uow)[-1] == ("reassigned", "A", 2) and uow.store.events[-1].before["vehicle_id"] == "E1"


def test_a_stale_or_missing_version_is_refused_and_nothing_is_written(uow: FakeUnitOfWork) -> None:
    assign(uow, "A", "E1")
    with pytest.raises(StaleVersion) as stale:
        plan.assign(uow, "V", DAY, "C", "D1", plan_version=0, actor="ann", now=NOW)
    assert stale.value.extra["current_version"] == stale.value.extra["plan_version"] == 1
    with pytest.raises(InvalidInput):
        plan.unassign(uow, "V", DAY, "A", plan_version=None, actor="ann", now=NOW)
    assert vehicles(uow) == {"A": "E1"} and version(uow) == 1


def test_overlap_is_refused_whatever_the_reason(uow: FakeUnitOfWork) -> None:
    assign(uow, "A", "D1")
    with pytest.raises(PlanRuleBroken, match="whatever the reason"):
        assign(uow, "B", "D1", override_reason="dispatcher knows best", acknowledge=["overlaps_block"])
    assert vehicles(uow) == {"A": "D1"} and version(uow) == 1 and uow.commits == 2


def test_a_warning_needs_a_reason_and_each_code_acknowledged(uow: FakeUnitOfWork) -> None:
    assign(uow, "A", "D1")
    with pytest.raises(UnacknowledgedWarnings, match="short_turnaround"):
        assign(uow, "C", "D1")
    with pytest.raises(UnacknowledgedWarnings):  # a reason alone acknowledges nothing
        assign(uow, "C", "D1", override_reason="driver swap at the stop")
    with pytest.raises(UnacknowledgedWarnings):  # codes without a reason neither
        assign(uow, "C", "D1", acknowledge=["short_turnaround"])
    ok = assign(uow, "C", "D1", override_reason="driver swap at the stop", acknowledge=["short_turnaround"])
    assert ok.assignment.acknowledged == ("short_turnaround",) and ok.warnings == ["short_turnaround"]
    assert kinds(uow)[-1] == ("override", "C", 2)


def test_an_override_names_each_warning_it_was_shown_and_one_left_out_is_refused(uow: FakeUnitOfWork) -> None:
    """The one acknowledgement rule, whichever front end asks (the CLI names what override_warnings gave it
    and printed, an API client what the 409 listed): every warning named, or nothing is written."""
    shown = [r.code for r in plan.override_warnings(uow, "V", DAY, "L", "E2", now=NOW)]
    assert shown == ["soc_below_reserve"]
    with pytest.raises(UnacknowledgedWarnings, match="acknowledge soc_below_reserve"):  # another code is not it
        assign(uow, "L", "E2", override_reason="short of buses", acknowledge=["soc_stale"])
    assert vehicles(uow) == {}
    change = assign(uow, "L", "E2", override_reason="short of buses", acknowledge=shown)
    assert change.viability.status == "not_viable"
    assert list(change.assignment.acknowledged) == shown == change.warnings


def test_a_batch_is_judged_on_the_plan_it_leaves_so_half_a_swap_never_lands_alone(uow: FakeUnitOfWork) -> None:
    assign(uow, "A", "D1")
    assign(uow, "B", "D2")
    with uow:
        day_id = plan.require_day(uow, "V", DAY)
        p = plan.open_plan(uow, uow.depots.get("V"), DAY, day_id)  # type: ignore[arg-type]
        with pytest.raises(PlanRuleBroken):  # D1 onto B while D1 still runs A
            p.apply([Item("B", "D1")], source="imported", kind="sheet_applied", actor="ann", now=NOW)
    with uow:
        day_id = plan.require_day(uow, "V", DAY)
        p = plan.open_plan(uow, uow.depots.get("V"), DAY, day_id)  # type: ignore[arg-type]
        result = plan.apply_batch(uow, day_id, p, [Item("B", "D1"), Item("A", "D2")], actor="ann", now=NOW,
                                  source="imported", kind="sheet_applied")
        uow.commit()
    assert result.applied == ["B", "A"] and result.plan_version == 3
    assert vehicles(uow) == {"A": "D2", "B": "D1"}
    assert kinds(uow)[-2:] == [("sheet_applied", "B", 3), ("sheet_applied", "A", 3)]


def test_cancelling_frees_the_vehicle_in_one_step_with_the_assignment_in_the_event(uow: FakeUnitOfWork) -> None:
    assign(uow, "A", "E1")
    change = adhoc.cancel_block(uow, "V", DAY, "A", "driver sick", actor="ann", now=NOW, plan_version=1)
    assert change.plan_version == 2 and change.freed_vehicle == "E1" and vehicles(uow) == {}
    assert kinds(uow)[-1] == ("block_cancelled", "A", 2) and uow.store.events[-1].before["vehicle_id"] == "E1"
    restored = adhoc.restore_block(uow, "V", DAY, "A", actor="ann", now=NOW)
    assert restored.plan_version == 3 and restored.block.cancelled_at is None and vehicles(uow) == {}


def test_a_replacement_takes_over_the_replaced_block_and_its_vehicle_goes(uow: FakeUnitOfWork) -> None:
    assign(uow, "A", "E1")
    spec = adhoc.AdhocSpec("A2", "replacement", at(6), at(10), replaces_block="A")
    change = adhoc.create_adhoc(uow, "V", DAY, spec, actor="ann", now=NOW)
    assert change.plan_version == 2 and change.freed_vehicle == "E1" and vehicles(uow) == {}
    assert kinds(uow)[-2:] == [("block_cancelled", "A", 2), ("adhoc_created", "A2", 2)]
    cancelled = uow.store.events[-2]
    assert cancelled.before["vehicle_id"] == "E1" and cancelled.after == {"cancel_reason": "replaced",
                                                                         "replaced_by": "A2"}
    a = next(b for _, b in uow.store.blocks.values() if b.block_id == "A")
    assert a.cancel_reason == "replaced"
    assign(uow, "B", "D1")
    kept = adhoc.create_adhoc(uow, "V", DAY, adhoc.AdhocSpec("B2", "replacement", at(9), at(12), replaces_block="B",
                                                             keep_original=True), actor="ann", now=NOW)
    assert kept.freed_vehicle is None and vehicles(uow) == {"B": "D1"}
    assert next(b for _, b in uow.store.blocks.values() if b.block_id == "B").cancelled_at is None


def test_a_completed_block_cannot_be_replaced_and_nothing_is_written(uow: FakeUnitOfWork) -> None:
    assign(uow, "A", "E1")
    with pytest.raises(InvalidInput, match="completed"):
        adhoc.create_adhoc(uow, "V", DAY, adhoc.AdhocSpec("A2", "replacement", at(11), at(12), replaces_block="A"),
                           actor="ann", now=at(11))  # A ran 06-10
    assert vehicles(uow) == {"A": "E1"} and version(uow) == 1 and "A2" not in {
        b.block_id for _, b in uow.store.blocks.values()}


def test_removing_adhoc_work_with_a_vehicle_needs_a_confirmation_and_takes_the_vehicle_off_first(
        uow: FakeUnitOfWork) -> None:
    adhoc.create_adhoc(uow, "V", DAY, adhoc.AdhocSpec("X1", "extra_service", at(14), at(16), 20.0), actor="ann",
                       now=NOW)
    assign(uow, "X1", "D1")
    with pytest.raises(Conflict, match="confirm"):
        adhoc.remove_adhoc(uow, "V", DAY, "X1", actor="ann", now=NOW)
    # the fake refuses to drop a block that still has its assignment: the writer must take it off first
    change = adhoc.remove_adhoc(uow, "V", DAY, "X1", actor="ann", now=NOW, confirm=True)
    assert change.freed_vehicle == "D1" and vehicles(uow) == {} and change.plan_version == 3
    assert kinds(uow)[-1] == ("adhoc_removed", "X1", 3) and uow.store.events[-1].before["vehicle_id"] == "D1"
    assert "X1" not in {b.block_id for _, b in uow.store.blocks.values()}


def test_scheduled_work_is_cancelled_never_removed(uow: FakeUnitOfWork) -> None:
    assign(uow, "A", "D1")
    with pytest.raises(InvalidInput, match="cancel it instead"):
        adhoc.remove_adhoc(uow, "V", DAY, "A", actor="ann", now=NOW, confirm=True)
    assert vehicles(uow) == {"A": "D1"} and version(uow) == 1 and len(uow.store.blocks) == 4


def test_new_times_for_adhoc_work_are_refused_when_its_vehicle_would_overlap(uow: FakeUnitOfWork) -> None:
    adhoc.create_adhoc(uow, "V", DAY, adhoc.AdhocSpec("X1", "extra_service", at(14), at(16), 20.0), actor="ann",
                       now=NOW)
    assign(uow, "A", "D1")
    assign(uow, "X1", "D1")
    with pytest.raises(PlanRuleBroken):
        adhoc.update_adhoc(uow, "V", DAY, "X1", actor="ann", now=NOW, pull_out=at(8))
    assert version(uow) == 3


def test_a_vehicle_taken_out_of_service_leaves_its_coming_blocks_with_an_event_each(uow: FakeUnitOfWork) -> None:
    assign(uow, "A", "D1")
    assign(uow, "C", "D2")
    fleet.set_availability(uow, "V", "D1", "maintenance", reason="brakes", until=None, actor="ann", now=NOW)
    assert vehicles(uow) == {"C": "D2"} and version(uow) == 3
    gone = uow.store.events[-1]
    assert gone.kind == "unassigned" and gone.block_id == "A" and "brakes" in gone.before["why"]


def test_a_day_set_up_again_drops_no_assignment_silently_and_keeps_started_work(uow: FakeUnitOfWork) -> None:
    assign(uow, "A", "D1")
    assign(uow, "C", "D2")
    started = at(7)  # A (06-10) has started, C (10:05) not
    with uow:
        depot = uow.depots.get("V")
        day_id = plan.require_day(uow, "V", DAY)
        wanted = [b for b in uow.days.blocks(day_id, DAY) if b.block_id not in ("A", "C")]  # the schedule lost both
        changes = days.resetup_day(uow, depot, DAY, day_id, wanted, actor="ann", now=started,  # type: ignore[arg-type]
                                   why="the block is no longer in the schedule")
        uow.commit()
    assert [b.block_id for b in changes.removed] == ["C"] and vehicles(uow) == {"A": "D1"} and version(uow) == 3
    assert kinds(uow)[-1] == ("unassigned", "C", 3) and uow.store.events[-1].before["why"].startswith("the block")


def test_changing_the_bus_of_a_running_block_is_a_warning_to_acknowledge(uow: FakeUnitOfWork) -> None:
    """The sheet warns block_started; assign says the same (one rule): the bus already on the road stays
    there whatever the record says, so moving the record needs the warning acknowledged and a reason."""
    assign(uow, "A", "E1")
    running = at(7)  # A runs 06-10
    v = version(uow)
    with pytest.raises(UnacknowledgedWarnings, match="in service on E1") as refused:
        plan.assign(uow, "V", DAY, "A", "D1", plan_version=v, actor="ann", now=running)
    assert "block_started" in str(refused.value) and vehicles(uow) == {"A": "E1"} and version(uow) == v
    change = plan.assign(uow, "V", DAY, "A", "D1", plan_version=v, actor="ann", now=running,
                         override_reason="the yard sent D1", acknowledge=["block_started"])
    assert change.changed and vehicles(uow) == {"A": "D1"} and uow.store.events[-1].kind == "override"
    # a running block with no bus (a missed pull-out) takes one without a word: that is the remedy
    plan.unassign(uow, "V", DAY, "C", plan_version=version(uow), actor="ann", now=running)
    assert plan.assign(uow, "V", DAY, "C", "E1", plan_version=version(uow), actor="ann", now=at(11)).changed
