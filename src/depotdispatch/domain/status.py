"""The status contract (DESIGN §3): one function, one truth, `now` as a parameter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from depotdispatch.domain.days import DayBlock

STATUSES = ("cancelled", "completed", "in_service", "upcoming", "later")
ACTIONABLE = frozenset({"upcoming", "later"})  # plan-time warnings are shown for these only


@dataclass(frozen=True)
class BlockState:
    status: str
    assumed: bool = False  # completed/in service by the clock, with no actual recorded

    @property
    def actionable(self) -> bool:
        return self.status in ACTIONABLE


def block_status(block: DayBlock, now: datetime, horizon_end: datetime) -> BlockState:
    """Exactly one status for a block at `now`; actual times, when recorded, win over the plan."""
    if block.cancelled_at is not None:
        return BlockState("cancelled")
    if block.actual_end is not None and block.actual_end <= now:
        return BlockState("completed")
    if block.actual_start is not None and block.actual_start <= now:
        # Started: it runs its planned duration from its actual start unless an end is recorded.
        expected_end = block.actual_end or block.actual_start + (block.end_at - block.start_at)
        return BlockState("completed", assumed=True) if expected_end <= now else BlockState("in_service")
    if block.actual_start is None and block.end_at <= now:
        return BlockState("completed", assumed=True)
    if block.actual_start is None and block.start_at <= now:
        return BlockState("in_service", assumed=True)
    start = block.actual_start or block.start_at
    return BlockState("upcoming") if start <= horizon_end else BlockState("later")
