"""The command line (DESIGN §9): thin, calls services. Exit 0 ok, 1 input problem, 2 usage."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from depotdispatch.adapters.clock import Clock
from depotdispatch.bootstrap import App
from depotdispatch.config import Settings
from depotdispatch.domain.errors import DomainError
from depotdispatch.domain.identity import Principal

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Day-of-operations dispatch for electric and mixed bus depots.")
out = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON document on stdout, for scripts.")]
DepotOpt = Annotated[str, typer.Option("--depot", help="Depot id.")]
DateOpt = Annotated[str, typer.Option("--date", help="Service date, YYYY-MM-DD.")]


class State:
    app: App
    principal: Principal


state = State()


@app.callback()
def _global(
    db: Annotated[str | None, typer.Option("--db", help="Database URL (or DEPOTDISPATCH_DATABASE_URL).")] = None,
    now: Annotated[str | None, typer.Option("--now", help="Fix the clock, ISO 8601 with offset.")] = None,
) -> None:
    from depotdispatch.services.identity import cli_principal

    settings = _settings()
    state.app = App(database_url=db or settings.database_url, clock=Clock.from_text(now or settings.now),
                    settings=settings)
    state.principal = cli_principal(settings.actor or _os_user())


def _settings() -> Settings:
    from pydantic import ValidationError

    try:
        return Settings.from_env()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "DEPOTDISPATCH_" + "_".join(str(p) for p in first["loc"]).upper()
        raise DomainError(f"{name}: {first['msg']}") from None


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "unknown"


def actor() -> str:
    """Who the CLI acts as on events: `cli:<DEPOTDISPATCH_ACTOR or the OS user>`, never an option."""
    return state.principal.actor


def emit(doc: Any, as_json: bool, human: Callable[[], None]) -> None:
    if as_json:
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, default=str) + "\n")
    else:
        human()


def table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    t = Table(title=title, show_lines=False)
    for c in columns:
        t.add_column(c)
    for r in rows:
        t.add_row(*["" if v is None else str(v) for v in r])
    out.print(t)


@contextmanager
def working(message: str) -> Iterator[None]:
    """A spinner on a terminal, nothing when piped."""
    if err.is_terminal:
        with err.status(message):
            yield
    else:
        yield


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise DomainError(f"cannot read {path!r}: {getattr(exc, 'strerror', None) or exc}") from exc


def now_or(text: str | None):  # type: ignore[no-untyped-def]
    return Clock.from_text(text).now() if text else state.app.clock.now()


_registered = False


def _register() -> None:
    global _registered
    if _registered:
        return
    _registered = True
    from depotdispatch.cli_commands import (
        actuals,
        blocks,
        board,
        days,
        demo,
        depots,
        fleet,
        kpi,
        plan,
        recommend,
        schedules,
        serve,
        sheets,
        simulate,
        soc,
        users,
        worker,
        yard,
    )

    for module in (depots, schedules, fleet, soc, days, board, blocks, plan, recommend, sheets, kpi, demo, serve,
                   worker, yard, simulate, actuals, users):
        module.register(app)


def main() -> None:
    _register()
    try:
        app(standalone_mode=False)
    except DomainError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        for p in exc.extra.get("problems", [])[:50]:  # type: ignore[union-attr]
            where = ", ".join(f"{k} {v}" for k, v in p.items() if k in ("row", "column") and v is not None)
            err.print(f"  {where}: {p.get('detail')}", highlight=False, soft_wrap=True)
        raise SystemExit(1) from None
    except typer.Abort:
        raise SystemExit(1) from None
    except SystemExit:
        raise
    except Exception as exc:
        # Usage errors from typer's (vendored) click carry their own exit code and message.
        if hasattr(exc, "exit_code") and hasattr(exc, "show"):
            exc.show()
            raise SystemExit(exc.exit_code) from None
        raise
    finally:
        if hasattr(state, "app"):
            state.app.close()
