"""The demo's telematics simulator: it continues the day from what is stored, charges as the depot's
charging plan says (one connector: never two buses on it), records actuals through the block ids, and
reaches the database in-process when no broker answers, or through a real Mosquitto and the worker."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import datetime, timedelta

import pytest

from depotdispatch.adapters.clock import Clock
from depotdispatch.demo_live import DemoSimulator
from depotdispatch.domain.charging_plan import Charger
from depotdispatch.services import board, simulation, yard
from tests.integration.test_depot_charging import DAY, NOW, _assign_all, depot  # noqa: F401  (fixture)
from tests.mqtt_helpers import Broker, free_port

H = timedelta(hours=1)


def _latest(app) -> dict[str, object]:  # type: ignore[no-untyped-def]
    with app.uow() as uow:
        return uow.readings.latest_for_depot("NY", app.clock.now())


@pytest.mark.usefixtures("depot")
def test_in_process_without_a_broker_charges_per_the_plan(app) -> None:  # type: ignore[no-untyped-def]
    _assign_all(app)
    yard.import_chargers(app.uow(), "NY", [Charger("C1", 150)], NOW, "t")
    app.clock = Clock(NOW)
    sim = DemoSimulator(app, "NY", port=free_port(), tick_s=3600)
    assert "no MQTT broker" in sim.start()
    deadline = time.monotonic() + 20
    while sim.sent == 0 and time.monotonic() < deadline:  # its first round catches up from 04:50
        time.sleep(0.05)
    sim.stop()
    assert sim.sent > 0 and not sim.via_broker
    by_minute: dict[datetime, set[str]] = defaultdict(set)
    for now in (NOW + 2 * H, NOW + 4.5 * H, NOW + 5.75 * H):  # in service, back at 09:00, 10:40
        app.clock = Clock(now)
        day = simulation.continue_day(app.uow(), "NY", sim._since, now, seed=1)
        for m in day.messages:
            if m.payload.get("charger_id") == "C1":
                by_minute[m.at.replace(second=0, microsecond=0)].add(m.vehicle_id)
        simulation.deliver(app.uow(), day, now)
        sim._since = now
    # one connector: at no minute two buses on it, and it is in use from the 09:00 pull-in on
    assert len(by_minute) >= 90 and max(len(v) for v in by_minute.values()) == 1
    assert min(by_minute) < NOW + 4.2 * H
    latest = _latest(app)
    assert {v: r.measured_at > NOW + 5.7 * H for v, r in latest.items()} == {"E1": True, "E2": True}
    # the block ids recorded the actual starts; and the board still sees one bus short at 11:00
    b = board.board(app.uow(), "NY", app.clock.now(), service_date=DAY, whole_day=True, candidates=False)
    rows = {r.block.block_id: r for r in b.rows}
    assert rows["A1"].block.actual_start is not None and rows["A1"].block.actual_vehicle_id == "E1"
    assert {rows["A2"].viability.status, rows["B2"].viability.status} & {"not_viable", "marginal"}


@pytest.mark.usefixtures("depot")
def test_through_a_real_broker_and_the_worker_in_process(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _assign_all(app)
    broker = Broker(tmp_path).start()
    app.clock = Clock(NOW + 2 * H)
    sim = DemoSimulator(app, "NY", port=broker.port, tick_s=0.2)
    try:
        said = sim.start()
        assert sim.via_broker and f"publishing to the MQTT broker at 127.0.0.1:{broker.port}" in said
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not all(
                r.measured_at > NOW + 1.9 * H for r in _latest(app).values()):
            time.sleep(0.2)
        latest = _latest(app)
        assert set(latest) == {"E1", "E2"} and all(r.measured_at > NOW + 1.9 * H for r in latest.values())
        assert all(r.source == "telematics" for r in latest.values())
    finally:
        sim.stop()
        broker.stop()


def test_the_demo_replayed_in_the_morning_has_its_buses_out_at_their_pull_outs(db_url: str) -> None:
    """At a fixed morning --now the simulator's first round catches up from the readings of an hour ago: the
    buses out on blocks since before then are out at their pull-outs, not at their first simulated reading
    (which made the live risks 1.5-2 h late: 'pulls in at 16:53 (it started 55 min late)')."""
    from depotdispatch.bootstrap import App
    from depotdispatch.services.views import board_doc
    from tests.helpers import run_cli

    now = datetime.fromisoformat("2026-12-02T09:00:00-08:00")
    assert run_cli(db_url, "demo", "--no-serve", now=now.isoformat()).code == 0
    app = App(db_url, Clock(now))
    sim = DemoSimulator(app, "KCM", port=free_port())
    sim.via_broker = False  # in-process, as without a broker
    assert sim.step() > 0
    rows = [r for r in board_doc(board.board(app.uow(), "KCM", now))["blocks"] if r["status"] == "in_service"]
    on_ev = [r for r in rows if (r["vehicle_id"] or "").startswith("E")]
    assert len(on_ev) >= 4  # the morning's EVs out on blocks since before the readings of an hour ago
    assert any(datetime.fromisoformat(r["pull_out"]) < now - H for r in on_ev)
    for r in rows:
        if r["vehicle_id"] is not None:  # seen leaving at its pull-out; the simulator does not move it
            assert (r["actual_vehicle_id"], r["actual_start"]) == (r["vehicle_id"], r["pull_out"]), r["block_id"]
        messages = [x["message"] for x in (r["live_risk"] or {}).get("reasons", [])]
        assert not any("late" in m for m in messages), messages
        if r["live_risk"] and r["live_risk"]["end_soc_pct"] is not None:  # judged from the simulated reading
            assert datetime.fromisoformat(r["live_risk"]["reading"]["measured_at"]) > now - timedelta(minutes=5)
