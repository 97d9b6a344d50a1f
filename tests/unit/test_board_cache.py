"""The board cache: one board per change-feed version, depot, query and second; concurrent askers share one
computation; errors are not kept; an entry expires after its wall-clock age."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from depotdispatch.domain.errors import NotFound
from depotdispatch.services.board_cache import BoardCache

NOW = datetime(2026, 11, 25, 15, 0, 0, 250_000, tzinfo=UTC)


class Counting:
    def __init__(self, gate: threading.Event | None = None) -> None:
        self.calls: list[tuple[str, datetime, dict[str, object]]] = []
        self.gate = gate

    def __call__(self, uow: object, depot_id: str, now: datetime, **options: object) -> object:
        self.calls.append((depot_id, now, options))
        if self.gate is not None:
            assert self.gate.wait(5)
        if depot_id == "NOPE":
            raise NotFound("no depot 'NOPE'")
        return object()


def test_same_version_and_second_share_a_board_and_a_change_makes_a_new_one() -> None:
    version = [1]
    compute = Counting()
    cache = BoardCache(lambda: version[0], compute=compute)  # type: ignore[arg-type]
    first = cache.board(None, "T", NOW)  # type: ignore[arg-type]
    assert cache.board(None, "T", NOW + timedelta(milliseconds=500)) is first  # type: ignore[arg-type]
    assert compute.calls == [("T", NOW.replace(microsecond=0), {})]  # computed at the whole second
    assert cache.board(None, "T", NOW, include_later=True) is not first  # type: ignore[arg-type]
    assert cache.board(None, "U", NOW) is not first  # type: ignore[arg-type]
    assert cache.board(None, "T", NOW + timedelta(seconds=1)) is not first  # type: ignore[arg-type]
    version[0] = 2  # the change feed heard something
    assert cache.board(None, "T", NOW) is not first  # type: ignore[arg-type]
    assert len(compute.calls) == 5 and (cache.hits, cache.misses) == (1, 5)


def test_concurrent_askers_wait_for_one_computation() -> None:
    gate = threading.Event()
    compute = Counting(gate)
    cache = BoardCache(lambda: 1, compute=compute)  # type: ignore[arg-type]
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(cache.board(None, "T", NOW)))  # type: ignore[arg-type]
               for _ in range(8)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(5)
    assert len(compute.calls) == 1 and len(got) == 8 and all(b is got[0] for b in got)


def test_an_error_is_raised_to_every_asker_and_not_kept() -> None:
    compute = Counting()
    cache = BoardCache(lambda: 1, compute=compute)  # type: ignore[arg-type]
    for _ in range(2):
        with pytest.raises(NotFound):
            cache.board(None, "NOPE", NOW)  # type: ignore[arg-type]
    assert len(compute.calls) == 2


def test_an_entry_expires_after_its_age_and_the_cache_keeps_its_size() -> None:
    wall = [0.0]
    compute = Counting()
    cache = BoardCache(lambda: 1, compute=compute, max_age_s=10, size=2, clock=lambda: wall[0])  # type: ignore[arg-type]
    first = cache.board(None, "T", NOW)  # type: ignore[arg-type]
    wall[0] = 9.0
    assert cache.board(None, "T", NOW) is first  # type: ignore[arg-type]
    wall[0] = 10.5
    assert cache.board(None, "T", NOW) is not first  # type: ignore[arg-type]
    cache.board(None, "U", NOW)  # type: ignore[arg-type]
    cache.board(None, "V", NOW)  # type: ignore[arg-type]
    cache.board(None, "T", NOW)  # type: ignore[arg-type]  # T was the oldest: pushed out
    assert [c[0] for c in compute.calls] == ["T", "T", "U", "V", "T"]
