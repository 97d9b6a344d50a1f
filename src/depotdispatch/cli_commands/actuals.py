"""`actuals import`: AVL rows (bus, time, block) as a file, recorded as the blocks' actual start, end and bus."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from depotdispatch.adapters.avl_csv import read_avl
from depotdispatch.cli_commands import support as cli
from depotdispatch.services import actuals as svc

actuals_app = typer.Typer(help="Actuals from live data.", no_args_is_help=True)


@actuals_app.command("import")
def actuals_import(file: Annotated[Path, typer.Argument(metavar="FILE.csv")], depot: cli.DepotOpt,
                   as_json: cli.JsonOpt = False) -> None:
    """Import AVL rows (bus_id, tmstmp, block_id[, at_depot]): who ran which block, from when."""
    from depotdispatch.cli_commands.yard import actor
    from depotdispatch.domain.servicetime import zone
    from depotdispatch.services.depots import get_depot

    app = cli.state.app
    tz = zone(get_depot(app.uow(), depot).timezone)
    rows, rejected = read_avl(cli.read_file(file), tz, file.name)
    result = svc.import_sightings(app.uow(), depot, rows, app.clock.now(), actor(), rejected)
    doc = {"rows": len(rows) + len(rejected), **result.as_dict(), "rejected": result.rejected}

    def human() -> None:
        cli.out.print(f"{result.started} blocks started, {result.ended} ended, {result.unmatched} rows on no known "
                      f"block, {len(result.rejected)} rejected")
        for m in result.mismatches:
            cli.err.print(f"[yellow]vehicle_mismatch[/yellow] {m['block_id']}: plan {m['planned']}, seen "
                          f"{m['seen']}", highlight=False)
        for r in result.rejected[:50]:
            cli.err.print(f"[yellow]row {r['row']}[/yellow]: {r['reason']}", highlight=False)

    cli.emit(doc, as_json, human)


def register(app: typer.Typer) -> None:
    app.add_typer(actuals_app, name="actuals")
