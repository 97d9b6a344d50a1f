"""`simulate telematics`: a plausible day of readings for the plan, published to an MQTT broker."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from depotdispatch.cli_commands import support as cli
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.servicetime import parse_date

simulate_app = typer.Typer(help="Simulators for demos and load.", no_args_is_help=True)


def parse_broker(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidInput(f"--broker {text!r}: give HOST:PORT, e.g. 127.0.0.1:1883")
    return host, int(port)


@simulate_app.command("telematics")
def simulate_telematics(
    depot: cli.DepotOpt, service_date: cli.DateOpt,
    speed: Annotated[float, typer.Option("--speed", min=0.001, max=100_000,
                                         help="Simulated seconds per real second.")] = 1.0,
    broker: Annotated[str, typer.Option("--broker", help="HOST:PORT of the MQTT broker.")] = "127.0.0.1:1883",
    every_s: Annotated[int, typer.Option("--every-s", min=5, max=3600, help="Seconds between a bus's readings.")] = 60,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    as_json: cli.JsonOpt = False,
) -> None:
    """Publish the day's readings (SoC down along blocks, up on chargers, odometer, block ids; one bus runs low).

    Readings are never from the future: with a fixed --now it publishes the day up to then; on the real
    clock it replays what is past at --speed and then keeps pace with the day."""
    from datetime import timedelta

    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from depotdispatch.services.simulation import simulate_day

    host, port = parse_broker(broker)
    app = cli.state.app
    day = simulate_day(app.uow(), depot, parse_date(service_date), every=timedelta(seconds=every_s), seed=seed)
    fixed = app.clock.fixed is not None
    messages = [m for m in day.messages if not fixed or m.at <= app.clock.now()]
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    try:
        client.connect(host, port)
    except OSError as exc:
        raise InvalidInput(f"cannot reach the MQTT broker at {host}:{port} ({exc.strerror or exc})") from exc
    client.loop_start()
    published = 0
    try:
        wall0 = time.monotonic()
        t0 = messages[0].at if messages else day.start
        pending = []
        for m in messages:
            wait = wall0 + (m.at - t0).total_seconds() / speed - time.monotonic()
            if not fixed:
                wait = max(wait, (m.at - app.clock.now()).total_seconds())
            if wait > 0:
                time.sleep(wait)
            pending.append(client.publish(day.topic(m), _json(m.payload), qos=1))
            published += 1
            if len(pending) >= 200:
                for p in pending:
                    p.wait_for_publish(30)
                pending.clear()
        for p in pending:
            p.wait_for_publish(30)
    except KeyboardInterrupt:
        pass
    finally:
        client.loop_stop()
        client.disconnect()
    doc = {"published": published, "from": day.start.isoformat(), "to": day.end.isoformat(),
           "runs_low": day.runs_low, "broker": f"{host}:{port}"}
    cli.emit(doc, as_json, lambda: cli.out.print(
        f"{published} readings published for {depot} on {service_date} to {host}:{port}; {day.runs_low} runs low"))


def _json(payload: dict[str, object]) -> str:
    import json

    return json.dumps(payload)


def register(app: typer.Typer) -> None:
    app.add_typer(simulate_app, name="simulate")
