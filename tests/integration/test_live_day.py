"""Actuals from live data (GTrans AVL rows, telemetry block ids) and the simulator, on both databases."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from depotdispatch.adapters.fleet_csv import read_fleet
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.telemetry import parse_message
from depotdispatch.services import days, depots, fleet, readings, schedules, telemetry
from depotdispatch.services import plan as plan_svc
from depotdispatch.services.board import board
from depotdispatch.services.views import board_doc
from tests.helpers import run_cli, shared
from tests.mqtt_helpers import Broker

GTRANS_NOW = "2025-06-20T12:50:00-07:00"


def _blocks(app, depot: str, csv_text: str, day: date, t0: datetime) -> None:  # type: ignore[no-untyped-def]
    from depotdispatch.adapters.blocks_csv import read_blocks
    from depotdispatch.domain.applicability import Applicability

    schedules.import_blocks(app.uow(), depot, "blocks", read_blocks(csv_text.encode()), Applicability(day, day), t0)
    days.setup_day(app.uow(), depot, day, t0)


def _assign(app, depot: str, day: date, pairs, t0: datetime) -> None:  # type: ignore[no-untyped-def]
    v = 0
    for block, vid in pairs:
        v = plan_svc.assign(app.uow(), depot, day, block, vid, plan_version=v, actor="t", now=t0,
                            override_reason="test", acknowledge=["soc_missing"]).plan_version


def test_gtrans_avl_rows_record_actuals_and_a_mismatch_shows_on_the_board(app, db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    t0 = datetime.fromisoformat("2025-06-20T00:00:00-07:00")
    day = date(2025, 6, 20)
    depots.add_depot(app.uow(), Depot("G", "GTrans", "America/Los_Angeles"), t0)
    parsed = read_fleet(shared("energy", "gtrans_2025-06-20", "bus_specifications.csv").read_bytes())
    fleet.import_fleet(app.uow(), "G", parsed.rows, parsed.problems)
    _blocks(app, "G", "block_id,pull_out,pull_in,distance_km\n92,05:00,20:00,250\n82,05:30,19:00,240\n"
                      "12,06:00,21:00,260\n13,06:10,20:30,250\n43,07:00,19:30,230\n", day, t0)
    _assign(app, "G", day, [("92", "2404"), ("82", "2405"), ("12", "2401"), ("43", "2406")], t0)
    avl = shared("dispatch", "gtrans_2025-06-20", "realtime_inservice_dispatch_data.csv")
    res = run_cli(db_url, "--now", GTRANS_NOW, "actuals", "import", str(avl), "--depot", "G", "--json")
    assert res.code == 0, res.stderr
    doc = res.json()
    # the five battery buses of the fleet file are on blocks 92, 82, 12, 13, 43; the rest are other buses
    assert (doc["rows"], doc["started"], doc["ended"], doc["unmatched"]) == (29, 5, 0, 0)
    assert doc["mismatches"] == [{"block_id": "82", "service_date": "2025-06-20", "planned": "2405", "seen": "2403"}]
    assert len(doc["rejected"]) == 24 and "is not in depot 'G'" in doc["rejected"][0]["reason"]
    with app.uow() as uow:
        b92 = uow.days.block("G", day, "92")
    assert b92.actual_vehicle_id == "2404"
    # a snapshot at 12:48 finds it on its block, and nothing says it left late: out at its 05:00 pull-out,
    # not at the sighting (which would have it pull in almost 8 h late)
    assert b92.actual_start == datetime.fromisoformat("2025-06-20T05:00:00-07:00")
    with app.uow() as uow:
        froms = [e.after["from"] for e in uow.plans.events("G") if e.kind == "actuals_recorded" and e.block_id == "92"]
    assert froms == ["live data; first seen on it at 12:48, not seen since its pull-out before that, so taken to "
                     "have left on time"]
    rows = {r["block_id"]: r for r in board_doc(board(app.uow(), "G", datetime.fromisoformat(GTRANS_NOW)))["blocks"]}
    assert rows["82"]["status"] == "in_service" and rows["82"]["actual_vehicle_id"] == "2403"
    codes = [r["code"] for r in rows["82"]["reasons"]]
    assert "vehicle_mismatch" in codes
    message = next(r["message"] for r in rows["82"]["reasons"] if r["code"] == "vehicle_mismatch")
    assert message.startswith("2403 is running this block (out since 05:30), but the plan has 2405")  # local
    assert "vehicle_mismatch" not in [r["code"] for r in rows["92"]["reasons"]]
    # back at the depot: the planned 2405 (never seen on 82) ends nothing; 2403, which runs it, ends it
    later = tmp_path / "avl_later.csv"
    later.write_text("bus_id,tmstmp,block_id,at_depot\n2405,20250620 13:10:00,,yes\n2403,20250620 13:20:00,,yes\n"
                     "2406,20250620 13:05:00,82,\n")  # another bus on 82's id: 82 has its bus
    res = run_cli(db_url, "--now", "2025-06-20T13:30:00-07:00", "actuals", "import", str(later), "--depot", "G",
                  "--json")
    assert res.code == 0, res.stderr
    assert (res.json()["started"], res.json()["ended"]) == (0, 1)
    with app.uow() as uow:
        b82 = uow.days.block("G", day, "82")
    assert (b82.actual_vehicle_id, b82.actual_end) == ("2403", datetime.fromisoformat("2025-06-20T13:20:00-07:00"))
    # a file of nothing usable is refused
    bad = avl.parent.parent.parent / "nope.csv"
    res = run_cli(db_url, "actuals", "import", str(bad), "--depot", "G")
    assert res.code == 1 and "Traceback" not in res.stderr


EV = VehicleType("XE40", "bev", usable_kwh=400, kwh_per_km=1.3, vehicle_class="12m", charge_kw=150)


def _simple_day(app) -> tuple[str, date]:  # type: ignore[no-untyped-def]
    t0 = datetime.fromisoformat("2026-11-01T00:00:00+00:00")
    depots.add_depot(app.uow(), Depot("NY", "New York", "America/New_York"), t0)
    day = date(2026, 11, 2)
    _blocks(app, "NY", "block_id,pull_out,pull_in,distance_km\nEARLY,05:00,09:00,60\nMID,08:00,16:00,150\n"
                       "LATE,17:00,23:30,100\n", day, t0)
    fleet.import_fleet(app.uow(), "NY", [FleetEntry(i, f"E{i}", EV) for i in (1, 2, 3)])
    _assign(app, "NY", day, [("EARLY", "E1"), ("MID", "E2"), ("LATE", "E3")], t0)
    return "NY", day


def test_telemetry_block_ids_start_blocks_and_a_return_ends_them(app) -> None:  # type: ignore[no-untyped-def]
    depot, day = _simple_day(app)
    now = datetime.fromisoformat("2026-11-02T10:00:00-05:00")

    def msg(vid: str, at: str, **extra: object) -> object:
        import json

        return parse_message(f"depots/{depot}/vehicles/{vid}/telemetry",
                             json.dumps({"soc_pct": 70, "measured_at": at} | extra).encode())

    result = telemetry.take_telemetry(app.uow(), [
        msg("E1", "2026-11-02T05:03:00-05:00"),  # seen after EARLY's 05:00 pull-out, not on it: it leaves late
        msg("E1", "2026-11-02T05:12:00-05:00", block_id="EARLY", odometer_km=100.0),
        msg("E3", "2026-11-02T08:01:00-05:00", block_id="MID", soc_pct=55),  # the wrong bus on MID
        msg("E2", "2026-11-02T08:30:00-05:00", at_depot=True),  # MID's planned bus, at the depot: ends nothing
        msg("E1", "2026-11-02T09:05:00-05:00", at_depot=True),
    ], now)
    assert result.stored == 5
    with app.uow() as uow:
        early, mid = uow.days.block(depot, day, "EARLY"), uow.days.block(depot, day, "MID")
        kinds = [(e.kind, e.block_id, e.vehicle_id) for e in uow.plans.events(depot)]
    assert early.actual_start == datetime.fromisoformat("2026-11-02T05:12:00-05:00")
    assert early.actual_end == datetime.fromisoformat("2026-11-02T09:05:00-05:00")
    # first seen on MID a minute after its pull-out, not seen before: out at the pull-out; E2 did not end it
    assert (mid.actual_vehicle_id, mid.actual_start.isoformat(), mid.actual_end) == (
        "E3", "2026-11-02T13:00:00+00:00", None)
    assert ("actuals_recorded", "MID", "E3") in kinds
    rows = {r["block_id"]: r for r in board_doc(board(app.uow(), depot, now))["blocks"]}
    assert rows["EARLY"]["status"] == "completed" and rows["EARLY"]["reasons"] == []
    assert [r["code"] for r in rows["MID"]["reasons"]].count("vehicle_mismatch") == 1
    # the live risk is the bus's on the road (E3, read during MID), not the planned E2's
    assert rows["MID"]["live_risk"]["reading"]["soc_pct"] == 55


def test_simulator_publishes_a_day_the_worker_stores(app, db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    depot, day = _simple_day(app)
    readings.add_readings(app.uow(), [(1, SocReading("E1", 85, datetime.fromisoformat("2026-11-02T03:00:00-05:00"),
                                                     "telematics"))], datetime.fromisoformat("2026-11-02T03:00-05:00"))
    run_cli(db_url, "charger", "import", str(_chargers(tmp_path)), "--depot", depot)
    broker = Broker(tmp_path).start()
    now = "2026-11-02T10:00:00-05:00"
    try:
        first = run_cli(db_url, "--now", now, "worker", "telematics", "--port", str(broker.port), "--seconds", "0.3",
                        "--client-id", "dd-sim")  # makes the session, so the broker keeps what comes next
        assert first.code == 0, first.stderr
        sim = run_cli(db_url, "--now", now, "simulate", "telematics", "--depot", depot, "--date", day.isoformat(),
                      "--speed", "100000", "--broker", f"127.0.0.1:{broker.port}", "--every-s", "300", "--json")
        assert sim.code == 0, sim.stderr
        doc = sim.json()
        assert doc["published"] > 100 and doc["runs_low"] == "E2"
        res = run_cli(db_url, "--now", now, "worker", "telematics", "--port", str(broker.port), "--messages",
                      str(doc["published"]), "--seconds", "60", "--client-id", "dd-sim", "--json")
    finally:
        broker.stop()
    assert res.code == 0, res.stderr
    got = res.json()
    assert got["stored"] == doc["published"] and got["rejected"] == {}
    with app.uow() as uow:
        early = uow.days.block(depot, day, "EARLY")
        latest = uow.readings.latest_for_depot(depot, datetime.fromisoformat(now))
    assert early.actual_vehicle_id == "E1" and early.actual_end is not None  # back at 09:00
    # it is out at EARLY's pull-out: seen at the depot up to 05:00 and on the block from then
    assert early.actual_start - datetime.fromisoformat("2026-11-02T05:00:00-05:00") < timedelta(minutes=5)
    with app.uow() as uow:  # each bus said where it stands in the yard: a bay of its own (none was set)
        spots = uow.yard.spots(depot)
    assert sorted(s.bay for s in spots.values()) == ["1", "2", "3"]
    assert latest["E2"].odometer_km is not None and latest["E2"].measured_at <= datetime.fromisoformat(now)
    assert latest["E2"].soc_pct < 85
    bad = run_cli(db_url, "simulate", "telematics", "--depot", depot, "--date", day.isoformat(), "--broker", "nohost")
    assert bad.code == 1 and "HOST:PORT" in bad.stderr
    assert run_cli(db_url, "simulate", "telematics", "--depot", depot, "--date", "2026-12-25").code == 1


def _chargers(tmp_path):  # type: ignore[no-untyped-def]
    p = tmp_path / "chargers.csv"
    p.write_text("charger_id,max_kw,connectors\nC1,150,2\n")
    return p
