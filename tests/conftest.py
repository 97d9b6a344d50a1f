"""Test fixtures: the same suite on SQLite and PostgreSQL, a fresh database for every test.

--db=sqlite|postgresql|all picks the backends. Each run makes its own databases (PostgreSQL on
127.0.0.1:5432 by default, DEPOTDISPATCH_TEST_PG_URL to change) and drops them afterwards.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from depotdispatch.adapters.clock import Clock
from depotdispatch.adapters.db.migrate import upgrade
from depotdispatch.bootstrap import App

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
PG_ADMIN = os.environ.get("DEPOTDISPATCH_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
RUN = uuid.uuid4().hex[:8]
_counter = itertools.count()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", default="sqlite", choices=("sqlite", "postgresql", "all"),
                     help="database backend(s) to run the integration tests on")


def backends(config: pytest.Config) -> list[str]:
    choice = config.getoption("--db")
    return ["sqlite", "postgresql"] if choice == "all" else [choice]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", backends(metafunc.config), scope="session")


def _pg_admin():  # type: ignore[no-untyped-def]
    import psycopg

    from depotdispatch.adapters.db.engine import normalise_url

    url = normalise_url(PG_ADMIN).replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(url, autocommit=True)


def _pg_url(name: str) -> str:
    base, _, _ = PG_ADMIN.rpartition("/")
    return f"{base}/{name}"


class Templates:
    """One migrated database per backend per run; tests get copies of it."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.made: dict[str, str] = {}

    def template(self, backend: str) -> str:
        if backend not in self.made:
            if backend == "sqlite":
                path = self.tmp / "template.db"
                upgrade(f"sqlite:///{path}")
                self.made[backend] = str(path)
            else:
                name = f"dd_{RUN}_template"
                with _pg_admin() as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')
                upgrade(_pg_url(name))
                self.made[backend] = name
        return self.made[backend]

    @contextlib.contextmanager
    def fresh(self, backend: str) -> Iterator[str]:
        template = self.template(backend)
        n = next(_counter)
        if backend == "sqlite":
            path = self.tmp / f"db{n}.db"
            shutil.copyfile(template, path)
            yield f"sqlite:///{path}"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            return
        name = f"dd_{RUN}_{n}"
        with _pg_admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        try:
            yield _pg_url(name)
        finally:
            with _pg_admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop_all(self) -> None:
        if "postgresql" in self.made:
            with _pg_admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.made["postgresql"]}" WITH (FORCE)')


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    t = Templates(tmp_path_factory.mktemp("databases"))
    yield t
    t.drop_all()


@pytest.fixture
def db_url(templates: Templates, backend: str) -> Iterator[str]:
    with templates.fresh(backend) as url:
        yield url


NOW = datetime.fromisoformat("2016-04-13T09:00:00-07:00")


@pytest.fixture
def app(db_url: str) -> Iterator[App]:
    a = App(database_url=db_url, clock=Clock(NOW))
    yield a
    a.close()


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self):  # type: ignore[no-untyped-def]
        import json

        return json.loads(self.stdout)


def run_cli(db_url: str, *args: str, now: str | None = None, stdin: str = "") -> Result:
    """Run the real CLI entry point in-process, capturing what it prints (`stdin`: what it reads)."""
    from depotdispatch import cli

    argv = ["depotdispatch", "--db", db_url, *(["--now", now] if now else []), *args]
    out, err = io.StringIO(), io.StringIO()
    old, old_in = sys.argv, sys.stdin
    sys.argv, sys.stdin = argv, io.StringIO(stdin)
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv, sys.stdin = old, old_in
    return Result(code, out.getvalue(), err.getvalue())


def shared(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"shared test data missing: {path} (CI keeps ../shared beside the repo)")
    return path
