"""KPIs on a constructed week with a known answer for every number, on both databases.

Depot W (UTC), ISO week 2026-W48 (Mon 23 - Sun 29 November). Every day has four blocks:
A1 06-10 40 km, A2 07-11 60 km, A3 12-16 50 km, A4 13-17 50 km (A4 needs a 12m bus).
Fleet: E1, E2 (BEV, 12m), D1 (diesel, 12m), D2 (diesel, 10m). EVs read 90 % at 04:30 and 80 % at
11:30 (plugged in) unless said otherwise; the plan is made at 05:00, so the first pull-out is 06:00.

  Mon  A1 E1, A2 E2, A3 E1, A4 E2                                    all EV
  Tue  A2 on D1 while E2 was free and ok at 07:00                    substitution (no reason recorded)
  Wed  A4 on D2 as an override ("short of EV drivers", class_mismatch) while E2 was free and ok
                                                                     substitution + override (unknown)
  Thu  A3 on D1 at 05:00 while E2 was free; at 09:00 E2 takes ad-hoc X3 (12:30-15:00, 30 km), so at
       A3's pull-out no EV was free                                  NOT a substitution; churn 1
  Fri  A3, A4 cancelled at 04:50. E2 reads 38 % unplugged, E1 30 %: A1 on E2 (marginal, override
       "tight but fine"), E2 reads 15 % at 10:05 -> proved right; A2 on E1 (not viable, override
       "no other bus"), E1 reads 45 % at 11:10 -> proved wrong. No 11:30 readings.
  Sat  A3 on E1 cut short: actual 12:00-14:00                        an ok verdict that failed
  Sun  A4 never gets a vehicle                                       uncovered; A3 E1 -> E2 at 08:00, churn 1

Expected, worked out by hand before the code:
  ran with a vehicle 4+4+4+5+2+4+3 = 26, by EVs 4+3+3+4+2+4+3 = 23 -> ev_share_blocks 23/26 = 0.8846
  km 200+200+200+230+100+200+150 = 1280, EV km 200+140+150+180+100+200+150 = 1120 -> 0.875
  substitutions: Tue A2 (D1, E2, "no reason recorded (manual)"), Wed A4 (D2, E2, "short of EV drivers")
  overrides 3: right 1 (Fri A1), wrong 1 (Fri A2), unknown 1 (Wed A4, a diesel with no reading)
  warning accuracy W48: warned 3 = right 1, wrong 1, unknown 1; ok 23 = failed 1 (Sat A3),
    held 11 (A1/E1 and A2/E2 read at 11:30 on Mon, Wed, Thu, Sat, Sun; A1/E1 on Tue), unknown 11
  plan churn 2 (Thu X3, Sun A3), both manual; uncovered 1 (Sun A4)
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from depotdispatch.bootstrap import App
from depotdispatch.domain.applicability import Applicability
from depotdispatch.domain.blocks import BlockWork
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.services import actuals, adhoc, days, depots, fleet, plan, readings, schedules
from depotdispatch.services import kpi as svc
from tests.helpers import override, run_cli

MON = date(2026, 11, 23)
WEEK = [MON + timedelta(days=i) for i in range(7)]
AFTER = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
EV = VehicleType("XE", "bev", usable_kwh=400, kwh_per_km=1.3, vehicle_class="12m", charge_kw=150)
DIESEL = VehicleType("D12", "diesel", vehicle_class="12m")
SMALL = VehicleType("D10", "diesel", vehicle_class="10m")
BLOCKS = [BlockWork("A1", 6 * 3600, 10 * 3600, 40, "stated", (), ()),
          BlockWork("A2", 7 * 3600, 11 * 3600, 60, "stated", (), ()),
          BlockWork("A3", 12 * 3600, 16 * 3600, 50, "stated", (), ()),
          BlockWork("A4", 13 * 3600, 17 * 3600, 50, "stated", (), (), vehicle_class="12m")]


def at(d: date, h: int, m: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, h, m, tzinfo=UTC)


class Week:
    def __init__(self, app: App) -> None:
        self.app = app

    def assign(self, d: date, block: str, vehicle: str, now: datetime, reason: str | None = None) -> list[str]:
        version = plan.plan_version(self.app.uow(), "W", d)
        change = override(self.app.uow(), "W", d, block, vehicle, plan_version=version, actor="test", now=now,
                          override_reason=reason)
        return change.warnings

    def read(self, vehicle: str, when: datetime, soc: float, plugged: bool = True) -> None:
        r = readings.add_reading(self.app.uow(), SocReading(vehicle, soc, when, "telematics", plugged_in=plugged), when)
        assert r.stored == 1


def build_week(app: App) -> Week:
    start = at(MON, 0) - timedelta(days=2)
    depots.add_depot(app.uow(), Depot("W", "Week depot", "UTC"), start)
    schedules.import_blocks(app.uow(), "W", "week", BLOCKS, Applicability(MON, WEEK[-1]), start)
    fleet.import_fleet(app.uow(), "W", [FleetEntry(1, "E1", EV), FleetEntry(2, "E2", EV),
                                        FleetEntry(3, "D1", DIESEL), FleetEntry(4, "D2", SMALL)])
    w = Week(app)
    for i, d in enumerate(WEEK):
        days.setup_day(app.uow(), "W", d, start)
        friday = i == 4
        w.read("E1", at(d, 4, 30), 30 if friday else 90, plugged=not friday)
        w.read("E2", at(d, 4, 30), 38 if friday else 90, plugged=not friday)
        plan_at = at(d, 5)
        if i == 0:  # Mon: all EV
            for b, v in (("A1", "E1"), ("A2", "E2"), ("A3", "E1"), ("A4", "E2")):
                assert w.assign(d, b, v, plan_at) == []
        elif i == 1:  # Tue: A2 on a diesel while E2 is free
            for b, v in (("A1", "E1"), ("A2", "D1"), ("A3", "E1"), ("A4", "E2")):
                assert w.assign(d, b, v, plan_at) == []
        elif i == 2:  # Wed: A4 on the small diesel, an override
            for b, v in (("A1", "E1"), ("A2", "E2"), ("A3", "E1")):
                assert w.assign(d, b, v, plan_at) == []
            assert w.assign(d, "A4", "D2", plan_at, reason="short of EV drivers") == ["class_mismatch"]
        elif i == 3:  # Thu: A3 on D1 while E2 is free at 05:00 -- but E2 takes X3 at 09:00
            for b, v in (("A1", "E1"), ("A2", "E2"), ("A3", "D1"), ("A4", "E1")):
                assert w.assign(d, b, v, plan_at) == []
            adhoc.create_adhoc(app.uow(), "W", d, adhoc.AdhocSpec("X3", "extra_service", at(d, 12, 30), at(d, 15),
                                                                  30.0), actor="test", now=at(d, 8, 55))
            assert w.assign(d, "X3", "E2", at(d, 9)) == []
        elif i == 4:  # Fri: two overrides on low EVs; the afternoon is cancelled
            for b in ("A3", "A4"):
                adhoc.cancel_block(app.uow(), "W", d, b, "strike", actor="test", now=at(d, 4, 50))
            assert w.assign(d, "A1", "E2", plan_at, reason="tight but fine") == ["soc_marginal"]
            assert w.assign(d, "A2", "E1", plan_at, reason="no other bus") == ["soc_below_reserve"]
            w.read("E2", at(d, 10, 5), 15)  # came back below the 20 % reserve: the warning was right
            w.read("E1", at(d, 11, 10), 45)  # came back well above it: the warning was wrong
        else:
            for b, v in (("A1", "E1"), ("A2", "E2"), ("A3", "E1")):
                assert w.assign(d, b, v, plan_at) == []
            if i == 5:  # Sat: A4 too; A3 cut short
                assert w.assign(d, "A4", "E2", plan_at) == []
                actuals.record_actuals(app.uow(), "W", d, "A3", actual_start=at(d, 12), actual_end=at(d, 14),
                                       actor="t", now=at(d, 14, 5))
            else:  # Sun: A4 stays open; A3 moves to E2 during the day
                assert w.assign(d, "A3", "E2", at(d, 8)) == []
        if not friday:
            w.read("E1", at(d, 11, 30), 80)
            w.read("E2", at(d, 11, 30), 80)
    return w


def test_a_constructed_week_gives_the_known_answer(app: App) -> None:
    build_week(app)
    doc = svc.report_doc(svc.report(app.uow(), "W", WEEK[0], WEEK[-1], AFTER), "W")
    assert (doc["from"], doc["to"]) == ("2026-11-23", "2026-11-29")
    assert (doc["blocks"], doc["ev_blocks"]) == (26, 23)
    assert doc["ev_share_blocks"] == pytest.approx(23 / 26, abs=1e-4)
    assert (doc["km"], doc["ev_km"]) == (1280, 1120)
    assert doc["ev_share_km"] == pytest.approx(0.875)
    assert [(d["blocks"], d["ev_blocks"], d["km"], d["ev_km"]) for d in doc["days"]] == [
        (4, 4, 200, 200), (4, 3, 200, 140), (4, 3, 200, 150), (5, 4, 230, 180), (2, 2, 100, 100),
        (4, 4, 200, 200), (3, 3, 150, 150)]
    assert doc["days"][3]["ev_block_ids"] == ["A1", "A2", "X3", "A4"]  # drill-down, in pull-out order
    subs = [{k: s[k] for k in ("service_date", "block_id", "vehicle_id", "ev_available", "reason")}
            for s in doc["diesel_substitutions"]]
    assert subs == [
        {"service_date": "2026-11-24", "block_id": "A2", "vehicle_id": "D1", "ev_available": "E2",
         "reason": "no reason recorded (manual)"},
        {"service_date": "2026-11-25", "block_id": "A4", "vehicle_id": "D2", "ev_available": "E2",
         "reason": "short of EV drivers"}]  # and not Thursday's A3: E2 was busy with X3 by its pull-out
    assert doc["substitutions_by_reason"] == {"no reason recorded (manual)": 1, "short of EV drivers": 1}
    o = doc["overrides"]
    assert (o["count"], o["proved_right"], o["proved_wrong"], o["unknown"]) == (3, 1, 1, 1)
    assert o["by_reason"] == {"short of EV drivers": 1, "tight but fine": 1, "no other bus": 1}
    assert o["by_code"] == {"class_mismatch": 1, "soc_marginal": 1, "soc_below_reserve": 1}
    verdicts = {(i["service_date"], i["block_id"]): (i["verdict"], i["outcome"]) for i in o["items"]}
    assert verdicts == {("2026-11-25", "A4"): ("unknown", "unknown"),
                        ("2026-11-27", "A1"): ("proved_right", "below_reserve"),
                        ("2026-11-27", "A2"): ("proved_wrong", "fine")}
    assert all(i["event_id"] for i in o["items"])  # each links to its event
    [week] = doc["warning_accuracy"]
    assert week["week"] == "2026-W48"
    assert (week["warned"], week["warned_right"], week["warned_wrong"], week["warned_unknown"]) == (3, 1, 1, 1)
    assert (week["ok"], week["ok_failed"], week["ok_held"], week["ok_unknown"]) == (23, 1, 11, 11)
    assert week["blocks"]["ok_failed"] == [{"service_date": "2026-11-28", "block_id": "A3"}]
    assert doc["plan_churn"] == 2 and doc["plan_churn_by_source"] == {"manual": 2}
    assert [(c["service_date"], c["block_id"], c["kind"]) for c in doc["drilldown"]["plan_churn"]] == [
        ("2026-11-26", "X3", "assigned"), ("2026-11-29", "A3", "reassigned")]
    assert doc["uncovered"] == 1
    assert doc["drilldown"]["uncovered"] == [{"service_date": "2026-11-29", "block_id": "A4"}]


def test_the_answer_depends_on_the_time_asked(app: App) -> None:
    build_week(app)
    # Wednesday 12:30: Mon and Tue ran, Wed's A1-A2 completed and A3 in service; A4 (13:00) has not started
    r = svc.report(app.uow(), "W", WEEK[0], WEEK[-1], at(WEEK[2], 12, 30))
    assert (r.blocks, r.ev_blocks) == (11, 10)
    assert [(s.service_date, s.block_id) for s in r.substitutions] == [(WEEK[1], "A2")]
    assert r.uncovered == [] and r.churn == []


def test_the_records_are_freed_before_the_cycle_collector_is_back_on(app: App, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Back on, the collector's first pass walks every object still alive: a year's records (~10^6) took
    0.35-0.45 s of it, only to be freed on return. They must be gone by then; the report is unchanged."""
    import gc
    import weakref

    from depotdispatch.services import cycles

    build_week(app)
    expected = svc.report_doc(svc.report(app.uow(), "W", WEEK[0], WEEK[-1], AFTER), "W")
    made: list[weakref.ref[object]] = []
    alive_at_enable: list[bool] = []
    load = svc.load_facts

    def spy_load(*args, **kwargs):  # type: ignore[no-untyped-def]
        facts = load(*args, **kwargs)
        made.append(weakref.ref(facts))
        return facts

    class Gc:
        isenabled, disable = staticmethod(gc.isenabled), staticmethod(gc.disable)

        @staticmethod
        def enable() -> None:
            alive_at_enable.append(made[-1]() is not None)
            gc.enable()

    monkeypatch.setattr(svc, "load_facts", spy_load)
    monkeypatch.setattr(cycles, "gc", Gc)  # the pause is services/cycles.no_cycle_collection's
    assert gc.isenabled()
    doc = svc.report_doc(svc.report(app.uow(), "W", WEEK[0], WEEK[-1], AFTER), "W")
    assert alive_at_enable == [False] and gc.isenabled()
    assert doc == expected


def test_the_kpi_reads_the_blocks_the_days_repository_gives(app: App) -> None:
    """The KPI reads blocks as columns and makes a block's DayBlock only when a rule asks for it: both,
    columns and blocks, are what the days' repository gives, to the microsecond."""
    from dataclasses import replace

    from depotdispatch.domain.kpi_records import micros

    build_week(app)
    sun = WEEK[-1]
    odd = timedelta(microseconds=123_457)
    actuals.record_actuals(app.uow(), "W", sun, "A1", actual_start=at(sun, 6, 2) + odd,
                           actual_end=at(sun, 9, 58) + 2 * odd, actor="t", now=at(sun, 10))
    with app.uow() as uow:
        table = uow.kpis.blocks("W", WEEK[0], sun)
        want = {(b.service_date, b.block_id): b for b in uow.days.blocks_for_dates("W", WEEK[0], sun)}
    assert len(table) == len(want) == 29 and sorted(table.keys()) == sorted(want)
    for i, key in enumerate(table.keys()):
        b = want[key]
        # the fields no KPI reads are left at their defaults
        assert table[i] == replace(b, routes=(), schedule_id=None, generated=False, cancel_reason=None,
                                   actual_vehicle_id=None, block_name=None), key
        assert table[i] is table[i]  # made once
        assert (int(table.start_us[i]), int(table.end_us[i])) == (micros(b.pull_out), micros(b.pull_in))
        for us, known, t in ((table.actual_start_us, table.has_actual_start, b.actual_start),
                             (table.actual_end_us, table.has_actual_end, b.actual_end)):
            assert bool(known[i]) == (t is not None) and (t is None or int(us[i]) == micros(t))
        assert bool(table.cancelled[i]) == (b.cancelled_at is not None)
        assert b.cancelled_at is None or int(table.cancel_us[i]) == micros(b.cancelled_at)
        assert (table.distance_km[i], table.replaces_block[i], table.note[i]) == (b.distance_km, b.replaces_block,
                                                                                  b.note)
    [a1] = [i for i, k in enumerate(table.keys()) if k == (sun, "A1")]
    assert table[a1].actual_end == at(sun, 9, 58) + 2 * odd
    assert sum(bool(c) for c in table.cancelled) == 2


def test_cli_kpi_json_csv_and_yesterday(db_url: str, app: App, tmp_path) -> None:  # type: ignore[no-untyped-def]
    build_week(app)
    now = AFTER.isoformat()
    r = run_cli(db_url, "kpi", "--depot", "W", "--from", "2026-11-23", "--to", "2026-11-29", "--json", now=now)
    assert r.code == 0, r.stderr
    doc = r.json()
    for key in ("from", "to", "blocks", "ev_blocks", "ev_share_blocks", "ev_share_km", "diesel_substitutions",
                "overrides", "plan_churn", "uncovered"):
        assert key in doc
    assert set(doc["diesel_substitutions"][0]) >= {"service_date", "block_id", "vehicle_id", "ev_available",
                                                   "reason"}
    assert set(doc["overrides"]) >= {"count", "by_reason", "proved_right", "proved_wrong", "unknown"}
    r = run_cli(db_url, "kpi", "--depot", "W", "--from", "2026-11-23", "--to", "2026-11-29", "--csv", now=now)
    assert r.code == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [x["service_date"] for x in rows] == [d.isoformat() for d in WEEK] + ["total"]
    assert rows[-1]["blocks"] == "26" and rows[-1]["ev_blocks"] == "23" and rows[-1]["uncovered"] == "1"
    assert rows[1]["diesel_substitutions"] == "1" and rows[4]["overrides_proved_wrong"] == "1"
    out = tmp_path / "daily.csv"
    r = run_cli(db_url, "kpi", "--depot", "W", "--yesterday", "-o", str(out), now="2026-11-28T03:00:00+00:00")
    assert r.code == 0, r.stderr
    text = out.read_bytes().decode("utf-8-sig")  # a BOM, so a spreadsheet reads it as UTF-8
    daily = list(csv.DictReader(io.StringIO(text)))
    assert [x["service_date"] for x in daily] == ["2026-11-27", "total"]
    assert daily[0]["blocks"] == "2" and daily[0]["overrides"] == "2"
    r = run_cli(db_url, "kpi", "--depot", "W", "--from", "2026-11-23", "--to", "2026-11-29", now=now)
    assert r.code == 0 and "E2" in r.stdout  # the table for people names the free EV


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "2026-11-29", "--to", "2026-11-23"], "before"),
    (["--from", "2026-01-01", "--to", "2027-06-01"], "at most"),
    (["--from", "yesterday", "--to", "2026-11-23"], "date"),
    (["--from", "2026-11-23"], "--to"),
    (["--yesterday", "--from", "2026-11-23", "--to", "2026-11-24"], "either"),
    (["--from", "2026-11-23", "--to", "2026-11-24", "--json", "--csv"], "one of"),
])
def test_cli_kpi_refuses_bad_input(db_url: str, args: list[str], message: str) -> None:
    run_cli(db_url, "depot", "add", "W", "--name", "W", "--tz", "UTC")
    r = run_cli(db_url, "kpi", "--depot", "W", *args)
    assert r.code == 1 and message in r.stderr and "Traceback" not in r.stderr
    assert r.stdout == ""


def test_cli_kpi_unknown_depot(db_url: str) -> None:
    r = run_cli(db_url, "kpi", "--depot", "NOPE", "--from", "2026-11-23", "--to", "2026-11-24")
    assert r.code == 1 and "NOPE" in r.stderr


def test_api_kpis_with_drill_down_and_problems(app: App) -> None:
    from tests.auth_helpers import api_client

    build_week(app)
    c = api_client(app, role="viewer")
    q = {"from": "2026-11-23", "to": "2026-11-29", "now": AFTER.isoformat()}
    r = c.get("/api/v1/depots/W/kpis", params=q)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert (doc["from"], doc["blocks"], doc["ev_blocks"], doc["uncovered"], doc["plan_churn"]) == (
        "2026-11-23", 26, 23, 1, 2)
    assert [s["block_id"] for s in doc["diesel_substitutions"]] == ["A2", "A4"]
    assert doc["overrides"]["proved_wrong"] == 1
    # a drill-down id leads to the event behind the number
    event_id = doc["diesel_substitutions"][0]["event_id"]
    log = c.get("/api/v1/depots/W/events", params={"block_id": "A2", "service_date": "2026-11-24"})
    assert event_id in [e["event_id"] for e in log.json()["events"]]
    csv_r = c.get("/api/v1/depots/W/kpis.csv", params=q)
    assert csv_r.status_code == 200 and csv_r.headers["content-type"].startswith("text/csv")
    assert csv_r.text.lstrip("\ufeff").startswith("service_date,blocks,ev_blocks")
    bad = c.get("/api/v1/depots/W/kpis", params={"from": "2026-11-29", "to": "2026-11-23"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert "before" in bad.json()["detail"]
    assert c.get("/api/v1/depots/W/kpis", params={"from": "x", "to": "2026-11-23"}).status_code == 422
    assert c.get("/api/v1/depots/W/kpis", params={"to": "2026-11-23"}).status_code == 422
    assert c.get("/api/v1/depots/NOPE/kpis", params=q).status_code == 404
    assert "/api/v1/depots/{depot}/kpis" in c.get("/api/v1/openapi.json").json()["paths"]


@pytest.mark.parametrize(("out_at", "substitution"), [((6, 30), False), ((7, 30), True)])
def test_an_ev_out_of_service_before_pull_out_leaves_no_substitution(app: App, out_at: tuple[int, int],
                                                                     substitution: bool) -> None:

    build_week(app)
    tue = WEEK[1]  # A2 pulls out at 07:00 on D1 while E2 stands free
    fleet.set_availability(app.uow(), "W", "E2", "maintenance", reason="door fault", until=None, actor="yard",
                           now=at(tue, *out_at))
    fleet.set_availability(app.uow(), "W", "E2", "available", reason="fixed", until=None, actor="yard",
                           now=at(tue, 12))
    r = svc.report(app.uow(), "W", WEEK[0], WEEK[-1], AFTER)
    assert ((tue, "A2") in {(s.service_date, s.block_id) for s in r.substitutions}) is substitution
    assert (WEEK[2], "A4") in {(s.service_date, s.block_id) for s in r.substitutions}  # back by Wednesday


def test_readings_come_back_to_the_microsecond_so_a_reading_at_the_block_end_counts(app: App) -> None:
    """The KPI reads instants as whole microseconds computed by the database (no float on the way):
    a reading exactly at the block's end is its first reading after it; one a microsecond before is not."""
    build_week(app)
    end = at(MON, 10) + timedelta(microseconds=123_456)
    w = Week(app)
    w.read("E1", end - timedelta(microseconds=1), 50)
    w.read("E1", end, 12)
    with app.uow() as uow:
        log = uow.kpis.readings("W", at(MON, 0), AFTER)
    i = log.first_after_index("E1", end, timedelta(hours=1))
    assert i is not None
    assert (log.reading(i).measured_at, log.reading(i).soc_pct) == (end, 12)
    before = log.first_after_index("E1", end - timedelta(microseconds=1), timedelta(0))
    assert before is not None and log.reading(before).soc_pct == 50
    assert log.first_after_index("E1", end + timedelta(microseconds=1), timedelta(microseconds=10)) is None


@pytest.mark.parametrize("deadhead_km", [0.0, 40.0])
def test_a_substitution_is_judged_with_the_deadhead_the_recommendation_counts(app: App, tmp_path,  # type: ignore[no-untyped-def]
                                                                             deadhead_km: float) -> None:
    """U-M replay finding 13: the KPI called D1 on a block a diesel substitution because a free EV was 'ok'
    for it, while the recommendation had judged that EV marginal: the KPI's blocks came without their trips,
    so the depot's deadhead to and from a block timed by its trips was left out of its energy. With the
    deadhead, both judge the EV the same, and the KPI counts a substitution only when the EV was ok."""
    from depotdispatch.adapters.gtfs import read_gtfs
    from depotdispatch.services import yard
    from depotdispatch.services.plan import day_context
    from tests.gtfs_builder import make_feed

    day, tz = date(2026, 6, 10), "America/Toronto"
    t0 = datetime(2026, 6, 10, 5, 0, tzinfo=UTC)  # 01:00 local
    depots.add_depot(app.uow(), Depot("K", "K", tz, temperature_c=15), t0)
    feed = make_feed(tmp_path / "f.zip", trips=[  # A-C-A twice: 24 km
        (f"t{k}", "S", "B1", [("A", f"0{h}:00:00", f"0{h}:00:00"), ("C", f"0{h}:30:00", f"0{h}:30:00"),
                              ("A", f"0{h + 1}:00:00", f"0{h + 1}:00:00")]) for k, h in ((1, 6), (2, 7))])
    schedules.import_gtfs(app.uow(), "K", read_gtfs(feed), t0)
    days.setup_day(app.uow(), "K", day, t0)
    ev = VehicleType("E", "bev", usable_kwh=80, kwh_per_km=1.3, vehicle_class="12m", charge_kw=None)  # B1: 31 kWh
    fleet.import_fleet(app.uow(), "K", [FleetEntry(1, "E1", ev),
                                        FleetEntry(2, "D1", VehicleType("D", "diesel", vehicle_class="12m"))])
    yard.set_charging_settings(app.uow(), "K", t0, "t", pull_out_allowance_km=deadhead_km / 2,
                               pull_in_allowance_km=deadhead_km / 2)
    readings.add_readings(app.uow(), [(1, SocReading("E1", 100, t0, "telematics"))], t0)
    with app.uow() as uow:
        ctx = day_context(uow, depots.require_depot(uow, "K"), day, t0)
        [b1] = [b for b in ctx.blocks if b.block_id == "B1"]
        verdict = ctx.judge.judge("E1", b1, [b1]).status  # what the recommendation and the board say of E1
        kpi_blocks = {b.block_id: b.trip_ids for b in uow.kpis.blocks("K", day, day)}
    assert kpi_blocks == {b.block_id: b.trip_ids for b in ctx.blocks} and kpi_blocks["B1"] == ("t1", "t2")
    assert verdict == ("ok" if deadhead_km == 0 else "not_viable")  # the case is what it means to be
    change = plan.assign(app.uow(), "K", day, "B1", "D1", plan_version=plan.plan_version(app.uow(), "K", day),
                         actor="t", now=t0)
    assert change.plan_version
    r = svc.report(app.uow(), "K", day, day, datetime(2026, 6, 11, 12, 0, tzinfo=UTC))
    counted = [(s.block_id, s.ev_available) for s in r.substitutions]
    assert counted == ([("B1", "E1")] if verdict == "ok" else []), counted


def test_a_day_on_which_no_bus_was_ever_assigned_gives_kpis_not_a_traceback(db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Big Blue Bus replay follow-up: `kpi` on a day whose blocks ran and never had a bus raised IndexError from
    # kpi_columns.in_effect (no vehicle steps at all to look up)
    from tests.gtfs_builder import make_feed

    trips = [("t1", "S", "B1", [("A", "06:00:00", "06:00:00"), ("B", "07:00:00", "07:00:00")])]
    cli = lambda *a, at="2026-06-10T05:00:00-04:00": run_cli(db_url, *a, now=at)  # noqa: E731
    assert cli("depot", "add", "T", "--name", "Toronto", "--tz", "America/Toronto").code == 0
    assert cli("schedule", "import-gtfs", str(make_feed(tmp_path / "f.zip", trips=trips)), "--depot", "T").code == 0
    assert cli("day", "setup", "--depot", "T", "--date", "2026-06-10").code == 0
    r = cli("kpi", "--depot", "T", "--from", "2026-06-10", "--to", "2026-06-10", "--json",
            at="2026-06-10T12:00:00-04:00")
    assert r.code == 0, r.stderr
    doc = r.json()
    assert (doc["blocks"], doc["uncovered"], doc["ev_share_blocks"]) == (0, 1, None)


def test_a_missed_pull_out_cancelled_later_still_counts_as_uncovered(db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Big Blue Bus replay: G-818634 started at 08:50 with no bus and was cancelled at 10:05; `kpi` said
    # uncovered 0 at 18:30, and also when asked for a time before the cancelling. DESIGN §12: uncovered are the
    # blocks that started with no vehicle. A block cancelled before its pull-out did not start.
    from tests.gtfs_builder import make_feed

    trips = [("t1", "S", "B1", [("A", "06:00:00", "06:00:00"), ("B", "09:00:00", "09:00:00")]),
             ("t2", "S", "B2", [("A", "10:00:00", "10:00:00"), ("B", "11:00:00", "11:00:00")])]
    cli = lambda *a, at="2026-06-10T05:00:00-04:00": run_cli(db_url, *a, now=at)  # noqa: E731
    assert cli("depot", "add", "T", "--name", "Toronto", "--tz", "America/Toronto").code == 0
    assert cli("schedule", "import-gtfs", str(make_feed(tmp_path / "f.zip", trips=trips)), "--depot", "T").code == 0
    assert cli("day", "setup", "--depot", "T", "--date", "2026-06-10").code == 0
    for block_id in ("B1", "B2"):  # B1 after its 06:00 pull-out, B2 before its 10:00 one
        r = cli("block", "cancel", block_id, "--depot", "T", "--date", "2026-06-10", "--reason", "no driver",
                at="2026-06-10T07:00:00-04:00")
        assert r.code == 0, r.stderr

    def uncovered(at: str) -> list[str]:
        r = cli("kpi", "--depot", "T", "--from", "2026-06-10", "--to", "2026-06-10", "--json", at=at)
        assert r.code == 0, r.stderr
        assert r.json()["uncovered"] == len(r.json()["drilldown"]["uncovered"])
        return [k["block_id"] for k in r.json()["drilldown"]["uncovered"]]

    assert uncovered("2026-06-10T12:00:00-04:00") == ["B1"]
    assert uncovered("2026-06-10T06:30:00-04:00") == ["B1"]  # before the cancelling: B1 started with no bus
    assert uncovered("2026-06-10T05:30:00-04:00") == []  # nothing had started
