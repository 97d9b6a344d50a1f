"""`kpi`: the operations manager's numbers (DESIGN §9, §12). `--yesterday -o FILE` is the cron report."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from depotdispatch.cli_commands import support as cli
from depotdispatch.domain.blocks import block_label
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.servicetime import parse_date
from depotdispatch.services import days
from depotdispatch.services import kpi as svc


def kpi(
    depot: cli.DepotOpt,
    first: Annotated[str | None, typer.Option("--from", help="First service date, YYYY-MM-DD.")] = None,
    last: Annotated[str | None, typer.Option("--to", help="Last service date, YYYY-MM-DD.")] = None,
    yesterday: Annotated[bool, typer.Option("--yesterday", help="The service date before today, "
                                                                "in the depot's zone (for cron).")] = False,
    as_json: cli.JsonOpt = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="One row per day and a total, for a spreadsheet.")] = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the CSV to this file "
                                                                      "(UTF-8 with BOM, opens in Excel).")] = None,
) -> None:
    """EV utilisation, diesel substitutions, overrides, warning accuracy, plan churn and uncovered blocks."""
    if as_json and (as_csv or output):
        raise InvalidInput("give one of --json or --csv")
    now = cli.state.app.clock.now()
    if yesterday:
        if first or last:
            raise InvalidInput("give either --yesterday or --from/--to")
        start = end = svc.yesterday(cli.state.app.uow(), depot, now)
    else:
        if not first or not last:
            raise InvalidInput("give --from DATE and --to DATE (or --yesterday)")
        start, end = parse_date(first), parse_date(last)
    report = svc.report(cli.state.app.uow(), depot, start, end, now)
    if as_csv or output:
        text = svc.report_csv(report)
        if output is None:
            sys.stdout.write(text)
        else:
            try:
                output.write_text(text, encoding="utf-8-sig", newline="")
            except OSError as exc:
                raise InvalidInput(f"cannot write {output}: {exc.strerror or exc}") from exc
            cli.err.print(f"wrote {output}")
        return
    doc = svc.report_doc(report, depot)
    cli.emit(doc, as_json, lambda: _human(doc, days.block_names(cli.state.app.uow(), depot, start, end)))


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f} %"


def _human(doc: dict[str, Any], names: dict[tuple[date, str], str]) -> None:
    o = doc["overrides"]
    cli.table(f"KPIs {doc['depot']} {doc['from']} to {doc['to']}", ["measure", "value"], [
        ["blocks run with a vehicle", doc["blocks"]], ["run by EVs", doc["ev_blocks"]],
        ["EV share of blocks", _pct(doc["ev_share_blocks"])], ["EV share of km", _pct(doc["ev_share_km"])],
        ["diesel substitutions", len(doc["diesel_substitutions"])],
        ["overrides (right / wrong / unknown)",
         f"{o['count']} ({o['proved_right']} / {o['proved_wrong']} / {o['unknown']})"],
        ["plan churn", doc["plan_churn"]], ["uncovered", doc["uncovered"]]])
    if doc["diesel_substitutions"]:
        cli.table("Diesel substitutions", ["date", "block", "vehicle", "EV that was free", "reason"],
                  [[s["service_date"], _label(s, names), s["vehicle_id"], s["ev_available"], s["reason"]]
                   for s in doc["diesel_substitutions"]])
    if doc["warning_accuracy"]:
        cli.table("Warning accuracy", ["week", "warned", "proved right", "ok", "ok that failed"],
                  [[w["week"], w["warned"], w["warned_right"], w["ok"], w["ok_failed"]]
                   for w in doc["warning_accuracy"]])


def _label(s: dict[str, Any], names: dict[tuple[date, str], str]) -> str:
    return block_label(s["block_id"], names.get((date.fromisoformat(s["service_date"]), s["block_id"])))


def register(app: typer.Typer) -> None:
    app.command("kpi")(kpi)
