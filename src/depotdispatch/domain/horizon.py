"""The horizon contract (DESIGN §4): one window per depot and `now`, shared by every screen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.status import running_span


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def horizon(depot: Depot, now: datetime) -> Window:
    return Window(now - timedelta(minutes=depot.lookback_min), now + timedelta(minutes=depot.lookahead_min))


def on_board(block: DayBlock, window: Window) -> bool:
    """A block is on the board when its [start, end] intersects the window."""
    start, end = running_span(block)
    return start <= window.end and end >= window.start
