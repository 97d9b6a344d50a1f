"""Boards computed once and shared, and computed again from what changed only.

Keyed on the change feed's position (every committed announce moves it, whichever process made it), the
depot, the query and `now` to the second. Requests that ask for the same board at once wait for the first
one's result (a change reaching N open boards costs one board, not N). A new board starts from what the
last board of the same query read (services.board.Loaded) and reads again only the parts that the
changes since touched: a reading touches the readings, an assignment the plan (DESIGN §8 change kinds);
anything else, an unreadable feed, or a base older than `max_age_s` of wall time reads everything (so a
writer that forgot to announce is seen all the same). Callers get the same Board object: they read it,
never change it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from depotdispatch.services.board import PARTS, Board, BoardRow, Loaded, board
from depotdispatch.services.changes import EVERY_DEPOT
from depotdispatch.services.unit_of_work import UnitOfWork

Feed = Callable[[int, frozenset[int]], "list[tuple[int, dict[str, Any] | None]] | None"]
# a PostgreSQL writer may commit after a later position was read: look this far back for positions unseen
_REORDER = 100
_TOUCHES: dict[str, frozenset[str]] = {
    "reading": frozenset({"readings"}),
    "assignment": frozenset({"assignments", "versions"}),
}


def touched(change: dict[str, Any], depot_id: str) -> frozenset[str]:
    """The parts of a board of `depot_id` that one announced change may have made stale."""
    if change.get("depot_id") not in (depot_id, EVERY_DEPOT):
        return frozenset()
    if change.get("kind") == "assignment" and "availability" in change:  # a bus down (services/fleet.py)
        return PARTS
    return _TOUCHES.get(str(change.get("kind")), PARTS)


def readings_since(changes: list[dict[str, Any] | None]) -> datetime | None:
    """The earliest instant measured by the readings announced in `changes` (datetime.max: none); None when
    a change may hold readings of unknown times (an unreadable entry, a reading announced without it)."""
    since = datetime.max.replace(tzinfo=UTC)
    for c in changes:
        if c is None:
            return None
        if c.get("kind") != "reading":
            continue
        try:
            since = min(since, datetime.fromisoformat(str(c["earliest"])))
        except (KeyError, ValueError, TypeError):
            return None
    return since


@dataclass
class _Base:
    """The last board of one query: what it read, the feed positions it had seen, and when."""

    loaded: Loaded
    rows: list[BoardRow]
    seen: frozenset[int]
    top: int
    made: float


class BoardCache:
    def __init__(self, version: Callable[[], int], *, feed: Feed | None = None, size: int = 16,
                 max_age_s: float = 10.0, clock: Callable[[], float] = time.monotonic,
                 compute: Callable[..., Board] | None = None) -> None:
        """`feed(after, seen)`: the changes above a position (adapters.db.uow.feed_since); without it, or with a
        `compute` of its own, every board is computed from scratch."""
        self._version = version
        self._feed = feed if compute is None else None
        self._compute = compute or board
        self._size = size
        self._max_age_s = max_age_s
        self._clock = clock
        self._lock = threading.Lock()
        self._slots: OrderedDict[tuple[object, ...], _Slot] = OrderedDict()
        self._bases: OrderedDict[tuple[object, ...], _Base] = OrderedDict()
        self.hits = self.misses = self.partial = 0

    def board(self, uow: UnitOfWork, depot_id: str, now: datetime, **options: Any) -> Board:
        at = now.replace(microsecond=0)
        query = (depot_id, tuple(sorted(options.items())))
        position = self._version()
        key = (position, *query, at)
        with self._lock:
            slot = self._slots.get(key)
            if slot is not None and slot.done.is_set() and self._clock() - slot.made > self._max_age_s:
                slot = None
            mine = slot is None
            if slot is None:
                slot = self._slots[key] = _Slot(self._clock())
                while len(self._slots) > self._size:
                    self._slots.popitem(last=False)
                self.misses += 1
            else:
                self._slots.move_to_end(key)
                self.hits += 1
        if mine:
            try:
                slot.value = self._make(uow, depot_id, at, query, options, position)
            except BaseException as exc:
                slot.error = exc
                with self._lock:
                    self._slots.pop(key, None)
                raise
            finally:
                slot.made = self._clock()
                slot.done.set()
        slot.done.wait()
        if slot.error is not None:
            raise slot.error
        assert slot.value is not None
        return slot.value

    def _make(self, uow: UnitOfWork, depot_id: str, at: datetime, query: tuple[object, ...],
              options: dict[str, Any], position: int) -> Board:
        if self._feed is None:
            return self._compute(uow, depot_id, at, **options)
        started = self._clock()
        with self._lock:
            base = self._bases.get(query)
        # read everything again now and then (what comes out the same keeps what was judged from it)
        refresh = base is not None and started - base.made > self._max_age_s
        # the feed before the data: a change committed in between is in the data and read again next time
        changes = self._feed(max(0, (base.top if base is not None else position) - _REORDER),
                             base.seen if base is not None else frozenset())
        extra: dict[str, Any] = {}
        stale = PARTS
        if base is not None and changes is not None:
            stale = PARTS if refresh else frozenset().union(*(touched(c, depot_id) for cid, c in changes
                                                              if cid not in base.seen and c is not None))
            extra = {"previous": base.loaded, "stale": stale, "earlier": base.rows,
                     "readings_since": None if refresh else readings_since([c for cid, c in changes
                                                                            if cid not in base.seen])}
        made = self._compute(uow, depot_id, at, **options, **extra)
        if made.loaded is None or changes is None:
            return made
        ids = [cid for cid, _ in changes]
        top = max([*ids, base.top if base is not None else 0])
        seen = frozenset(i for i in (*(base.seen if base is not None else ()), *ids) if i > top - _REORDER)
        with self._lock:
            self.partial += stale != PARTS  # how many boards read only part of what they show
            old = self._bases.get(query)
            if old is None or old.top <= top:  # a slower, older computation never replaces a newer base
                self._bases[query] = _Base(made.loaded, made.rows, seen, top,
                                           base.made if stale != PARTS and base else started)
                self._bases.move_to_end(query)
                while len(self._bases) > self._size:
                    self._bases.popitem(last=False)
        return made


@dataclass
class _Slot:
    made: float
    done: threading.Event = field(default_factory=threading.Event)
    value: Board | None = None
    error: BaseException | None = None
