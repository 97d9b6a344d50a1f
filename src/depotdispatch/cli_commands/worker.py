"""`worker telematics`: the long-running MQTT intake (DESIGN §9, §11)."""

from __future__ import annotations

from typing import Annotated

import typer

from depotdispatch.cli_commands import support as cli

worker_app = typer.Typer(help="Long-running workers.", no_args_is_help=True)

HostOpt = Annotated[str, typer.Option("--host", help="MQTT broker host.")]
PortOpt = Annotated[int, typer.Option("--port", min=1, max=65535, help="MQTT broker port.")]
SecondsOpt = Annotated[float | None, typer.Option("--seconds", min=0, help="Stop after this long.")]
MessagesOpt = Annotated[int | None, typer.Option("--messages", min=1, help="Stop after this many messages.")]
ClientOpt = Annotated[str, typer.Option("--client-id", help="MQTT client id of the persistent session.")]
DepotFilter = Annotated[str | None, typer.Option("--depot", help="Only this depot's topics.")]


def run_telematics(host: str, port: int, seconds: float | None, messages: int | None, as_json: bool,
                   client_id: str, depot: str | None) -> None:
    from depotdispatch.adapters.telematics_mqtt import run_worker
    from depotdispatch.domain.errors import DomainError
    from depotdispatch.telemetry_worker import make_store

    def say(message: str) -> None:
        cli.err.print(f"[yellow]worker:[/yellow] {message}", highlight=False, soft_wrap=True)

    stats = run_worker(make_store(cli.state.app), host=host, port=port, client_id=client_id, depot_id=depot,
                       max_messages=messages, timeout_s=seconds, say=say)
    doc = stats.as_dict()
    cli.emit(doc, as_json, lambda: cli.out.print(
        f"{stats.messages} messages: {stats.stored} readings stored, {stats.duplicates} already known, "
        f"{sum(stats.rejected.values())} rejected"
        + "".join(f"\n  {code}: {n}" for code, n in sorted(stats.rejected.items()))))
    if stats.connects == 0:
        raise DomainError(f"never reached the MQTT broker at {host}:{port}")
    if not stats.connected_at_exit and stats.lost_at is not None:
        raise DomainError(f"the MQTT broker at {host}:{port} went away at {stats.lost_at.isoformat()} "
                          "and had not come back when the worker stopped")


@worker_app.command("telematics")
def worker_telematics(host: HostOpt = "127.0.0.1", port: PortOpt = 1883, seconds: SecondsOpt = None,
                      messages: MessagesOpt = None, as_json: cli.JsonOpt = False,
                      client_id: ClientOpt = "depotdispatch-telematics", depot: DepotFilter = None) -> None:
    """Take telemetry from MQTT (depots/{depot}/vehicles/{vehicle}/telemetry, JSON, QoS 1) until stopped.

    Persistent session, acknowledgement after storing, reconnect with back-off; bad messages are counted
    per reason (an admin sees the counts on the web page Telemetry, at /api/v1/telemetry/rejections and with
    `worker rejections`)."""
    run_telematics(host, port, seconds, messages, as_json, client_id, depot)


@worker_app.command("rejections")
def worker_rejections(depot: DepotFilter = None, as_json: cli.JsonOpt = False) -> None:
    """Telemetry messages the worker refused, counted per depot (as the topic said) and reason."""
    from depotdispatch.services import telemetry

    summary = telemetry.rejection_summary(cli.state.app.uow(), depot)
    rows = summary.rows
    cli.emit(summary.as_dict(), as_json, lambda: cli.table(
        "Telemetry rejected", ["depot", "reason", "count", "last", "example"],
        [[r["depot_id"] or "-", r["reason"], r["count"], r["last_at"], r["last_detail"]] for r in rows]))


def register(app: typer.Typer) -> None:
    app.add_typer(worker_app, name="worker")
