from __future__ import annotations

from typing import Annotated

import typer

from depotdispatch.cli_commands import support as cli
from depotdispatch.domain.blocks import block_label
from depotdispatch.domain.errors import UnacknowledgedWarnings
from depotdispatch.domain.servicetime import parse_date
from depotdispatch.services import audit, days
from depotdispatch.services import plan as svc
from depotdispatch.services.views import change_doc, event_doc

plan_app = typer.Typer(help="The plan: assignments, overrides, recommendations.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)

VersionOpt = Annotated[int | None, typer.Option("--version", help="The plan version you are changing.")]


@plan_app.command("assign")
def plan_assign(
    block_id: Annotated[str, typer.Argument(metavar="BLOCK")],
    vehicle_id: Annotated[str, typer.Argument(metavar="VEHICLE")],
    depot: cli.DepotOpt, date: cli.DateOpt, version: VersionOpt = None,
    override_reason: Annotated[str | None, typer.Option("--override-reason", help="Why, when assigning "
                                                        "against warnings (acknowledges those it prints).")] = None,
    acknowledge: Annotated[list[str] | None, typer.Option("--acknowledge", help="A warning code to accept "
                                                          "(repeat); default: the ones printed.")] = None,
    as_json: cli.JsonOpt = False,
) -> None:
    """Assign a vehicle to a block (reassigns if it has one)."""
    now, day = cli.state.app.clock.now(), parse_date(date)
    if override_reason and not acknowledge:
        # the same rule as the API's: each warning named. Named here are the ones this command shows (on
        # stderr), judged as the assignment will be; one that appears in between is refused, not accepted
        warned = svc.override_warnings(cli.state.app.uow(), depot, day, block_id, vehicle_id, now=now)
        for r in warned:
            cli.err.print(f"acknowledging {r.code}: {r.message}", markup=False, highlight=False)
        acknowledge = [r.code for r in warned]
    try:
        change = svc.assign(cli.state.app.uow(), depot, day, block_id, vehicle_id, plan_version=version,
                            actor=cli.actor(), now=now, override_reason=override_reason, acknowledge=acknowledge)
    except UnacknowledgedWarnings as exc:
        # the service speaks of acknowledging and a reason; say how that is done on the command line
        raise exc.reworded(f"{exc.detail} (on the command line: --override-reason TEXT acknowledges "
                           f"the warnings it prints; --acknowledge CODE to name them)") from None
    full = change.assignment.block_id if change.assignment else block_id  # the full id, not the prefix typed
    shown = block_label(full, days.block_names(cli.state.app.uow(), depot, day, day).get((day, full)))
    cli.emit(change_doc(change), as_json, lambda: cli.out.print(
        f"{shown} -> {vehicle_id}" + (" (override)" if change.assignment and change.assignment.override_reason
                                         else "") + f"; plan version {change.plan_version}"
        + ("" if change.changed else " (no change)")))


@plan_app.command("unassign")
def plan_unassign(block_id: Annotated[str, typer.Argument(metavar="BLOCK")], depot: cli.DepotOpt,
                  date: cli.DateOpt, version: VersionOpt = None,
                  as_json: cli.JsonOpt = False) -> None:
    """Take the vehicle off a block."""
    change = svc.unassign(cli.state.app.uow(), depot, parse_date(date), block_id, plan_version=version,
                          actor=cli.actor(), now=cli.state.app.clock.now())
    cli.emit(change_doc(change), as_json, lambda: cli.out.print(
        f"{block_id} unassigned; plan version {change.plan_version}" + ("" if change.changed else " (no change)")))


@plan_app.command("version")
def plan_version(depot: cli.DepotOpt, date: cli.DateOpt, as_json: cli.JsonOpt = False) -> None:
    """The plan's current version (to make a change against)."""
    v = svc.plan_version(cli.state.app.uow(), depot, parse_date(date))
    cli.emit({"plan_version": v}, as_json, lambda: cli.out.print(str(v)))


@audit_app.command("log")
def audit_log(depot: cli.DepotOpt, date: Annotated[str | None, typer.Option("--date")] = None,
              block: Annotated[str | None, typer.Option("--block")] = None,
              vehicle: Annotated[str | None, typer.Option("--vehicle")] = None,
              as_json: cli.JsonOpt = False) -> None:
    """Events, newest first, per day, block or vehicle."""
    events = audit.events(cli.state.app.uow(), depot, service_date=parse_date(date) if date else None,
                          block_id=block, vehicle_id=vehicle)
    docs = [event_doc(e) for e in events]
    cli.emit({"events": docs}, as_json, lambda: cli.table(
        f"Audit log of {depot}", ["at", "kind", "actor", "date", "block", "vehicle", "version", "override",
                                  "acknowledged"],
        [[d["at"][:19], d["kind"], d["actor"], d["service_date"], d["block_id"], d["vehicle_id"],
          d["plan_version"], d["override_reason"], ", ".join(d["acknowledged"])] for d in docs]))


def register(app: typer.Typer) -> None:
    app.add_typer(plan_app, name="plan")
    app.add_typer(audit_app, name="audit")
