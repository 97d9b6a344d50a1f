"""The demo's telematics simulator (DESIGN §13, issue 14 item 6), running beside the web app.

Every `tick_s` it continues the depot's day from what is stored (services/simulation.continue_day: SoC
down along the assigned blocks, up on chargers as the depot's charging plan says, odometer, block ids,
one bus running low) up to the clock's now, and delivers the readings:
- to the MQTT broker when one is reachable, with the telematics worker running in this process under
  its own client id (the whole real path: QoS 1, persistent session, acknowledged after storing);
- else straight to the telemetry intake (services/simulation.deliver: the worker's parser and store).
With a fixed clock (--now) time does not pass, so after catching up there is nothing more to send.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from datetime import datetime

from depotdispatch.bootstrap import App
from depotdispatch.services import simulation

CLIENT_ID = "depotdispatch-demo"


def client_id(database_url: str) -> str:
    """One persistent session per demo database: two demos on one broker do not take each other's."""
    import hashlib

    return f"{CLIENT_ID}-{hashlib.sha256(database_url.encode()).hexdigest()[:10]}"


def broker_reachable(host: str, port: int, timeout_s: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


class DemoSimulator:
    def __init__(self, app: App, depot_id: str, *, host: str = "127.0.0.1", port: int = 1883,
                 tick_s: float = 15.0, say: Callable[[str], None] = lambda _m: None) -> None:
        self.app, self.depot_id, self.host, self.port, self.tick_s, self.say = app, depot_id, host, port, tick_s, say
        self.stop_event = threading.Event()
        self.sent = 0
        self.via_broker = False
        self._threads: list[threading.Thread] = []
        self._since: datetime | None = None
        self._subscribed = threading.Event()

    def start(self) -> str:
        """Start in the background; returns a sentence saying how the readings travel."""
        self.via_broker = broker_reachable(self.host, self.port)
        if self.via_broker:
            self._threads.append(threading.Thread(target=self._worker, name="demo-worker", daemon=True))
        self._threads.append(threading.Thread(target=self._loop, name="demo-simulator", daemon=True))
        for t in self._threads:
            t.start()
        if self.via_broker:
            return (f"telematics simulator: publishing to the MQTT broker at {self.host}:{self.port}, "
                    "the telematics worker runs in this process")
        return (f"telematics simulator: no MQTT broker at {self.host}:{self.port}, so it feeds the telemetry "
                "intake in this process")

    def stop(self) -> None:
        self.stop_event.set()
        for t in self._threads:
            t.join(timeout=5)

    def step(self) -> int:
        """One round: the readings since the last round up to now, delivered. Returns how many."""
        now = self.app.clock.now()
        day = simulation.continue_day(self.app.uow(), self.depot_id, self._since, now,
                                      seed=int(now.timestamp()))
        self._since = now
        if not day.messages:
            return 0
        if self.via_broker:
            self._publish(day)
        else:
            simulation.deliver(self.app.uow(), day, now)
        self.sent += len(day.messages)
        return len(day.messages)

    def _loop(self) -> None:
        if self.via_broker and not self._subscribed.wait(10):
            self.say("the in-process telematics worker did not subscribe within 10 s; publishing anyway")
        while not self.stop_event.is_set():
            try:
                self.step()
            except Exception as exc:  # noqa: BLE001 - a demo's side show never takes the web app down
                self.say(f"simulator round failed: {type(exc).__name__}: {exc}")
            self.stop_event.wait(self.tick_s)

    def _publish(self, day: simulation.SimulatedDay) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        client = mqtt.Client(CallbackAPIVersion.VERSION2)
        client.connect(self.host, self.port)
        client.loop_start()
        try:
            for info in [client.publish(day.topic(m), json.dumps(m.payload), qos=1) for m in day.messages]:
                info.wait_for_publish(30)
        finally:
            client.loop_stop()
            client.disconnect()

    def _worker(self) -> None:
        from depotdispatch.adapters.telematics_mqtt import run_worker
        from depotdispatch.telemetry_worker import make_store

        run_worker(make_store(self.app), host=self.host, port=self.port, client_id=client_id(self.app.database_url),
                   depot_id=self.depot_id, should_stop=self.stop_event.is_set, say=self.say,
                   on_ready=self._subscribed.set)
