"""What the browser tests share that is not a fixture: the live server's handle and how to start one,
signing in, screenshots and the axe check (fixtures and hooks stay in conftest.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from depotdispatch.bootstrap import App

CHROMIUM = os.environ.get("DEPOTDISPATCH_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "screenshots"
USER, PASSWORD = "dana", "correct horse battery staple"
ADMIN = "ada"


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


def start_server(db_url: str, now: str, env_extra: dict[str, str] | None = None) -> tuple[str, subprocess.Popen[bytes]]:
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
