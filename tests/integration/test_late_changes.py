"""Late changes on both databases: ad-hoc work, change-outs, cancellations, schedule corrections."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

from tests.gtfs_builder import make_feed
from tests.helpers import run_cli, shared

KCM = "kcm_subset_2016.zip"
DAY = "2016-04-13"
EVENING = "2016-04-12T20:00:00-07:00"


def kcm(db_url: str, tmp_path: Path, now: str = EVENING) -> callable:  # type: ignore[valid-type]
    def cli(*args: str, at: str | None = None):  # type: ignore[no-untyped-def]
        return run_cli(db_url, *args, now=at or now)

    assert cli("depot", "add", "K", "--name", "KCM", "--tz", "America/Los_Angeles").code == 0
    assert cli("schedule", "import-gtfs", str(shared("gtfs", KCM)), "--depot", "K").code == 0
    assert cli("day", "setup", "--depot", "K", "--date", DAY).code == 0
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("vehicle_id,vehicle_type,propulsion,usable_kwh,kwh_per_km,charge_kw\n"
                     + "".join(f"E{i},XE,bev,400,1.3,150\n" for i in range(1, 5)) + "D1,D,diesel,,,\n")
    assert cli("fleet", "import", str(fleet), "--depot", "K").code == 0
    soc = tmp_path / "soc.csv"
    soc.write_text("vehicle_id,soc_pct,measured_at,source,plugged_in\n"
                   + "".join(f"E{i},{60 + 10 * i},2016-04-12T19:30:00-07:00,telematics,yes\n" for i in range(1, 5)))
    assert cli("soc", "import", str(soc)).code == 0
    return cli


def test_adhoc_replacement_goes_through_recommend_assign_export_reimport(db_url: str, tmp_path: Path) -> None:
    cli = kcm(db_url, tmp_path)
    bad = cli("block", "add", "X1", "--depot", "K", "--date", DAY, "--reason", "other", "--pull-out", "10:00",
              "--pull-in", "12:00")
    assert bad.code == 1 and "needs a note" in bad.stderr
    alone = cli("block", "add", "X1", "--depot", "K", "--date", DAY, "--reason", "extra_service", "--keep-original",
                "--pull-out", "10:00", "--pull-in", "12:00")
    assert alone.code == 1 and "--replaces" in alone.stderr
    r = cli("block", "add", "R-4187805", "--depot", "K", "--date", DAY, "--reason", "replacement", "--replaces",
            "4187805", "--pull-out", "11:45", "--pull-in", "19:50", "--json")
    assert r.code == 0, r.stderr
    block = r.json()["block"]
    assert block["origin"] == "adhoc" and block["replaces_block"] == "4187805"
    assert block["distance_km"] == 25.075  # copied from the block it replaces
    assert block["pull_out"] == "2016-04-13T18:45:00+00:00"
    assert cli("block", "cancel", "4187805", "--depot", "K", "--date", DAY, "--reason", "bridge closed").code == 0
    rec = cli("plan", "recommend", "--depot", "K", "--date", DAY, "--json").json()
    proposal = next(p for p in rec["proposals"] if p["block_id"] == "R-4187805")
    assert "4187805" not in {p["block_id"] for p in rec["proposals"]}  # cancelled: not planned
    accepted = cli("plan", "accept", str(rec["recommendation_id"]), "--depot", "K", "--date", DAY, "--version",
                   str(rec["plan_version"]), "--block", "R-4187805", "--json").json()
    assert accepted["applied"] == ["R-4187805"]
    board = cli("day", "board", "--depot", "K", "--date", DAY, "--json").json()
    row = next(b for b in board["blocks"] if b["block_id"] == "R-4187805")
    assert row["vehicle_id"] == proposal["vehicle_id"] and row["origin"] == "adhoc" and row["viability"] == "ok"
    cancelled = next(b for b in board["blocks"] if b["block_id"] == "4187805")
    assert cancelled["status"] == "cancelled" and cancelled["viability"] is None and cancelled["reasons"] == []
    out = tmp_path / "sheet.csv"
    assert cli("sheet", "export", "--depot", "K", "--date", DAY, "-o", str(out)).code == 0
    exported = {r["block_id"]: r for r in csv.DictReader(io.StringIO(out.read_text()))}
    assert exported["R-4187805"]["origin"] == "adhoc" and exported["R-4187805"]["adhoc_reason"] == "replacement"
    again = cli("sheet", "preview", str(out), "--depot", "K", "--date", DAY, "--json").json()
    assert {r["action"] for r in again["rows"]} == {"unchanged"}
    # the CLI end to end of removing ad-hoc work with a vehicle (the rule itself: tests/unit/test_plan_rules_fakes.py)
    refused = cli("block", "remove", "R-4187805", "--depot", "K", "--date", DAY)
    assert refused.code == 1 and "confirm" in refused.stderr
    assert cli("block", "remove", "R-4187805", "--depot", "K", "--date", DAY, "--confirm").code == 0
    log = cli("audit", "log", "--depot", "K", "--block", "R-4187805", "--json").json()["events"]
    assert [e["kind"] for e in log] == ["adhoc_removed", "recommendation_accepted", "adhoc_created"]
    assert log[0]["before"]["vehicle_id"] == proposal["vehicle_id"]


def test_change_out_of_an_in_service_block(db_url: str, tmp_path: Path) -> None:
    cli = kcm(db_url, tmp_path)
    assert cli("plan", "assign", "4187802", "E4", "--depot", "K", "--date", DAY, "--version", "0").code == 0
    now = "2016-04-13T12:05:00-07:00"  # the change-out was at 12:00
    r = cli("block", "split", "4187802", "--depot", "K", "--date", DAY, "--at", "12:00", "--json", at=now)
    assert r.code == 0, r.stderr
    doc = r.json()
    # planned times only (DESIGN §5): the original now ends with its last trip before 12:00
    assert doc["block"]["actual_end"] is None and doc["block"]["pull_in"] <= "2016-04-13T19:00:00+00:00"
    new = doc["new_block"]
    assert new["block_id"] == "4187802-R" and new["origin"] == "adhoc" and new["pull_out"] >= "2016-04-13T19:00"
    blocks = {b["block_id"]: b for b in cli("day", "blocks", "--depot", "K", "--date", DAY, "--json",
                                            at=now).json()["blocks"]}
    assert blocks["4187802"]["status"] == "completed"
    assert blocks["4187802-R"]["distance_km"] > 0 and blocks["4187802"]["trips"] >= 1
    version = cli("plan", "version", "--depot", "K", "--date", DAY, "--json").json()["plan_version"]
    assigned = cli("plan", "assign", "4187802-R", "D1", "--depot", "K", "--date", DAY, "--version", str(version),
                   at=now)
    assert assigned.code == 0, assigned.stderr
    board = {b["block_id"]: b for b in cli("day", "board", "--depot", "K", "--json", at=now).json()["blocks"]}
    if "4187802" in board:  # it may have ended before the lookback once shortened
        assert board["4187802"]["vehicle_id"] == "E4" and board["4187802"]["status"] == "completed"
    assert board["4187802-R"]["vehicle_id"] == "D1"
    late = cli("block", "split", "4187802", "--depot", "K", "--date", DAY, "--at", "23:59", at=now)
    assert late.code == 1


def test_a_change_out_happening_now_takes_the_swap_bus_in_the_same_step(db_url: str, tmp_path: Path) -> None:
    """A split whose rest started already would be a missed pull-out at once (found replaying a real day):
    refused in words, unless the bus that takes over is named; then it gets the new block in the split's
    own version step (one transaction, the version checked)."""
    cli = kcm(db_url, tmp_path)
    assert cli("plan", "assign", "4187802", "E4", "--depot", "K", "--date", DAY, "--version", "0").code == 0
    now = "2016-04-13T12:35:00-07:00"  # the bus broke down at 12:00; the trip of 12:28 has left without it
    late = cli("block", "split", "4187802", "--depot", "K", "--date", DAY, "--at", "12:00", at=now)
    assert late.code == 1
    said = " ".join(late.stderr.split())
    assert "would start at 12:28, before now (12:35)" in said and "missed pull-out" in said, said
    assert "--swap-vehicle" in said and "the next trip of the block starts at 13:24" in said
    listed = cli("day", "blocks", "--depot", "K", "--date", DAY, "--json", at=now).json()["blocks"]
    ids = {b["block_id"] for b in listed}
    assert "4187802-R" not in ids and version(cli) == 1  # nothing written
    unversioned = cli("block", "split", "4187802", "--depot", "K", "--date", DAY, "--at", "12:00",
                      "--swap-vehicle", "D1", at=now)
    assert unversioned.code == 1 and "--version" in unversioned.stderr and version(cli) == 1
    r = cli("block", "split", "4187802", "--depot", "K", "--date", DAY, "--at", "12:00", "--swap-vehicle", "D1",
            "--version", "1", "--json", at=now)
    assert r.code == 0, r.stderr
    doc = r.json()
    assert (doc["plan_version"], doc["swap_vehicle"], doc["new_block"]["block_id"]) == (2, "D1", "4187802-R")
    board = {b["block_id"]: b for b in cli("day", "board", "--depot", "K", "--json", at=now).json()["blocks"]}
    rest = board["4187802-R"]
    assert rest["vehicle_id"] == "D1" and rest["status"] == "in_service"
    assert "no_vehicle" not in [x["code"] for x in (rest.get("live") or {}).get("reasons", [])]
    log = cli("audit", "log", "--depot", "K", "--block", "4187802-R", "--json", at=now).json()["events"]
    assert [(e["kind"], e["vehicle_id"], e["plan_version"]) for e in log] == [("assigned", "D1", 2),
                                                                               ("adhoc_created", None, 2)]
    # a change-out planned ahead with a swap bus that has warnings: refused until acknowledged, as `plan assign`
    assert cli("fleet", "availability", "E3", "--depot", "K", "--status", "maintenance", "--reason", "brakes",
               at=now).code == 0
    split = ("block", "split", "4187804", "--depot", "K", "--date", DAY, "--at", "20:00", "--swap-vehicle", "E3",
             "--version", "2")
    warned = cli(*split, at=now)
    said = " ".join(warned.stderr.split())
    assert warned.code == 1 and "in maintenance" in said and "--override-reason TEXT --acknowledge unavailable" in said
    assert version(cli) == 2 and "4187804-R" not in {
        b["block_id"] for b in cli("day", "blocks", "--depot", "K", "--date", DAY, "--json", at=now).json()["blocks"]}
    why = ("--override-reason", "back from the shop at 19:00")
    assert cli(*split, *why, at=now).code == 1 and version(cli) == 2  # a reason alone names no warning
    codes = [w.split()[0].strip(")") for w in said.split("--acknowledge ")[1:]]
    over = cli(*split, *why, *[a for c in codes for a in ("--acknowledge", c)], at=now)
    assert over.code == 0, over.stderr
    said = " ".join(over.stdout.split())
    assert "4187804-R takes the rest from" in said and "E3 takes it over (override); plan version 3" in said


def test_the_api_split_refuses_a_past_rest_as_a_problem_and_takes_a_swap_bus(app, db_url: str,  # type: ignore[no-untyped-def]
                                                                              tmp_path: Path) -> None:
    from tests.auth_helpers import api_client

    kcm(db_url, tmp_path)  # the app's clock: 09:00, after 4187802's trip of 07:18
    c = api_client(app, role="dispatcher", depots=["K"])
    url = f"/api/v1/depots/K/days/{DAY}/blocks/4187802/split"
    r = c.post(url, json={"at": "2016-04-13T07:00:00-07:00"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert "would start at 07:18, before now (09:00)" in problem["detail"] and problem["column"] == "swap_vehicle"
    plan = c.get(f"/api/v1/depots/K/days/{DAY}/plan").json()
    assert plan["plan_version"] == 0 and "4187802-R" not in {b["block_id"] for b in plan["blocks"]}
    stale = c.post(url, json={"at": "2016-04-13T07:00:00-07:00", "swap_vehicle": "D1", "plan_version": 7})
    assert stale.status_code == 409
    r = c.post(url, json={"at": "2016-04-13T07:00:00-07:00", "swap_vehicle": "D1", "plan_version": 0})
    assert r.status_code == 200, r.text
    assert (r.json()["swap_vehicle"], r.json()["plan_version"], r.json()["new_block"]["block_id"]) == ("D1", 1,
                                                                                                       "4187802-R")


def version(cli) -> int:  # type: ignore[no-untyped-def]
    return int(cli("plan", "version", "--depot", "K", "--date", DAY, "--json").json()["plan_version"])


def _feed_dates(path: Path) -> dict[str, tuple[date, date, set[int]]]:
    with zipfile.ZipFile(path) as z:
        rows = list(csv.DictReader(io.StringIO(z.read("calendar.txt").decode("utf-8-sig"))))
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    return {r["service_id"]: (datetime.strptime(r["start_date"], "%Y%m%d").date(),
                              datetime.strptime(r["end_date"], "%Y%m%d").date(),
                              {i + 1 for i, d in enumerate(days) if r[d] == "1"}) for r in rows}


def test_shifting_the_end_date_by_a_week_adds_exactly_the_right_days(db_url: str, tmp_path: Path) -> None:
    cli = kcm(db_url, tmp_path)
    schedule = cli("schedule", "list", "--depot", "K", "--json").json()["schedules"][0]
    end = date.fromisoformat(schedule["end"])
    services = _feed_dates(shared("gtfs", KCM))
    # independently: a weekday of the new week gets service when some calendar.txt service runs on that
    # weekday in the feed's last week
    last_week = [end - timedelta(days=i) for i in range(7)]
    served = {d.isoweekday() for d in last_week for s, e, wd in services.values() if s <= d <= e and
              d.isoweekday() in wd}
    expected = [end + timedelta(days=i) for i in range(1, 8) if (end + timedelta(days=i)).isoweekday() in served]
    new_end = (end + timedelta(days=7)).isoformat()
    dry = cli("schedule", "applicability", str(schedule["schedule_id"]), "--depot", "K", "--end", new_end,
              "--dry-run", "--json").json()
    assert dry["dates_added"] == [d.isoformat() for d in expected] and dry["dates_removed"] == []
    assert cli("schedule", "list", "--depot", "K", "--json").json()["schedules"][0]["end"] == schedule["end"]
    applied = cli("schedule", "applicability", str(schedule["schedule_id"]), "--depot", "K", "--end", new_end,
                  "--json").json()
    assert applied["applied"] and cli("schedule", "list", "--depot", "K", "--json").json()["schedules"][0]["end"] \
        == new_end
    setup = cli("day", "setup", "--depot", "K", "--date", expected[-1].isoformat(), "--json").json()
    assert setup["blocks"] > 0


def test_removing_a_weekday_with_assignments_needs_confirmation(db_url: str, tmp_path: Path) -> None:
    cli = kcm(db_url, tmp_path)
    sid = str(cli("schedule", "list", "--depot", "K", "--json").json()["schedules"][0]["schedule_id"])
    for i, block in enumerate(("4187805", "4141009")):
        assert cli("plan", "assign", block, f"E{i + 1}", "--depot", "K", "--date", DAY, "--version", str(i),
                   "--override-reason", "test").code == 0
    refused = cli("schedule", "applicability", sid, "--depot", "K", "--weekdays", "124567")  # no Wednesdays
    assert refused.code == 1 and "2 assignment(s)" in refused.stderr and "confirm" in refused.stderr
    assert len(cli("day", "blocks", "--depot", "K", "--date", DAY, "--json").json()["blocks"]) == 25
    done = cli("schedule", "applicability", sid, "--depot", "K", "--weekdays", "124567", "--confirm", "--json")
    assert done.code == 0, done.stderr
    assert done.json()["assignments_lost"] == 2
    assert cli("day", "blocks", "--depot", "K", "--date", DAY, "--json").json()["blocks"] == []
    log = cli("audit", "log", "--depot", "K", "--date", DAY, "--json").json()["events"]
    lost = [e for e in log if e["kind"] == "unassigned"]
    assert sorted((e["block_id"], e["vehicle_id"]) for e in lost) == [("4141009", "E2"), ("4187805", "E1")]
    assert all("schedule correction" in e["before"]["why"] for e in lost)
    assert any(e["kind"] == "applicability_changed" for e in cli("audit", "log", "--depot", "K", "--json").json()[
        "events"])


def test_past_days_are_never_changed(db_url: str, tmp_path: Path) -> None:
    cli = kcm(db_url, tmp_path, now="2016-04-20T12:00:00-07:00")
    sid = str(cli("schedule", "list", "--depot", "K", "--json").json()["schedules"][0]["schedule_id"])
    r = cli("schedule", "applicability", sid, "--depot", "K", "--weekdays", "124567", "--json")
    assert r.code == 0 and "2016-04-13" in r.json()["dates_removed"]
    assert all(d["past"] for d in r.json()["set_up_days"] if d["service_date"] == DAY)
    assert len(cli("day", "blocks", "--depot", "K", "--date", DAY, "--json").json()["blocks"]) == 25


def test_dst_weekend_edit(db_url: str, tmp_path: Path) -> None:
    feed = make_feed(tmp_path / "v.zip", trips=[
        ("t1", "S", "N1", [("A", "01:00:00", "01:00:00"), ("B", "05:00:00", "05:00:00")])],
        calendar="service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
                 "S,1,1,1,1,1,1,1,20260301,20260327\n")
    cli = lambda *a: run_cli(db_url, *a, now="2026-03-20T12:00:00+02:00")  # noqa: E731
    cli("depot", "add", "V", "--name", "Vilnius", "--tz", "Europe/Vilnius")
    assert cli("schedule", "import-gtfs", str(feed), "--depot", "V").code == 0
    r = cli("schedule", "applicability", "1", "--depot", "V", "--end", "2026-03-29", "--json").json()
    assert r["dates_added"] == ["2026-03-28", "2026-03-29"]  # they borrow the feed's last Saturday and Sunday
    cli("day", "setup", "--depot", "V", "--date", "2026-03-29")
    [block] = cli("day", "blocks", "--depot", "V", "--date", "2026-03-29", "--json").json()["blocks"]
    # noon is EEST (UTC+3) on the 29th: origin 21:00Z the day before; 01:00 -> 22:00Z, a 4 h block
    assert block["pull_out"] == "2026-03-28T22:00:00+00:00" and block["pull_in"] == "2026-03-29T02:00:00+00:00"


BAD_CORRECTIONS = [(["--start", "2016-05-01", "--end", "2016-04-01"], "before start"),
                   (["--weekdays", "8"], "weekdays"),
                   (["--add-date", "13/04/2016"], "YYYY-MM-DD")]


def test_bad_corrections_are_refused(db_url: str, tmp_path: Path) -> None:
    cli = kcm(db_url, tmp_path)  # one depot for the three: each refusal must leave the schedule as it was
    for args, phrase in BAD_CORRECTIONS:
        r = cli("schedule", "applicability", "1", "--depot", "K", *args)
        assert r.code == 1 and phrase in r.stderr, (args, r.stderr)
        assert cli("schedule", "list", "--depot", "K", "--json").json()["schedules"][0]["weekdays"] == "1234567"


def test_late_changes_through_the_api(app, db_url: str, tmp_path: Path) -> None:
    from tests.auth_helpers import api_client


    kcm(db_url, tmp_path)
    app.clock.fixed = datetime.fromisoformat(EVENING)
    c = api_client(app)
    base = f"/api/v1/depots/K/days/{DAY}/blocks"
    r = c.post(base, json={"block_id": "X9", "adhoc_reason": "extra_service", "pull_out": "2016-04-13T16:00:00-07:00",
                           "pull_in": "2016-04-13T18:00:00-07:00", "distance_km": 40})
    assert r.status_code == 201 and r.json()["block"]["origin"] == "adhoc"
    assert c.post(base, json={"block_id": "X9", "adhoc_reason": "extra_service",
                              "pull_out": "2016-04-13T16:00:00-07:00",
                              "pull_in": "2016-04-13T18:00:00-07:00"}).status_code == 409
    bad = c.post(base, json={"block_id": "X8", "adhoc_reason": "boredom", "pull_out": "2016-04-13T16:00:00-07:00",
                             "pull_in": "2016-04-13T18:00:00-07:00"})
    assert bad.status_code == 422 and bad.json()["column"] == "adhoc_reason"
    r = c.patch(base + "/X9", json={"distance_km": 55})
    assert r.status_code == 200 and r.json()["block"]["distance_km"] == 55
    assert c.post(base + "/4141009/cancel", json={"reason": "driver shortage"}).json()["block"]["cancel_reason"] \
        == "driver shortage"
    assert c.post(base + "/4141009/restore").json()["block"]["cancelled_at"] is None
    assert c.delete(base + "/X9").status_code == 200
    assert c.delete(base + "/X9").status_code == 404
    preview = c.post("/api/v1/depots/K/schedules/1/applicability/preview",
                     json={"start": "2016-04-13", "end": "2016-09-09", "weekdays": "12456"})
    assert preview.status_code == 200 and DAY in preview.json()["dates_removed"]
    bad = c.put("/api/v1/depots/K/schedules/1/applicability", json={"start": "2016-05-01", "end": "2016-04-01"})
    assert bad.status_code == 422 and "before start" in bad.json()["detail"]
    assert c.put("/api/v1/depots/K/schedules/9/applicability",
                 json={"start": "2016-04-13", "end": "2016-09-09"}).status_code == 404
