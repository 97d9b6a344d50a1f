from __future__ import annotations

from typing import Annotated

import typer

from depotdispatch.cli_commands import support as cli
from depotdispatch.cli_commands.plan import VersionOpt, plan_app
from depotdispatch.domain.servicetime import parse_date
from depotdispatch.services import recommendations as svc
from depotdispatch.services import replan as replan_svc
from depotdispatch.services.views import batch_doc


def plan_recommend(depot: cli.DepotOpt, date: cli.DateOpt,
                   as_json: cli.JsonOpt = False) -> None:
    """Recommend vehicles for the open blocks (advisory: nothing is assigned until you accept)."""
    result = svc.recommend(cli.state.app.uow(), depot, parse_date(date), cli.state.app.clock.now(), actor=cli.actor())
    doc = result.as_dict()

    def human() -> None:
        cli.table(f"Recommendation {result.recommendation_id} for {date} (plan version {result.plan_version}, "
                  f"{result.kept} operator assignments kept)", ["block", "vehicle", "why"],
                  [[p["block_id"], p["vehicle_id"], p["explanation"]] for p in doc["proposals"]]
                  + [[u["block_id"], "-", u["explanation"]] for u in doc["uncovered"]])
        cli.err.print(f"accept with: depotdispatch plan accept {result.recommendation_id} --depot {depot} "
                      f"--date {date} --version {result.plan_version} [--block B ...]")

    cli.emit(doc, as_json, human)


def plan_accept(recommendation_id: Annotated[int, typer.Argument(metavar="RECOMMENDATION_ID")],
                depot: cli.DepotOpt, date: cli.DateOpt, version: VersionOpt = None,
                block: Annotated[list[str] | None, typer.Option("--block", help="Accept only these blocks.")] = None,
                as_json: cli.JsonOpt = False) -> None:
    """Accept all (or some) proposals of a recommendation."""
    result = svc.accept(cli.state.app.uow(), depot, parse_date(date), recommendation_id, plan_version=version,
                        actor=cli.actor(), now=cli.state.app.clock.now(), block_ids=block)
    doc = batch_doc(result)

    def human() -> None:
        cli.out.print(f"{len(result.applied)} assignments made; plan version {result.plan_version}")
        for s in result.skipped:
            cli.err.print(f"[yellow]skipped {s['block_id']}[/yellow]: {s['reason']}", highlight=False)

    cli.emit(doc, as_json, human)


def plan_replan(depot: cli.DepotOpt, date: cli.DateOpt, as_json: cli.JsonOpt = False) -> None:
    """Propose moves of recommended/imported assignments of blocks not started (never manual ones) that
    cover more blocks, or more with EVs. Advisory: make the moves with `plan assign`."""
    result = replan_svc.replan(cli.state.app.uow(), depot, parse_date(date), cli.state.app.clock.now())
    doc = result.as_dict()

    def human() -> None:
        g = doc["gain"]
        cli.table(f"Re-plan for {date} (plan version {result.plan_version}): {len(result.moves)} moves, "
                  f"{g['covered']:+d} covered, {g['ev_covered']:+d} by EVs; {result.kept_manual} manual "
                  "assignments kept", ["block", "from", "to", "why"],
                  [[m["block_id"], m["from_vehicle"] or "-", m["to_vehicle"] or "-", m["explanation"]]
                   for m in doc["moves"]])

    cli.emit(doc, as_json, human)


def register(app: typer.Typer) -> None:
    plan_app.command("replan")(plan_replan)
    plan_app.command("recommend")(plan_recommend)
    plan_app.command("accept")(plan_accept)
