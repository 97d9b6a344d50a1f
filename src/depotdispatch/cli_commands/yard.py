"""`charger` and `yard`: chargers, charging settings, yard spots, plugged/unplugged, the plug-in order."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from depotdispatch.adapters.chargers_csv import read_chargers
from depotdispatch.cli_commands import support as cli
from depotdispatch.services import yard as svc

charger_app = typer.Typer(help="Depot chargers.", no_args_is_help=True)
yard_app = typer.Typer(help="The yard: plug-in order, where buses stand, what is plugged in.", no_args_is_help=True)


def actor() -> str:
    return cli.actor()


@charger_app.command("import")
def charger_import(file: Annotated[Path, typer.Argument(metavar="FILE.csv")], depot: cli.DepotOpt,
                   as_json: cli.JsonOpt = False) -> None:
    """Import chargers (charger_id, max_kw, connectors) from CSV or a TODS chargers.txt (or a zip with one)."""
    parsed = read_chargers(cli.read_file(file), file.name)
    result = svc.import_chargers(cli.state.app.uow(), depot, parsed, cli.state.app.clock.now(), actor())
    cli.emit(result.as_dict(), as_json, lambda: cli.out.print(
        f"{result.chargers} chargers for {depot}: {result.added} added, {result.updated} changed"))


@charger_app.command("list")
def charger_list(depot: cli.DepotOpt, as_json: cli.JsonOpt = False) -> None:
    docs = svc.chargers(cli.state.app.uow(), depot)
    cli.emit({"chargers": docs}, as_json, lambda: cli.table(
        f"Chargers of {depot}", ["charger", "max kW", "connectors", "available"],
        [[d["charger_id"], d["max_kw"], d["connectors"], "yes" if d["available"] else "no"] for d in docs]))


@charger_app.command("available")
def charger_available(charger_id: Annotated[str, typer.Argument(metavar="CHARGER")], depot: cli.DepotOpt,
                      available: Annotated[bool, typer.Option("--yes/--no", help="In service or not.")] = True,
                      as_json: cli.JsonOpt = False) -> None:
    """Mark a charger in or out of service."""
    svc.set_charger_available(cli.state.app.uow(), depot, charger_id, available, cli.state.app.clock.now(), actor())
    cli.emit({"charger_id": charger_id, "available": available}, as_json,
             lambda: cli.out.print(f"{charger_id} is {'in service' if available else 'out of service'}"))


@yard_app.command("settings")
def yard_settings(
    depot: cli.DepotOpt,
    site_cap_kw: Annotated[float | None, typer.Option("--site-cap-kw", help="Site power cap in kW.")] = None,
    no_site_cap: Annotated[bool, typer.Option("--no-site-cap", help="Remove the site power cap.")] = False,
    pull_in_min: Annotated[int | None, typer.Option("--pull-in-min", help="Pull-in allowance, minutes.")] = None,
    pull_out_min: Annotated[int | None, typer.Option("--pull-out-min", help="Pull-out allowance, minutes.")] = None,
    min_dwell_min: Annotated[int | None, typer.Option("--min-dwell-min", help="Shortest stay that charges.")] = None,
    pull_in_km: Annotated[float | None, typer.Option(
        "--pull-in-km", help="Deadhead from a block's last stop to the depot, km (blocks timed by trips).")] = None,
    pull_out_km: Annotated[float | None, typer.Option(
        "--pull-out-km", help="Deadhead from the depot to a block's first stop, km (blocks timed by trips).")] = None,
    as_json: cli.JsonOpt = False,
) -> None:
    """Charging settings of a depot (DESIGN §12a); shows them when given none."""
    changes: dict[str, object] = {}
    if no_site_cap:
        changes["site_cap_kw"] = None
    elif site_cap_kw is not None:
        changes["site_cap_kw"] = site_cap_kw
    for key, value in (("pull_in_allowance_min", pull_in_min), ("pull_out_allowance_min", pull_out_min),
                       ("min_dwell_min", min_dwell_min), ("pull_in_allowance_km", pull_in_km),
                       ("pull_out_allowance_km", pull_out_km)):
        if value is not None:
            changes[key] = value
    app = cli.state.app
    if changes:
        d = svc.set_charging_settings(app.uow(), depot, app.clock.now(), actor(), **changes)
    else:
        from depotdispatch.services.depots import get_depot

        d = get_depot(app.uow(), depot)
    doc = svc.charging_settings(d)
    cli.emit(doc, as_json, lambda: cli.out.print(
        f"{depot}: {f'site cap {d.site_cap_kw:g} kW' if d.site_cap_kw else 'no site cap'}, pull-out "
        f"{doc['pull_out_allowance_min']} min and {doc['pull_out_allowance_km']:g} km, pull-in "
        f"{doc['pull_in_allowance_min']} min and {doc['pull_in_allowance_km']:g} km (blocks timed by their trips; "
        f"routes and stops may set their own: depot allowance list), minimum dwell {d.min_dwell_min} min"))


@yard_app.command("plug-in-order")
def yard_plug_in_order(depot: cli.DepotOpt, as_json: cli.JsonOpt = False) -> None:
    """Which bus to plug in on which charger next, each with the reason."""
    doc = svc.plug_in(cli.state.app.uow(), depot, cli.state.app.clock.now())

    def human() -> None:
        order = doc["order"]
        assert isinstance(order, list), "plug_in's order is a list"
        if not order:
            cli.out.print("no bus waiting to be plugged in lacks energy for its next pull-out")
        for i, e in enumerate(order, 1):
            flag = (" [red]NOT READY IN TIME[/red]" if e["not_ready_in_time"]
                    else " [red]SHORT ON THE CHARGING PLAN[/red]" if e.get("short_on_plan") else "")
            cli.out.print(f"{i}. {e['reason']}{flag}", highlight=False)

    cli.emit(doc, as_json, human)


@yard_app.command("park")
def yard_park(vehicle: Annotated[str, typer.Argument(metavar="VEHICLE")], depot: cli.DepotOpt,
              bay: Annotated[str | None, typer.Option("--bay")] = None,
              lane: Annotated[str | None, typer.Option("--lane")] = None,
              position: Annotated[int | None, typer.Option("--position", help="1 = the front of the lane.")] = None,
              as_json: cli.JsonOpt = False) -> None:
    """Record where a bus stands."""
    s = svc.set_spot(cli.state.app.uow(), depot, vehicle, bay=bay, lane=lane, lane_order=position,
                     now=cli.state.app.clock.now(), actor=actor())
    cli.emit({"vehicle_id": vehicle, "bay": s.bay, "lane": s.lane, "position": s.lane_order}, as_json,
             lambda: cli.out.print(f"{vehicle}: bay {s.bay or '-'}, lane {s.lane or '-'} {s.lane_order or ''}"))


@yard_app.command("plug")
def yard_plug(vehicle: Annotated[str, typer.Argument(metavar="VEHICLE")],
              charger: Annotated[str, typer.Argument(metavar="CHARGER")], depot: cli.DepotOpt,
              as_json: cli.JsonOpt = False) -> None:
    """Mark a bus plugged into a charger."""
    svc.set_plugged(cli.state.app.uow(), depot, vehicle, charger, cli.state.app.clock.now(), actor())
    cli.emit({"vehicle_id": vehicle, "charger_id": charger}, as_json,
             lambda: cli.out.print(f"{vehicle} plugged into {charger}"))


@yard_app.command("unplug")
def yard_unplug(vehicle: Annotated[str, typer.Argument(metavar="VEHICLE")], depot: cli.DepotOpt,
                as_json: cli.JsonOpt = False) -> None:
    """Mark a bus unplugged."""
    svc.set_plugged(cli.state.app.uow(), depot, vehicle, None, cli.state.app.clock.now(), actor())
    cli.emit({"vehicle_id": vehicle, "charger_id": None}, as_json, lambda: cli.out.print(f"{vehicle} unplugged"))


def register(app: typer.Typer) -> None:
    app.add_typer(charger_app, name="charger")
    app.add_typer(yard_app, name="yard")
