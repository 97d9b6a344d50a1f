from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from depotdispatch import cli
from depotdispatch.domain.applicability import ALL_WEEKDAYS, Applicability, weekdays_from_text
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.servicetime import parse_date
from depotdispatch.services import schedules as svc

schedule_app = typer.Typer(help="Schedules: GTFS feeds and blocks CSVs.", no_args_is_help=True)


@schedule_app.command("import-gtfs")
def import_gtfs(
    feed: Annotated[Path, typer.Argument(metavar="FEED.zip")],
    depot: cli.DepotOpt,
    distance_unit: Annotated[str | None, typer.Option(
        "--distance-unit", help="Unit of shape_dist_traveled (km, m, ft, mi); detected when not given.")] = None,
    as_json: cli.JsonOpt = False,
) -> None:
    """Import a GTFS feed: its calendars, trips and blocks."""
    from depotdispatch.adapters.gtfs import read_gtfs  # polars loads only when a feed is read

    if not feed.is_file():
        raise InvalidInput(f"no such file: {feed}")
    with cli.working(f"reading {feed.name}"):
        content = read_gtfs(feed, distance_unit=distance_unit)
    with cli.working("storing trips"):
        result = svc.import_gtfs(cli.state.app.uow(), depot, content, cli.state.app.clock.now())
    cli.emit(result.as_dict(), as_json, lambda: _human(result))


@schedule_app.command("import-blocks")
def import_blocks(
    file: Annotated[Path, typer.Argument(metavar="FILE.csv")],
    depot: cli.DepotOpt,
    start: Annotated[str, typer.Option("--start", help="First service date, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--end", help="Last service date, YYYY-MM-DD.")],
    weekdays: Annotated[str, typer.Option("--weekdays", help="Days it runs, 1 = Monday ... 7 = Sunday.")] = "1234567",
    name: Annotated[str | None, typer.Option("--name")] = None,
    as_json: cli.JsonOpt = False,
) -> None:
    """Import a blocks CSV (block_id, pull_out, pull_in, distance_km or distance_mi, ...)."""
    from depotdispatch.adapters.blocks_csv import read_blocks

    applicability = Applicability(parse_date(start), parse_date(end),
                                  weekdays_from_text(weekdays) if weekdays else ALL_WEEKDAYS)
    blocks = read_blocks(cli.read_file(file), file.name)
    result = svc.import_blocks(cli.state.app.uow(), depot, name or file.stem, blocks, applicability,
                               cli.state.app.clock.now())
    cli.emit(result.as_dict(), as_json, lambda: _human(result))


@schedule_app.command("import-uts")
def import_uts(
    file: Annotated[Path, typer.Argument(metavar="FILE.csv")],
    depot: cli.DepotOpt,
    garage: Annotated[list[str] | None, typer.Option("--garage", help="Only these UTS depots (repeat).")] = None,
    as_json: cli.JsonOpt = False,
) -> None:
    """Import the runs of an MTA UTS pull-out sheet as the blocks of its service date."""
    from depotdispatch.adapters import uts

    table = uts.read_uts(cli.read_file(file), file.name)
    if garage:
        table.rows = [(r, c) for r, c in table.rows if c.get("depot") in set(garage)]
    dates = sorted({c.get("date", "") for _, c in table.rows if c.get("date")})
    if len(dates) != 1:
        raise InvalidInput(f"a UTS sheet imports one service date; this one has {len(dates)}: {', '.join(dates[:5])}",
                           file=file.name, column="date")
    day = parse_date(dates[0])
    blocks, problems = uts.uts_blocks(table)
    if not blocks:
        raise InvalidInput("no run could be read", file=file.name)
    result = svc.import_blocks(cli.state.app.uow(), depot, file.stem, blocks, Applicability(day, day),
                               cli.state.app.clock.now())
    result.warnings = [f"row {p.row}, {p.column}: {p.detail}" for p in problems]
    cli.emit(result.as_dict() | {"service_date": day.isoformat(), "skipped_rows": len(problems)}, as_json,
             lambda: _human(result))


@schedule_app.command("list")
def schedule_list(depot: cli.DepotOpt, as_json: cli.JsonOpt = False) -> None:
    """List a depot's schedules and when they apply."""
    with cli.state.app.uow() as uow:
        items = uow.schedules.for_depot(depot)
    docs = [{"schedule_id": s.schedule_id, "name": s.name, "source_kind": s.source_kind,
             "start": s.applicability.start.isoformat(), "end": s.applicability.end.isoformat(),
             "weekdays": "".join(str(d) for d in sorted(s.applicability.weekdays)),
             "added": sorted(d.isoformat() for d in s.applicability.added),
             "removed": sorted(d.isoformat() for d in s.applicability.removed),
             "blocks_generated": s.blocks_generated, "distance_unit": s.distance_unit} for s in items]
    cli.emit({"schedules": docs}, as_json, lambda: cli.table(
        f"Schedules of {depot}", ["id", "name", "kind", "start", "end", "weekdays", "+dates", "-dates"],
        [[d["schedule_id"], d["name"], d["source_kind"], d["start"], d["end"], d["weekdays"], len(d["added"]),
          len(d["removed"])] for d in docs]))


def _human(result: svc.ImportResult) -> None:
    cli.out.print(f"schedule {result.schedule_id}: {result.trips} trips, {result.blocks} blocks "
                  f"({result.generated_blocks} generated), runs on {result.service_dates} dates")
    for w in result.warnings:
        cli.err.print(f"[yellow]warning:[/yellow] {w}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(schedule_app, name="schedule")
