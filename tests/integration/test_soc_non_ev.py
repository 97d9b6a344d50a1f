"""A state of charge is a battery-electric bus's: a reading for a diesel is rejected with a reason on every
intake path (CSV, API, telematics), never stored without a word (found replaying a real day: `soc import`
stored D201's 80 %). Real database; the telemetry batch goes through the worker's own intake function."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from depotdispatch.adapters.blocks_csv import read_blocks
from depotdispatch.domain.applicability import Applicability
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.telemetry import Telemetry
from depotdispatch.services import days, depots, fleet, schedules, telemetry
from tests.auth_helpers import api_client
from tests.helpers import NOW, run_cli

EV = VehicleType("XE", "bev", usable_kwh=400, kwh_per_km=1.3)
DIESEL = VehicleType("D40", "diesel")


def _fleet(app) -> None:  # type: ignore[no-untyped-def]
    depots.add_depot(app.uow(), Depot("M", "Mixed", "America/Los_Angeles"), NOW)
    fleet.import_fleet(app.uow(), "M", [FleetEntry(1, "E1", EV), FleetEntry(2, "D1", DIESEL)])


def _stored(app, vehicle: str) -> int:  # type: ignore[no-untyped-def]
    with app.uow() as uow:
        return len(uow.readings.for_vehicle(vehicle))


def test_csv_and_api_reject_a_diesels_reading_with_a_reason(app, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _fleet(app)
    at = (NOW - timedelta(minutes=30)).isoformat()
    f = tmp_path / "soc.csv"
    f.write_text(f"vehicle_id,soc_pct,measured_at,source\nE1,80,{at},manual\nD1,80,{at},manual\n")
    r = run_cli(db_url, "soc", "import", str(f), "--json", now=NOW.isoformat())
    assert r.code == 0, r.stderr
    doc = r.json()
    assert doc["stored"] == 1 and [x["row"] for x in doc["rejected"]] == [3]
    assert "D1 is a diesel vehicle, not battery-electric" in doc["rejected"][0]["reason"]
    human = run_cli(db_url, "soc", "import", str(f), now=NOW.isoformat())
    assert "1 rejected" in human.stdout and "row 3" in human.stderr and "not battery-electric" in human.stderr
    one = run_cli(db_url, "soc", "add", "D1", "55", now=NOW.isoformat())
    assert one.code == 1 and "not battery-electric" in one.stderr

    c = api_client(app)
    r2 = c.post("/api/v1/soc-readings", json={"readings": [
        {"vehicle_id": "D1", "soc_pct": 60, "measured_at": at, "source": "telematics"},
        {"vehicle_id": "E1", "soc_pct": 61, "measured_at": at, "source": "telematics"}]})
    assert r2.status_code == 200, r2.text
    assert r2.json()["stored"] == 1 and [x["row"] for x in r2.json()["rejected"]] == [0]
    assert "not battery-electric" in r2.json()["rejected"][0]["reason"]
    assert _stored(app, "D1") == 0 and _stored(app, "E1") == 2


def test_telemetry_counts_a_diesels_reading_as_not_electric_and_keeps_where_it_is(app) -> None:  # type: ignore[no-untyped-def]
    _fleet(app)
    day = NOW.date()
    work = read_blocks(b"block_id,pull_out,pull_in,distance_km\nMORNING,08:00,12:00,60\n")
    schedules.import_blocks(app.uow(), "M", "b", work, Applicability(day, day), NOW)
    days.setup_day(app.uow(), "M", day, NOW)
    seen = NOW - timedelta(minutes=50)  # 08:10, on the block
    result = telemetry.take_telemetry(app.uow(), [
        Telemetry("M", SocReading("D1", 70, seen, "telematics"), block_id="MORNING"),
        Telemetry("M", SocReading("E1", 90, seen, "telematics")),
    ], NOW)
    assert result.stored == 1 and dict(result.rejected) == {"not_electric": 1}
    assert "not battery-electric" in str(result.details[0]["detail"])
    counts = {r["reason"]: r["count"] for r in telemetry.rejection_counts(app.uow(), "M")}
    assert counts == {"not_electric": 1}
    assert _stored(app, "D1") == 0
    # the reading is refused, not the sighting: the diesel on the block still starts it
    block = days.day_blocks(app.uow(), "M", day, NOW).blocks[0][0]
    # (its first sighting, 10 min after the pull-out, and not seen before: out at the pull-out, domain/actuals)
    assert block.actual_start == block.pull_out == seen - timedelta(minutes=10) and block.actual_vehicle_id == "D1"


def test_a_reading_with_an_unknown_source_is_rejected_on_its_own_with_a_sentence(app, db_url: str,
                                                                               tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The source is a word checked where the reading is made: a bad one is that item's rejection (API, CSV)
    or the command's error (soc add), never a crash and never the whole batch."""
    _fleet(app)
    at = (NOW - timedelta(minutes=30)).isoformat()
    c = api_client(app, role="dispatcher", depots=["M"])
    r = c.post("/api/v1/soc-readings", json={"readings": [
        {"vehicle_id": "E1", "soc_pct": 60, "measured_at": at, "source": "rumour"},
        {"vehicle_id": "E1", "soc_pct": 61, "measured_at": at, "source": "charger"}]})
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 1
    assert r.json()["rejected"] == [{"row": 0, "reason": "source 'rumour' is not one of telematics, charger, "
                                                         "manual, estimate"}]
    f = tmp_path / "soc.csv"
    f.write_text(f"vehicle_id,soc_pct,measured_at,source\nE1,70,{at},hearsay\nE1,71,{at},manual\n")
    doc = run_cli(db_url, "soc", "import", str(f), "--json", now=NOW.isoformat()).json()
    assert doc["stored"] == 1 and [x["row"] for x in doc["rejected"]] == [2]
    assert "source 'hearsay' is not one of" in doc["rejected"][0]["reason"]
    bad = run_cli(db_url, "soc", "add", "E1", "50", "--source", "guess", now=NOW.isoformat())
    assert bad.code != 0 and "source 'guess' is not one of telematics" in bad.stderr
    assert _stored(app, "E1") == 2
