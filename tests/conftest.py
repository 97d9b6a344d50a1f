"""Test fixtures: the same suite on SQLite and PostgreSQL, a fresh database for every test.

--db=sqlite|postgresql|all picks the backends. Each run makes its own databases (PostgreSQL on
127.0.0.1:5432 by default, DEPOTDISPATCH_TEST_PG_URL to change) and drops them afterwards.
Helpers the tests import live in tests/helpers.py, the databases in tests/databases.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from depotdispatch.adapters.clock import Clock
from depotdispatch.bootstrap import App
from depotdispatch.services import identity
from tests.databases import Templates
from tests.helpers import NOW

# Cheap password hashes in test runs only (production's default is argon2's RFC 9106 profile, ~0.2 s of
# CPU a hash here): the same code with another setting, read by every App and inherited by the servers
# the tests start; set here too for the tests that call services without an App.
os.environ.setdefault("DEPOTDISPATCH_ARGON2_PROFILE", "CHEAPEST")
identity.use_argon2_profile(os.environ["DEPOTDISPATCH_ARGON2_PROFILE"])


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", default="sqlite", choices=("sqlite", "postgresql", "all"),
                     help="database backend(s) to run the integration tests on")


def backends(config: pytest.Config) -> list[str]:
    choice = config.getoption("--db")
    return ["sqlite", "postgresql"] if choice == "all" else [choice]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", backends(metafunc.config), scope="session")


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    t = Templates(tmp_path_factory.mktemp("databases"))
    yield t
    t.drop_all()


@pytest.fixture
def db_url(templates: Templates, backend: str) -> Iterator[str]:
    with templates.fresh(backend) as url:
        yield url


@pytest.fixture
def app(db_url: str) -> Iterator[App]:
    a = App(database_url=db_url, clock=Clock(NOW))
    yield a
    a.close()
