"""Property: whatever sequence of assign, unassign, batch apply, ad-hoc creation, new times, cancel and
restore the operators try, through the real use cases on fakes, no vehicle ever holds two overlapping
blocks, each change is one version step, and a refused change writes nothing. 200 sequences in a few
seconds, no database; the database suite keeps its end-to-end run of the overlap property
(tests/integration/test_plan_property.py)."""

from __future__ import annotations

import copy
from collections import defaultdict
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from depotdispatch.domain.errors import DomainError
from depotdispatch.domain.plan import Item
from depotdispatch.services import adhoc, plan
from tests.helpers import override
from tests.unit.fakes import DAY, NOW, FakeUnitOfWork, at, small_depot

BLOCKS = ["A", "B", "C", "L", "X1", "X2"]
VEHICLES = ["E1", "E2", "D1", "D2"]
blocks, vehicles = st.sampled_from(BLOCKS), st.sampled_from(VEHICLES)
ops = st.one_of(
    st.tuples(st.just("assign"), blocks, vehicles, st.booleans()),
    st.tuples(st.just("unassign"), blocks),
    st.tuples(st.just("batch"), st.lists(st.tuples(blocks, st.one_of(st.none(), vehicles)), min_size=1, max_size=4)),
    st.tuples(st.just("adhoc"), st.sampled_from(["X1", "X2"]), st.integers(5 * 4, 19 * 4), st.integers(1, 16)),
    st.tuples(st.just("times"), st.sampled_from(["X1", "X2"]), st.integers(5 * 4, 19 * 4), st.integers(1, 16)),
    st.tuples(st.just("cancel"), blocks),
    st.tuples(st.just("restore"), blocks),
)


def run(uow: FakeUnitOfWork, op: tuple) -> None:  # type: ignore[type-arg]
    v = plan.plan_version(uow, "V", DAY)
    kind = op[0]
    if kind == "assign":
        override(uow, "V", DAY, op[1], op[2], plan_version=v, actor="p", now=NOW,
                 override_reason="property" if op[3] else None)
    elif kind == "unassign":
        plan.unassign(uow, "V", DAY, op[1], plan_version=v, actor="p", now=NOW)
    elif kind == "batch":
        with uow:
            day_id = plan.require_day(uow, "V", DAY)
            p = plan.open_plan(uow, uow.depots.get("V"), DAY, day_id)  # type: ignore[arg-type]
            plan.apply_batch(uow, day_id, p, [Item(b, vid) for b, vid in dict(op[1]).items()], actor="p", now=NOW,
                             source="imported", kind="sheet_applied")
            uow.commit()
    elif kind == "adhoc":
        start = at(op[2] / 4)
        adhoc.create_adhoc(uow, "V", DAY, adhoc.AdhocSpec(op[1], "extra_service", start, start + timedelta(
            minutes=15 * op[3]), 10.0), actor="p", now=NOW)
    elif kind == "times":
        start = at(op[2] / 4)
        adhoc.update_adhoc(uow, "V", DAY, op[1], actor="p", now=NOW, pull_out=start,
                           pull_in=start + timedelta(minutes=15 * op[3]))
    elif kind == "cancel":
        adhoc.cancel_block(uow, "V", DAY, op[1], "property", actor="p", now=NOW)
    else:
        adhoc.restore_block(uow, "V", DAY, op[1], actor="p", now=NOW)


def double_bookings(uow: FakeUnitOfWork) -> list[str]:
    per: dict[str, list] = defaultdict(list)  # type: ignore[type-arg]
    for pk, (_, a) in uow.store.assignments.items():
        b = uow.store.blocks[pk][1]
        if b.cancelled_at is None:
            per[a.vehicle_id].append(b)
    found = []
    for vid, chain in per.items():
        chain.sort(key=lambda b: b.pull_out)
        found += [f"{vid}: {x.block_id}/{y.block_id}" for x, y in zip(chain, chain[1:], strict=False)
                  if y.pull_out < x.pull_in]
    return found


@settings(max_examples=200, deadline=None)
@given(sequence=st.lists(ops, min_size=1, max_size=10))
def test_no_reachable_plan_double_books_and_every_change_is_one_step(sequence: list) -> None:  # type: ignore[type-arg]
    uow = small_depot()
    for op in sequence:
        before = copy.deepcopy(uow.store)
        try:
            run(uow, op)
        except DomainError:
            assert uow.store == before, f"{op} was refused but wrote something"
            continue
        versions_before, versions_after = before.versions, uow.store.versions
        new_events = uow.store.events[len(before.events):]
        stepped = sum(versions_after[d] - versions_before[d] for d in versions_after)
        assert stepped == (1 if new_events else 0), f"{op}: {stepped} version steps for {len(new_events)} events"
        assert {e.plan_version for e in new_events} <= {max(versions_after.values())}
        assert double_bookings(uow) == [], f"after {op}"


def test_a_batch_never_puts_a_vehicle_on_a_cancelled_block() -> None:
    """Found by the property above: a batch put E2 on cancelled A, then on B (the overlap rule looks past
    cancelled work), and restoring A double-booked E2."""
    uow = small_depot()
    adhoc.cancel_block(uow, "V", DAY, "A", "property", actor="p", now=NOW)
    run(uow, ("batch", [("A", "E2"), ("B", "E2")]))
    adhoc.restore_block(uow, "V", DAY, "A", actor="p", now=NOW)
    assert double_bookings(uow) == []
