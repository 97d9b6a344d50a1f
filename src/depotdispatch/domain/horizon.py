"""The horizon contract (DESIGN §4): one window per depot and `now`, shared by every screen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.depots import Depot


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def horizon(depot: Depot, now: datetime) -> Window:
    return Window(now - timedelta(minutes=depot.lookback_min), now + timedelta(minutes=depot.lookahead_min))


def block_span(block: DayBlock) -> tuple[datetime, datetime]:
    start = block.actual_start or block.pull_out
    end = block.actual_end or (start + (block.pull_in - block.pull_out))
    return start, end


def on_board(block: DayBlock, window: Window) -> bool:
    """A block is on the board when its [start, end] intersects the window."""
    start, end = block_span(block)
    return start <= window.end and end >= window.start
