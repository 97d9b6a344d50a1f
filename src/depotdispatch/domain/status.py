"""The status contract (DESIGN §3): one function, one truth, `now` as a parameter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.words import BlockStatus

STATUSES = tuple(BlockStatus)
ACTIONABLE = frozenset({BlockStatus.UPCOMING, BlockStatus.LATER})  # plan-time warnings are shown for these only


@dataclass(frozen=True)
class BlockState:
    status: BlockStatus
    assumed: bool = False  # completed/in service by the clock, with no actual recorded

    @property
    def actionable(self) -> bool:
        return self.status in ACTIONABLE


def running_span(block: DayBlock) -> tuple[datetime, datetime]:
    """When the block really runs, as far as is known: from its actual start (else the planned pull-out) to
    its actual end (else that start plus its planned length). The one answer to "when is the bus out on it
    and when is it back at the depot" for the status, the board's window, the live risk, readiness, the
    depot's charging plan and the yard."""
    start = block.actual_start or block.pull_out
    return start, block.actual_end or start + (block.pull_in - block.pull_out)


def block_status(block: DayBlock, now: datetime, horizon_end: datetime) -> BlockState:
    """Exactly one status for a block at `now`; actual times, when recorded, win over the plan."""
    if block.cancelled_at is not None:
        return BlockState(BlockStatus.CANCELLED)
    if block.actual_end is not None and block.actual_end <= now:
        return BlockState(BlockStatus.COMPLETED)
    if block.actual_start is not None and block.actual_start <= now:
        # Started: it runs its planned duration from its actual start unless an end is recorded.
        if running_span(block)[1] <= now:
            return BlockState(BlockStatus.COMPLETED, assumed=True)
        return BlockState(BlockStatus.IN_SERVICE)
    if block.actual_start is None and block.pull_in <= now:
        return BlockState(BlockStatus.COMPLETED, assumed=True)
    if block.actual_start is None and block.pull_out <= now:
        return BlockState(BlockStatus.IN_SERVICE, assumed=True)
    start = block.actual_start or block.pull_out
    return BlockState(BlockStatus.UPCOMING) if start <= horizon_end else BlockState(BlockStatus.LATER)


def out_on(block: DayBlock, now: datetime) -> bool:
    """The bus is out on `block` at `now` (its status is in_service, by actuals or by the clock)."""
    return block_status(block, now, now).status == BlockStatus.IN_SERVICE


def still_to_run(block: DayBlock, now: datetime) -> bool:
    """Not started at `now`, by actuals or by the clock (upcoming or later): the bus still leaves for it."""
    return block_status(block, now, now).status in ACTIONABLE
