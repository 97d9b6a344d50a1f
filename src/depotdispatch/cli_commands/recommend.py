from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from depotdispatch.cli_commands import support as cli
from depotdispatch.cli_commands.plan import VersionOpt, plan_app
from depotdispatch.domain.blocks import label_of
from depotdispatch.domain.servicetime import parse_date, to_local, zone
from depotdispatch.services import change_outs as change_out_svc
from depotdispatch.services import recommendations as svc
from depotdispatch.services import replan as replan_svc
from depotdispatch.services.depots import get_depot
from depotdispatch.services.plan import BatchResult
from depotdispatch.services.views import batch_doc

BlockOpt = Annotated[list[str] | None, typer.Option("--block", help="Accept only these blocks.")]


def plan_recommend(depot: cli.DepotOpt, date: cli.DateOpt,
                   as_json: cli.JsonOpt = False) -> None:
    """Recommend vehicles for the open blocks (advisory: nothing is assigned until you accept)."""
    result = svc.recommend(cli.state.app.uow(), depot, parse_date(date), cli.state.app.clock.now(), actor=cli.actor())
    doc = result.as_dict()

    def human() -> None:
        cli.out.print(doc["summary"]["text"], highlight=False)
        cli.out.print(f"{result.optimality_text()}.", highlight=False)
        if (since := result.changes_text()) is not None:
            moved = ", ".join(f"{result.label(c.block_id)} {c.before or 'uncovered'} -> {c.after or 'uncovered'}"
                              for c in result.recommendation.changes)
            cli.out.print(f"{since}: {moved}" if moved else f"{since}.", highlight=False)
        instead = {c["block_id"]: c for c in doc["change_outs"] if c.get("instead_of")}
        cli.table(f"Recommendation {result.recommendation_id} for {date} (plan version {result.plan_version}, "
                  f"{result.kept} assignments already in the plan kept)", ["block", "vehicle", "why"],
                  [[cli.named(p), p["vehicle_id"], p["explanation"]
                    + ("; or, instead, the change-out below" if p["block_id"] in instead else "")]
                   for p in doc["proposals"]]
                  + [[cli.named(u), "-", u["explanation"]] for u in doc["uncovered"]])
        accept_all = (f"depotdispatch plan accept {result.recommendation_id} --depot {depot} --date {date} "
                      f"--version {result.plan_version}")
        cli.err.print(f"accept with: {accept_all} [--block B ...]", highlight=False)
        if doc["change_outs"]:
            tz = zone(get_depot(cli.state.app.uow(), depot).timezone)
            cli.table("Change-outs suggested: split the block at the relief stop, the swap vehicle takes the rest",
                      ["block", "instead of", "relief stop", "at", "first part", "swap vehicle", "why"],
                      [[result.label(c["block_id"]), c.get("instead_of") or "(uncovered)",
                        c["relief_stop"],
                        f"{to_local(datetime.fromisoformat(c['at']), tz):%H:%M}",
                        f"{c['first_vehicle']} ({c['first_km']:.0f} km)",
                        f"{c['swap_vehicle']} ({c['second_km']:.0f} km)",
                        c["explanation"]] for c in doc["change_outs"]])
            cli.err.print(f"accept a change-out with: depotdispatch plan accept {result.recommendation_id} "
                          f"--change-out BLOCK --depot {depot} --date {date} --version {result.plan_version}",
                          highlight=False)
            if instead:  # one or the other for these blocks: never both presented to run
                cli.err.print(f"for {', '.join(sorted(instead))} the change-out is an alternative to the non-EV "
                              "proposed for the block, not an addition: accept the change-out first, then the "
                              "proposals at the version it gives (they skip that block); accepting all proposals "
                              "first gives the block its non-EV and refuses its change-out", highlight=False)
        if result.missed:
            _missed(result, depot, date)

    cli.emit(doc, as_json, human)


def _missed(result: svc.RecommendResult, depot: str, date: str) -> None:
    """Blocks that started with no bus: who can take the rest over, and the command that does it."""
    tz = zone(get_depot(cli.state.app.uow(), depot).timezone)
    cli.table("Missed pull-outs: started with no bus (not planned above); the rest can be taken over",
              ["block", "from", "relief stop", "bus", "why"],
              [[result.label(t.block_id), f"{to_local(t.at, tz):%H:%M}" if t.at else "-", t.stop or "-",
                t.vehicle_id or "-", t.explanation] for t in result.missed])
    for t in result.missed:
        if t.at is not None and t.vehicle_id is not None:
            at = to_local(t.at, tz).isoformat(timespec="minutes")  # ISO: past midnight is not today
            cli.err.print(f"take over {t.block_id} with: depotdispatch block split {t.block_id} --at {at} "
                          f"--swap-vehicle {t.vehicle_id} --depot {depot} --date {date} "
                          f"--version {result.plan_version}", highlight=False, soft_wrap=True)  # one line to copy


def _batch(result: BatchResult, as_json: bool, what: str) -> None:
    def human() -> None:
        cli.out.print(f"{len(result.applied)} {what}; plan version {result.plan_version}")
        for s in result.skipped:
            cli.err.print(f"[yellow]skipped {s['block_id']}[/yellow]: {s['reason']}", highlight=False)

    cli.emit(batch_doc(result), as_json, human)


def plan_accept(recommendation_id: Annotated[int, typer.Argument(metavar="RECOMMENDATION_ID")],
                depot: cli.DepotOpt, date: cli.DateOpt, version: VersionOpt = None, block: BlockOpt = None,
                change_out: Annotated[str | None, typer.Option(
                    "--change-out", metavar="BLOCK", help="Accept the change-out suggested for this block: split it "
                    "and assign both parts, all at once.")] = None,
                as_json: cli.JsonOpt = False) -> None:
    """Accept all (or some) proposals of a recommendation, or one of its change-out suggestions."""
    app = cli.state.app
    if change_out is not None:
        done = change_out_svc.accept(app.uow(), depot, parse_date(date), recommendation_id, change_out,
                                     plan_version=version, actor=cli.actor(), now=app.clock.now())
        doc = done.as_dict()

        def human() -> None:
            cli.out.print(f"block {label_of(done.first)} split: {done.first_vehicle} runs it to the change-out, "
                          f"{done.swap_vehicle} runs {label_of(done.second)}; plan version {done.plan_version}")

        cli.emit(doc, as_json, human)
        return
    result = svc.accept(app.uow(), depot, parse_date(date), recommendation_id, plan_version=version,
                        actor=cli.actor(), now=app.clock.now(), block_ids=block)
    _batch(result, as_json, "assignments made")


def plan_replan(depot: cli.DepotOpt, date: cli.DateOpt,
                accept: Annotated[int | None, typer.Option(
                    "--accept", metavar="REPLAN_ID", help="Make the moves of this stored re-plan (all, or those of "
                    "--block), as recommended assignments, all or none.")] = None,
                version: VersionOpt = None, block: BlockOpt = None, as_json: cli.JsonOpt = False) -> None:
    """Propose moves of recommended/imported assignments of blocks not started (never manual ones) that
    cover more blocks, or more with EVs; stored with an id, made with --accept ID --version N."""
    app = cli.state.app
    if accept is not None:
        moved = replan_svc.accept(app.uow(), depot, parse_date(date), accept, plan_version=version,
                                  actor=cli.actor(), now=app.clock.now(), block_ids=block)
        _batch(moved, as_json, "moves made")
        return
    result = replan_svc.replan(app.uow(), depot, parse_date(date), app.clock.now(), actor=cli.actor())
    doc = result.as_dict()

    def human() -> None:
        g = doc["gain"]
        n, fresh, kept = len(result.moves), sum(1 for m in result.moves if m.from_vehicle is None), result.kept_manual
        # "284 moves" read as 284 buses changing when 244 of them were blocks with no bus yet
        moves = f"{n} move{'' if n == 1 else 's'}" + (f" ({fresh} of them onto a block with no bus)" if fresh else "")
        cli.table(f"Re-plan {result.replan_id} for {date} (plan version {result.plan_version}): {moves}, "
                  f"{g['covered']:+d} covered, {g['ev_covered']:+d} by EVs; {kept} manual "
                  f"assignment{'' if kept == 1 else 's'} kept", ["block", "from", "to", "gains", "why"],
                  [[result.label(m["block_id"]), m["from_vehicle"] or "-", m["to_vehicle"] or "-", m["gain"],
                    m["explanation"]] for m in doc["moves"]])
        if result.moves:
            cli.err.print(f"make the moves with: depotdispatch plan replan --accept {result.replan_id} --depot {depot} "
                          f"--date {date} --version {result.plan_version} [--block B ...]")

    cli.emit(doc, as_json, human)


def register(app: typer.Typer) -> None:
    plan_app.command("replan")(plan_replan)
    plan_app.command("recommend")(plan_recommend)
    plan_app.command("accept")(plan_accept)
