from __future__ import annotations

import os
import secrets
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from depotdispatch.cli_commands import support as cli
from depotdispatch.domain.servicetime import clock_on, to_local, zone
from depotdispatch.services import board as board_svc
from depotdispatch.services import demo, identity, recommendations

DEMO_DB = "depotdispatch-demo.db"
DEMO_USER = "demo"


def demo_cmd(
    fresh: Annotated[bool, typer.Option("--fresh/--keep", help="Start from an empty demo database.")] = True,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the web app when set up.")] = True,
    port: Annotated[int, typer.Option("--port")] = 8000,
    simulate: Annotated[bool, typer.Option("--simulate/--no-simulate",
                                           help="Run the telematics simulator while serving.")] = True,
    broker: Annotated[str, typer.Option("--broker", help="HOST:PORT of an MQTT broker for the simulator "
                                        "(without one it feeds the intake in-process).")] = "127.0.0.1:1883",
) -> None:
    """Set up a demo depot on a real GTFS feed with a mixed fleet, and serve the web app on it."""
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
    cli.out.print(f"{summary.setup.blocks} blocks and {summary.setup.trips} trips a day, plus the ad-hoc "
                  f"{summary.long_block} that no EV runs on one charge; at most {summary.peak} at once")
    cli.out.print(f"{summary.vehicles} vehicles ({summary.evs} battery-electric, one in maintenance) with SoC "
                  "readings: two low, two not read since last night")
    board = board_svc.board(app.uow(), demo.DEMO_DEPOT.depot_id, now)
    rows = [r for r in board.rows if r.state.actionable][:12]
    cli.table(f"Next blocks on the board (local time, now {to_local(now, tz):%H:%M})",
              ["block", "date", "pull-out", "pull-in", "km", "status", "candidate"],
              [[r.block.block_id, r.block.service_date, clock_on(to_local(r.block.pull_out, tz), today),
                clock_on(to_local(r.block.pull_in, tz), today),
                "?" if r.block.distance_km is None else f"{r.block.distance_km:.1f}", r.state.status,
                f"{r.candidate.vehicle_id} ({_words(r.candidate.viability.status)})" if r.candidate else ""]
               for r in rows])
    tomorrow = today + timedelta(days=1)
    rec = recommendations.recommend(app.uow(), demo.DEMO_DEPOT.depot_id, tomorrow, now, actor=cli.actor())
    cli.out.print(f"recommendation {rec.recommendation_id} for {tomorrow}: {len(rec.recommendation.proposals)} "
                  f"blocks proposed, {len(rec.recommendation.uncovered)} uncovered")
    password = secrets.token_urlsafe(12)
    identity.add_user(app.uow(), DEMO_USER, "dispatcher", [demo.DEMO_DEPOT.depot_id], password,
                      app.auth_clock.now())
    if not serve:
        cli.out.print(f"demo dispatcher: {DEMO_USER} / {password}; serve it with\n"
                      f"  depotdispatch --db {app.database_url} serve")
        return
    import uvicorn

    simulator = None
    if simulate:
        from depotdispatch.cli_commands.simulate import parse_broker
        from depotdispatch.demo_live import DemoSimulator

        host, mqtt_port = parse_broker(broker)
        simulator = DemoSimulator(app, demo.DEMO_DEPOT.depot_id, host=host, port=mqtt_port,
                                  say=lambda m: cli.err.print(f"[yellow]demo:[/yellow] {m}", highlight=False))
        cli.out.print(simulator.start())
    os.environ["DEPOTDISPATCH_DATABASE_URL"] = app.database_url
    if app.clock.fixed is not None:
        os.environ["DEPOTDISPATCH_NOW"] = app.clock.fixed.isoformat()
    cli.out.print(f"\n[bold]The web app: http://127.0.0.1:{port}[/bold]  sign in as [bold]{DEMO_USER}[/bold] "
                  f"with password [bold]{password}[/bold] (dispatcher of {demo.DEMO_DEPOT.depot_id}); Ctrl-C stops")
    try:
        uvicorn.run("depotdispatch.asgi:create_app", factory=True, host="127.0.0.1", port=port, log_level="warning")
    finally:
        if simulator is not None:
            simulator.stop()


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_cmd)


def _words(code: str) -> str:
    return code.replace("_", " ")  # a table for people: "not viable", not "not_viable"
