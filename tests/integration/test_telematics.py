"""The telematics worker against real Mosquitto brokers, on both databases.

The shared broker on 127.0.0.1:1883 for the intake and the hostile payloads (a depot id of this run
only, so other runs' messages do not mix in); a broker of the test's own, stopped and started mid-test,
for the persistent session and the restart.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import datetime, timedelta

from depotdispatch.adapters.telematics_mqtt import StoreUnavailable, run_worker
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.services import days, depots, fleet, schedules, telemetry
from depotdispatch.services import plan as plan_svc
from depotdispatch.services.board import board
from depotdispatch.telemetry_worker import make_store
from tests.auth_helpers import api_client
from tests.helpers import NOW, run_cli
from tests.mqtt_helpers import Broker, Publisher, forget_session, free_port

EV = VehicleType("XE", "bev", usable_kwh=400, kwh_per_km=1.3)


def at(minutes: float) -> str:
    return (NOW + timedelta(minutes=minutes)).isoformat()


def reading(minutes: float, soc: float = 70, **extra: object) -> dict[str, object]:
    return {"soc_pct": soc, "measured_at": at(minutes), **extra}


def setup_fleet(app, depot: str, vehicles: list[str], other: str | None = None) -> None:  # type: ignore[no-untyped-def]
    depots.add_depot(app.uow(), Depot(depot, "Test depot", "America/Los_Angeles"), NOW)
    fleet.import_fleet(app.uow(), depot, [FleetEntry(i, v, EV) for i, v in enumerate(vehicles, 1)])
    if other:
        depots.add_depot(app.uow(), Depot(other, "Other depot", "America/Los_Angeles"), NOW)
        fleet.import_fleet(app.uow(), other, [FleetEntry(1, f"{other}-X1", EV)])


def _day_with_block_for(app, depot: str, vehicle: str) -> None:  # type: ignore[no-untyped-def]
    from depotdispatch.adapters.blocks_csv import read_blocks
    from depotdispatch.domain.applicability import Applicability

    day = NOW.date()
    work = read_blocks(b"block_id,pull_out,pull_in,distance_km\nLATER,11:00,14:00,50\n")
    schedules.import_blocks(app.uow(), depot, "b", work, Applicability(day, day), NOW)
    days.setup_day(app.uow(), depot, day, NOW)
    plan_svc.assign(app.uow(), depot, day, "LATER", vehicle, plan_version=0, actor="t", now=NOW,
                    override_reason="test", acknowledge=["soc_missing"])


class Worker:
    """run_worker in a thread until told to stop."""

    def __init__(self, store, port: int, client_id: str, depot: str | None = None) -> None:  # type: ignore[no-untyped-def]
        self.stop, self.ready, self.notes = threading.Event(), threading.Event(), []
        self.stats = None
        self.thread = threading.Thread(target=lambda: setattr(self, "stats", run_worker(
            store, port=port, client_id=client_id, depot_id=depot, on_ready=self.ready.set, say=self.notes.append,
            should_stop=self.stop.is_set, max_backoff_s=1.0)), daemon=True)
        self.thread.start()
        assert self.ready.wait(10), "the worker did not subscribe"

    def finish(self):  # type: ignore[no-untyped-def]
        self.stop.set()
        self.thread.join(20)
        assert not self.thread.is_alive()
        return self.stats


def stored_count(app, depot: str) -> int:  # type: ignore[no-untyped-def]
    with app.uow() as uow:
        return sum(len(uow.readings.for_vehicle(v.vehicle_id, limit=1000)) for v in uow.fleet.vehicles(depot))


def wait_for(predicate, seconds: float = 10) -> float:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    while not predicate():
        assert time.monotonic() - start < seconds, "timed out"
        time.sleep(0.01)
    return time.monotonic() - start


def test_intake_hostile_payloads_and_the_next_good_message(app) -> None:  # type: ignore[no-untyped-def]
    depot, other = f"T{uuid.uuid4().hex[:8]}", f"O{uuid.uuid4().hex[:8]}"
    setup_fleet(app, depot, ["E1", "E2"], other)
    _day_with_block_for(app, depot, "E2")
    client_id = f"dd-test-{uuid.uuid4().hex[:8]}"
    worker = Worker(make_store(app), 1883, client_id, depot)
    pub = Publisher(1883)
    t = f"depots/{depot}/vehicles/%s/telemetry"
    try:
        pub.send(t % "E1", reading(-2, 77, plugged_in=False))
        pub.send(t % "E1", reading(-2, 77, plugged_in=False))  # the same reading again
        hostile = [
            (t % "E1", reading(-1) | {"measured_at": "9999-12-31T23:59:59-14:00"}),  # year 9999
            (t % "E1", b'{"soc_pct": ' + b"9" * 400 + b', "measured_at": "2016-04-13T08:59:00-07:00"}'),
            (t % "E1", b"[" * 100_000 + b"]" * 100_000),  # 100k-deep arrays
            (t % "E1", b"{malformed"),
            (t % "E1", json.dumps(reading(-1) | {"pad": "x" * 100_000})),  # huge
            (t % "E1", reading(-1) | {"soc_pct": "high"}),  # wrong type
            (t % "GHOST", reading(-1)),  # unknown vehicle
            (t % "E2", reading(180)),  # three hours in the future
            (t % f"{other}-X1", reading(-1)),  # a vehicle of another depot
        ]
        pub.send_all(hostile)
        api = api_client(app)
        assert api.get(f"/api/v1/depots/{depot}/board").status_code == 200  # a board client is already looking
        sent = time.monotonic()
        pub.send(t % "E2", reading(-1, 64, odometer_km=1234.5))  # the next good message is still read

        def on_board() -> bool:  # the board a client gets (the API, through its board cache): E2's block judged
            doc = api.get(f"/api/v1/depots/{depot}/board").json()  # on the new reading
            row = next(b for b in doc["blocks"] if b["block_id"] == "LATER")
            seen = ((row["detail"] or {}).get("readiness") or {}).get("reading")
            return seen is not None and seen["soc_pct"] == 64

        wait_for(on_board)
        took = time.monotonic() - sent
        assert took < 1.0, f"a reading took {took:.2f} s from the broker to the board"
        row = next(r for r in board(app.uow(), depot, NOW).rows if r.block.block_id == "LATER")  # the service agrees
        assert row.viability is not None and row.viability.readiness is not None
        assert row.viability.readiness.reading is not None and row.viability.readiness.reading.soc_pct == 64
    finally:
        pub.close()
        stats = worker.finish()
        forget_session(1883, client_id)
    assert (stats.messages, stats.stored, stats.duplicates) == (12, 2, 1)
    assert stats.rejected == {"out_of_range": 2, "too_large": 2, "malformed": 1, "wrong_type": 1,
                              "unknown_vehicle": 1, "future_time": 1, "wrong_depot": 1}
    counts = {r["reason"]: r["count"] for r in telemetry.rejection_counts(app.uow(), depot)}
    assert counts == stats.rejected  # what an admin sees
    with app.uow() as uow:
        latest = uow.readings.latest_for_depot(depot, NOW)
    assert latest["E1"].soc_pct == 77 and latest["E2"].odometer_km == 1234.5 and latest["E2"].source == "telematics"


def test_telematics_says_where_a_bus_stands(app) -> None:  # type: ignore[no-untyped-def]
    """DESIGN §12a: a yard position from telematics, through the real broker, recorded as the yard view would."""
    from depotdispatch.services import audit, yard

    depot = f"P{uuid.uuid4().hex[:8]}"
    setup_fleet(app, depot, ["E1", "E2", "E3"])
    _day_with_block_for(app, depot, "E1")  # E1 is due out at 11:00, E2 not at all
    yard.set_spot(app.uow(), depot, "E3", bay="B9", lane=None, lane_order=None, now=NOW, actor="sam")
    client_id = f"dd-test-{uuid.uuid4().hex[:8]}"
    worker = Worker(make_store(app), 1883, client_id, depot)
    pub = Publisher(1883)
    t = f"depots/{depot}/vehicles/%s/telemetry"
    try:
        pub.send(t % "E1", reading(-3, 70, bay="B1", lane="L1", position=2))
        pub.send(t % "E1", reading(-2, 69, bay="B1", lane="L1", position=2))  # the same place again
        pub.send(t % "E2", reading(-2, 65, bay="B2", lane="L1", position=1))
        pub.send(t % "E2", reading(-1, 64, lane="L1", position=0))  # refused as the yard view refuses it
        pub.send(t % "E3", reading(-5, 60, bay="B3"))  # older than what the yard said of E3 at NOW
        wait_for(lambda: stored_count(app, depot) == 4)
    finally:
        pub.close()
        stats = worker.finish()
        forget_session(1883, client_id)
    assert stats.rejected == {"bad_yard_position": 1}
    assert {r["reason"]: r["count"] for r in telemetry.rejection_counts(app.uow(), depot)} == {"bad_yard_position": 1}
    with app.uow() as uow:
        spots = uow.yard.spots(depot)
    assert [(spots[v].bay, spots[v].lane, spots[v].lane_order) for v in ("E1", "E2", "E3")] == [
        ("B1", "L1", 2), ("B2", "L1", 1), ("B9", None, None)]
    moves = [(e.vehicle_id, e.actor, e.at, e.after) for e in audit.events(app.uow(), depot, kind="yard_spot_set")]
    def spot(bay: str, lane: str | None, order: int | None) -> dict[str, object]:
        return {"bay": bay, "lane": lane, "lane_order": order, "charger_id": None}

    assert sorted(moves, key=lambda m: str(m[0])) == [  # one event per move, at the time the bus was seen there
        ("E1", "telematics", NOW - timedelta(minutes=3), spot("B1", "L1", 2)),
        ("E2", "telematics", NOW - timedelta(minutes=2), spot("B2", "L1", 1)),
        ("E3", "sam", NOW, spot("B9", None, None))]
    view = yard.yard_view(app.uow(), depot, NOW)  # the yard view works from the places telematics gave
    assert [(b["vehicle_id"], b["behind"]) for b in view["blocked_in_lane"]] == [("E1", "E2")]
    assert [(o["vehicle_id"], o["bay"], o["position"]) for o in view["next_pull_outs"]] == [("E1", "B1", 2)]


def stored_readings(app, depot: str) -> list[tuple[str, float, float]]:  # type: ignore[no-untyped-def]
    """Every stored reading of the depot as (vehicle, measured_at as a timestamp, SoC), duplicates kept."""
    with app.uow() as uow:
        return sorted((r.vehicle_id, r.measured_at.timestamp(), r.soc_pct) for v in uow.fleet.vehicles(depot)
                      for r in uow.readings.for_vehicle(v.vehicle_id, limit=1000))


def test_persistent_session_and_a_broker_restart_lose_no_acknowledged_reading(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    depot = "R1"
    setup_fleet(app, depot, ["E1", "E2"])
    broker = Broker(tmp_path).start()
    store = make_store(app)
    t = f"depots/{depot}/vehicles/%s/telemetry"
    sent: list[tuple[str, float, float]] = []

    def send(pub: Publisher, vehicle: str, minutes: int) -> None:  # each reading its own time and SoC
        soc = 20 + len(sent)
        pub.send(t % vehicle, reading(minutes, soc))  # returns once the broker has PUBACKed it
        sent.append((vehicle, (NOW + timedelta(minutes=minutes)).timestamp(), float(soc)))

    try:
        worker = Worker(store, broker.port, "dd-restart")
        pub = Publisher(broker.port)
        for i in range(2):
            send(pub, "E1", -100 + i)
        wait_for(lambda: stored_count(app, depot) == len(sent))
        worker.finish()
        # the named case: five QoS-1 messages the broker acknowledged and queued for the worker's persistent
        # session while the worker is down, then the broker restarts before the worker comes back
        for i in range(5):
            send(pub, "E2", -90 + i)
        pub.close()
        assert stored_count(app, depot) == 2  # nobody took them: they are only on the broker
        broker.stop()
        assert (tmp_path / "mosquitto.db").stat().st_size > 0  # they survive the restart only on disk
        broker.start()
        worker = Worker(store, broker.port, "dd-restart")
        wait_for(lambda: stored_count(app, depot) == len(sent))
        pub = Publisher(broker.port)
        for i in range(3):
            send(pub, "E1", -80 + i)
        wait_for(lambda: stored_count(app, depot) == len(sent))
        pub.close()
        # and the broker restarting under a connected worker
        broker.stop()
        wait_for(lambda: any("went away" in n for n in worker.notes))
        broker.start()
        pub = Publisher(broker.port)  # straight after the restart, likely before the worker is back
        for i in range(4):
            send(pub, "E2", -70 + i)
        pub.close()
        wait_for(lambda: stored_count(app, depot) == len(sent), seconds=20)
        time.sleep(0.5)  # a late redelivery would show up as a second row or a second `stored`
        stats = worker.finish()
        assert any("back on the broker" in n for n in worker.notes)
        assert stats.disconnects == 1 and stats.stored == 12  # this worker's: 5 queued + 3 + 4
    finally:
        broker.stop()
    assert stored_readings(app, depot) == sorted(sent)  # none lost, none stored twice, each as sent


def test_a_batch_is_acknowledged_only_once_stored(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The database is away for the first batch: nothing is acknowledged, the broker delivers it again."""
    setup_fleet(app, "R2", ["E1"])
    broker = Broker(tmp_path).start()
    real = make_store(app)
    failures = []

    def flaky(parsed, refused):  # type: ignore[no-untyped-def]
        if not failures:
            failures.append(len(parsed))
            raise StoreUnavailable("database unavailable (test)")
        if any(t.reading.soc_pct == 13 for t in parsed):
            raise RuntimeError("a row the database refuses")  # a poison message must not block the others
        return real(parsed, refused)

    try:
        worker = Worker(flaky, broker.port, "dd-flaky")
        pub = Publisher(broker.port)
        for i in range(3):
            pub.send("depots/R2/vehicles/E1/telemetry", reading(-10 + i))
        pub.send("depots/R2/vehicles/E1/telemetry", reading(-5, 13))
        pub.send("depots/R2/vehicles/E1/telemetry", reading(-4, 50))
        pub.close()
        wait_for(lambda: stored_count(app, "R2") == 4, seconds=15)
        stats = worker.finish()
    finally:
        broker.stop()
    assert failures and any("could not store" in n for n in worker.notes)
    assert stats.rejected == {"store_failed": 1}
    assert [r["count"] for r in telemetry.rejection_counts(app.uow(), "R2")] == [1]


def test_worker_cli_json_and_a_missing_broker(app, db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    setup_fleet(app, "C1", ["E1"])
    port = free_port()
    gone = run_cli(db_url, "worker", "telematics", "--port", str(port), "--seconds", "1.2", "--json")
    assert gone.code == 1 and "never reached the MQTT broker" in gone.stderr and "Traceback" not in gone.stderr
    assert gone.json() == {"stored": 0, "duplicates": 0, "rejected": {}, "messages": 0, "disconnects": 0,
                           "broker_lost_at": gone.json()["broker_lost_at"]}
    bad = run_cli(db_url, "worker", "telematics", "--port", "0")
    assert bad.code == 2
    broker = Broker(tmp_path, port).start()
    try:
        first = run_cli(db_url, "worker", "telematics", "--port", str(port), "--seconds", "0.3",
                        "--client-id", "dd-cli")
        assert first.code == 0  # the session now exists: the broker queues for it
        pub = Publisher(port)
        pub.send("depots/C1/vehicles/E1/telemetry", reading(-5))
        pub.send("depots/C1/vehicles/E1/telemetry", b"\x00garbage")
        pub.close()
        res = run_cli(db_url, "soc", "listen", "--port", str(port), "--messages", "2", "--seconds", "10",
                      "--client-id", "dd-cli", "--json", now=NOW.isoformat())  # the old name still works
    finally:
        broker.stop()
    assert res.code == 0, res.stderr
    doc = res.json()
    assert (doc["stored"], doc["duplicates"], doc["rejected"]) == (1, 0, {"malformed": 1})


def test_rejection_counts_add_up_across_runs(app) -> None:  # type: ignore[no-untyped-def]
    from depotdispatch.domain.telemetry import Rejected

    store = make_store(app)
    store([], [Rejected("malformed", "x", "D9"), Rejected("malformed", "y", "D9"), Rejected("bad_topic", "z")])
    store([], [Rejected("malformed", "w", "D9")])
    rows = telemetry.rejection_counts(app.uow())
    assert {(r["depot_id"], r["reason"], r["count"]) for r in rows} == {("D9", "malformed", 3), (None, "bad_topic", 1)}
    assert datetime.fromisoformat(str(rows[0]["last_at"])) == NOW
    api = api_client(app)
    doc = api.get("/api/v1/telemetry/rejections").json()
    assert doc["total"] == 4 and doc["by_reason"] == {"bad_topic": 1, "malformed": 3}
    assert api.get("/api/v1/telemetry/rejections", params={"depot": "D9"}).json()["total"] == 3
    assert api.get("/api/v1/telemetry/rejections", params={"depot": "x" * 65}).status_code == 422
    cli_doc = run_cli(app.database_url, "worker", "rejections", "--json").json()
    assert cli_doc["total"] == 4 and cli_doc["by_reason"] == doc["by_reason"]


def test_an_admin_sees_the_rejection_counts_in_the_web_app(app) -> None:  # type: ignore[no-untyped-def]
    from depotdispatch.domain.telemetry import Rejected
    from tests.auth_helpers import web_client

    setup_fleet(app, "W1", ["E1"], other="W2")
    store = make_store(app)
    store([], [Rejected("malformed", "payload is not JSON", "W1"), Rejected("malformed", "payload is not JSON", "W1"),
               Rejected("future_time", "measured_at is 180 min in the future", "W1"),
               Rejected("wrong_type", "elsewhere", "W2"), Rejected("bad_topic", "topic 'x/y' is not ...")])
    admin = web_client(app, role="admin")
    board_page = admin.get("/depots/W1/board")
    assert 'href="/depots/W1/telemetry"' in board_page.text  # the admin's navigation leads there
    page = admin.get("/depots/W1/telemetry")
    assert page.status_code == 200
    html = page.text
    assert '<tr data-reason="malformed"><td><code>malformed</code></td><td>not a readable JSON object</td>' \
           '<td class="num">2</td></tr>' in html
    assert '<tr data-reason="future_time">' in html and "measured_at is 180 min in the future" in html
    assert '<td class="num" id="rejected-total">3</td>' in html  # this depot's only: W2's is not counted here
    assert "elsewhere" not in html
    assert 'id="nowhere"' in html and "topic &#39;x/y&#39; is not ..." in html  # no depot in the topic: shown too
    quiet = admin.get("/depots/W2/telemetry").text
    assert '<td class="num" id="rejected-total">1</td>' in quiet
    dispatcher = web_client(app, role="dispatcher", depots=["W1"])
    assert 'href="/depots/W1/telemetry"' not in dispatcher.get("/depots/W1/board").text
    refused = dispatcher.get("/depots/W1/telemetry")
    assert refused.status_code == 403 and "administrator" in refused.text
