"""services/cycles.py: the cycle collector paused around bounded work, safely for a server's threads."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from depotdispatch.services.cycles import no_cycle_collection


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if was else gc.disable)()


def test_off_inside_back_on_after_even_after_an_exception() -> None:
    with no_cycle_collection():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), no_cycle_collection():
        raise ValueError("inside")
    assert gc.isenabled()


def test_overlapping_pauses_in_threads_turn_it_back_on_only_after_the_last() -> None:
    entered, release = threading.Event(), threading.Event()
    seen: list[bool] = []

    def other() -> None:
        with no_cycle_collection():
            entered.set()
            release.wait(5)
            seen.append(gc.isenabled())

    t = threading.Thread(target=other)
    with no_cycle_collection():
        t.start()
        assert entered.wait(5)
    assert not gc.isenabled()  # the other thread's pause goes on: still off
    release.set()
    t.join(5)
    assert seen == [False] and gc.isenabled()


def test_nested_pauses_and_a_process_that_runs_with_the_collector_off() -> None:
    with no_cycle_collection():
        with no_cycle_collection():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    with no_cycle_collection():
        pass
    assert not gc.isenabled()  # it was off before: it stays off
