from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from depotdispatch import cli
from depotdispatch.adapters.fleet_csv import read_fleet
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.services import fleet as svc

fleet_app = typer.Typer(help="Vehicle types and vehicles.", no_args_is_help=True)


@fleet_app.command("import")
def fleet_import(
    file: Annotated[Path, typer.Argument(metavar="FILE.csv")],
    depot: cli.DepotOpt,
    strict: Annotated[bool, typer.Option("--strict", help="Import nothing if any row has a problem.")] = False,
    as_json: cli.JsonOpt = False,
) -> None:
    """Import a fleet list; rows with problems are reported and skipped, never guessed."""
    parsed = read_fleet(cli.read_file(file), file.name)
    if strict and parsed.problems:
        first = parsed.problems[0]
        raise InvalidInput(f"{len(parsed.problems)} row(s) have problems; nothing was imported",
                           file=file.name, row=first.row, column=first.column,
                           problems=[p.as_dict() for p in parsed.problems])
    result = svc.import_fleet(cli.state.app.uow(), depot, parsed.rows, parsed.problems, parsed.warnings)

    def human() -> None:
        cli.out.print(f"{result.vehicles} vehicles of {result.vehicle_types} types imported into {depot}")
        for p in result.problems:
            cli.err.print(f"[yellow]row {p.row}[/yellow] {p.column or ''}: {p.detail}", highlight=False)

    cli.emit(result.as_dict(), as_json, human)


@fleet_app.command("list")
def fleet_list(depot: cli.DepotOpt, as_json: cli.JsonOpt = False) -> None:
    """List a depot's vehicles with their types."""
    with cli.state.app.uow() as uow:
        types = uow.fleet.types(depot)
        vehicles = uow.fleet.vehicles(depot)
    docs = [{"vehicle_id": v.vehicle_id, "vehicle_type": v.vehicle_type, "availability": v.availability,
             "propulsion": types[v.vehicle_type].propulsion, "usable_kwh": types[v.vehicle_type].usable_kwh,
             "kwh_per_km": types[v.vehicle_type].kwh_per_km, "vehicle_class": types[v.vehicle_type].vehicle_class}
            for v in vehicles]
    cli.emit({"vehicles": docs}, as_json, lambda: cli.table(
        f"Fleet of {depot}", ["vehicle", "type", "propulsion", "usable kWh", "kWh/km", "class", "availability"],
        [[d["vehicle_id"], d["vehicle_type"], d["propulsion"], d["usable_kwh"], d["kwh_per_km"],
          d["vehicle_class"], d["availability"]] for d in docs]))


def register(app: typer.Typer) -> None:
    app.add_typer(fleet_app, name="fleet")
