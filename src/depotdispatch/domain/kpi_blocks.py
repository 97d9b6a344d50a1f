"""The KPI's blocks as columns (DESIGN §12).

A year is ~110,000 blocks and the rules read a few fields of each; only some ten thousand are looked at
whole (the free-EV judge, an outcome's sentence). So the table holds the fields the rules compare as
columns and makes a block's DayBlock the first time a rule asks for it. Instants are exact microseconds
since the epoch (kpi_records.micros).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import overload

import numpy as np

from depotdispatch.domain.days import DayBlock


def _known(values: Sequence[int | None]) -> tuple[np.ndarray, np.ndarray]:
    known = np.fromiter((v is not None for v in values), bool, len(values))
    return np.fromiter((v or 0 for v in values), np.int64, len(values)), known


def as_micros(values: Sequence[datetime | None]) -> tuple[np.ndarray, np.ndarray]:
    """Microseconds of each (aware) instant, 0 where None, and where it was known. From timestamp() (3x
    faster than micros): its float is the exact microsecond count / 10^6 correctly rounded, so for any
    instant before the year 2255 (< 2^53 us) rounding it back gives micros(t) exactly."""
    known = np.fromiter((v is not None for v in values), bool, len(values))
    seconds = np.fromiter((v.timestamp() if v is not None else 0.0 for v in values), float, len(values))
    return np.rint(seconds * 1e6).astype(np.int64), known


class BlockTable(Sequence[DayBlock]):
    """The blocks in their order: `table[i]` is block i's DayBlock (made once, when first asked), the
    attributes are its fields as columns."""

    def __init__(self, service_date: Sequence[date], block_id: Sequence[str],
                 start_us: np.ndarray, end_us: np.ndarray, actual_start: tuple[np.ndarray, np.ndarray],
                 actual_end: tuple[np.ndarray, np.ndarray], cancelled: tuple[np.ndarray, np.ndarray],
                 distance_km: Sequence[float | None], replaces_block: Sequence[str | None],
                 note: Sequence[str | None], make: Callable[[int], DayBlock]) -> None:
        """actual_start, actual_end, cancelled (its instant): (microseconds, known) as _known gives them."""
        self.service_date, self.block_id = list(service_date), list(block_id)
        n = len(self.block_id)
        self.day = np.fromiter((d.toordinal() for d in self.service_date), np.int64, n)
        self.start_us, self.end_us = start_us, end_us
        self.actual_start_us, self.has_actual_start = actual_start
        self.actual_end_us, self.has_actual_end = actual_end
        self.cancel_us, self.cancelled = cancelled
        self.distance_km, self.replaces_block, self.note = distance_km, replaces_block, note
        self._make = make
        self._made: dict[int, DayBlock] = {}
        self._keys: list[tuple[date, str]] | None = None

    @classmethod
    def of(cls, blocks: Sequence[DayBlock]) -> BlockTable:
        blocks = list(blocks)
        return cls([b.service_date for b in blocks], [b.block_id for b in blocks],
                   as_micros([b.pull_out for b in blocks])[0], as_micros([b.pull_in for b in blocks])[0],
                   as_micros([b.actual_start for b in blocks]), as_micros([b.actual_end for b in blocks]),
                   as_micros([b.cancelled_at for b in blocks]),
                   [b.distance_km for b in blocks], [b.replaces_block for b in blocks], [b.note for b in blocks],
                   blocks.__getitem__)

    @classmethod
    def from_micros(cls, service_date: Sequence[date], block_id: Sequence[str], start_us: Sequence[int],
                    end_us: Sequence[int], actual_start_us: Sequence[int | None], actual_end_us: Sequence[int | None],
                    cancelled_us: Sequence[int | None], distance_km: Sequence[float | None],
                    replaces_block: Sequence[str | None], note: Sequence[str | None],
                    make: Callable[[int], DayBlock]) -> BlockTable:
        """From columns as a database gives them: instants in microseconds, None where unknown."""
        return cls(service_date, block_id, np.array(start_us, dtype=np.int64), np.array(end_us, dtype=np.int64),
                   _known(actual_start_us), _known(actual_end_us), _known(cancelled_us), distance_km,
                   replaces_block, note, make)

    def __len__(self) -> int:
        return len(self.block_id)

    @overload
    def __getitem__(self, i: int) -> DayBlock: ...
    @overload
    def __getitem__(self, i: slice) -> list[DayBlock]: ...

    def __getitem__(self, i: int | slice) -> DayBlock | list[DayBlock]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        made = self._made.get(i)
        if made is None:
            made = self._made[i] = self._make(i)
        return made

    def keys(self) -> list[tuple[date, str]]:
        """Each block's (service date, block id), made once."""
        if self._keys is None:
            self._keys = list(zip(self.service_date, self.block_id, strict=True))
        return self._keys

    def changed_out(self) -> set[tuple[date, str]]:
        """The blocks a change-out replaced (a live block whose note says it is one, naming the block)."""
        return {(self.service_date[i], r) for i, r in enumerate(self.replaces_block)
                if r and not self.cancelled[i] and (self.note[i] or "").startswith("change-out")}
