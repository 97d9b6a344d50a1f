"""A hostile client against the API (issue 17), on both databases: problems, never a 500 or a hang."""

from __future__ import annotations

import http.client
import sqlite3
import threading
import time
from datetime import date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from depotdispatch.adapters.blocks_csv import read_blocks
from depotdispatch.adapters.clock import Clock
from depotdispatch.asgi import create_app
from depotdispatch.bootstrap import App
from depotdispatch.domain.applicability import Applicability
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.errors import Conflict
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.plan import Assignment
from depotdispatch.domain.readings import SocReading
from depotdispatch.services import days, depots, fleet, readings, schedules
from depotdispatch.services import plan as plan_svc
from tests.auth_helpers import api_client

DAY = date(2026, 11, 25)
NOW = datetime.fromisoformat("2026-11-25T03:00:00+01:00")
EV = VehicleType("XE", "bev", usable_kwh=400, kwh_per_km=1.3, charge_kw=150)
BLOCKS = "block_id,pull_out,pull_in,distance_km\n" + "".join(f"{100 + i},05:00,09:00,60\n" for i in range(20))
BASE = "/api/v1/depots/B/days/2026-11-25"


def seed(app: App) -> None:
    depots.add_depot(app.uow(), Depot("B", "Berlin", "Europe/Berlin"), NOW)
    schedules.import_blocks(app.uow(), "B", "b", read_blocks(BLOCKS.encode()), Applicability(DAY, DAY), NOW)
    days.setup_day(app.uow(), "B", DAY, NOW)
    fleet.import_fleet(app.uow(), "B", [FleetEntry(i, f"E{i}", EV) for i in range(1, 21)])
    readings.add_readings(app.uow(), [(i, SocReading(f"E{i}", 95, NOW - timedelta(hours=1), "telematics"))
                                      for i in range(1, 21)], NOW)


@pytest.fixture
def client(app: App) -> TestClient:
    seed(app)
    return api_client(app)


def _problem(r, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers["content-type"] == "application/problem+json"
    return r.json()


# item 1: a unique-key race is a conflict, not a 500 (the safety net under the version check)
def test_a_duplicate_key_from_a_concurrent_writer_is_a_conflict(app: App) -> None:
    seed(app)
    with app.uow() as uow:
        day_id = uow.days.day_id("B", DAY)
        pk = uow.days.block("B", DAY, "100").pk
        a = Assignment("100", "E1", "manual", "x", NOW, None, (), pk)
        with pytest.raises(Conflict):
            with uow:
                uow.plans.put_many(day_id, [(pk, a), (pk, a)], NOW)


def test_racing_writers_of_one_block_get_200_or_409(templates, backend) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite serialises whole write transactions")
    with templates.fresh("postgresql") as url:
        setup = App(url, Clock(NOW))
        seed(setup)
        outcomes: list[object] = []
        for _ in range(15):
            version = plan_svc.plan_version(setup.uow(), "B", DAY)
            start = threading.Barrier(2, timeout=20)

            def write(vehicle: str, start: threading.Barrier = start, version: int = version) -> None:
                app = App(url, Clock(NOW))
                try:
                    start.wait()
                    outcomes.append(plan_svc.assign(app.uow(), "B", DAY, "100", vehicle, plan_version=version,
                                                    actor=vehicle, now=NOW))
                except Exception as exc:  # noqa: BLE001 - asserted below
                    outcomes.append(exc)
                finally:
                    app.close()

            threads = [threading.Thread(target=write, args=(v,)) for v in ("E1", "E2")]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
        setup.close()
        assert all(isinstance(o, plan_svc.PlanChange | Conflict) for o in outcomes), outcomes


# item 2: a read never waits for SQLite's write lock; date ranges are bounded
def test_reads_do_not_wait_for_a_writer_on_sqlite(client: TestClient, app: App, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite's database lock")
    holder = sqlite3.connect(app.engine.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a long writer holds the write lock
    holder.execute("UPDATE depots SET name = 'held' WHERE depot_id = 'B'")
    try:
        started = time.monotonic()
        r = client.get(BASE + "/plan")
        assert r.status_code == 200 and time.monotonic() - started < 5, r.text[:300]
        assert client.get("/api/v1/depots/B/board").status_code == 200
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_reading_unit_of_work_cannot_write(app: App, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("query_only is SQLite's")
    seed(app)
    with app.reader() as uow, pytest.raises(Exception, match="readonly"):
        uow.session.execute(__import__("sqlalchemy").text("UPDATE depots SET name = 'x'"))


def test_applicability_preview_over_ten_thousand_years_is_a_quick_422(client: TestClient) -> None:
    started = time.monotonic()
    for start, end in (("0001-01-01", "9999-12-31"), ("2026-01-01", "2036-01-01")):
        r = client.post("/api/v1/depots/B/schedules/1/applicability/preview", json={"start": start, "end": end})
        _problem(r, 422)
    assert time.monotonic() - started < 5


# item 3: out-of-range datetimes
@pytest.mark.parametrize("path", ["/api/v1/depots/B/board", BASE + "/board", BASE + "/plan", BASE + "/sheet"])
def test_now_at_the_end_of_time_is_a_422(client: TestClient, path: str) -> None:
    assert "outside" in _problem(client.get(path, params={"now": "9999-12-31T23:59:59-14:00"}), 422)["detail"]


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-14:00"])
def test_datetime_fields_at_the_ends_of_time_are_422(client: TestClient, when: str) -> None:
    r = client.post("/api/v1/soc-readings", json={"readings": [{"vehicle_id": "E1", "soc_pct": 50,
                                                                 "measured_at": when}]})
    _problem(r, 422)
    r = client.post(BASE + "/blocks", json={"block_id": "X1", "adhoc_reason": "extra_service", "pull_out": when,
                                            "pull_in": "2026-11-25T10:00:00+01:00", "plan_version": 0})
    _problem(r, 422)
    _problem(client.post(BASE + "/blocks/100/split", json={"at": when, "plan_version": 0}), 422)
    _problem(client.get("/api/v1/depots/B/days/9999-12-31/plan"), 422)


# item 6 and 13: lengths, NUL and control characters, the same on both databases
@pytest.mark.parametrize("vehicle", ["E" * 65, "E\u0000", "B\x1b[31mRED"])
def test_bad_ids_in_bodies_are_422(client: TestClient, vehicle: str) -> None:
    _problem(client.put(BASE + "/plan/assignments/100", json={"vehicle_id": vehicle, "plan_version": 0}), 422)
    r = client.post("/api/v1/soc-readings", json={"readings": [{"vehicle_id": vehicle, "soc_pct": 50,
                                                                 "measured_at": "2026-11-25T01:00:00Z"}]})
    _problem(r, 422)


@pytest.mark.parametrize("path", ["/api/v1/depots/B%00/board", BASE + "/plan/assignments/1%1b00",
                                  "/api/v1/depots/" + "B" * 65 + "/board"])
def test_nul_and_long_ids_in_paths_are_4xx(client: TestClient, path: str) -> None:
    r = client.put(path, json={"vehicle_id": "E1", "plan_version": 0}) if "assignments" in path else client.get(path)
    _problem(r, 422)
    _problem(client.get("/api/v1/depots/B/board", params={"now": "2026-11-25T03:00:00\u0000"}), 422)


def test_long_texts_are_refused_alike(client: TestClient) -> None:
    for body in ({"vehicle_id": "E1", "plan_version": 0, "override_reason": "x" * 501},):
        _problem(client.put(BASE + "/plan/assignments/100", json=body), 422)
    adhoc = {"block_id": "X" * 201, "adhoc_reason": "extra_service", "pull_out": "2026-11-25T08:00:00+01:00",
             "pull_in": "2026-11-25T10:00:00+01:00", "plan_version": 0, "vehicle_class": "c" * 65}
    _problem(client.post(BASE + "/blocks", json=adhoc), 422)


# item 7: NaN and Infinity in JSON (Python's parser takes them)
@pytest.mark.parametrize("odometer", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused(client: TestClient, odometer: str) -> None:
    body = ('{"readings": [{"vehicle_id": "E1", "soc_pct": 50, "measured_at": "2026-11-25T01:00:00Z", '
            f'"odometer_km": {odometer}}}]}}')
    _problem(client.post("/api/v1/soc-readings", content=body, headers={"content-type": "application/json"}), 422)


# item 11: bodies are capped before they are read, and a problem echoes only a short prefix
def test_oversized_bodies_are_413_and_long_fields_are_not_echoed(client: TestClient) -> None:
    huge = b'{"readings": [' + b'{"vehicle_id": "E1"},' * 300_000 + b"{}]}"
    _problem(client.post("/api/v1/soc-readings", content=huge, headers={"content-type": "application/json"}), 413)
    r = client.put(BASE + "/plan/assignments/100", json={"vehicle_id": "E1", "plan_version": "x" * 5_000_000})
    problem = _problem(r, 413)  # 5 MB of JSON is over the cap
    r = client.put(BASE + "/plan/assignments/100", json={"vehicle_id": "E1", "plan_version": 0,
                                                         "acknowledge": ["y" * 1_000_000]})
    problem = _problem(r, 422)
    assert len(r.content) < 20_000, len(r.content)
    r = client.put(BASE + "/plan/assignments/100", json={"vehicle_id": "E1"}, headers={"If-Match": "z" * 5000})
    assert _problem(r, 422) and len(r.content) < 2_000
    assert problem["status"] == 422


# item 15: what the OpenAPI document says
def test_openapi_types_dates_and_documents_the_problems(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    op = spec["paths"]["/api/v1/depots/{depot}/days/{service_date}/plan"]["get"]
    date_param = next(p for p in op["parameters"] if p["name"] == "service_date")
    assert date_param["schema"]["format"] == "date"
    assert {"400", "404", "413", "422", "500"} <= set(op["responses"])


def test_405_names_every_method_of_the_path(client: TestClient) -> None:
    r = client.post(BASE + "/plan/assignments/100/nothing")
    assert r.status_code == 404
    r = client.post(BASE + "/plan/assignments/100")
    _problem(r, 405)
    assert set(r.headers["allow"].split(", ")) == {"PUT", "DELETE"}
    r = client.patch(BASE + "/blocks/100")
    assert r.status_code != 405
    r = client.get(BASE + "/blocks/100")
    assert set(_problem(r, 405) and r.headers["allow"].split(", ")) == {"PATCH", "DELETE"}


def test_booleans_are_strict(client: TestClient) -> None:
    for value in (0, 1, "yes"):
        r = client.post("/api/v1/soc-readings", json={"readings": [{"vehicle_id": "E1", "soc_pct": 50,
                                                                     "measured_at": "2026-11-25T01:00:00Z",
                                                                     "plugged_in": value}]})
        _problem(r, 422)


# item 10: a 500 keeps the keep-alive connection
@pytest.mark.parametrize(("path", "said"), [("/api/boom", b"internal-error"),
                                             ("/boom", b"Something went wrong on our side")], ids=["api", "page"])
def test_the_connection_survives_a_500(app: App, unused_port: int, path: str, said: bytes) -> None:
    import uvicorn

    api = create_app(app)

    @api.get(path)
    def boom() -> None:
        raise RuntimeError("a bug")

    server = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=unused_port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        conn = http.client.HTTPConnection("127.0.0.1", unused_port, timeout=10)
        conn.request("GET", path)
        r = conn.getresponse()
        assert r.status == 500 and said in r.read()
        conn.request("GET", "/healthz")  # the same connection
        r = conn.getresponse()
        assert r.status == 200 and r.read() == b'{"status":"ok"}'
        conn.close()
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# item 16: a big sheet's preview comes in pages; the summary covers every row
def test_big_sheet_preview_is_paged(client: TestClient) -> None:
    sheet = "block_id,vehicle_id\n" + "".join(f"{100 + i % 20},E{i % 20 + 1}\n" for i in range(2500))
    r = client.post(BASE + "/sheet/previews", files={"file": ("s.csv", sheet.encode(), "text/csv")},
                    params={"rows_limit": 100, "rows_offset": 200})
    doc = r.json()
    assert r.status_code == 200 and len(doc["rows"]) == 100 and doc["rows"][0]["row"] == 202
    assert (doc["rows_total"], doc["next_offset"]) == (2500, 300) and doc["summary"]
    r = client.post(BASE + "/sheet/previews", files={"file": ("s.csv", sheet.encode(), "text/csv")})
    assert len(r.json()["rows"]) == 1000 and len(r.content) < 400_000


def test_a_500_never_claims_nothing_changed_and_names_its_log_entry(app: App,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    """A request can fail after it saved one change (a second unit of work, the response itself): the
    problem says what is true (the unsaved part was rolled back) and gives the reference of the one log
    entry with the traceback."""
    api = create_app(app)

    @api.get("/api/boom-after-saving")
    def boom() -> None:
        raise RuntimeError("a bug after the commit")

    with caplog.at_level("ERROR", logger="depotdispatch.api"):
        r = TestClient(api, raise_server_exceptions=False).get("/api/boom-after-saving")
    doc = r.json()
    assert r.status_code == 500 and doc["type"].endswith("/internal-error")
    assert "nothing was changed" not in doc["detail"] and "rolled back" in doc["detail"]
    ref = doc["detail"].split("reference ")[1].split(",")[0]
    logged = [rec for rec in caplog.records if ref in rec.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info and "a bug after the commit" in str(logged[0].exc_info[1])


@pytest.mark.parametrize("partial", [False, True], ids=["page", "htmx-partial"])
def test_a_web_500_never_claims_nothing_changed_and_names_its_log_entry(app: App, partial: bool,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    """The page twin of the API's 500: the same truth (what was not saved was rolled back, reload to see
    what is stored) and the reference of the one log entry, for a whole page and for an htmx partial."""
    server = create_app(app)

    @server.post("/boom-after-saving")
    def boom() -> None:
        raise RuntimeError("a page bug after the commit")

    with caplog.at_level("ERROR", logger="depotdispatch.api"):
        r = TestClient(server, raise_server_exceptions=False).post(
            "/boom-after-saving", headers={"hx-request": "true"} if partial else {})
    assert r.status_code == 500 and r.headers["content-type"].startswith("text/html")
    text = " ".join(r.text.split())
    assert "nothing was changed" not in text.lower() and "rolled back" in text and "reload the page" in text
    ref = text.split("reference ")[1].split(",")[0]
    logged = [rec for rec in caplog.records if ref in rec.getMessage()]
    assert len(logged) == 1 and "a page bug after the commit" in str(logged[0].exc_info[1])  # type: ignore[index]


def test_a_query_parameter_given_twice_is_refused_not_silently_reduced_to_one(client: TestClient) -> None:
    """FastAPI keeps the last value of a repeated scalar; the API has no list parameters, so say so."""
    problem = _problem(client.get("/api/v1/depots/B/board?now=2026-11-25T03:00:00Z&now=2026-11-25T09:00:00Z"), 422)
    assert "'now' more than once" in problem["detail"]
    _problem(client.get("/api/v1/telemetry/rejections?depot=B&depot=C"), 422)
    assert client.get("/api/v1/depots/B/board?now=2026-11-25T03:00:00Z").status_code == 200
