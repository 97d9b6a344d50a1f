"""Browser tests: Debian's Chromium (never `playwright install`) against a live uvicorn server on a
random loopback port, one per test, on each database backend. Screenshots at 1440x900 go to
`screenshots/<backend>/` (git-ignored) so that a person can look at every page."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from depotdispatch.adapters.clock import Clock
from depotdispatch.bootstrap import App
from tests.auth_helpers import make_user, token_for
from tests.browser import world
from tests.browser.helpers import ADMIN, CHROMIUM, PASSWORD, USER, Server, start_server


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: apt-get install chromium (.ci/run does)")
        for item in items:
            if "tests/browser" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):  # type: ignore[no-untyped-def]
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):  # type: ignore[no-untyped-def]
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}, "locale": "en-US",
            "timezone_id": "America/New_York"}


@pytest.fixture
def server(db_url: str, backend: str, tmp_path: Path) -> Iterator[Server]:
    app = App(database_url=db_url, clock=Clock(world.NOW))
    world.seed(app, tmp_path)
    make_user(app, "dispatcher", [world.DEPOT], name=USER, password=PASSWORD)
    make_user(app, "admin", None, name=ADMIN, password=PASSWORD)
    token, other = token_for(app, "admin"), token_for(app, "dispatcher", [world.DEPOT], name="sam")
    url, proc = start_server(db_url, world.NOW.isoformat())
    try:
        yield Server(url, app, backend, proc, token, other)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        app.close()
