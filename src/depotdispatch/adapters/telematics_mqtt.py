"""The telematics worker over MQTT (DESIGN §11): `depots/{depot}/vehicles/{vehicle}/telemetry`, JSON, QoS 1.

A persistent session (a fixed client id, clean_session off) makes the broker keep the subscription and
queue messages while the worker is away; acknowledgements are manual and sent only after the batch
they belong to is stored, so a crash or a broker restart loses no acknowledged reading (it may deliver
one twice: readings are deduplicated). The worker never dies on input: every message is either stored,
a duplicate, or rejected with a reason and counted. When the broker goes away it says so and
reconnects with back-off (1 s doubling to 30 s).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from depotdispatch.domain.telemetry import Rejected, Telemetry, parse_message

TOPIC = "depots/+/vehicles/+/telemetry"
CLIENT_ID = "depotdispatch-telematics"
BATCH = 500


@dataclass
class Counts:
    stored: int = 0
    duplicates: int = 0
    rejected: dict[str, int] = field(default_factory=dict)


@dataclass
class WorkerStats(Counts):
    messages: int = 0
    connects: int = 0
    disconnects: int = 0
    connected_at_exit: bool = False
    lost_at: datetime | None = None  # when the broker last went away (None: it did not, or came back)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"stored": self.stored, "duplicates": self.duplicates, "rejected": dict(sorted(self.rejected.items())),
                "messages": self.messages, "disconnects": self.disconnects,
                "broker_lost_at": self.lost_at.isoformat() if self.lost_at else None}


class StoreUnavailable(Exception):
    """The database cannot be reached: keep the messages on the broker and try again later."""


# store(parsed, refused) -> Counts; raises when the database cannot take the batch (nothing is acknowledged)
Store = Callable[[Sequence[Telemetry], Sequence[Rejected]], Counts]


def topic_for(depot_id: str | None) -> str:
    return TOPIC if depot_id is None else f"depots/{depot_id}/vehicles/+/telemetry"


def run_worker(store: Store, *, host: str = "127.0.0.1", port: int = 1883, client_id: str = CLIENT_ID,
               depot_id: str | None = None, max_messages: int | None = None, timeout_s: float | None = None,
               on_ready: Callable[[], None] | None = None, say: Callable[[str], None] = lambda _m: None,
               should_stop: Callable[[], bool] = lambda: False, max_backoff_s: float = 30.0) -> WorkerStats:
    """Consume until `max_messages` arrived, `timeout_s` passed or `should_stop()` (forever when none)."""
    stats = WorkerStats()
    pending: list[mqtt.MQTTMessage] = []
    link = {"up": False, "leaving": False}
    topic = topic_for(depot_id)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False,
                         manual_ack=True)

    def on_connect(c: mqtt.Client, _u: object, _flags: mqtt.ConnectFlags, reason: ReasonCode,
                   _props: Properties | None) -> None:
        if reason.is_failure:
            say(f"the broker at {host}:{port} refused the connection: {reason}")
            return
        link["up"] = True
        stats.connects += 1
        if stats.lost_at is not None:
            say(f"back on the broker at {host}:{port}")
        stats.lost_at = None
        c.subscribe(topic, qos=1)

    def on_subscribe(_c: mqtt.Client, _u: object, _mid: int, _reasons: list[ReasonCode],
                     _props: Properties | None) -> None:
        if on_ready:
            on_ready()

    def on_disconnect(_c: mqtt.Client, _u: object, _flags: mqtt.DisconnectFlags, reason: ReasonCode,
                      _props: Properties | None) -> None:
        if link["up"] and not link["leaving"]:
            stats.disconnects += 1
            stats.lost_at = datetime.now(UTC)
            say(f"the broker at {host}:{port} went away ({reason}); reconnecting")
        link["up"] = False

    def on_message(_c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        pending.append(msg)

    client.on_connect, client.on_subscribe = on_connect, on_subscribe
    client.on_disconnect, client.on_message = on_disconnect, on_message
    started = time.monotonic()
    backoff, next_try, ever = 1.0, 0.0, False

    def done() -> bool:
        return ((max_messages is not None and stats.messages >= max_messages)
                or (timeout_s is not None and time.monotonic() - started > timeout_s) or should_stop())

    while not done():
        if not link["up"] and not client.is_connected():
            if time.monotonic() < next_try:
                time.sleep(min(0.05, max(next_try - time.monotonic(), 0)))
                continue
            try:
                client.reconnect() if ever else client.connect(host, port, keepalive=30)
                ever = True
                backoff = 1.0
            except OSError as exc:
                if stats.lost_at is None:
                    stats.lost_at = datetime.now(UTC)
                say(f"cannot reach the broker at {host}:{port} ({exc.strerror or exc}); next try in {backoff:.0f} s")
                next_try = time.monotonic() + backoff
                backoff = min(backoff * 2, max_backoff_s)
                continue
        client.loop(timeout=0.05)
        while pending and len(pending) < BATCH:  # take what has arrived, then store it as one batch
            before = len(pending)
            if client.loop(timeout=0.0) != mqtt.MQTT_ERR_SUCCESS or len(pending) == before:
                break
        if pending:
            if not _flush(client, store, pending, stats, link["up"], say):
                next_try = time.monotonic() + backoff  # the database is down: let the broker keep the messages
                backoff = min(backoff * 2, max_backoff_s)
                link["leaving"] = True
                client.disconnect()
                link["up"] = link["leaving"] = False
    for _ in range(5):  # send the last acknowledgements before leaving
        client.loop(timeout=0.02)
    stats.connected_at_exit = client.is_connected()
    link["leaving"] = True
    client.disconnect()
    client.loop(timeout=0.05)
    return stats


def _flush(client: mqtt.Client, store: Store, pending: list[mqtt.MQTTMessage], stats: WorkerStats, up: bool,
           say: Callable[[str], None]) -> bool:
    batch = list(pending)
    pending.clear()
    parsed: list[Telemetry] = []
    refused: list[Rejected] = []
    for msg in batch:
        try:
            parsed.append(parse_message(msg.topic, bytes(msg.payload)))
        except Rejected as exc:
            refused.append(exc)
    try:
        counts = store(parsed, refused)
    except StoreUnavailable as exc:
        say(f"could not store {len(batch)} messages ({exc}); the broker keeps them until they are")
        return False
    except Exception as exc:  # noqa: BLE001 - one message the database refuses must not block the rest
        if len(batch) > 1:
            return all(_flush(client, store, [m], stats, up, say) for m in batch)  # one at a time: find it
        depot = parsed[0].depot_id if parsed else None
        refused = [Rejected("store_failed", f"the database refused it ({type(exc).__name__})", depot)]
        try:
            counts = store([], refused)
        except Exception:  # noqa: BLE001
            return False
    stats.messages += len(batch)
    stats.stored += counts.stored
    stats.duplicates += counts.duplicates
    for code, n in counts.rejected.items():
        stats.rejected[code] = stats.rejected.get(code, 0) + n
    if up:
        for msg in batch:
            if msg.qos > 0:
                client.ack(msg.mid, msg.qos)
    return True
