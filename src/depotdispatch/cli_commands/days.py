from __future__ import annotations

from datetime import date, datetime
from typing import Any

import typer

from depotdispatch.cli_commands import support as cli
from depotdispatch.domain.servicetime import clock_on, parse_date, to_local, zone
from depotdispatch.services import days as svc
from depotdispatch.services.depots import get_depot

day_app = typer.Typer(help="Dispatch days: set up, blocks, board.", no_args_is_help=True)


@day_app.command("setup")
def day_setup(depot: cli.DepotOpt, date: cli.DateOpt, as_json: cli.JsonOpt = False) -> None:
    """Set up (or refresh) a dispatch day from the schedules that apply to it."""
    result = svc.setup_day(cli.state.app.uow(), depot, parse_date(date), cli.state.app.clock.now(),
                           actor=cli.actor())

    def human() -> None:
        # the change counts are of the schedule's blocks (cancelled ones too); the blocks to run leave the
        # cancelled out and take the ad-hoc in: both said, or "34 blocks ... 28 unchanged" reads as lost blocks
        apart = "".join(f", {n} {what}" for n, what in ((result.adhoc, "ad-hoc"), (result.cancelled, "cancelled"))
                        if n)
        cli.out.print(f"{result.service_date}: {cli.plural(result.blocks, 'block')} to run{apart}, "
                      f"{cli.plural(result.trips, 'trip')}; from the schedules {result.added} new, {result.changed} "
                      f"changed, {result.removed} removed, {result.unchanged} as before")
        for w in result.warnings:
            cli.err.print(f"[yellow]warning:[/yellow] {w}", highlight=False)

    cli.emit(result.as_dict(), as_json, human)


@day_app.command("blocks")
def day_blocks(depot: cli.DepotOpt, date: cli.DateOpt, as_json: cli.JsonOpt = False) -> None:
    """List a dispatch day's blocks with their status now."""
    app = cli.state.app
    result = svc.day_blocks(app.uow(), depot, parse_date(date), app.clock.now())
    tz = zone(get_depot(app.uow(), depot).timezone)
    docs: list[dict[str, Any]] = [
            {"block_id": b.block_id, "block_name": b.block_name, "pull_out": b.pull_out.isoformat(),
             "pull_in": b.pull_in.isoformat(),
             "pull_out_local": to_local(b.pull_out, tz).isoformat(),
             "pull_in_local": to_local(b.pull_in, tz).isoformat(),
             "distance_km": b.distance_km, "distance_source": b.distance_source, "trips": b.trips,
             "routes": list(b.routes), "origin": b.origin, "status": status, "vehicle_class": b.vehicle_class,
             "generated": b.generated} for b, status in result.blocks]
    doc = {"service_date": result.service_date.isoformat(), "set_up": result.set_up,
           "window": result.window.as_dict(), "blocks": docs}
    cli.emit(doc, as_json, lambda: cli.table(
        f"Blocks of {depot} on {result.service_date}" + ("" if result.set_up else " (day not set up)"),
        ["block", "pull-out", "pull-in", "km", "trips", "routes", "origin", "status"],
        [[cli.named(d), _on(d["pull_out_local"], result.service_date), _on(d["pull_in_local"], result.service_date),
          None if d["distance_km"] is None else f"{d['distance_km']:.1f}", d["trips"], " ".join(d["routes"][:4]),
          d["origin"], str(d["status"]).replace("_", " ")] for d in docs]))


def _on(local_iso: str, service_date: date) -> str:
    """A pull-in past midnight says its day ("Thu 19 Feb 00:44"), as on the board; "00:44" alone reads as the
    service day's early morning."""
    return clock_on(datetime.fromisoformat(local_iso), service_date)


def register(app: typer.Typer) -> None:
    app.add_typer(day_app, name="day")

