"""Benchmark what identity costs: an argon2 hash and verify, and the per-request token and session lookups.

Run from the repository root:  .venv/bin/python bench/auth.py [--repeat 200] [--pg]

Makes its own database (a temporary SQLite file, or with --pg a PostgreSQL database on 127.0.0.1:5432
that it drops afterwards), one user, one token and one session; nothing of it is kept.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import machine_info  # noqa: E402

from depotdispatch.adapters.clock import Clock  # noqa: E402
from depotdispatch.adapters.db.migrate import upgrade  # noqa: E402
from depotdispatch.bootstrap import App  # noqa: E402
from depotdispatch.services import identity  # noqa: E402

PASSWORD = "correct horse battery staple"


def timed(label: str, fn: Callable[[], object], repeat: int) -> None:
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    print(f"{label:42} median {statistics.median(times):7.2f} ms   p90 {times[int(len(times) * 0.9) - 1]:7.2f} ms"
          f"   ({repeat} runs)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--pg", action="store_true")
    args = ap.parse_args()
    print(machine_info())
    pg_name = None
    if args.pg:
        import psycopg

        pg_name = f"dd_bench_auth_{uuid.uuid4().hex[:8]}"
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')
        url = f"postgresql://postgres@127.0.0.1:5432/{pg_name}"
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/auth.db"
    try:
        upgrade(url)
        app = App(database_url=url, clock=Clock())
        now = app.auth_clock.now()
        user = identity.add_user(app.uow(), "bench", "admin", None, PASSWORD, now)
        token = identity.issue_token(app.uow(), user.name, now).token
        session = identity.sign_in(app.uow(), user.name, PASSWORD, "127.0.0.1", now)
        print(f"database: {'PostgreSQL' if args.pg else 'SQLite'}")
        timed("argon2 hash (user add, passwd)", lambda: identity._hasher.hash(PASSWORD), max(10, args.repeat // 10))
        stored = identity._hasher.hash(PASSWORD)
        timed("argon2 verify (one sign-in)", lambda: identity._verify(stored, PASSWORD), max(10, args.repeat // 10))
        timed("bearer token -> principal (per request)", lambda: identity.principal_for_token(
            app.uow(), token, app.auth_clock.now()), args.repeat)
        timed("session cookie -> principal (per request)", lambda: identity.signed_in(
            app.uow(), session.session_id, app.auth_clock.now()), args.repeat)
        app.close()
    finally:
        if pg_name:
            import psycopg

            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
