from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from depotdispatch import cli
from depotdispatch.domain.servicetime import to_local, zone
from depotdispatch.services import days, demo

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
    listed = days.day_blocks(app.uow(), demo.DEMO_DEPOT.depot_id, today, now)
    cli.out.print(f"[bold]{summary.depot.name}[/bold] — database {app.database_url}")
    cli.out.print(f"schedule {summary.schedule_id} ({feed.name}), extended so that {today} is a service day")
    cli.out.print(f"{summary.vehicles} vehicles; {summary.setup.blocks} blocks and {summary.setup.trips} trips today")
    cli.table(f"Blocks on {today} (local time, now {to_local(now, tz):%H:%M})",
              ["block", "pull-out", "pull-in", "km", "trips", "status"],
              [[b.block_id, f"{to_local(b.start_at, tz):%H:%M}", f"{to_local(b.end_at, tz):%H:%M}", b.distance_km,
                b.trips, status] for b, status in listed.blocks])


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_cmd)
