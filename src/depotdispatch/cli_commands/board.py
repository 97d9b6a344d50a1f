from __future__ import annotations

from datetime import date as date_cls
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from depotdispatch.cli_commands import support as cli
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.servicetime import clock_on, parse_date, to_local, zone
from depotdispatch.services import actuals as actuals_svc
from depotdispatch.services import board as svc
from depotdispatch.services import days as day_svc
from depotdispatch.services.views import board_doc

block_app = typer.Typer(help="Blocks of a day: ad-hoc work, cancel and restore, change-out splits, actual times.",
                        no_args_is_help=True)


def day_board(
    depot: cli.DepotOpt,
    now: Annotated[str | None, typer.Option("--now", help="The board as at this time (ISO 8601).")] = None,
    date: Annotated[str | None, typer.Option("--date", help="Only this service date's blocks.")] = None,
    later: Annotated[bool, typer.Option("--later", help="Also list blocks past the horizon.")] = False,
    as_json: cli.JsonOpt = False,
) -> None:
    """The board: every block in the depot's window with status, vehicle and viability."""
    at = cli.now_or(now)
    board = svc.board(cli.state.app.uow(), depot, at, service_date=parse_date(date) if date else None,
                      include_later=later)
    doc = board_doc(board)
    tz = zone(board.depot.timezone)

    def human() -> None:
        w, when = board.window, "%a %-d %b %H:%M"
        today = to_local(at, tz).date()
        cli.table(f"{depot} at {to_local(at, tz):{when}} ({tz.key} time); the window runs "
                  f"{to_local(w.start, tz):{when}} to {to_local(w.end, tz):{when}}",
                  ["block", "date", "pull-out", "pull-in", "status", "vehicle", "viability", "why / candidate"],
                  [[cli.named(b), b["service_date"], _clock(b["pull_out_local"], today),
                    _clock(b["pull_in_local"], today),
                    _words(b["status"]) + (" (by the clock)" if b.get("status_assumed") else ""), b["vehicle_id"],
                    _words(b["viability"]),
                    "; ".join(r["message"] for r in b["reasons"]) or _candidate(b["candidate"])]
                   for b in doc["blocks"]])
        for day in (d for d in board.days_not_set_up() if date is None or d.isoformat() == date):
            cli.err.print(f"note: {day:%a %-d %b} is inside the window and not set up yet, so none of its blocks "
                          f"are listed (depotdispatch day setup --depot {depot} --date {day.isoformat()})")

    cli.emit(doc, as_json, human)


def _clock(local_iso: str, today: date_cls) -> str:
    return clock_on(datetime.fromisoformat(local_iso), today)


def _words(code: str | None) -> str:
    return (code or "").replace("_", " ")  # the table is for people; --json keeps the codes


def _candidate(c: dict[str, Any] | None) -> str:
    if not c:
        return ""
    end = c.get("end_soc_pct")
    reasons = c.get("reasons") or []
    # with no end SoC to give, an `unknown` candidate says why (else the table shows a bare "unknown")
    said = ((f": {reasons[0]['message']}" if reasons else "") if end is None
            else ": runs out of charge before pull-in" if end < 0 else f": pulls in at {end:.0f} %")
    note = f"; {c['note']}" if c.get("note") else ""
    return f"best free: {c['vehicle_id']} ({_words(c['status'])}{said}{note})"


def day_temperature(depot: cli.DepotOpt, date: cli.DateOpt,
                    celsius: Annotated[str | None, typer.Argument(metavar="DEGC", help="e.g. -10 (negative "
                                                                  "values need no quoting)")] = None,
                    profile: Annotated[Path | None, typer.Option("--profile", help="Hourly profile CSV: hour, "
                                                                 "temp_c (local hours 0-23).")] = None) -> None:
    """Set the day's outside temperature for energy estimates: one figure, or an hourly profile used per
    block (neither: back to the depot's default, `depot set --temperature-c`)."""
    value = None
    if celsius is not None:
        try:
            value = float(celsius.replace(",", "."))
        except ValueError as exc:
            raise InvalidInput(f"{celsius!r} is not a temperature in degC (e.g. -10 or 4.5)") from exc
    hours = None
    if profile is not None:
        from depotdispatch.adapters.temperature_csv import read_profile

        hours = read_profile(cli.read_file(profile), profile.name)
    day_svc.set_temperature(cli.state.app.uow(), depot, parse_date(date), value, hours)
    said = (f"hourly profile from {profile.name} ({len(hours.hours)} hours)" if hours and profile
            else "reset to the depot's default" if value is None else f"{value:g} degC")
    cli.err.print(f"{date}: temperature {said}")


@block_app.command("actual")
def block_actual(
    block_id: Annotated[str, typer.Argument(metavar="BLOCK")],
    depot: cli.DepotOpt,
    date: cli.DateOpt,
    start: Annotated[str | None, typer.Option("--start", help="Actual pull-out: HH:MM on the service day, or "
                                              "ISO 8601.")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Actual pull-in: HH:MM (may pass 24:00), or "
                                            "ISO 8601.")] = None,
) -> None:
    """Record a block's actual start and/or end; they win over the plan."""
    from depotdispatch.cli_commands.blocks import when  # HH:MM as `block add` and `block split` take it

    if not start and not end:
        raise InvalidInput("give --start and/or --end")
    day = parse_date(date)
    actuals_svc.record_actuals(cli.state.app.uow(), depot, day, block_id,
                               actual_start=when(start, depot, day) if start else None,
                               actual_end=when(end, depot, day) if end else None, actor=cli.actor(),
                               now=cli.state.app.clock.now())
    cli.err.print(f"block {block_id}: actuals recorded")


def register(app: typer.Typer) -> None:
    from depotdispatch.cli_commands.days import day_app

    day_app.command("board")(day_board)
    # a negative figure (-10) is a value, not an option: let it through to the argument
    day_app.command("temperature", context_settings={"ignore_unknown_options": True})(day_temperature)
    app.add_typer(block_app, name="block")

