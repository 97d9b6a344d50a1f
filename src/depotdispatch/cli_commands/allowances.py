"""`depot allowance`: pull-out and pull-in allowances per route and per first/last stop (DESIGN §12a)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from depotdispatch.cli_commands import support as cli
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.services import allowances as svc

allowance_app = typer.Typer(help="Pull-out and pull-in allowances per route or first/last stop (the depot's own: "
                            "yard settings).", no_args_is_help=True)
DepotArg = Annotated[str, typer.Argument(metavar="ID", help="The depot.")]
RouteOpt = Annotated[str | None, typer.Option("--route", metavar="ROUTE", help="A route_id of the depot's feed.")]
StopOpt = Annotated[str | None, typer.Option("--stop", metavar="STOP", help="A stop_id where blocks start (its "
                                             "pull-out values) or end (its pull-in values).")]


def _where(route: str | None, stop: str | None) -> tuple[str, str]:
    if (route is None) == (stop is None):
        raise InvalidInput("name one route (--route ROUTE) or one stop (--stop STOP)")
    return ("route", route) if route is not None else ("stop", stop or "")


def _value(v: object, unit: str) -> str:
    return "-" if v is None else f"{v:g} {unit}" if isinstance(v, float) else f"{v} {unit}"


def _said(doc: dict[str, Any]) -> str:
    return (f"pull-out {_value(doc['pull_out_min'], 'min')}, {_value(doc['pull_out_km'], 'km')}; "
            f"pull-in {_value(doc['pull_in_min'], 'min')}, {_value(doc['pull_in_km'], 'km')}")


@allowance_app.command("set")
def allowance_set(
    depot_id: DepotArg, route: RouteOpt = None, stop: StopOpt = None,
    pull_out_min: Annotated[int | None, typer.Option("--pull-out-min", help="Minutes from the yard to the first "
                                                     "departure.")] = None,
    pull_out_km: Annotated[float | None, typer.Option("--pull-out-km", help="Km from the yard to the first "
                                                      "stop.")] = None,
    pull_in_min: Annotated[int | None, typer.Option("--pull-in-min", help="Minutes from the last arrival to the "
                                                    "yard.")] = None,
    pull_in_km: Annotated[float | None, typer.Option("--pull-in-km", help="Km from the last stop to the yard."
                                                     )] = None,
    as_json: cli.JsonOpt = False,
) -> None:
    """Set a route's or a stop's allowances (only those given; the rest keep theirs, or the route's or depot's).
    A stop beats a route, a route beats the depot; a block's pull-out side is its first trip's, its pull-in
    side its last trip's."""
    scope, ref = _where(route, stop)
    changes = {k: v for k, v in (("pull_out_min", pull_out_min), ("pull_out_km", pull_out_km),
                                 ("pull_in_min", pull_in_min), ("pull_in_km", pull_in_km)) if v is not None}
    app = cli.state.app
    o = svc.set_allowance(app.uow(), depot_id, scope, ref, app.clock.now(), cli.actor(), **changes)
    doc = svc.named_doc(app.uow(), depot_id, o)
    cli.emit(doc, as_json, lambda: cli.out.print(f"{depot_id}: {scope} {ref}: {_said(doc)} (- : the next rule's)",
                                                 highlight=False))


@allowance_app.command("clear")
def allowance_clear(depot_id: DepotArg, route: RouteOpt = None, stop: StopOpt = None,
                    as_json: cli.JsonOpt = False) -> None:
    """Remove a route's or a stop's allowances: its blocks take the route's or the depot's again."""
    scope, ref = _where(route, stop)
    app = cli.state.app
    o = svc.clear_allowance(app.uow(), depot_id, scope, ref, app.clock.now(), cli.actor())
    cli.emit({"cleared": svc.override_doc(o)}, as_json,
             lambda: cli.out.print(f"{depot_id}: {scope} {ref} sets no allowance now", highlight=False))


@allowance_app.command("list")
def allowance_list(depot_id: DepotArg, as_json: cli.JsonOpt = False) -> None:
    """The depot's allowances and each route's and stop's own (- : the next rule's)."""
    doc = svc.allowances_doc(cli.state.app.uow(), depot_id)

    def row(kind: str, ref: str, d: dict[str, Any]) -> list[str]:
        return [kind, ref, _value(d["pull_out_min"], "min"), _value(d["pull_out_km"], "km"),
                _value(d["pull_in_min"], "min"), _value(d["pull_in_km"], "km")]

    rows = [row("depot", depot_id, doc["depot"])]
    rows += [row("route", d["route_id"], d) for d in doc["routes"]]
    rows += [row("stop", d["stop_id"] + (f" ({d['name']})" if d["name"] else ""), d) for d in doc["stops"]]
    cli.emit(doc, as_json, lambda: cli.table(
        f"Allowances of {depot_id} (a stop beats a route, a route the depot)",
        ["for", "id", "pull-out", "pull-out km", "pull-in", "pull-in km"], rows))
