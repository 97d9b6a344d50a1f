"""A Mosquitto of the test's own (a free loopback port, persistence on) that a test may stop and start."""

from __future__ import annotations

import contextlib
import getpass
import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

import paho.mqtt.client as mqtt

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Broker:
    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder, self.port = folder, port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.conf = folder / "mosquitto.conf"
        # `user`: run as root, mosquitto would drop to a user that cannot write the test's folder
        self.conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
                             f"user {getpass.getuser()}\n"
                             f"persistence_location {folder}/\nautosave_interval 1\n"
                             "max_inflight_messages 1000\nmax_queued_messages 200000\n")

    def start(self) -> Broker:
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return self
            time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()  # SIGTERM: mosquitto writes its persistence file on the way out
            self.proc.wait(10)
            self.proc = None


class Publisher:
    """QoS 1: `send` returns once the broker has acknowledged the message."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        self.client.connect(host, port)
        self.client.loop_start()

    def send(self, topic: str, payload: object) -> None:
        raw = payload if isinstance(payload, bytes | str) else json.dumps(payload)
        info = self.client.publish(topic, raw, qos=1)
        info.wait_for_publish(10)
        assert info.is_published(), "the broker did not acknowledge"

    def send_all(self, messages: Iterable[tuple[str, object]]) -> None:
        for topic, payload in messages:
            self.send(topic, payload)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def forget_session(port: int, client_id: str) -> None:
    """Leave no persistent session behind on a shared broker."""
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    with contextlib.suppress(OSError):
        c.connect("127.0.0.1", port)
        c.loop(0.2)
        c.disconnect()
