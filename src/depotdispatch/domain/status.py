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


def block_status(block: DayBlock, now: datetime, horizon_end: datetime) -> BlockState:
    """Exactly one status for a block at `now`; actual times, when recorded, win over the plan."""
    if block.cancelled_at is not None:
        return BlockState(BlockStatus.CANCELLED)
    if block.actual_end is not None and block.actual_end <= now:
        return BlockState(BlockStatus.COMPLETED)
    if block.actual_start is not None and block.actual_start <= now:
        # Started: it runs its planned duration from its actual start unless an end is recorded.
        expected_end = block.actual_end or block.actual_start + (block.pull_in - block.pull_out)
        if expected_end <= now:
            return BlockState(BlockStatus.COMPLETED, assumed=True)
        return BlockState(BlockStatus.IN_SERVICE)
    if block.actual_start is None and block.pull_in <= now:
        return BlockState(BlockStatus.COMPLETED, assumed=True)
    if block.actual_start is None and block.pull_out <= now:
        return BlockState(BlockStatus.IN_SERVICE, assumed=True)
    start = block.actual_start or block.pull_out
    return BlockState(BlockStatus.UPCOMING) if start <= horizon_end else BlockState(BlockStatus.LATER)
