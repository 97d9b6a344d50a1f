"""The KPI blocks and their audit-log steps as numpy columns (DESIGN §12).

A year is ~110,000 blocks: the rules that are comparisons of instants (which blocks ran, the step in
effect at a moment, the reading after a block) are done here for all blocks at once. Instants are exact
microseconds (kpi_records.micros), so every comparison is the one the datetimes would give.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from itertools import chain

import numpy as np

from depotdispatch.domain.days import DayBlock
from depotdispatch.domain.kpi_blocks import BlockTable, as_micros
from depotdispatch.domain.kpi_records import BlockKey, ReadingLog, Step, micros

_US = timedelta(microseconds=1)
NONE = -1  # no step, no reading
_NEVER = np.iinfo(np.int64).max


class BlockColumns:
    """facts.blocks in their order, as columns; with every block's steps flattened (block by block, in
    time order as kpi_records keeps them)."""

    def __init__(self, blocks: Sequence[DayBlock], steps: Mapping[BlockKey, list[Step]]) -> None:
        """blocks: a BlockTable gives its columns; any other sequence is made into one."""
        table = self.blocks = blocks if isinstance(blocks, BlockTable) else BlockTable.of(blocks)
        n = len(table)
        self.start_us, self.end_us = table.start_us, table.end_us
        self.actual_start_us, self.has_actual_start = table.actual_start_us, table.has_actual_start
        self.actual_end_us, self.has_actual_end = table.actual_end_us, table.has_actual_end
        self.day = table.day
        self.cancelled, self.cancel_us = table.cancelled, table.cancel_us
        self.pull_out_us = np.where(self.has_actual_start, self.actual_start_us, self.start_us)
        self.done_us = np.where(self.has_actual_end, self.actual_end_us, self.end_us)  # actual else planned end
        # one C-level pass each (a year: 110,000 blocks, 114,000 steps)
        mine = [steps.get(key, ()) for key in table.keys()]
        counts = np.fromiter(map(len, mine), np.int64, n)
        flat: list[Step] = list(chain.from_iterable(mine))
        self.steps = flat
        self.step_block = np.repeat(np.arange(n, dtype=np.int64), counts)
        self.first_step = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.step_at_us, _ = as_micros([s.at for s in flat])
        self.step_has_vehicle = np.array([s.vehicle_id is not None for s in flat], dtype=bool)
        # each step holds until the block's next step
        nxt = np.append(self.step_at_us[1:], _NEVER)
        last = np.zeros(len(flat), dtype=bool)
        last[self.first_step[1:][counts > 0] - 1] = True
        self.step_until_us = np.where(last, _NEVER, nxt)
        self.step_is_last = last

    def cancelled_by(self, u: int) -> np.ndarray:
        """Cancelled at or before the instant u (microseconds): a cancellation counts from when it was made."""
        out: np.ndarray = self.cancelled & (self.cancel_us <= u)
        return out

    def started_by(self, u: int) -> np.ndarray:
        """Started, or ended, by the instant u, cancelled or not."""
        started = np.where(self.has_actual_start, self.actual_start_us <= u,
                           (self.end_us <= u) | (self.start_us <= u))
        out: np.ndarray = (self.has_actual_end & (self.actual_end_us <= u)) | started
        return out

    def ran(self, now: datetime) -> np.ndarray:
        """block_status(b, now, now) is completed or in_service (domain/status.py, as columns)."""
        u = micros(now)
        out: np.ndarray = ~self.cancelled_by(u) & self.started_by(u)
        return out

    def missed(self, now: datetime) -> np.ndarray:
        """Started with no vehicle and cancelled afterwards (DESIGN §12, uncovered: it started with no vehicle, the
        cancelling came after); a block cancelled before its pull-out did not start. With `in_effect` (no
        vehicle at pull-out) this gives the uncovered blocks that `ran` leaves out."""
        u = micros(now)
        out: np.ndarray = self.cancelled_by(u) & self.started_by(u) & (self.cancel_us > self.pull_out_us)
        return out

    def in_effect(self, t_us: np.ndarray) -> np.ndarray:
        """Per block, the position in `steps` of the step in force at its t (kpi_records.in_effect), or NONE
        when the block had no vehicle then."""
        n = len(self.blocks)
        held = self.step_at_us <= t_us[self.step_block]  # a prefix of each block's steps
        count = np.bincount(self.step_block[held], minlength=n)
        at = np.where(count > 0, self.first_step[:-1] + count - 1, NONE)
        if not len(self.step_has_vehicle):  # no block of the range ever had a bus: nothing to look up
            return np.full_like(at, NONE)
        return np.where((at >= 0) & self.step_has_vehicle[np.maximum(at, 0)], at, NONE)


def first_after(readings: ReadingLog, vehicle_ids: Sequence[str], t_us: np.ndarray,
                within: timedelta) -> np.ndarray:
    """ReadingLog.first_after_index for many (vehicle, instant) pairs: the position of each vehicle's first
    reading at or after t, if no later than t + within; else NONE."""
    out = np.full(len(vehicle_ids), NONE, dtype=np.int64)
    by_vehicle: dict[str, list[int]] = {}
    for k, v in enumerate(vehicle_ids):
        by_vehicle.setdefault(v, []).append(k)
    w = within // _US
    for v, ks in by_vehicle.items():
        span = readings.span.get(v)
        if span is None:
            continue
        lo, hi = span
        idx = np.array(ks, dtype=np.int64)
        u = t_us[idx]
        i = lo + np.searchsorted(readings.at_us[lo:hi], u, "left")
        found = i < hi
        found[found] = readings.at_us[i[found]] <= u[found] + w
        out[idx[found]] = i[found]
    return out
