"""A day set up from the API and the board, as `day setup` does; imports and set-ups in the audit log."""

from __future__ import annotations

import html
from datetime import date, datetime

from depotdispatch.adapters.blocks_csv import read_blocks
from depotdispatch.domain.applicability import Applicability
from depotdispatch.domain.depots import Depot
from depotdispatch.services import audit, days, depots, schedules
from tests.auth_helpers import api_client, web_client
from tests.helpers import run_cli

BLOCKS = b"block_id,pull_out,pull_in,distance_km\nA,06:00,09:00,40\nB,10:00,13:00,40\nC,14:00,16:00,30\n"
T0 = datetime.fromisoformat("2026-11-01T00:00:00+00:00")


def _depot(app, depot_id: str = "T") -> None:  # type: ignore[no-untyped-def]
    depots.add_depot(app.uow(), Depot(depot_id, "Tampa", "America/New_York"), T0)
    schedules.import_blocks(app.uow(), depot_id, "weekdays", read_blocks(BLOCKS),
                            Applicability(date(2026, 11, 1), date(2026, 11, 30)), T0, actor="ada")


def test_the_api_sets_a_day_up_as_the_cli_does_and_logs_only_what_changed(app, db_url) -> None:  # type: ignore[no-untyped-def]
    _depot(app)
    c = api_client(app, "dispatcher", ["T"], name="dana")
    r = c.post("/api/v1/depots/T/days/2026-11-02/setup")
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["service_date"], got["blocks"], got["added"], got["unchanged"]) == ("2026-11-02", 3, 3, 0)
    cli = run_cli(db_url, "day", "setup", "--depot", "T", "--date", "2026-11-03", "--json")
    assert cli.code == 0 and set(cli.json()) == set(got)  # the same document as the CLI's
    again = c.post("/api/v1/depots/T/days/2026-11-02/setup").json()
    assert (again["added"], again["unchanged"]) == (0, 3)  # idempotent
    logged = audit.events(app.uow(), "T", kind="day_set_up")
    # the set-up again changed nothing: not logged; the CLI's is its local admin's
    assert [(e.service_date, e.actor.split()[0]) for e in sorted(logged, key=lambda e: str(e.service_date))] == [
        (date(2026, 11, 2), "dana"), (date(2026, 11, 3), "cli:root")]
    assert [e.after["blocks"] for e in logged] == [3, 3]  # type: ignore[index]
    [imported] = audit.events(app.uow(), "T", kind="schedule_imported")
    assert imported.actor == "ada" and imported.after == {  # the import is in the log too
        "schedule_id": 1, "name": "weekdays", "source_kind": "blocks_csv", "trips": 0, "blocks": 3,
        "start": "2026-11-01", "end": "2026-11-30"}


def test_a_bad_set_up_request_is_a_problem_and_sets_nothing_up(app) -> None:  # type: ignore[no-untyped-def]
    _depot(app)
    _depot(app, "U")
    c = api_client(app, "dispatcher", ["T"])
    r = c.post("/api/v1/depots/T/days/2026-11-31/setup")
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), r.text
    r = c.post("/api/v1/depots/U/days/2026-11-02/setup")  # another depot's: not theirs to see
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json"), r.text
    r = api_client(app, "viewer", ["T"]).post("/api/v1/depots/T/days/2026-11-02/setup")
    assert r.status_code == 403, r.text
    assert not days.day_blocks(app.uow(), "T", date(2026, 11, 2), T0).set_up
    assert not days.day_blocks(app.uow(), "U", date(2026, 11, 2), T0).set_up


def test_the_board_sets_up_a_day_it_says_is_not_set_up_and_the_audit_log_says_so(app) -> None:  # type: ignore[no-untyped-def]
    _depot(app)
    days.setup_day(app.uow(), "T", date(2026, 11, 2), T0)
    app.clock.fixed = datetime.fromisoformat("2026-11-02T20:00:00-05:00")  # the window reaches into the 3rd
    web = web_client(app, "dispatcher", ["T"], name="dana")
    board = html.unescape(web.get("/depots/T/board").text)
    assert "Tue 3 Nov is inside the window but not set up yet" in board and "Set up Tue 3 Nov" in board
    r = web.post("/depots/T/days/2026-11-03/setup", headers={"X-CSRF-Token": web.csrf_token})  # type: ignore[attr-defined]
    assert r.status_code == 200 and r.headers["HX-Trigger"] == "dd:planChanged", r.text
    assert "<strong>Tue 3 Nov is set up</strong>: 3 blocks to run.</p>" in html.unescape(r.text)
    assert "not set up yet" not in html.unescape(web.get("/depots/T/board").text)
    page = html.unescape(web_client(app).get("/depots/T/audit").text)
    assert "day set up" in page and "Set up from the schedules: 3 blocks." in page
    assert "schedule imported" in page and "weekdays (schedule 1, blocks file): 3 blocks, from 2026-11-01 to " \
        "2026-11-30." in page


def test_an_import_names_the_days_set_up_before_it_that_it_changes(app) -> None:  # type: ignore[no-untyped-def]
    """A day set up keeps its blocks until set up again: an import said "days already set up are not
    changed" and left the admin to find them; it now lists them, each with its set-up button."""
    _depot(app)
    for d in (2, 3):
        days.setup_day(app.uow(), "T", date(2026, 11, d), T0)
    app.clock.fixed = datetime.fromisoformat("2026-11-02T08:00:00-05:00")
    web = web_client(app, "admin", name="ada")
    extra = b"block_id,pull_out,pull_in,distance_km\nX1,17:00,19:00,30\n"
    r = web.post("/depots/T/schedules/import", files={"file": ("extra.csv", extra, "text/csv")},
                 data={"kind": "blocks", "start": "2026-11-03", "end": "2026-11-30", "weekdays": "1234567"},
                 headers={"X-CSRF-Token": web.csrf_token})  # type: ignore[attr-defined]
    assert r.status_code == 200, r.text
    said = " ".join(html.unescape(r.text).split())
    assert "1 day already set up keeps its blocks until set up again:" in said, said
    assert "Tue 3 Nov: 1 block new, 0 changed, 0 to go" in said and "Set up Tue 3 Nov again" in said
    assert "Mon 2 Nov" not in said  # the new schedule starts on the 3rd: the 2nd does not change
    r = web.post("/depots/T/days/2026-11-03/setup", headers={"X-CSRF-Token": web.csrf_token})  # type: ignore[attr-defined]
    assert "From the schedules: 1 new, 0 changed, 0 removed, 3 as before." in " ".join(r.text.split())
    assert {b.block_id for b, _ in days.day_blocks(app.uow(), "T", date(2026, 11, 3), T0).blocks} == {
        "A", "B", "C", "X1"}
