from __future__ import annotations

from typing import Annotated

import typer

from depotdispatch.cli_commands import support as cli
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.services import depots as svc
from depotdispatch.services.views import depot_doc

db_app = typer.Typer(help="The database.", no_args_is_help=True)
depot_app = typer.Typer(help="Depots.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the current schema."""
    from depotdispatch.adapters.db.migrate import upgrade  # alembic loads only for this command

    upgrade(cli.state.app.database_url)
    cli.err.print("database is at the current schema")


@depot_app.command("add")
def depot_add(
    depot_id: Annotated[str, typer.Argument(metavar="ID")],
    name: Annotated[str, typer.Option("--name")],
    tz: Annotated[str, typer.Option("--tz", help="IANA time zone, e.g. Europe/Vilnius.")],
    lookback_h: Annotated[float, typer.Option("--lookback-h")] = 2,
    lookahead_h: Annotated[float, typer.Option("--lookahead-h")] = 24,
    reserve_pct: Annotated[float, typer.Option("--reserve-pct")] = 20,
    as_json: cli.JsonOpt = False,
) -> None:
    """Add a depot with its time zone, horizon and SoC reserve."""
    depot = Depot(depot_id=depot_id, name=name, timezone=tz, lookback_min=round(lookback_h * 60),
                  lookahead_min=round(lookahead_h * 60), reserve_pct=reserve_pct)
    svc.add_depot(cli.state.app.uow(), depot, cli.state.app.clock.now())
    cli.emit(depot_doc(depot), as_json, lambda: cli.out.print(f"depot {depot_id} added ({tz})"))


@depot_app.command("set")
def depot_set(
    depot_id: Annotated[str, typer.Argument(metavar="ID")],
    temperature_c: Annotated[float | None, typer.Option("--temperature-c", help="Default outside temperature for "
                                                        "energy estimates (a day's own figure or profile wins).")
                             ] = None,
    reserve_pct: Annotated[float | None, typer.Option("--reserve-pct")] = None,
    marginal_band_pct: Annotated[float | None, typer.Option("--marginal-band-pct")] = None,
    stale_after_h: Annotated[float | None, typer.Option("--stale-after-h", help="A reading older than this "
                                                        "is stale.")] = None,
    turnaround_min: Annotated[int | None, typer.Option("--turnaround-min", help="Minimum minutes between two "
                                                       "blocks of one vehicle.")] = None,
    location: Annotated[str | None, typer.Option("--location", metavar="LAT,LON", help="Where the depot is "
                                                 "(WGS84 degrees): change-outs may relieve a bus at a stop near it."
                                                 )] = None,
    no_location: Annotated[bool, typer.Option("--no-location", help="Forget the depot's location.")] = False,
    relief_km: Annotated[float | None, typer.Option("--relief-km", help="How near the depot a stop must be to "
                                                    "relieve a bus there, km (default 1).")] = None,
    as_json: cli.JsonOpt = False,
) -> None:
    """Change a depot's settings."""
    changes: svc.DepotSettings = {}  # only what was named changes
    if no_location:
        changes["latitude"] = changes["longitude"] = None
    elif location is not None:
        changes["latitude"], changes["longitude"] = _lat_lon(location)
    if relief_km is not None:
        changes["relief_km"] = relief_km
    if temperature_c is not None:
        changes["temperature_c"] = temperature_c
    if reserve_pct is not None:
        changes["reserve_pct"] = reserve_pct
    if marginal_band_pct is not None:
        changes["marginal_band_pct"] = marginal_band_pct
    if stale_after_h is not None:
        changes["stale_after_h"] = stale_after_h
    if turnaround_min is not None:
        changes["turnaround_min"] = turnaround_min
    if not changes:
        raise InvalidInput("nothing to set; see --help")
    app = cli.state.app
    depot = svc.update_settings(app.uow(), depot_id, app.clock.now(), cli.actor(), **changes)
    cli.emit(depot_doc(depot), as_json, lambda: cli.out.print(f"depot {depot_id}: {_said(changes)}"))


def _lat_lon(text: str) -> tuple[float, float]:
    parts = text.replace(" ", "").split(",")
    try:
        lat, lon = (float(p) for p in parts)
    except ValueError:
        raise InvalidInput(f"--location {text!r}: give latitude and longitude in degrees, e.g. 47.61,-122.33"
                           ) from None
    return lat, lon


# `depot set` says what it set in words with the unit ("temperature -6 °C"), never "temperature_c -6"
SETTING_WORDS = {"temperature_c": "temperature {:g} °C", "reserve_pct": "reserve {:g} %",
                 "marginal_band_pct": "marginal band {:g} %", "stale_after_h": "a reading is stale after {:g} h",
                 "turnaround_min": "turnaround {:g} min", "relief_km": "relief stops within {:g} km of the depot"}


def _said(changes: svc.DepotSettings) -> str:
    parts = []
    if "latitude" in changes:
        lat, lon = changes["latitude"], changes.get("longitude")
        parts.append("no location" if lat is None else f"location {lat}, {lon}")  # as typed: {:g} said -118.486
    for k, v in changes.items():
        if k not in ("latitude", "longitude"):
            parts.append(SETTING_WORDS.get(k, k.replace("_", " ") + " {:g}").format(v))
    return ", ".join(parts)


@depot_app.command("list")
def depot_list(as_json: cli.JsonOpt = False) -> None:
    """List depots."""
    depots = svc.list_depots(cli.state.app.uow())
    cli.emit({"depots": [depot_doc(d) for d in depots]}, as_json, lambda: cli.table(
        "Depots", ["id", "name", "time zone", "lookback h", "lookahead h", "reserve %"],
        [[d.depot_id, d.name, d.timezone, d.lookback_min / 60, d.lookahead_min / 60, d.reserve_pct] for d in depots]))


def register(app: typer.Typer) -> None:
    from depotdispatch.cli_commands.allowances import allowance_app

    depot_app.add_typer(allowance_app, name="allowance")
    app.add_typer(db_app, name="db")
    app.add_typer(depot_app, name="depot")
