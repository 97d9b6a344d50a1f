from __future__ import annotations

from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from depotdispatch import cli
from depotdispatch.domain.servicetime import to_local, zone
from depotdispatch.services import board as board_svc
from depotdispatch.services import demo, recommendations

DEMO_DB = "depotdispatch-demo.db"


def demo_cmd(
    fresh: Annotated[bool, typer.Option("--fresh/--keep", help="Start from an empty demo database.")] = True,
) -> None:
    """Set up a demo depot on a real GTFS feed with a mixed fleet, and show today's blocks."""
    from depotdispatch.adapters.db.migrate import upgrade
    from depotdispatch.adapters.gtfs import read_gtfs

    app = cli.state.app
    if app.database_url == "sqlite:///depotdispatch.db":  # the default: keep the demo apart from real data
        app.database_url = f"sqlite:///{DEMO_DB}"
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(DEMO_DB + suffix).unlink(missing_ok=True)
    upgrade(app.database_url)
    feed_file = resources.files("depotdispatch") / "demo_data" / "kcm_subset_2016.zip"
    with resources.as_file(feed_file) as path:
        feed = read_gtfs(path)
    now = app.clock.now()
    tz = zone(demo.DEMO_DEPOT.timezone)
    today = to_local(now, tz).date()
    summary = demo.seed(app.uow, feed, now, today)
    cli.out.print(f"[bold]{summary.depot.name}[/bold] — database {app.database_url}")
    cli.out.print(f"schedule {summary.schedule_id} ({feed.name}), extended so that {today} and the next days "
                  "are service days")
    cli.out.print(f"{summary.vehicles} vehicles with SoC readings; {summary.setup.blocks} blocks and "
                  f"{summary.setup.trips} trips a day")
    board = board_svc.board(app.uow(), demo.DEMO_DEPOT.depot_id, now)
    rows = [r for r in board.rows if r.state.actionable][:12]
    cli.table(f"Next blocks on the board (local time, now {to_local(now, tz):%H:%M})",
              ["block", "date", "pull-out", "pull-in", "km", "status", "candidate"],
              [[r.block.block_id, r.block.service_date, f"{to_local(r.block.start_at, tz):%H:%M}",
                f"{to_local(r.block.end_at, tz):%H:%M}", r.block.distance_km, r.state.status,
                f"{r.candidate.vehicle_id} ({r.candidate.viability.status})" if r.candidate else ""] for r in rows])
    tomorrow = today + timedelta(days=1)
    rec = recommendations.recommend(app.uow(), demo.DEMO_DEPOT.depot_id, tomorrow, now, actor=cli.actor())
    cli.out.print(f"recommendation {rec.recommendation_id} for {tomorrow}: {len(rec.recommendation.proposals)} "
                  f"blocks proposed, {len(rec.recommendation.uncovered)} uncovered; try\n"
                  f"  depotdispatch --db {app.database_url} plan recommend --depot {demo.DEMO_DEPOT.depot_id} "
                  f"--date {tomorrow}\n  depotdispatch --db {app.database_url} day board --depot "
                  f"{demo.DEMO_DEPOT.depot_id}\n  depotdispatch --db {app.database_url} serve   "
                  "# the API on http://127.0.0.1:8000/api/v1/docs")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_cmd)
