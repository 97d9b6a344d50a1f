"""What every command shares: the consoles, the common options, the process state, `emit` and a few
helpers. Commands import this module, never `depotdispatch.cli` (which registers them): no import cycle."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from depotdispatch.adapters.clock import Clock
from depotdispatch.bootstrap import App
from depotdispatch.domain.blocks import block_label
from depotdispatch.domain.errors import DomainError
from depotdispatch.domain.identity import Principal
from depotdispatch.domain.servicetime import clock_on, to_local, zone

out = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON document on stdout, for scripts.")]
DepotOpt = Annotated[str, typer.Option("--depot", help="Depot id.")]
DateOpt = Annotated[str, typer.Option("--date", help="Service date, YYYY-MM-DD.")]


class State:
    app: App
    principal: Principal


state = State()


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
        # a narrow terminal wraps a cell rather than cutting it: an id cut to "3fda18…" cannot be typed back
        t.add_column(c, overflow="fold")
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
        # the path as the person typed it, not Python's PosixPath('...') repr
        raise DomainError(f"cannot read {str(path)!r}: {getattr(exc, 'strerror', None) or exc}") from exc


@contextmanager
def as_options(columns: dict[str, str]) -> Iterator[None]:
    """A service names the field of a bad value as a file column (`adhoc_reason`); on the command line the
    person typed an option (`--reason`): say that one."""
    try:
        yield
    except DomainError as exc:
        if exc.column not in columns or exc.row is not None:
            raise
        raise exc.reworded(f"{columns[exc.column]}: {exc.detail}") from None


def local_clock(iso: str, tz: str, today: date) -> str:
    """An instant of a document (ISO 8601, UTC) as a person reads it in the depot's zone: HH:MM, with the
    day when it is not `today`."""
    return clock_on(to_local(datetime.fromisoformat(iso), zone(tz)), today)


def named(doc: dict[str, Any]) -> str:
    """A block of a --json document as a table says it: "106 (id 703)" (blocks.block_label)."""
    return block_label(str(doc["block_id"]), doc.get("block_name"))


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 vehicle', '2 vehicles': counts in sentences read as a person writes them."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def now_or(text: str | None) -> datetime:
    return Clock.from_text(text).now() if text else state.app.clock.now()
