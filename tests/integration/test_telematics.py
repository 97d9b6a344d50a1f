"""Telematics over a real MQTT broker (Mosquitto on 127.0.0.1:1883), on both databases."""

from __future__ import annotations

import json
import threading
from datetime import datetime

import paho.mqtt.client as mqtt
import pytest

from depotdispatch.adapters.telematics_mqtt import listen, parse_message
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.services import depots, fleet, readings

NOW = datetime.fromisoformat("2026-11-25T06:00:00+01:00")
EV = VehicleType("XE", "bev", usable_kwh=400, kwh_per_km=1.3)


def test_parse_message_says_what_is_wrong() -> None:
    depot, r = parse_message("depots/B/vehicles/E1/telemetry",
                             b'{"soc_pct": 81.5, "measured_at": "2026-11-25T05:59:00+01:00", "plugged_in": true}')
    assert (depot, r.vehicle_id, r.soc_pct, r.source, r.plugged_in) == ("B", "E1", 81.5, "telematics", True)
    for topic, payload, phrase in (("depots/B/E1", b"{}", "is not depots/"),
                                   ("depots/B/vehicles/E1/telemetry", b"\xff", "not JSON"),
                                   ("depots/B/vehicles/E1/telemetry", b"[1]", "not a JSON object"),
                                   ("depots/B/vehicles/E1/telemetry", b'{"soc_pct": "high"}', "numeric soc_pct"),
                                   ("depots/B/vehicles/E1/telemetry", b'{"soc_pct": 50}', "measured_at"),
                                   ("depots/B/vehicles/E1/telemetry",
                                    b'{"soc_pct": 50, "measured_at": "yesterday"}', "ISO 8601")):
        with pytest.raises(InvalidInput, match=phrase):
            parse_message(topic, payload)


def test_readings_arrive_over_mqtt_and_bad_ones_are_counted(app) -> None:
    depots.add_depot(app.uow(), Depot("B", "Berlin", "Europe/Berlin"), NOW)
    depots.add_depot(app.uow(), Depot("O", "Other", "Europe/Berlin"), NOW)
    fleet.import_fleet(app.uow(), "B", [FleetEntry(1, "E1", EV), FleetEntry(2, "E2", EV)])
    fleet.import_fleet(app.uow(), "O", [FleetEntry(1, "X1", EV)])
    ready = threading.Event()
    result: dict[str, object] = {}

    def store(depot, batch, rejected):  # type: ignore[no-untyped-def]
        r = readings.add_readings(app.uow(), batch, NOW, rejected, depot_id=depot)
        return r.stored, r.duplicates, r.rejected

    def run() -> None:
        result["stats"] = listen(store, max_messages=6, timeout_s=20, on_ready=ready.set)

    t = threading.Thread(target=run)
    t.start()
    assert ready.wait(10), "the listener did not subscribe"
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    pub.connect("127.0.0.1", 1883)
    pub.loop_start()
    good = {"soc_pct": 77, "measured_at": "2026-11-25T05:58:00+01:00", "plugged_in": False}
    messages = [
        ("depots/B/vehicles/E1/telemetry", json.dumps(good)),
        ("depots/B/vehicles/E1/telemetry", json.dumps(good)),  # the same reading again
        ("depots/B/vehicles/E2/telemetry", json.dumps({**good, "soc_pct": 140})),
        ("depots/B/vehicles/GHOST/telemetry", json.dumps(good)),
        ("depots/B/vehicles/X1/telemetry", json.dumps(good)),  # a vehicle of another depot
        ("depots/B/vehicles/E2/telemetry", "not json"),
    ]
    for topic, payload in messages:
        pub.publish(topic, payload, qos=1).wait_for_publish(5)
    t.join(30)
    pub.loop_stop()
    pub.disconnect()
    stats = result["stats"]
    assert (stats.messages, stats.stored, stats.duplicates) == (6, 1, 1)  # type: ignore[attr-defined]
    reasons = [r["reason"] for r in stats.rejected]  # type: ignore[attr-defined]
    assert len(reasons) == 4
    assert any("outside 0-100" in r for r in reasons) and any("'GHOST'" in r for r in reasons)
    assert any("'X1'" in r for r in reasons) and any("not JSON" in r for r in reasons)
    with app.uow() as uow:
        latest = uow.readings.latest_for_depot("B", NOW)
    assert latest["E1"].soc_pct == 77 and latest["E1"].source == "telematics" and "E2" not in latest
