from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from depotdispatch.cli_commands import support as cli
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.servicetime import parse_date
from depotdispatch.services import sheets as svc
from depotdispatch.services.depots import get_depot
from depotdispatch.services.views import batch_doc

sheet_app = typer.Typer(help="The dispatch sheet: export, preview, apply.", no_args_is_help=True)
MAX_SHEET = 20 * 1024 * 1024


@sheet_app.command("export")
def sheet_export(depot: cli.DepotOpt, date: cli.DateOpt,
                 fmt: Annotated[str, typer.Option("--format", help="csv or tods")] = "csv",
                 output: Annotated[Path | None, typer.Option("-o", "--output", help="File (default: stdout).")] = None
                 ) -> None:
    """Export a day's plan as a dispatch sheet (CSV) or TODS vehicle_assignments.txt."""
    from depotdispatch.adapters.sheet_export import export_csv, export_tods

    if fmt not in ("csv", "tods"):
        raise InvalidInput(f"--format {fmt!r}: use csv or tods")
    app = cli.state.app
    rows = svc.export_rows(app.uow(), depot, parse_date(date), app.clock.now())
    svc.note_export(app.uow(), depot, parse_date(date), actor=cli.actor(), now=app.clock.now())
    text = export_csv(rows, get_depot(app.uow(), depot).timezone) if fmt == "csv" else export_tods(rows)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8", newline="")
        cli.err.print(f"{cli.plural(len(rows), 'block')} written to {output}")


@sheet_app.command("preview")
def sheet_preview(file: Annotated[Path, typer.Argument(metavar="FILE")], depot: cli.DepotOpt, date: cli.DateOpt,
                  as_json: cli.JsonOpt = False) -> None:
    """What a sheet would change, row by row; nothing in the plan changes."""
    from depotdispatch.adapters.sheet_csv import read_sheet

    data = cli.read_file(file)
    if len(data) > MAX_SHEET:
        raise InvalidInput(f"the file is {len(data) // 1024 // 1024} MiB; sheets up to 20 MiB are accepted")
    day = parse_date(date)
    sheet = read_sheet(data, file.name, day)
    result = svc.preview_sheet(cli.state.app.uow(), depot, day, sheet.rows, sheet.format, cli.state.app.clock.now(),
                               sheet.warnings, source=file.name)
    doc = result.as_dict()

    def human() -> None:
        s = doc["summary"]
        shown = [r for r in doc["rows"] if r["action"] != "unchanged" or r["problems"]][:200]
        cli.table(f"Preview {result.preview_id} of {file.name} ({result.format}) against plan version "
                  f"{result.plan_version}", ["row", "block", "vehicle", "action", "problems"],
                  [[r["row"], _block(r), r["vehicle_id"], r["outcome"],
                    "; ".join(f"{p['severity']} {p['code']}: {p['detail']}" for p in r["problems"])] for r in shown])
        cli.out.print(_summary(s))
        if s["actionable"]:
            cli.err.print(f"apply with: depotdispatch sheet apply {result.preview_id} --depot {depot} --date {date}")
        else:
            cli.err.print("nothing to apply" + (": fix the rows with errors and preview the sheet again"
                                                if s["rows_with_errors"] else ""))

    cli.emit(doc, as_json, human)


@sheet_app.command("apply")
def sheet_apply(preview_id: Annotated[str, typer.Argument(metavar="PREVIEW_ID")], depot: cli.DepotOpt,
                date: cli.DateOpt,
                row: Annotated[list[int] | None, typer.Option("--row", help="Only these rows.")] = None,
                as_json: cli.JsonOpt = False) -> None:
    """Apply a previewed sheet: all its actionable rows (or the chosen ones), all or nothing."""
    result = svc.apply_sheet(cli.state.app.uow(), depot, parse_date(date), preview_id, actor=cli.actor(),
                             now=cli.state.app.clock.now(), rows=row)
    doc = batch_doc(result)
    cli.emit(doc, as_json, lambda: cli.out.print(
        f"{cli.plural(len(result.applied), 'block')} changed, {len(result.unchanged)} unchanged; plan version "
        f"{result.plan_version}"
        if result.applied or result.unchanged else
        f"nothing applied: the preview has no rows that can be applied; plan version {result.plan_version}"))


def _block(row: dict[str, Any]) -> str | None:
    """The block as the sheet wrote it and as it was read, when they differ ('4187802 → 4187802-WKD')."""
    if row["sheet_block_id"]:
        return f"{row['sheet_block_id']} → {row['block_id']}"
    block: str | None = row["block_id"]
    return block


def _summary(s: dict[str, Any]) -> str:
    """The preview's counts as a sentence (the --json document keeps the numbers)."""
    actions = ", ".join(f"{n} {a}" for a, n in s["actions"].items() if n) or "none"
    return (f"{cli.plural(s['rows'], 'row')}: {actions}; {s['actionable']} can be applied; {s['rows_with_errors']} "
            f"with errors, {s['rows_with_warnings']} with warnings; {cli.plural(s['unmentioned_blocks'], 'block')} "
            "of the day not in the sheet")


def register(app: typer.Typer) -> None:
    app.add_typer(sheet_app, name="sheet")
