"""The one overlap-and-turnaround rule of the plan (DESIGN §5, "Rules of the plan that no override relaxes").

Two blocks of one vehicle:
- `overlaps_block` when their times overlap: a refusal, whatever reason is given;
- `short_turnaround` when the second starts less than the depot's minimum turnaround after the first
  ends: a warning an operator may override;
- nothing otherwise. Blocks that only touch (one ends when the other starts) do not overlap.

The scalar form judges one pair; `clash_matrix`, `clear_of`, `clear_pairs`, `clear_rows` and `can_follow` are the
same rule over arrays, for the recommendation and the exact model.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from depotdispatch.domain.blocks import label_of
from depotdispatch.domain.days import DayBlock

OVERLAP = "overlaps_block"
SHORT = "short_turnaround"
NONE, SHORT_CODE, OVERLAP_CODE = 0, 1, 2  # the codes of the vectorised form
# The arrays hold times as floats (hours since an origin, or epoch seconds): "end + turnaround" may then come out
# a rounding error past a start exactly a turnaround later, and the arrays would refuse a chain the scalar rule
# allows. A slack far below a datetime's microsecond (in hours or seconds) but far above float error keeps them
# the same rule.
SLACK = 1e-10


def clash(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime,
          turnaround: timedelta) -> str | None:
    if a_start < b_end and b_start < a_end:
        return OVERLAP
    if a_start < b_end + turnaround and b_start < a_end + turnaround:
        return SHORT
    return None


def holds_at(start: datetime, end: datetime, at: datetime, turnaround: timedelta) -> bool:
    """Does a block (start, end) hold its vehicle at `at`: running, or not a turnaround past its end? For a
    block that starts first, `clash` with a block starting at `at` is exactly this, so at each block's
    start the blocks that hold are pairwise clashing (the exact model's interval cliques)."""
    return start <= at < end + turnaround


def block_clash(a: DayBlock, b: DayBlock, turnaround: timedelta) -> str | None:
    """The rule for two blocks; cancelled work and a block with itself never clash."""
    if a is b or (a.pk is not None and a.pk == b.pk) or a.cancelled_at is not None or b.cancelled_at is not None:
        return None
    return clash(a.pull_out, a.pull_in, b.pull_out, b.pull_in, turnaround)


def clash_matrix(a_starts: np.ndarray, a_ends: np.ndarray, b_starts: np.ndarray, b_ends: np.ndarray,
                 turnaround: float) -> np.ndarray:
    """The same rule over arrays of times (any one unit, e.g. hours since an origin): rows are the `a`
    blocks, columns the `b` blocks; 2 overlap, 1 short turnaround, 0 fine."""
    a_s, a_e = np.asarray(a_starts, float)[:, None], np.asarray(a_ends, float)[:, None]
    b_s, b_e = np.asarray(b_starts, float)[None, :], np.asarray(b_ends, float)[None, :]
    overlap = (a_s < b_e) & (b_s < a_e)
    near = (a_s < b_e + turnaround - SLACK) & (b_s < a_e + turnaround - SLACK)
    return np.where(overlap, OVERLAP_CODE, np.where(near, SHORT_CODE, NONE)).astype(np.int8)


def clear_of(starts: np.ndarray, ends: np.ndarray, busy_starts: Sequence[float], busy_ends: Sequence[float],
             turnaround: float) -> np.ndarray:
    """Per block (`starts`, `ends`): does it clash with none of the busy intervals, not even by a short
    turnaround? The row form of `clash_matrix(...) == NONE` for one vehicle's chain."""
    out = np.ones(len(starts), dtype=bool)
    for b_s, b_e in zip(busy_starts, busy_ends, strict=True):
        out &= ~_near(starts, ends, b_s, b_e, turnaround)
    return out


def clear_pairs(starts: np.ndarray, ends: np.ndarray, turnaround: float) -> np.ndarray:
    """Blocks x the same blocks: may one vehicle run both, not even a short turnaround between them?
    Row k is `clear_of(starts, ends, [starts[k]], [ends[k]], turnaround)` (the rule is symmetric)."""
    return ~_near(starts[None, :], ends[None, :], starts[:, None], ends[:, None], turnaround)


def _near(starts: np.ndarray, ends: np.ndarray, b_s: float | np.ndarray, b_e: float | np.ndarray,
          turnaround: float) -> np.ndarray:
    """Closer than a turnaround (or overlapping): the busy interval (b_s, b_e) and each block."""
    return (starts < b_e + turnaround - SLACK) & (b_s < ends + turnaround - SLACK)


def clear_rows(starts: np.ndarray, ends: np.ndarray, busy: Sequence[tuple[Sequence[float], Sequence[float]]],
               turnaround: float) -> np.ndarray:
    """`clear_of` for many chains at once (rows: the chains' (starts, ends) in `busy`): one array
    operation per position in the chains."""
    out = np.ones((len(busy), len(starts)), dtype=bool)
    longest = max((len(s) for s, _ in busy), default=0)
    for k in range(longest):  # the k-th block of every chain that has one, together
        rows = np.array([r for r, (s, _) in enumerate(busy) if len(s) > k], dtype=int)
        b_s = np.array([busy[r][0][k] for r in rows], dtype=float)[:, None]
        b_e = np.array([busy[r][1][k] for r in rows], dtype=float)[:, None]
        out[rows] &= ~_near(starts[None, :], ends[None, :], b_s, b_e, turnaround)
    return out


def can_follow(a_ends: np.ndarray, b_starts: np.ndarray, turnaround: float) -> np.ndarray:
    """Rows `a`, columns `b`: may block b come next after block a on one vehicle (a full turnaround
    between them)? For blocks in time order this is `clash_matrix(...) == NONE`."""
    return np.asarray(b_starts, float)[None, :] >= np.asarray(a_ends, float)[:, None] + turnaround - SLACK


@dataclass(frozen=True)
class DoubleBooking:
    vehicle_id: str
    first: DayBlock
    second: DayBlock
    code: str  # overlaps_block | short_turnaround

    def sentence(self) -> str:
        verb = "overlap" if self.code == OVERLAP else "leave less than the turnaround between them"
        return f"{self.vehicle_id} would run blocks {label_of(self.first)} and {label_of(self.second)}, which {verb}"


def double_bookings(plan: Mapping[int, str], blocks: Iterable[DayBlock], turnaround: timedelta,
                    only: str | None = OVERLAP) -> list[DoubleBooking]:
    """Pairs of blocks one vehicle would hold that clash. `plan`: block pk -> vehicle id.
    `only`: the code to look for (None: both)."""
    by_pk = {b.pk: b for b in blocks if b.pk is not None}
    per_vehicle: dict[str, list[DayBlock]] = defaultdict(list)
    for pk, vid in plan.items():
        b = by_pk.get(pk)
        if b is not None and b.cancelled_at is None:
            per_vehicle[vid].append(b)
    out = []
    for vid, chain in sorted(per_vehicle.items()):
        chain.sort(key=lambda b: (b.pull_out, b.pull_in, b.block_id))
        for i, a in enumerate(chain):
            for b in chain[i + 1:]:
                if b.pull_out >= a.pull_in + turnaround:
                    break  # sorted by start: later ones are further away
                code = block_clash(a, b, turnaround)
                if code is not None and (only is None or code == only):
                    out.append(DoubleBooking(vid, a, b, code))
    return out


def clashes_with(block: DayBlock, others: Sequence[DayBlock], turnaround: timedelta) -> list[tuple[DayBlock, str]]:
    """The vehicle's other blocks that clash with `block`, overlaps first."""
    found = [(o, c) for o in others if o.block_id != block.block_id or o.service_date != block.service_date
             if (c := block_clash(block, o, turnaround)) is not None]
    return sorted(found, key=lambda x: (x[1] != OVERLAP, x[0].pull_out)) if len(found) > 1 else found
