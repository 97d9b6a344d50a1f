"""Helpers the tests import (conftest.py keeps only pytest's hooks and fixtures): where the repository and
the shared data are, the CLI run in-process, and the instant the `app` fixture's clock stands at."""

from __future__ import annotations

import contextlib
import io
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
NOW = datetime.fromisoformat("2016-04-13T09:00:00-07:00")  # the `app` fixture's clock


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        import json

        return json.loads(self.stdout)


def run_cli(db_url: str, *args: str, now: str | None = None, stdin: str = "") -> Result:
    """Run the real CLI entry point in-process, capturing what it prints (`stdin`: what it reads)."""
    from depotdispatch import cli

    argv = ["depotdispatch", "--db", db_url, *(["--now", now] if now else []), *args]
    out, err = io.StringIO(), io.StringIO()
    old, old_in = sys.argv, sys.stdin
    sys.argv, sys.stdin = argv, io.StringIO(stdin)
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv, sys.stdin = old, old_in
    return Result(code, out.getvalue(), err.getvalue())


def shared(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"shared test data missing: {path} (CI keeps ../shared beside the repo)")
    return path


def override(uow: Any, depot_id: str, service_date: Any, block_id: str, vehicle_id: str, **kw: Any) -> Any:
    """`plan.assign` against warnings as the CLI's --override-reason makes it: the warnings it would ask
    for are shown (`plan.override_warnings`) and each is named in `acknowledge`."""
    from depotdispatch.services import plan

    shown = plan.override_warnings(uow, depot_id, service_date, block_id, vehicle_id, now=kw["now"])
    return plan.assign(uow, depot_id, service_date, block_id, vehicle_id, acknowledge=[r.code for r in shown], **kw)


def timed_by_trips(app: Any, depot: str) -> None:
    """The depot's day blocks timed by their trips, as GTFS ones are (first departure to last arrival): the
    depot's pull-out and pull-in allowances come before and after them (Depot.allowances; a blocks CSV's own
    times are the yard's and take none). Written to the stored rows: a blocks CSV has no trips to import."""
    from sqlalchemy import select

    from depotdispatch.adapters.db.tables import BlockRow, DispatchDayRow

    with app.uow() as uow:
        days_ = select(DispatchDayRow.dispatch_day_id).where(DispatchDayRow.depot_id == depot)
        for row in uow.session.scalars(select(BlockRow).where(BlockRow.dispatch_day_id.in_(days_))):
            row.trip_ids = [f"{row.block_id}-1"]
        uow.commit()
