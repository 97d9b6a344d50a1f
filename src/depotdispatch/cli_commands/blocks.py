from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer

from depotdispatch.cli_commands import support as cli
from depotdispatch.cli_commands.board import block_app
from depotdispatch.domain.blocks import label_of
from depotdispatch.domain.errors import InvalidInput, UnacknowledgedWarnings
from depotdispatch.domain.servicetime import at_service_time, parse_date, parse_instant, parse_plan_time, to_local, zone
from depotdispatch.domain.viability import REASON_STATUS
from depotdispatch.services import adhoc as svc
from depotdispatch.services.depots import get_depot
from depotdispatch.services.views import block_change_doc

VersionOpt = Annotated[int | None, typer.Option("--version", help="The plan version you are changing (checked "
                                                 "when given).")]


def when(text: str, depot: str, day: date) -> datetime:
    """ISO 8601 with offset, or HH:MM[:SS] on the service day (may pass 24:00)."""
    if "T" in text or "+" in text[5:] or text.endswith("Z"):
        return parse_instant(text)
    return at_service_time(day, parse_plan_time(text), zone(get_depot(cli.state.app.uow(), depot).timezone))


# what a service calls the field of a bad value, and the option the person typed it in
_OPTIONS = {"adhoc_reason": "--reason", "pull_out": "--pull-out", "pull_in": "--pull-in",
            "distance_km": "--distance-km", "vehicle_class": "--class", "note": "--note",
            "replaces_block": "--replaces", "block_id": "BLOCK", "swap_vehicle": "--swap-vehicle"}


def _emit(change: svc.BlockChange, as_json: bool, message: str) -> None:
    doc = block_change_doc(change)
    cli.emit(doc, as_json, lambda: cli.out.print(f"{message}; plan version {change.plan_version}"))


def _id(change: svc.BlockChange, typed: str) -> str:
    """The block as people read it, with its full id (the person may have typed a prefix of it)."""
    return label_of(change.block) if change.block is not None else typed


@block_app.command("add")
def block_add(
    block_id: Annotated[str, typer.Argument(metavar="BLOCK")], depot: cli.DepotOpt, date: cli.DateOpt,
    reason: Annotated[str, typer.Option("--reason", help="replacement, extra_service, missing_from_schedule, other")],
    pull_out: Annotated[str, typer.Option("--pull-out", help="HH:MM on the service day, or ISO 8601")],
    pull_in: Annotated[str, typer.Option("--pull-in", help="HH:MM (may pass 24:00), or ISO 8601")],
    distance_km: Annotated[float | None, typer.Option("--distance-km", help="Default: the replaced block's")] = None,
    replaces: Annotated[str | None, typer.Option("--replaces", help="The block this work replaces (it is "
                                                 "cancelled as `replaced`, its vehicle freed).")] = None,
    keep_original: Annotated[bool, typer.Option("--keep-original", help="With --replaces: keep the replaced "
                                                "block running too.")] = False,
    vehicle_class: Annotated[str | None, typer.Option("--class")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    version: VersionOpt = None, as_json: cli.JsonOpt = False,
) -> None:
    """Add ad-hoc work (replacement, extra, missing from the schedule) to a day."""
    day = parse_date(date)
    if keep_original and not replaces:
        raise InvalidInput("--keep-original only goes with --replaces")
    with cli.as_options(_OPTIONS):
        spec = svc.AdhocSpec(block_id, reason, when(pull_out, depot, day), when(pull_in, depot, day), distance_km,
                             replaces, vehicle_class, note, keep_original)
        change = svc.create_adhoc(cli.state.app.uow(), depot, day, spec, actor=cli.actor(),
                                  now=cli.state.app.clock.now(), plan_version=version)
    replaced_id = change.block.replaces_block if change.block is not None and change.block.replaces_block else replaces
    replaced = f"; {replaced_id} cancelled as replaced" if replaces and not keep_original else ""
    freed = f" ({change.freed_vehicle} is free)" if change.freed_vehicle else ""
    _emit(change, as_json, f"ad-hoc block {block_id} added{replaced}{freed}")


@block_app.command("update")
def block_update(
    block_id: Annotated[str, typer.Argument(metavar="BLOCK")], depot: cli.DepotOpt, date: cli.DateOpt,
    pull_out: Annotated[str | None, typer.Option("--pull-out")] = None,
    pull_in: Annotated[str | None, typer.Option("--pull-in")] = None,
    distance_km: Annotated[float | None, typer.Option("--distance-km")] = None,
    reason: Annotated[str | None, typer.Option("--reason")] = None,
    vehicle_class: Annotated[str | None, typer.Option("--class")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    version: VersionOpt = None, as_json: cli.JsonOpt = False,
) -> None:
    """Change an ad-hoc block."""
    day = parse_date(date)
    with cli.as_options(_OPTIONS):
        change = svc.update_adhoc(cli.state.app.uow(), depot, day, block_id, actor=cli.actor(),
                                  now=cli.state.app.clock.now(), plan_version=version,
                                  pull_out=None if pull_out is None else when(pull_out, depot, day),
                                  pull_in=None if pull_in is None else when(pull_in, depot, day),
                                  distance_km=distance_km, adhoc_reason=reason, vehicle_class=vehicle_class, note=note)
    _emit(change, as_json, f"ad-hoc block {_id(change, block_id)} changed")


@block_app.command("remove")
def block_remove(block_id: Annotated[str, typer.Argument(metavar="BLOCK")], depot: cli.DepotOpt, date: cli.DateOpt,
                 confirm: Annotated[bool, typer.Option("--confirm", help="Also when it has a vehicle.")] = False,
                 version: VersionOpt = None, as_json: cli.JsonOpt = False) -> None:
    """Remove an ad-hoc block (one with a vehicle needs --confirm)."""
    change = svc.remove_adhoc(cli.state.app.uow(), depot, parse_date(date), block_id, actor=cli.actor(),
                              now=cli.state.app.clock.now(), confirm=confirm, plan_version=version)
    _emit(change, as_json, f"ad-hoc block {block_id} removed")


@block_app.command("cancel")
def block_cancel(block_id: Annotated[str, typer.Argument(metavar="BLOCK")], depot: cli.DepotOpt, date: cli.DateOpt,
                 reason: Annotated[str, typer.Option("--reason")], version: VersionOpt = None,
                 as_json: cli.JsonOpt = False) -> None:
    """Cancel a block: greyed, no warnings, its vehicle freed."""
    change = svc.cancel_block(cli.state.app.uow(), depot, parse_date(date), block_id, reason, actor=cli.actor(),
                              now=cli.state.app.clock.now(), plan_version=version)
    freed = f" ({change.freed_vehicle} is free)" if change.freed_vehicle else ""
    _emit(change, as_json, f"block {_id(change, block_id)} cancelled{freed}")


@block_app.command("restore")
def block_restore(block_id: Annotated[str, typer.Argument(metavar="BLOCK")], depot: cli.DepotOpt,
                  date: cli.DateOpt, version: VersionOpt = None,
                  as_json: cli.JsonOpt = False) -> None:
    """Restore a cancelled block (without a vehicle)."""
    change = svc.restore_block(cli.state.app.uow(), depot, parse_date(date), block_id, actor=cli.actor(),
                               now=cli.state.app.clock.now(), plan_version=version)
    _emit(change, as_json, f"block {_id(change, block_id)} restored")


@block_app.command("split")
def block_split(block_id: Annotated[str, typer.Argument(metavar="BLOCK")], depot: cli.DepotOpt, date: cli.DateOpt,
                at: Annotated[str, typer.Option("--at", help="Change-out time: HH:MM or ISO 8601")],
                new_id: Annotated[str | None, typer.Option("--new-id")] = None, version: VersionOpt = None,
                swap_vehicle: Annotated[str | None, typer.Option(
                    "--swap-vehicle", help="The bus that takes the rest over: it gets the new block in the same "
                    "step (needs --version). Needed when the rest would already have started.")] = None,
                override_reason: Annotated[str | None, typer.Option(
                    "--override-reason", help="With --swap-vehicle, why, against its warnings (with each "
                    "--acknowledge CODE).")] = None,
                acknowledge: Annotated[list[str] | None, typer.Option(
                    "--acknowledge", help="A warning code of the swap bus to accept (repeat; the refusal names "
                    "them: the new block does not exist before the split, so none is accepted unnamed).")] = None,
                as_json: cli.JsonOpt = False) -> None:
    """A change-out: the trips from --at on become an ad-hoc block another vehicle can take."""
    day = parse_date(date)
    instant = when(at, depot, day)
    try:
        with cli.as_options(_OPTIONS):
            change = svc.split_for_change_out(
                cli.state.app.uow(), depot, day, block_id, instant, actor=cli.actor(), now=cli.state.app.clock.now(),
                new_id=new_id, plan_version=version, swap_vehicle=swap_vehicle, override_reason=override_reason,
                acknowledge=acknowledge)
    except UnacknowledgedWarnings as exc:
        # the codes to name: the warnings among the judgement's reasons, each said in the refusal
        said = exc.extra.get("reasons")
        named = [r["code"] for r in said if REASON_STATUS.get(r["code"]) != "ok"] if isinstance(said, list) else []
        codes = " ".join(f"--acknowledge {c}" for c in named) or "--acknowledge CODE"
        raise exc.reworded(f"{exc.detail} (on the command line: --override-reason TEXT {codes})") from None
    # say where the split really fell (the trip boundary at or after --at), in the depot's time, not --at in UTC
    doc = block_change_doc(change)
    tz = get_depot(cli.state.app.uow(), depot).timezone
    first, rest = doc["block"], doc["new_block"]
    today = to_local(instant, zone(tz)).date()
    km = ("" if first["distance_km"] is None or rest["distance_km"] is None
          else f" ({rest['distance_km']:.1f} km of the {first['distance_km'] + rest['distance_km']:.1f})")
    swap = (f"; {doc['swap_vehicle']} takes it over" + (" (override)" if doc["swap_override"] else "")
            if doc["swap_vehicle"] else "")
    moved = (f" (its first trip at or after {cli.local_clock(instant.isoformat(), tz, today)})"
             if datetime.fromisoformat(rest["pull_out"]) != instant else "")
    _emit(change, as_json, f"block {cli.named(first)} now pulls in at {cli.local_clock(first['pull_in'], tz, today)}"
          f"; {cli.named(rest)} takes the rest from {cli.local_clock(rest['pull_out'], tz, today)}{moved} to "
          f"{cli.local_clock(rest['pull_in'], tz, today)}{km}{swap}")


def register(app: typer.Typer) -> None:
    """The commands attach to the `block` group made in cli_commands.board."""
