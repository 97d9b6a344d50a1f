from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from depotdispatch.cli_commands import support as cli
from depotdispatch.domain.applicability import ALL_WEEKDAYS, Applicability, amended, weekdays_from_text
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
    again: Annotated[bool, typer.Option("--again", help="Import a file already imported once more.")] = False,
    as_json: cli.JsonOpt = False,
) -> None:
    """Import a GTFS feed: its calendars, trips and blocks (the same file twice is one schedule)."""
    from depotdispatch.adapters.gtfs import read_gtfs  # polars loads only when a feed is read

    if not feed.is_file():
        raise InvalidInput(f"no such file: {feed}")
    with cli.working(f"reading {feed.name}"):
        content = read_gtfs(feed, distance_unit=distance_unit)
    with cli.working("storing trips"):
        result = svc.import_gtfs(cli.state.app.uow(), depot, content, cli.state.app.clock.now(), again=again,
                                 actor=cli.actor())
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
                               cli.state.app.clock.now(), actor=cli.actor())
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
    blocks, problems = uts.uts_blocks(table)
    dates = [c.get("date", "") for _, c in table.rows]
    result, day = svc.import_day_sheet(cli.state.app.uow(), depot, file.stem, dates, blocks, cli.state.app.clock.now(),
                                       file=file.name, actor=cli.actor())
    result.warnings = [f"row {p.row}, {p.column}: {p.detail}" for p in problems]
    cli.emit(result.as_dict() | {"service_date": day.isoformat(), "skipped_rows": len(problems)}, as_json,
             lambda: _human(result))


@schedule_app.command("applicability")
def schedule_applicability(
    schedule_id: Annotated[int, typer.Argument(metavar="SCHEDULE_ID")],
    depot: cli.DepotOpt,
    start: Annotated[str | None, typer.Option("--start")] = None,
    end: Annotated[str | None, typer.Option("--end")] = None,
    weekdays: Annotated[str | None, typer.Option("--weekdays", help="e.g. 12345")] = None,
    add_date: Annotated[list[str] | None, typer.Option("--add-date", help="A date it also runs (repeat).")] = None,
    remove_date: Annotated[list[str] | None, typer.Option("--remove-date", help="A date it does not run.")] = None,
    like: Annotated[str | None, typer.Option("--like", help="The added dates run this day type: a date "
                                             "(2026-12-27) or a weekday (sunday).")] = None,
    clear_dates: Annotated[bool, typer.Option("--clear-dates", help="Forget earlier added/removed dates.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show the impact.")] = False,
    confirm: Annotated[bool, typer.Option("--confirm", help="Go ahead although assignments go with blocks.")] = False,
    as_json: cli.JsonOpt = False,
) -> None:
    """Correct when a schedule applies: shows the impact, then changes it (past days are never changed)."""
    from depotdispatch.services import applicability as appl

    current = appl.schedule_applicability(cli.state.app.uow(), depot, schedule_id)
    new = amended(current, start=parse_date(start) if start else None, end=parse_date(end) if end else None,
                  weekdays=weekdays_from_text(weekdays) if weekdays else None,
                  add=[parse_date(d) for d in add_date or []], remove=[parse_date(d) for d in remove_date or []],
                  like=like, clear_dates=clear_dates)
    now = cli.state.app.clock.now()
    if dry_run:
        impact = appl.preview_applicability(cli.state.app.uow(), depot, schedule_id, new, now)
    else:
        impact = appl.apply_applicability(cli.state.app.uow(), depot, schedule_id, new, actor=cli.actor(), now=now,
                                          confirm=confirm)
    doc = impact.as_dict() | {"applied": not dry_run}

    def human() -> None:
        cli.out.print(f"schedule {schedule_id}: {len(impact.dates_added)} service dates added, "
                      f"{len(impact.dates_removed)} removed; {len(impact.days)} set-up days affected, "
                      f"{impact.assignments_lost} assignments with removed blocks"
                      + (" (dry run: nothing changed)" if dry_run else ""))
        for d in impact.days:
            cli.out.print(f"  {d.service_date}: +{len(d.added)} -{len(d.removed)} ~{len(d.changed)} blocks"
                          + (f", assignments lost: {d.assignments_lost}" if d.assignments_lost else "")
                          + (" (past: left as it is)" if d.past else ""))

    cli.emit(doc, as_json, human)


@schedule_app.command("list")
def schedule_list(depot: cli.DepotOpt, as_json: cli.JsonOpt = False) -> None:
    """List a depot's schedules and when they apply."""
    items = svc.list_schedules(cli.state.app.uow(), depot)
    docs: list[dict[str, Any]] = [{"schedule_id": s.schedule_id, "name": s.name, "source_kind": s.source_kind,
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
    if result.already_imported:
        cli.out.print(f"already imported as schedule {result.schedule_id}: nothing changed (--again imports it "
                      "once more)")
        return
    cli.out.print(f"schedule {result.schedule_id}: {result.trips} trips, {result.blocks} blocks "
                  f"({result.generated_blocks} generated), runs on {result.service_dates} dates")
    for w in result.warnings:
        cli.err.print(f"[yellow]warning:[/yellow] {w}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(schedule_app, name="schedule")
