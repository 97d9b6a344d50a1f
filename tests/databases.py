"""The test databases: one migrated template per backend per run, a copy of it for every test
(PostgreSQL on 127.0.0.1:5432 by default, DEPOTDISPATCH_TEST_PG_URL to change), all dropped afterwards."""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from depotdispatch.adapters.db.migrate import upgrade

PG_ADMIN = os.environ.get("DEPOTDISPATCH_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
RUN = uuid.uuid4().hex[:8]
_counter = itertools.count()

if TYPE_CHECKING:
    import psycopg


def _pg_admin() -> psycopg.Connection[Any]:
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
