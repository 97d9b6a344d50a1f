"""Retake the README's two screenshots (docs/board.png, docs/timeline.png) on the demo depot at a fixed
moment, in Debian's Chromium at 1440x900.

Run from the repository root:  .venv/bin/python scripts/readme_shots.py [--now 2026-11-25T09:30:00-08:00]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

from depotdispatch.adapters.clock import Clock
from depotdispatch.adapters.db.migrate import upgrade
from depotdispatch.adapters.gtfs import read_gtfs
from depotdispatch.bootstrap import App
from depotdispatch.domain.servicetime import parse_instant, to_local, zone
from depotdispatch.services import demo, identity

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery staple"


def serve(db_url: str, now: str) -> tuple[str, subprocess.Popen[bytes]]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    env = {**os.environ, "DEPOTDISPATCH_DATABASE_URL": db_url, "DEPOTDISPATCH_NOW": now}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "depotdispatch.asgi:create_app", "--factory", "--fd",
                             str(sock.fileno()), "--log-level", "warning"], env=env, pass_fds=(sock.fileno(),))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()
    for _ in range(300):
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return url, proc
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--now", default="2026-11-25T09:30:00-08:00")
    ap.add_argument("--out", type=Path, default=ROOT / "docs")
    args = ap.parse_args()
    now = parse_instant(args.now)
    db_url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'shots.db'}"
    upgrade(db_url)
    app = App(database_url=db_url, clock=Clock(now))
    with resources.as_file(resources.files("depotdispatch") / "demo_data" / "kcm_subset_2016.zip") as feed:
        demo.seed(app.uow, read_gtfs(feed), now, to_local(now, zone(demo.DEMO_DEPOT.timezone)).date())
    identity.add_user(app.uow(), "dana", "dispatcher", [demo.DEMO_DEPOT.depot_id], PASSWORD, app.auth_clock.now())
    url, proc = serve(db_url, args.now)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="en-US")
            page.goto(url + "/signin")
            page.get_by_label("Name").fill("dana")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_selector(".board-row")
            page.screenshot(path=str(args.out / "board.png"))
            page.goto(url + f"/depots/{demo.DEMO_DEPOT.depot_id}/timeline")
            page.wait_for_selector(".vis-item.bar")
            page.wait_for_timeout(300)
            page.screenshot(path=str(args.out / "timeline.png"))
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
        app.close()
    print(f"wrote {args.out / 'board.png'} and {args.out / 'timeline.png'} (demo depot at {args.now})")


if __name__ == "__main__":
    main()
