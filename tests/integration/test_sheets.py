"""The dispatch sheet round trip on both databases: export, preview, apply, and what people really send."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from depotdispatch.adapters.blocks_csv import read_blocks
from depotdispatch.adapters.db.plan_repo import PlanRepository
from depotdispatch.adapters.sheet_csv import read_sheet
from depotdispatch.domain.applicability import Applicability
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.services import days, depots, fleet, readings, schedules, sheets
from depotdispatch.services import plan as plan_svc
from tests.auth_helpers import api_client
from tests.helpers import override, run_cli

DAY = date(2026, 11, 25)
NOW = datetime.fromisoformat("2026-11-25T03:00:00+01:00")
EV = VehicleType("XE", "bev", usable_kwh=400, kwh_per_km=1.3, charge_kw=150)
DSL = VehicleType("D", "diesel")
BLOCKS = ("block_id,pull_out,pull_in,distance_km\n"
          "101,05:00,09:00,60\n102,05:30,13:00,150\n103,14:00,22:00,120\n104,06:00,07:00,20\n=SUM(A1),10:00,11:00,5\n")


@pytest.fixture
def day(app) -> str:
    depots.add_depot(app.uow(), Depot("B", "Berlin", "Europe/Berlin"), NOW)
    schedules.import_blocks(app.uow(), "B", "b", read_blocks(BLOCKS.encode()), Applicability(DAY, DAY), NOW)
    days.setup_day(app.uow(), "B", DAY, NOW)
    fleet.import_fleet(app.uow(), "B", [FleetEntry(i, f"E{i}", EV) for i in range(1, 4)]
                       + [FleetEntry(9, "D9", DSL)])
    readings.add_readings(app.uow(), [(i, SocReading(f"E{i}", 95, NOW - timedelta(hours=1), "telematics"))
                                      for i in range(1, 4)], NOW)
    plan_svc.assign(app.uow(), "B", DAY, "101", "E1", plan_version=0, actor="op", now=NOW)
    plan_svc.assign(app.uow(), "B", DAY, "103", "E1", plan_version=1, actor="op", now=NOW)
    return "B"


def preview(app, text: str | bytes, name: str = "sheet.csv"):  # type: ignore[no-untyped-def]
    data = text.encode() if isinstance(text, str) else text
    sheet = read_sheet(data, name, DAY)
    return sheets.preview_sheet(app.uow(), "B", DAY, sheet.rows, sheet.format, NOW, sheet.warnings)


def actions(result) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {r.block_id: r.action for r in result.preview.rows}


def codes(result, block_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.code for r in result.preview.rows if r.block_id == block_id for p in r.problems]


def plan_state(app) -> tuple[int, dict[str, str], int]:
    with app.uow() as uow:
        day_id = uow.days.day_id("B", DAY)
        a = {x.block_id: x.vehicle_id for x in uow.plans.assignments_for_dates("B", [DAY]).values()}
        return uow.plans.version(day_id), a, len(uow.plans.events("B"))


def test_export_then_preview_of_the_unchanged_file_is_all_unchanged(app, day, db_url, tmp_path: Path) -> None:
    out = tmp_path / "sheet.csv"
    assert run_cli(db_url, "sheet", "export", "--depot", "B", "--date", "2026-11-25", "-o", str(out),
                   now=NOW.isoformat()).code == 0
    text = out.read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["service_date", "block_id", "vehicle_id", "pull_out", "pull_out_local", "pull_in",
                             "pull_in_local", "origin", "adhoc_reason", "viability", "note"]
    assert [r["block_id"] for r in rows] == ["101", "102", "104", "'=SUM(A1)", "103"]  # neutralised formula
    assert rows[0]["pull_out"] == "2026-11-25T04:00:00+00:00" and rows[0]["pull_out_local"].endswith("+01:00")
    doc = run_cli(db_url, "sheet", "preview", str(out), "--depot", "B", "--date", "2026-11-25", "--json",
                  now=NOW.isoformat()).json()
    assert {r["action"] for r in doc["rows"]} == {"unchanged"}
    # the neutralising ' is taken off again on the way in: every block comes back (issue 17, item 17)
    assert doc["summary"]["actionable"] == 0 and doc["unmentioned_blocks"] == []
    before = plan_state(app)
    applied = run_cli(db_url, "sheet", "apply", doc["preview_id"], "--depot", "B", "--date", "2026-11-25", "--json",
                      now=NOW.isoformat()).json()
    assert applied["applied"] == [] and plan_state(app) == before


def test_tods_round_trip(app, day, db_url, tmp_path: Path) -> None:
    out = tmp_path / "vehicle_assignments.txt"
    run_cli(db_url, "sheet", "export", "--depot", "B", "--date", "2026-11-25", "--format", "tods", "-o", str(out),
            now=NOW.isoformat())
    assert out.read_text().splitlines() == ["date,service_id,block_id,vehicle_id", "20261125,,101,E1",
                                            "20261125,,103,E1"]
    result = preview(app, out.read_bytes(), out.name)
    assert result.format == "tods" and set(actions(result).values()) == {"unchanged"}
    other = preview(app, "date,service_id,block_id,vehicle_id\n20261126,,102,E2\n")
    assert codes(other, "102") == ["other_date"]


@pytest.mark.parametrize("text", [
    "\ufeffBlock;Bus\r\n102;E2\r\n\r\n104;E3\r\n101;\r\n",
    "BLOCK ID\tFleet No\tComment\n102\tE2\tlate swap\n104\tE3\t\n101\t\t\n",
    'Run,Vehicle,Note\n"102","E2","said ""ok"", by phone"\n104,E3,\n101,,\n',
])
def test_dialects_and_aliases(app, day, text: str) -> None:
    result = preview(app, text)
    assert actions(result) == {"102": "assign", "104": "assign", "101": "unassign"}
    assert result.preview.unmentioned == ["=SUM(A1)", "103"]


def test_windows_1252_is_read_with_a_warning(app, day) -> None:
    result = preview(app, "block_id,vehicle_id,note\n102,E2,Stra\xdfe\n".encode("cp1252"))
    assert actions(result) == {"102": "assign"} and "Windows-1252" in result.warnings[0]


# Row problems, viability warnings and apply's all-or-nothing, idempotence and stale refusal are rules:
# tests/unit/test_sheet_rules_fakes.py. Here what only the database and the files show.


def test_killed_mid_apply_leaves_nothing_partial(app, day, monkeypatch) -> None:
    p = preview(app, "block,bus\n102,E2\n104,E3\n")
    before = plan_state(app)
    original = PlanRepository.add_events

    def dies_halfway(self, events):  # type: ignore[no-untyped-def]
        original(self, events[:1])  # the assignments and one event are written: then the process dies
        raise KeyboardInterrupt("operator pulled the plug")

    monkeypatch.setattr(PlanRepository, "add_events", dies_halfway)
    with pytest.raises(KeyboardInterrupt):
        sheets.apply_sheet(app.uow(), "B", DAY, p.preview_id, actor="t", now=NOW)
    monkeypatch.undo()
    assert plan_state(app) == before
    assert sorted(sheets.apply_sheet(app.uow(), "B", DAY, p.preview_id, actor="t", now=NOW).applied) == ["102", "104"]


def test_sheet_api_upload_preview_apply_export(app, day) -> None:
    app.clock.fixed = NOW
    c = api_client(app)
    base = "/api/v1/depots/B/days/2026-11-25/sheet"
    r = c.post(base + "/previews", files={"file": ("s.csv", b"Block,Bus\n102,E2\n", "text/csv")})
    assert r.status_code == 200, r.json()
    doc = r.json()
    assert doc["summary"]["actions"]["assign"] == 1 and doc["plan_version"] == 2
    r = c.post(f"{base}/previews/{doc['preview_id']}/apply", json={})
    assert r.status_code == 200 and len(r.json()["applied"]) == 1
    r = c.post(f"{base}/previews/{doc['preview_id']}/apply", json={"rows": [99]})
    assert r.status_code == 200 and r.json()["applied"] == []  # already applied: nothing changes
    r = c.post(f"{base}/previews/nope/apply", json={})
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    r = c.get(base, params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv") and "102,E2" in r.text
    assert c.get(base, params={"format": "xlsx"}).status_code == 422
    for bad, phrase in ((b"", "empty"), (b"\x00\x01binary", "binary"), (b"foo,bar\n1,2\n", "no 'block_id'")):
        r = c.post(base + "/previews", files={"file": ("s.csv", bad, "text/csv")})
        assert r.status_code == 422 and phrase in r.json()["detail"]
    big = b"block,bus\n" + b"102,E2\n" * (3 * 1024 * 1024)
    r = c.post(base + "/previews", files={"file": ("s.csv", big, "text/csv")})
    assert r.status_code == 413 and "limit" in r.json()["detail"]  # refused before the body is read (issue 17)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(st.binary(max_size=400),
                 st.lists(st.lists(st.text(max_size=8), max_size=4), max_size=6).map(
                     lambda rows: "\n".join([",".join(r) for r in [["block", "bus"], *rows]]).encode())))
def test_random_bytes_never_500_and_never_change_the_plan(app, day, data: bytes) -> None:
    c = api_client(app)
    app.clock.fixed = NOW
    before = plan_state(app)
    base = "/api/v1/depots/B/days/2026-11-25/sheet"
    r = c.post(base + "/previews", files={"file": ("s.csv", data, "text/csv")})
    assert r.status_code in (200, 422), r.text
    assert plan_state(app) == before
    if r.status_code == 200:
        doc = r.json()
        applied = c.post(f"{base}/previews/{doc['preview_id']}/apply", json={})
        assert applied.status_code == 200
        version, _, _ = plan_state(app)
        assert version == before[0] + (1 if applied.json()["applied"] else 0)
        if applied.json()["applied"]:  # put it back for the next example
            restore(app, before)


def restore(app, before) -> None:  # type: ignore[no-untyped-def]
    version, plan, _ = before
    current = plan_state(app)[0]
    for block_id in ("101", "102", "103", "104", "=SUM(A1)"):
        change = (override(app.uow(), "B", DAY, block_id, plan[block_id], plan_version=current, actor="t",
                           now=NOW,
                           override_reason="restore") if block_id in plan
                  else plan_svc.unassign(app.uow(), "B", DAY, block_id, plan_version=current, actor="t", now=NOW))
        current = change.plan_version
