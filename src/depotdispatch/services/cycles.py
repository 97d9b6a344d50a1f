"""Python's cycle collector paused around CPU-bound work that makes many short-lived, acyclic objects.

The collector makes a pass over the young objects every 700 net container allocations, and over
everything when enough have survived. Work such as a recommendation solve (~10^4 verdicts, projections,
plans; reference counting frees them all, the passes find nothing) or a year of KPI records pays for
passes that collect nothing: on a 500-block day 4-8 ms of a ~100 ms solve, 40-60 ms when a full pass
falls due in it (bench/recommend.py, 2026-12-02).

Safe for a long-running server:
- gc is process-wide: of overlapping pauses (threads) the first turns the collector off and the last turns
  it back on, and only if it was on before the first (a process that runs with it off keeps it off);
- an exception inside still ends the pause;
- the collector is off no longer than the pauses overlap: cycles other threads make meanwhile wait for
  its next pass (memory for a while, never correctness). Pause bounded work only (a solve, a report).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0  # pauses in progress
_resume = False  # the collector was on when the first of them began


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
