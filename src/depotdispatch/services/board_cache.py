"""Boards computed once and shared, and computed again from what changed only.

Keyed on the change feed's position (every committed announce moves it, whichever process made it), the
depot, the query and `now` to the second. Requests that ask for the same board at once wait for the first
one's result (a change reaching N open boards costs one board, not N). A new board starts from what the
last board of the same query read (services.board.Loaded) and reads again only the parts that the
changes since touched: a reading touches the readings, an assignment the plan (DESIGN §8 change kinds);
anything else, an unreadable feed, or a base older than `max_age_s` of wall time reads everything (so a
writer that forgot to announce is seen all the same). Callers get the same Board object: they read it,
never change it.

With `background` (a unit of work factory: the serving process, bootstrap.App(background_boards=True)) the
costly and predictable work is done on a thread of its own, off the request path, and every board a request
gets is still the board at its own `now`, computed from what changed (never an older board served):
- the read-everything refresh of a query's base once it is `max_age_s / 2` old (a request reads everything
  itself only when the base is `2 * max_age_s` old: the background fell behind);
- the next step's depot charging plan, in its settle time (domain/depot_charging.PLAN_SETTLE): a board made
  for the moment the plan comes into force leaves the plan in the plan cache, so the first request after it
  does not make a whole depot's plan;
- after the first board, `gc.collect()` then `gc.freeze()`: what the process holds from start-up and the
  first board's reads is never traversed again by the collector's full passes (they showed in the p95);
- the free-bus hints' own charging plan when a reading changed which buses are hinted (domain/hints.py
  `defer`): a request's board checks the new hints on the plan of the hints one change ago (70-150 ms saved),
  and the background makes the board again with the exact plan, which the next board starts from. That one
  board's hints may differ from a board made from scratch until then (the only exception to the rule above).
"""

from __future__ import annotations

import gc
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from depotdispatch.domain.depot_charging import PLAN_SETTLE, next_anchor
from depotdispatch.services.board import PARTS, Board, BoardRow, Loaded, board
from depotdispatch.services.changes import EVERY_DEPOT
from depotdispatch.services.unit_of_work import UnitOfWork

Feed = Callable[[int, frozenset[int]], "list[tuple[int, dict[str, Any] | None]] | None"]
# a PostgreSQL writer may commit after a later position was read: look this far back for positions unseen
_REORDER = 100
_log = logging.getLogger(__name__)
# the next step's plan is made ahead this long into the step at the earliest: a reading measured before the
# anchor is stored a second or so later, and would make the plan made ahead another plan than the boards'
_PREPARE_AFTER = timedelta(seconds=5)
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
                 compute: Callable[..., Board] | None = None,
                 background: Callable[[], UnitOfWork] | None = None, freeze: bool = False) -> None:
        """`feed(after, seen)`: the changes above a position (adapters.db.uow.feed_since); without it, or with a
        `compute` of its own, every board is computed from scratch. `background`: see the module docstring;
        `freeze` (with it): gc.freeze() after the first board (a whole process's choice: the server's)."""
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
        self._background = background if self._feed is not None else None
        self._jobs: queue.SimpleQueue[tuple[tuple[object, ...], Callable[[], object]]] = queue.SimpleQueue()
        self._pending: set[tuple[object, ...]] = set()
        self._worker: threading.Thread | None = None
        self._frozen = not freeze
        self._done_plans: set[tuple[object, ...]] = set()  # the plans made ahead, the latest per query
        self.refreshed = self.prepared = 0  # what the background did: refreshes, plans made ahead

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
            if self._background is not None:
                self._ahead(depot_id, at, query, options)
        slot.done.wait()
        if slot.error is not None:
            raise slot.error
        assert slot.value is not None
        return slot.value

    def _make(self, uow: UnitOfWork, depot_id: str, at: datetime, query: tuple[object, ...],
              options: dict[str, Any], position: int, refresh: bool = False, exact: bool = False) -> Board:
        if self._feed is None:
            return self._compute(uow, depot_id, at, **options)
        started = self._clock()
        with self._lock:
            base = self._bases.get(query)
        # read everything again now and then (what comes out the same keeps what was judged from it); with a
        # background that does it, a request does only when the background fell behind
        limit = self._max_age_s * (2 if self._background is not None else 1)
        refresh = refresh or (base is not None and started - base.made > limit)
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
        background = self._background
        if background is not None and not (refresh or exact):  # the hints' new charging plan: off the request path
            extra["defer_hints"] = True
        made = self._compute(uow, depot_id, at, **options, **extra)
        if made.loaded is None or changes is None:
            return made
        if background is not None and extra.get("defer_hints") and any(
                h.deferred for h in (made.loaded.hints or {}).values()):
            # made again exactly in the background (the plan made there), and the next board starts from that
            self._submit(("hints", query), lambda: self._make(background(), depot_id, at, query, options,
                                                              self._version(), exact=True))
        ids = [cid for cid, _ in changes]
        top = max([*ids, base.top if base is not None else 0])
        seen = frozenset(i for i in (*(base.seen if base is not None else ()), *ids) if i > top - _REORDER)
        with self._lock:
            self.partial += stale != PARTS  # how many boards read only part of what they show
            old = self._bases.get(query)
            # a slower, older computation never replaces a newer base, but for a refresh (the feed since its
            # position is read again by the next board: the newer base's changes are not lost)
            if old is None or old.top <= top or (refresh and old.made < started):
                self._bases[query] = _Base(made.loaded, made.rows, seen, top,
                                           base.made if stale != PARTS and base else started)
                self._bases.move_to_end(query)
                while len(self._bases) > self._size:
                    self._bases.popitem(last=False)
        return made

    # -- off the request path (`background`) -----------------------------------------------------------
    def _ahead(self, depot_id: str, at: datetime, query: tuple[object, ...], options: dict[str, Any]) -> None:
        """After a request's board: queue what the next requests would otherwise pay."""
        if not self._frozen:
            self._frozen = True
            self._submit(("freeze",), _freeze)
        with self._lock:
            base = self._bases.get(query)
        if base is not None and self._clock() - base.made > self._max_age_s / 2:
            self._submit(("refresh", query), lambda: self._refresh(depot_id, at, query, options))
        anchor = next_anchor(at)
        # (a depot with no charger list has no plan to make: each bus on a connector of its own)
        if anchor is not None and at - anchor >= _PREPARE_AFTER and base is not None \
                and base.loaded.chargers is not None:
            self._submit(("plan", query, anchor), lambda: self._prepare(depot_id, anchor + PLAN_SETTLE, options))

    def _submit(self, key: tuple[object, ...], job: Callable[[], object]) -> None:
        with self._lock:
            if key in self._pending or (key[0] == "plan" and key in self._done_plans):
                return
            self._pending.add(key)
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="board-cache-background", daemon=True)
                self._worker.start()
        self._jobs.put((key, job))

    def idle(self, timeout_s: float = 30.0) -> bool:
        """Wait until the background has nothing queued or running (tests and benches); False on timeout."""
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            with self._lock:
                if not self._pending:
                    return True
            time.sleep(0.005)
        return False

    def close(self) -> None:
        """Stop the background thread (its job in hand is finished first)."""
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is not None:
            self._jobs.put((("stop",), lambda: None))
            worker.join(30)

    def _work(self) -> None:
        while True:
            key, job = self._jobs.get()
            if key == ("stop",):
                return
            try:
                job()
            except Exception:  # a board the next request makes itself; the background goes on
                _log.exception("board cache background job %s failed", key[0])
            finally:
                with self._lock:
                    self._pending.discard(key)
                    if key[0] == "plan":
                        self._done_plans = {k for k in self._done_plans if k[1:2] != key[1:2]} | {key}

    def _refresh(self, depot_id: str, at: datetime, query: tuple[object, ...], options: dict[str, Any]) -> None:
        assert self._background is not None
        self._make(self._background(), depot_id, at, query, options, self._version(), refresh=True)
        self.refreshed += 1

    def _prepare(self, depot_id: str, at: datetime, options: dict[str, Any]) -> None:
        """A board at `at`, when the next step's plan comes into force, made and dropped: the plan it made stays
        in the plan cache (domain/depot_charging._seam), for the very inputs the boards then will have."""
        assert self._background is not None
        self._compute(self._background(), depot_id, at, **options)
        self.prepared += 1


def _freeze() -> None:
    gc.collect()
    gc.freeze()


@dataclass
class _Slot:
    made: float
    done: threading.Event = field(default_factory=threading.Event)
    value: Board | None = None
    error: BaseException | None = None
