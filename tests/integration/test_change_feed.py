"""The change feed: announced inside the writing transaction, heard only after it commits, on both backends."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from depotdispatch.adapters.clock import Clock
from depotdispatch.bootstrap import App
from depotdispatch.domain.depots import Depot
from depotdispatch.services import changes, depots
from tests.helpers import NOW


def test_a_change_reaches_subscribers_of_its_depot_only_after_commit(db_url: str) -> None:
    # two processes on one database (on SQLite: the web server and, say, the CLI or the telemetry worker)
    writer, reader = App(db_url, Clock(NOW)), App(db_url, Clock(NOW))
    depots.add_depot(writer.uow(), Depot("X", "X", "UTC"), NOW)

    async def scenario() -> tuple[list[dict], list[dict]]:
        await asyncio.to_thread(reader.listen_for_changes)
        mine, other = reader.changes.subscribe("X"), reader.changes.subscribe("Y")

        def write(commit: bool) -> None:
            with writer.uow() as uow:
                changes.announce(uow, "X", None, "block", block_id="B1", committed=commit)
                if commit:
                    uow.commit()

        await asyncio.to_thread(write, False)  # rolled back: never heard
        await asyncio.to_thread(write, True)
        got = [await asyncio.wait_for(mine.get(), 5)]
        await asyncio.sleep(0.3)
        while not mine.empty():
            got.append(mine.get_nowait())
        return got, [other.get_nowait() for _ in range(other.qsize())]

    try:
        # a thread of its own: the browser tests' Playwright keeps an event loop on the main thread
        with ThreadPoolExecutor(1) as pool:
            got, other = pool.submit(asyncio.run, scenario()).result()
    finally:
        writer.close()
        reader.close()
    assert [(c["depot_id"], c["kind"], c["block_id"], c["committed"]) for c in got] == [("X", "block", "B1", True)]
    assert other == []


def test_a_writer_hears_its_own_change_once(db_url: str) -> None:
    """On SQLite the writer publishes its own change after the commit; its poller skips the feed's copy."""
    app = App(db_url, Clock(NOW))
    depots.add_depot(app.uow(), Depot("X", "X", "UTC"), NOW)

    async def scenario() -> list[dict]:
        await asyncio.to_thread(app.listen_for_changes)
        mine = app.changes.subscribe("X")

        def write() -> None:
            with app.uow() as uow:
                changes.announce(uow, "X", None, "block", block_id="B2")
                uow.commit()

        await asyncio.to_thread(write)
        got = [await asyncio.wait_for(mine.get(), 5)]
        await asyncio.sleep(0.5)  # several polls
        while not mine.empty():
            got.append(mine.get_nowait())
        return got

    try:
        with ThreadPoolExecutor(1) as pool:
            got = pool.submit(asyncio.run, scenario()).result()
    finally:
        app.close()
    assert [c["block_id"] for c in got] == ["B2"]


def test_an_unknown_kind_is_refused(app: App) -> None:
    with app.uow() as uow, pytest.raises(ValueError, match="change kind 'weather'"):
        changes.announce(uow, "X", None, "weather")


def test_the_feed_position_moves_on_commit_only(db_url: str) -> None:
    """What the board cache is keyed on: any process's committed change, never a rolled-back one."""
    from depotdispatch.adapters.db.uow import feed_position

    writer, reader = App(db_url, Clock(NOW)), App(db_url, Clock(NOW))
    try:
        start = feed_position(reader.engine)
        depots.add_depot(writer.uow(), Depot("X", "X", "UTC"), NOW)
        with writer.uow() as uow:
            changes.announce(uow, "X", None, "block", block_id="B1")  # rolled back
        assert feed_position(reader.engine) == start
        depots.update_settings(writer.uow(), "X", NOW, "t", reserve_pct=25)
        assert feed_position(reader.engine) > start
    finally:
        writer.close()
        reader.close()
