from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from depotdispatch.adapters.soc_csv import read_soc
from depotdispatch.cli_commands import support as cli
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.readings import SocReading
from depotdispatch.domain.servicetime import parse_instant
from depotdispatch.domain.words import ReadingSource, word
from depotdispatch.services import readings as svc

soc_app = typer.Typer(help="State-of-charge readings.", no_args_is_help=True)


@soc_app.command("import")
def soc_import(file: Annotated[Path, typer.Argument(metavar="FILE.csv")], as_json: cli.JsonOpt = False) -> None:
    """Import SoC readings (vehicle_id, soc_pct, measured_at, source, plugged_in)."""
    good, rejected = read_soc(cli.read_file(file), file.name)
    if not good and not rejected:
        raise InvalidInput("has no reading rows", file=file.name)
    result = svc.add_readings(cli.state.app.uow(), good, cli.state.app.clock.now(), rejected)
    cli.emit(result.as_dict(), as_json, lambda: _human(result))
    if not result.stored and not result.duplicates:  # every row was rejected: that is not a success
        raise InvalidInput(f"nothing was stored: {len(result.rejected)} row(s) rejected", file=file.name)


@soc_app.command("add")
def soc_add(
    vehicle: Annotated[str, typer.Argument(metavar="VEHICLE")],
    soc_pct: Annotated[float, typer.Argument(metavar="SOC_PCT")],
    measured_at: Annotated[str | None, typer.Option("--at", help="When it was measured (default: now).")] = None,
    source: Annotated[str, typer.Option("--source")] = "manual",
    plugged_in: Annotated[bool | None, typer.Option("--plugged-in/--unplugged")] = None,
    as_json: cli.JsonOpt = False,
) -> None:
    """Add one reading, e.g. from a yard walk."""
    now = cli.state.app.clock.now()
    reading = SocReading(vehicle, soc_pct, parse_instant(measured_at) if measured_at else now,
                         word(ReadingSource, source.lower(), "source"),
                         plugged_in=plugged_in)
    result = svc.add_reading(cli.state.app.uow(), reading, now)
    if result.rejected:
        from depotdispatch.domain.errors import InvalidInput

        raise InvalidInput(str(result.rejected[0]["reason"]))
    cli.emit(result.as_dict(), as_json, lambda: _human(result))


@soc_app.command("listen")
def soc_listen(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 1883,
    messages: Annotated[int | None, typer.Option("--messages", min=1, help="Stop after this many messages.")] = None,
    seconds: Annotated[float | None, typer.Option("--seconds", min=0, help="Stop after this long.")] = None,
    as_json: cli.JsonOpt = False,
    client_id: Annotated[str, typer.Option("--client-id")] = "depotdispatch-telematics",
    depot: Annotated[str | None, typer.Option("--depot")] = None,
) -> None:
    """The same as `worker telematics` (kept for scripts that use it)."""
    from depotdispatch.cli_commands.worker import run_telematics

    run_telematics(host, port, seconds, messages, as_json, client_id, depot)


def _human(result: svc.ReadingsResult) -> None:
    cli.out.print(f"{result.stored} readings stored, {result.duplicates} already known, "
                  f"{len(result.rejected)} rejected")
    for r in result.rejected[:50]:
        cli.err.print(f"[yellow]row {r['row']}[/yellow]: {r['reason']}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(soc_app, name="soc")
