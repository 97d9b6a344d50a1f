"""The command line (DESIGN §9): thin, calls services. Exit 0 ok, 1 input problem, 2 usage."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

import typer

from depotdispatch.adapters.clock import Clock
from depotdispatch.adapters.db.migrate import schema_problem
from depotdispatch.bootstrap import App
from depotdispatch.cli_commands.support import err, state
from depotdispatch.config import Settings
from depotdispatch.domain.errors import DomainError

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Day-of-operations dispatch for electric and mixed bus depots.")


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


@cache
def _command() -> Any:
    """The click command, built once per process: building it reads every command's signature (~50 ms of
    CPU), which the tests that run the CLI in-process would otherwise pay on every call."""
    _register()
    return typer.main.get_command(app)


def main() -> None:
    try:
        _command()(standalone_mode=False)
    except DomainError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        problems = exc.extra.get("problems")
        for p in problems[:50] if isinstance(problems, list) else []:
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
        if (problem := schema_problem(exc)) is not None:  # a new or not yet upgraded database: say what to do
            err.print(f"[red]error:[/red] {problem}", highlight=False, soft_wrap=True)
            raise SystemExit(1) from None
        raise
    finally:
        if hasattr(state, "app"):
            state.app.close()
