"""Shared fixtures: clocks, fakes, and databases on both SQLite and PostgreSQL.

Storage tests take the ``database_url`` fixture, which runs each test once on
SQLite and once on PostgreSQL. The PostgreSQL tier needs a server (default
``postgresql://postgres@127.0.0.1:5432/postgres``; override with
``CARNET_TEST_POSTGRES_URL``). Without one it is skipped with a visible reason,
unless ``CARNET_REQUIRE_POSTGRES=1`` or ``CARNET_REQUIRE_ALL=1``, when it fails.
"""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from carnet.adapters.db.engine import build_engine
from carnet.adapters.db.migrate import upgrade
from carnet.adapters.db.tables import Base
from carnet.bootstrap import Container, bootstrap
from carnet.config import Settings
from tests.factories import load_reference_data
from tests.fakes import FakeClock, FakePasswordHasher, InMemoryUnitOfWork

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

PG_URL = os.environ.get("CARNET_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _required(*names: str) -> bool:
    return any(os.environ.get(n, "") not in ("", "0") for n in names)


def _pg_reachable() -> str | None:
    try:
        with psycopg.connect(PG_URL, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return type(exc).__name__


def pytest_report_header(config: pytest.Config) -> str:
    del config
    problem = _pg_reachable()
    if problem is None:
        return f"PostgreSQL tier: server reachable at {make_url(PG_URL).render_as_string()}"
    return f"PostgreSQL tier: NOT reachable ({problem}); PostgreSQL tests will be SKIPPED"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def memory_uow() -> InMemoryUnitOfWork:
    """An in-memory database holding the factory region tree and stations."""
    uow = InMemoryUnitOfWork()
    load_reference_data(uow.fresh)
    return uow


@pytest.fixture
def fake_hasher() -> FakePasswordHasher:
    return FakePasswordHasher()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test."""
    path = tmp_path_factory.mktemp("sqlite-template") / "carnet.db"
    engine = build_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url(worker_id: str) -> Iterator[str]:
    """A migrated PostgreSQL database for this test worker."""
    problem = _pg_reachable()
    if problem is not None:
        message = (
            f"PostgreSQL not reachable at {make_url(PG_URL).render_as_string()} ({problem}): "
            "start it (see README) or set CARNET_TEST_POSTGRES_URL"
        )
        if _required("CARNET_REQUIRE_POSTGRES", "CARNET_REQUIRE_ALL"):
            pytest.fail(message)
        pytest.skip(message)
    # Unique per process: parallel workers and concurrent test runs never share a database.
    name = f"carnet_test_{worker_id}_{os.getpid()}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    engine = build_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate(url: str) -> None:
    engine = build_engine(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A freshly migrated, empty database: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        target = tmp_path / "carnet.db"
        shutil.copy(sqlite_template, target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("postgres_url")
    _truncate(url)
    return url


@pytest.fixture
def test_settings(database_url: str) -> Settings:
    return Settings(environment="test", database_url=database_url, _env_file=None)


@pytest.fixture
def container(test_settings: Settings, clock: FakeClock) -> Iterator[Container]:
    """The composition root on a real database, with a fake clock."""
    box = bootstrap(test_settings, clock=clock)
    yield box
    box.close()


@pytest.fixture
def seeded(container: Container) -> Container:
    """The container with the factory region tree and stations stored."""
    load_reference_data(container.uow)
    return container
