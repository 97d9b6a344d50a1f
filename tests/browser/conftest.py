"""Browser tests: Debian's Chromium (never `playwright install`) against a live uvicorn server on a
random loopback port, one per test, on each database backend. Screenshots at 1440x900 go to
`screenshots/<backend>/` (git-ignored) so that a person can look at every page."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from depotdispatch.adapters.clock import Clock
from depotdispatch.bootstrap import App
from tests.auth_helpers import make_user, token_for
from tests.browser import world

CHROMIUM = os.environ.get("DEPOTDISPATCH_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "screenshots"
USER, PASSWORD = "dana", "correct horse battery staple"
ADMIN = "ada"


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


@dataclass
class Server:
    url: str
    app: App  # the same database, for arranging and checking through the services
    backend: str
    process: subprocess.Popen[bytes]
    token: str  # an admin's, for the API
    other_token: str  # dispatcher "sam", the colleague who changes the plan meanwhile

    def api(self, path: str) -> httpx.Response:
        return httpx.get(self.url + "/api/v1" + path, timeout=10, headers={"Authorization": f"Bearer {self.token}"})

    def put(self, path: str, body: dict[str, object]) -> httpx.Response:
        return httpx.put(self.url + "/api/v1" + path, json=body, timeout=10,
                         headers={"Authorization": f"Bearer {self.other_token}"})


def _start(db_url: str, now: str, env_extra: dict[str, str] | None = None) -> tuple[str, subprocess.Popen[bytes]]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # the port is ours until uvicorn takes over the socket: no race
    sock.listen(64)
    port = sock.getsockname()[1]
    env = {**os.environ, "DEPOTDISPATCH_DATABASE_URL": db_url, "DEPOTDISPATCH_NOW": now, **(env_extra or {})}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "depotdispatch.asgi:create_app", "--factory",
                             "--fd", str(sock.fileno()), "--log-level", "warning", "--no-access-log"],
                            env=env, pass_fds=(sock.fileno(),))
    sock.close()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return url, proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start in 30 s")


@pytest.fixture
def server(db_url: str, backend: str, tmp_path: Path) -> Iterator[Server]:
    app = App(database_url=db_url, clock=Clock(world.NOW))
    world.seed(app, tmp_path)
    make_user(app, "dispatcher", [world.DEPOT], name=USER, password=PASSWORD)
    make_user(app, "admin", None, name=ADMIN, password=PASSWORD)
    token, other = token_for(app, "admin"), token_for(app, "dispatcher", [world.DEPOT], name="sam")
    url, proc = _start(db_url, world.NOW.isoformat())
    try:
        yield Server(url, app, backend, proc, token, other)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        app.close()


def sign_in(page, server: Server, name: str = USER, password: str = PASSWORD, path: str = "/") -> None:  # type: ignore[no-untyped-def]
    page.goto(server.url + path)
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


def shot(page, server: Server, name: str) -> Path:  # type: ignore[no-untyped-def]
    folder = SHOTS / server.backend
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def axe_serious(page) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    """axe-core (vendored, loaded from our own origin so the strict CSP holds): serious or critical."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url="/static/vendor/axe.min.js")
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                           ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3)"
                           ".map(n => n.target.join(' '))}))")
    return [v for v in result if v["impact"] in ("serious", "critical")]
