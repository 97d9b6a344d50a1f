"""Dispatch sheet rules (DESIGN §5) through services.sheets on the fakes: every problem on its row, viability
warnings that do not block, apply all or nothing, idempotent, refused once the plan moved. The sheet is read by
the real reader from bytes in memory. The database suite keeps the dialects, the API, a kill mid-apply and
random bytes (tests/integration/test_sheets.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from depotdispatch.adapters.sheet_csv import read_sheet
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.errors import Conflict
from depotdispatch.domain.fleet import Vehicle, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.services import plan, sheets
from tests.unit.fakes import DAY, NOW, FakeUnitOfWork, Store, at, block


@pytest.fixture
def uow() -> FakeUnitOfWork:
    """Depot B: E1-E3 (BEVs at 95 %), D9 diesel; blocks 101 06-10, 102 06:30-14, 103 15-23, 104 07-08 and
    `=SUM(A1)` 11-12 (a block id a spreadsheet would run); 101 and 103 on E1."""
    s = Store()
    s.depots["B"] = Depot("B", "Test depot", "UTC")
    s.types["B"] = {"XE": VehicleType("XE", "bev", 400.0, 1.3), "D": VehicleType("D", "diesel")}
    s.vehicles["B"] = [Vehicle(f"E{i}", "B", "XE") for i in (1, 2, 3)] + [Vehicle("D9", "B", "D")]
    s.readings = {f"E{i}": [SocReading(f"E{i}", 95.0, NOW - timedelta(hours=1), "telematics")] for i in (1, 2, 3)}
    u = FakeUnitOfWork(s)
    with u:
        day_id = u.days.get_or_create("B", DAY, NOW)
        u.days.add_blocks(day_id, [block("101", 6, 10, 60), block("102", 6.5, 14, 150), block("103", 15, 23, 120),
                                   block("104", 7, 8, 20), block("=SUM(A1)", 11, 12, 5)])
        u.commit()
    plan.assign(u, "B", DAY, "101", "E1", plan_version=0, actor="op", now=NOW)
    plan.assign(u, "B", DAY, "103", "E1", plan_version=1, actor="op", now=NOW)
    return u


def preview(uow: FakeUnitOfWork, text: str) -> sheets.PreviewResult:
    sheet = read_sheet(text.encode(), "sheet.csv", DAY)
    return sheets.preview_sheet(uow, "B", DAY, sheet.rows, sheet.format, NOW, sheet.warnings)


def assigned(uow: FakeUnitOfWork) -> dict[str, str]:
    by_pk = {pk: b.block_id for pk, (_, b) in uow.store.blocks.items()}
    return {by_pk[pk]: a.vehicle_id for pk, (_, a) in uow.store.assignments.items()}


def test_every_problem_is_reported_on_its_row(uow: FakeUnitOfWork) -> None:
    text = ("block,bus\n"
            "102,E2\n"      # 2 assign
            "103,E3\n"      # 3 reassign (E1 -> E3)
            "999,E2\n"      # 4 unknown block
            "104,GHOST\n"   # 5 unknown vehicle
            "102,E2\n"      # 6 exact duplicate of row 2
            "=SUM(A1),E2\n"  # 7 duplicate vehicle E2: 102 (06:30-14) overlaps 11-12
            ",E3\n"         # 8 malformed: no block
            "104,bad bus\n"  # 9 malformed vehicle
            )
    result = preview(uow, text)
    by_row = {r.row: r for r in result.preview.rows}
    assert by_row[2].action == "assign" and by_row[3].action == "reassign"
    assert [p.code for p in by_row[4].problems] == ["unknown_block"]
    assert [p.code for p in by_row[5].problems] == ["unknown_vehicle"]
    assert [p.code for p in by_row[6].problems] == ["duplicate_row"] and by_row[6].problems[0].severity == "warning"
    assert "vehicle_overlap" in [p.code for p in by_row[7].problems]
    assert "vehicle_overlap" in [p.code for p in by_row[2].problems]
    assert [(p.code, p.column) for p in by_row[8].problems] == [("malformed_row", "block_id")]
    assert [(p.code, p.column) for p in by_row[9].problems] == [("malformed_row", "vehicle_id")]
    summary = result.preview.summary()
    assert summary["actions"]["reassign"] == 1 and summary["rows_with_errors"] == 6
    # a refused row is counted as refused, not under the action it would have had (rows 2 and 7 were 'assign')
    assert summary["actions"] == {"assign": 0, "reassign": 1, "unassign": 0, "unchanged": 1, "refused": 6}
    assert by_row[2].action == "assign" and by_row[2].outcome == "refused" and by_row[3].outcome == "reassign"
    conflicting = preview(uow, "block,bus\n102,E2\n102,E3\n")
    assert [p.code for r in conflicting.preview.rows for p in r.problems] == ["duplicate_block", "duplicate_block"]
    assert assigned(uow) == {"101": "E1", "103": "E1"} and plan.plan_version(uow, "B", DAY) == 2  # plan untouched


def test_viability_warnings_are_shown_and_do_not_block(uow: FakeUnitOfWork) -> None:
    uow.store.readings["E2"].append(SocReading("E2", 35.0, NOW - timedelta(minutes=10), "telematics"))
    result = preview(uow, "block,bus\n102,E2\n")
    assert [p.code for r in result.preview.rows for p in r.problems] == ["soc_below_reserve"]
    assert result.preview.rows[0].actionable  # a warning, not an error: the operator decides


def test_apply_is_all_or_nothing_refused_after_a_change_and_idempotent(uow: FakeUnitOfWork) -> None:
    first = preview(uow, "block,bus\n102,E2\n104,E3\n101,\n")
    result = sheets.apply_sheet(uow, "B", DAY, first.preview_id, actor="t", now=NOW)
    assert sorted(result.applied) == ["101", "102", "104"] and result.plan_version == 3
    assert assigned(uow) == {"102": "E2", "104": "E3", "103": "E1"}
    again = sheets.apply_sheet(uow, "B", DAY, first.preview_id, actor="t", now=NOW)
    assert again.applied == [] and again.plan_version == 3 and len(uow.store.assignments) == 3
    imported = [e for e in uow.store.events if e.kind == "sheet_applied"]
    assert len(imported) == 3 and all(e.after is None or e.after["source"] == "imported" for e in imported)
    stale = preview(uow, "block,bus\n103,E2\n")
    plan.assign(uow, "B", DAY, "=SUM(A1)", "D9", plan_version=3, actor="other", now=NOW)
    with pytest.raises(Conflict, match="changed since the preview"):
        sheets.apply_sheet(uow, "B", DAY, stale.preview_id, actor="t", now=NOW)
    assert assigned(uow)["103"] == "E1" and plan.plan_version(uow, "B", DAY) == 4


def test_an_overlap_names_the_row_that_keeps_the_other_block_and_a_missed_pull_out_takes_a_bus_quietly(
        uow: FakeUnitOfWork) -> None:
    # found replaying a real day: the row that keeps E1 on 101 was said to 'move it, but cannot apply'
    result = preview(uow, "block,bus\n101,E1\n102,E1\n")
    overlap = next(p for p in result.preview.rows[1].problems if p.code == "vehicle_overlap")
    assert overlap.detail == ("E1 would also run block 101, which overlaps this one (row 2 keeps it there): one "
                              "vehicle never holds overlapping blocks")
    # at 07:30, 104 (07-08) started with no bus (a missed pull-out) and 101 runs on E1: only changing a bus on
    # the road is a record, not what is on the road; giving the missed one a bus is what the sheet is for
    sheet = read_sheet(b"block,bus\n104,E2\n101,E3\n", "sheet.csv", DAY)
    late = sheets.preview_sheet(uow, "B", DAY, sheet.rows, sheet.format, at(7.5))
    missed, running = late.preview.rows
    assert (missed.action, [p.code for p in missed.problems]) == ("assign", [])
    assert running.action == "reassign" and "block_started" in [p.code for p in running.problems]
