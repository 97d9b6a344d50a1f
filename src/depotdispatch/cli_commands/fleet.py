from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from depotdispatch.adapters.fleet_csv import read_fleet
from depotdispatch.cli_commands import support as cli
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.services import fleet as svc

fleet_app = typer.Typer(help="Vehicle types and vehicles.", no_args_is_help=True)


@fleet_app.command("import")
def fleet_import(
    file: Annotated[Path, typer.Argument(metavar="FILE.csv")],
    depot: cli.DepotOpt,
    strict: Annotated[bool, typer.Option("--strict", help="Import nothing if any row has a problem.")] = False,
    usable_share: Annotated[float, typer.Option("--usable-share", help="Share of a gross 'Battery kWh' that "
                                                "may be used, when no usable_kwh is given.")] = 0.9,
    as_json: cli.JsonOpt = False,
) -> None:
    """Import a fleet list; rows with problems are reported and skipped, never guessed."""
    parsed = read_fleet(cli.read_file(file), file.name, usable_share=usable_share)
    if not parsed.rows and not parsed.problems:
        raise InvalidInput("has no vehicle rows", file=file.name)
    if strict and parsed.problems:
        first = parsed.problems[0]
        raise InvalidInput(f"{len(parsed.problems)} row(s) have problems; nothing was imported",
                           file=file.name, row=first.row, column=first.column,
                           problems=[p.as_dict() for p in parsed.problems])
    result = svc.import_fleet(cli.state.app.uow(), depot, parsed.rows, parsed.problems, parsed.warnings)

    def human() -> None:
        cli.out.print(f"{cli.plural(result.vehicles, 'vehicle')} of {cli.plural(result.vehicle_types, 'type')} "
                      f"imported into {depot}")
        for w in result.warnings:
            cli.err.print(f"[yellow]warning:[/yellow] {w}", highlight=False)
        for p in result.problems:
            cli.err.print(f"[yellow]row {p.row}[/yellow] {p.column or ''}: {p.detail}", highlight=False)

    cli.emit(result.as_dict(), as_json, human)
    if not result.vehicles and result.problems:  # every row was refused: that is not a success
        raise InvalidInput(f"nothing was imported: {len(result.problems)} row(s) have problems", file=file.name)


@fleet_app.command("list")
def fleet_list(depot: cli.DepotOpt, as_json: cli.JsonOpt = False) -> None:
    """List a depot's vehicles with their types."""
    docs = svc.fleet_docs(cli.state.app.uow(), depot)
    cli.emit({"vehicles": docs}, as_json, lambda: cli.table(
        f"Fleet of {depot}", ["vehicle", "type", "propulsion", "usable kWh", "kWh/km", "model", "class",
                              "availability"],
        [[d["vehicle_id"], d["vehicle_type"], d["propulsion"], d["usable_kwh"], d["kwh_per_km"],
          (d["consumption_model"] or {}).get("label"), d["vehicle_class"],
          d["availability"] + (f" until {d['available_until'][:16]}" if d["available_until"] else "")]
         for d in docs]))


@fleet_app.command("availability")
def fleet_availability(
    vehicle_id: Annotated[str, typer.Argument(metavar="VEHICLE")],
    depot: cli.DepotOpt,
    status: Annotated[str, typer.Option("--status", help="available, maintenance or out_of_service")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")],
    until: Annotated[str | None, typer.Option("--until", help="Planned end of the spell, ISO 8601.")] = None,
    as_json: cli.JsonOpt = False,
) -> None:
    """Take a vehicle out of service (or back) now: its blocks that have not started lose it, listed."""
    from depotdispatch.domain.servicetime import parse_instant

    change = svc.set_availability(cli.state.app.uow(), depot, vehicle_id, status.replace("-", "_"), reason=reason,
                                  until=parse_instant(until) if until else None, actor=cli.actor(),
                                  now=cli.state.app.clock.now())
    v = change.vehicle
    doc = {"vehicle_id": v.vehicle_id, "availability": v.availability,
           "available_until": v.available_until.isoformat() if v.available_until else None,
           "reason": v.availability_reason, "uncovered": change.uncovered, "needs_change_out": change.needs_change_out}

    def human() -> None:
        cli.out.print(f"{v.vehicle_id} is {v.availability.replace('_', ' ')}"
                      + (f" until {doc['available_until']}" if v.available_until else ""))
        for b in change.uncovered:
            cli.out.print(f"  now without a vehicle: {b['block_id']} ({b['service_date']}, out "
                          f"{str(b['pull_out_local'])[11:16]})")
        for b in change.needs_change_out:
            cli.out.print(f"  in service on {b['block_id']}: plan a change-out (block split)")

    cli.emit(doc, as_json, human)


def register(app: typer.Typer) -> None:
    app.add_typer(fleet_app, name="fleet")


@fleet_app.command("set-type")
def fleet_set_type(
    type_name: Annotated[str, typer.Argument(metavar="TYPE")],
    depot: cli.DepotOpt,
    reserve_pct: Annotated[float | None, typer.Option("--reserve-pct", help="Override the depot's reserve.")] = None,
    energy_cv: Annotated[float | None, typer.Option("--energy-cv", help="Spread behind the conservative estimate "
                                                    "(default 0.12).")] = None,
    charging_curve: Annotated[str | None, typer.Option("--charging-curve",
                                                       help='JSON [[soc, kW], ...], e.g. "[[0,150],[0.8,150],[1,30]]"'
                                                       )] = None,
    charging_efficiency: Annotated[float | None, typer.Option("--charging-efficiency")] = None,
    hvac: Annotated[bool | None, typer.Option("--hvac/--no-hvac", help="Add heating/cooling kW over the block.")
                    ] = None,
    table: Annotated[Path | None, typer.Option("--consumption-table", help="SimBA/eflips lookup table CSV.")] = None,
    table_type: Annotated[str | None, typer.Option("--table-vehicle-type", help="The table's vehicle_type rows "
                                                   "to use (e.g. SB).")] = None,
) -> None:
    """Set a vehicle type's energy and threshold settings."""
    import json

    changes: svc.TypeSettings = {}
    if reserve_pct is not None:
        changes["reserve_pct"] = reserve_pct
    if energy_cv is not None:
        changes["energy_cv"] = energy_cv
    if charging_efficiency is not None:
        changes["charging_efficiency"] = charging_efficiency
    if hvac is not None:
        changes["hvac"] = hvac
    if charging_curve is not None:
        try:
            points = json.loads(charging_curve)
            changes["charging_curve"] = tuple((float(s), float(p)) for s, p in points)
        except (ValueError, TypeError) as exc:
            raise InvalidInput(f"--charging-curve {charging_curve!r} is not [[soc, kW], ...] JSON") from exc
    if table is not None:
        from depotdispatch.adapters.energy_table import read_consumption_table

        parsed = read_consumption_table(cli.read_file(table), table.name, vehicle_type=table_type)
        changes["consumption_table"] = parsed.rows
    if not changes:
        raise InvalidInput("nothing to set; see --help")
    svc.set_type_settings(cli.state.app.uow(), depot, type_name, **changes)
    cli.err.print(f"{type_name}: {', '.join(sorted(changes))} set")
