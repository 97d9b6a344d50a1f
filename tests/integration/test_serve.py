"""`serve`: refuses unsafe set-ups, and the real uvicorn sends no banner and trusts only its proxies."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.helpers import run_cli

SECRET = "s" * 40


@pytest.mark.parametrize(("env", "args", "phrase"), [
    ({}, ("--host", "0.0.0.0"), "needs a session secret"),
    ({"DEPOTDISPATCH_SESSION_SECRET": SECRET}, ("--host", "0.0.0.0"), "DEPOTDISPATCH_ALLOWED_HOSTS"),
    ({"DEPOTDISPATCH_SESSION_SECRET": "short"}, ("--host", "10.0.0.5"), "too short"),
    ({"DEPOTDISPATCH_SESSION_SECRET_FILE": "/nonexistent/secret"}, ("--host", "10.0.0.5"), "cannot read"),
    ({}, ("--workers", "2"), "SQLite is one writer"),
])
def test_serve_refuses_unsafe_set_ups(db_url: str, monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
                                      args: tuple[str, ...], phrase: str) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    if "--workers" in args and not db_url.startswith("sqlite"):
        pytest.skip("several workers are fine on PostgreSQL")
    r = run_cli(db_url, "serve", *args)
    assert r.code == 1 and phrase in " ".join(r.stderr.split()), r.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(db_url: str, **env: str) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "depotdispatch", "--db", db_url, "serve", "--port", str(port)],
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail(f"the server did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_the_real_server_sends_no_banner_and_marks_cookies_secure_only_behind_a_trusted_proxy(
        db_url: str, tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n")
    with serving(db_url, DEPOTDISPATCH_SESSION_SECRET_FILE=str(secret_file)) as base:
        r = httpx.get(base + "/signin")
        assert r.status_code == 200 and "server" not in r.headers
        assert r.headers["x-frame-options"] == "DENY" and "script-src 'self'" in r.headers["content-security-policy"]
        assert "Secure" not in r.headers["set-cookie"] and "strict-transport-security" not in r.headers
        tls = httpx.get(base + "/signin", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"})
        assert "Secure" in tls.headers["set-cookie"] and tls.headers["strict-transport-security"]
        r = httpx.get(base + "/api/v1/depots/K/board")
        assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
        assert "server" not in r.headers
    with serving(db_url, DEPOTDISPATCH_TRUSTED_PROXIES="10.9.9.9") as base:
        forged = httpx.get(base + "/signin", headers={"X-Forwarded-Proto": "https"})
        assert "Secure" not in forged.headers["set-cookie"]  # a client is not a trusted proxy


def test_a_bad_setting_is_a_message_not_a_traceback(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPOTDISPATCH_SESSION_HOURS", "forever")
    r = run_cli(db_url, "user", "list")
    assert r.code == 1 and "DEPOTDISPATCH_SESSION_HOURS" in r.stderr and "Traceback" not in r.stderr
