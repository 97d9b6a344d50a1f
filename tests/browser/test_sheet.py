"""The reconciliation round trip in the browser: export, edit, upload, preview, filter, tick, apply; stale."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from playwright.sync_api import Page, expect

from depotdispatch.services import audit
from depotdispatch.services import plan as plan_svc
from tests.browser import world
from tests.browser.helpers import Server, axe_serious, shot, sign_in


def _edit(path: Path, buses: dict[str, str], extra: list[dict[str, str]]) -> bytes:
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    for r in rows:
        if r["block_id"] in buses:
            r["vehicle_id"] = buses[r["block_id"]]
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows + [{**dict.fromkeys(rows[0], ""), **e} for e in extra])
    return out.getvalue().encode()


def test_the_whole_round_trip_with_an_edited_sheet(page: Page, server: Server, tmp_path: Path) -> None:
    sign_in(page, server, path=f"/depots/{world.DEPOT}/sheet")
    with page.expect_download() as dl:
        page.get_by_role("link", name="Download the dispatch sheet (CSV)").click()
    exported = tmp_path / "exported.csv"
    dl.value.save_as(exported)
    assert "block_id" in exported.read_text(encoding="utf-8-sig").splitlines()[0]
    edited = tmp_path / "edited.csv"
    edited.write_bytes(_edit(exported, {"B1": "E1", "B3": "E2", "B4": "NOPE9"},
                             [{"service_date": str(world.DAY), "block_id": "GHOST", "vehicle_id": "D1"}]))
    page.get_by_label("Sheet (CSV with a block and a bus column", exact=False).set_input_files(str(edited))
    page.get_by_role("button", name="Preview").click()
    table = page.locator("#preview-table")
    expect(table).to_be_visible()
    expect(table.locator('tr[data-action="assign"]')).to_have_count(2)
    expect(table.locator('tr[data-action="refused"]')).to_have_count(2)  # NOPE9 and GHOST: refused, not unchanged
    b4 = table.locator("tbody tr", has_text="NOPE9")
    expect(b4).to_contain_text("Error, no such bus")
    expect(b4.get_by_role("checkbox")).to_have_count(0)  # an error row is never applied
    expect(table.locator("tbody tr", has_text="GHOST")).to_contain_text("Error")
    page.get_by_label("Action").select_option("assign")
    expect(table.locator("tbody tr:visible")).to_have_count(2)
    page.get_by_label("Action").select_option("")
    page.get_by_label("Problem").select_option("error")
    expect(table.locator("tbody tr:visible")).to_have_count(2)
    page.get_by_label("Problem").select_option("")
    shot(page, server, "sheet-preview")
    assert axe_serious(page) == []
    page.get_by_label("Apply row", exact=False).first.uncheck()  # B1's row: not this time
    page.get_by_role("button", name="4. Apply the ticked rows").click()
    expect(page.locator("#apply-result")).to_contain_text("1 row applied")
    expect(page.locator("#apply-result").get_by_role("link", name="See the events in the audit log")).to_be_visible()
    events = audit.events(server.app.uow(), world.DEPOT, kind="sheet_applied")
    assert [(e.block_id, e.vehicle_id, e.actor) for e in events] == [("B3", "E2", "dana")]

    # the same sheet again, then the plan changes before apply: the preview is stale, said in words
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-table")).to_be_visible()
    version = plan_svc.plan_version(server.app.uow(), world.DEPOT, world.DAY)
    assert server.put(f"/depots/{world.DEPOT}/days/{world.DAY}/plan/assignments/B2",
                      {"vehicle_id": "D2", "plan_version": version}).status_code == 200
    page.get_by_role("button", name="4. Apply the ticked rows").click()
    error = page.locator("#apply-result .error-box")
    expect(error).to_contain_text("the plan changed since the preview")
    expect(error).to_contain_text("preview the sheet again")
    shot(page, server, "sheet-stale")
