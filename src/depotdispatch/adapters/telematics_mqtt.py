"""Telematics intake over MQTT (DESIGN §11): `depots/{depot}/vehicles/{vehicle}/telemetry`, JSON, QoS 1.

Each message becomes a SoC reading through the readings service, so the same rules apply as for the
CSV and the API: deduplicated on (vehicle, measured_at, source), rejected with a reason when it is
from the future, out of range or from an unknown vehicle (or from another depot than its topic says).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import paho.mqtt.client as mqtt

from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.servicetime import parse_instant

TOPIC = "depots/+/vehicles/+/telemetry"


@dataclass
class IntakeStats:
    messages: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: list[dict[str, object]] = field(default_factory=list)


def parse_message(topic: str, payload: bytes) -> tuple[str, SocReading]:
    """(depot, reading) from one message; InvalidInput says what is wrong with it."""
    parts = topic.split("/")
    if len(parts) != 5 or parts[0] != "depots" or parts[2] != "vehicles" or parts[4] != "telemetry":
        raise InvalidInput(f"topic {topic!r} is not depots/{{depot}}/vehicles/{{vehicle}}/telemetry")
    try:
        doc: dict[str, Any] = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"payload is not JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise InvalidInput("payload is not a JSON object")
    soc = doc.get("soc_pct", doc.get("soc"))
    if not isinstance(soc, int | float) or isinstance(soc, bool):
        raise InvalidInput("payload has no numeric soc_pct")
    when = doc.get("measured_at", doc.get("timestamp"))
    if not isinstance(when, str):
        raise InvalidInput("payload has no measured_at (ISO 8601 with offset)")
    plugged = doc.get("plugged_in")
    odometer = doc.get("odometer_km")
    return parts[1], SocReading(
        vehicle_id=parts[3], soc_pct=float(soc), measured_at=parse_instant(when),
        source=str(doc.get("source", "telematics")).lower(),
        odometer_km=float(odometer) if isinstance(odometer, int | float) else None,
        plugged_in=plugged if isinstance(plugged, bool) else None,
        charger_id=str(doc["charger_id"]) if doc.get("charger_id") else None)


def listen(store: Callable[[str, list[tuple[int, SocReading]], list[dict[str, object]]], tuple[int, int, list]],
           *, host: str = "127.0.0.1", port: int = 1883, max_messages: int | None = None,
           timeout_s: float | None = None, on_ready: Callable[[], None] | None = None,
           now: Callable[[], datetime] | None = None) -> IntakeStats:
    """Consume telemetry until `max_messages` arrived or `timeout_s` passed (forever when both None).

    `store(depot, readings, rejected)` writes a batch and returns (stored, duplicates, rejected rows).
    Messages are stored one at a time: a telematics unit sends one reading per message.
    """
    import time

    stats = IntakeStats()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="", clean_session=True)

    def on_connect(c, _userdata, _flags, reason, _props):  # type: ignore[no-untyped-def]
        c.subscribe(TOPIC, qos=1)

    def on_subscribe(_c, _userdata, _mid, _reasons, _props):  # type: ignore[no-untyped-def]
        if on_ready:
            on_ready()

    def on_message(_c, _userdata, msg):  # type: ignore[no-untyped-def]
        stats.messages += 1
        try:
            depot, reading = parse_message(msg.topic, msg.payload)
        except InvalidInput as exc:
            stats.rejected.append({"row": stats.messages, "reason": f"{msg.topic}: {exc.detail}"})
            return
        stored, duplicates, rejected = store(depot, [(stats.messages, reading)], [])
        stats.stored += stored
        stats.duplicates += duplicates
        stats.rejected.extend(rejected)

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.connect(host, port, keepalive=30)
    started = time.monotonic()
    try:
        while True:
            client.loop(timeout=0.2)
            if max_messages is not None and stats.messages >= max_messages:
                break
            if timeout_s is not None and time.monotonic() - started > timeout_s:
                break
    finally:
        client.disconnect()
    return stats
