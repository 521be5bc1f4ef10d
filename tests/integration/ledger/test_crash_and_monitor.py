"""Crashes leave no action without its leaf; monitors catch forks and rollbacks.

Both on SQLite and PostgreSQL. The crash tests kill real processes with SIGKILL in
the middle of an import and of a loop of registry writes; the monitor tests build
a second database that shares a prefix of the log with the first.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import make_url

from carnet.adapters.db.engine import build_engine
from carnet.adapters.db.migrate import upgrade
from carnet.adapters.db.tables import (
    LedgerCheckpointRow,
    LedgerHeadRow,
    LedgerKeyRow,
    LedgerLeafRow,
    LedgerNodeRow,
    LedgerSubjectRow,
    ResidentRow,
)
from carnet.adapters.db.uow import SqlAlchemyUnitOfWork
from carnet.domain.actions import Action, ActionType
from carnet.domain.errors import ForkError, RollbackError
from carnet.services import ledger
from carnet.services.audit import UowLogSource, monitor_step
from tests.conftest import PG_URL
from tests.factories import load_reference_data
from tests.integration.db.test_import_storage import csv_bytes, good_rows
from tests.integration.ledger.conftest import audit, leaf_count, run_workload

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from sqlalchemy import Engine

    from carnet.bootstrap import Container

pytestmark = [pytest.mark.integration, pytest.mark.slow]

_LEDGER_TABLES = (
    LedgerHeadRow,
    LedgerLeafRow,
    LedgerSubjectRow,
    LedgerNodeRow,
    LedgerCheckpointRow,
    LedgerKeyRow,
)


def _env(box: Container) -> dict[str, str]:
    return {
        **os.environ,
        "CARNET_DATABASE_URL": box.settings.database_url,
        "CARNET_ENVIRONMENT": "test",
        "CARNET_KEY_DIR": box.settings.key_dir,
    }


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process we started and its children (its own process group)."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _wait_for(
    condition: Callable[[], bool], proc: subprocess.Popen[bytes], seconds: float = 120
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        if condition():
            return
        time.sleep(0.05)


def _residents(box: Container) -> int:
    with box.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(ResidentRow)) or 0)


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "carnet.entrypoints.cli.main", *args]


def test_an_import_killed_midway_leaves_no_row_without_its_leaf(
    box: Container, tmp_path: Path
) -> None:
    load_reference_data(box.uow)
    total, batch = 6_000, 300
    source = tmp_path / "residents.csv"
    source.write_bytes(csv_bytes(good_rows(total, prefix="K")))
    cmd = _cli("import", "residents", str(source), "--batch-size", str(batch))
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        cmd,
        env=_env(box),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    _wait_for(lambda: _residents(box) >= 3 * batch, proc)
    _kill_group(proc)
    partial = _residents(box)
    assert 0 < partial < total, "the import should have been killed midway"
    report = audit(box)
    assert report.ok, report.findings  # every stored row is committed by its batch's leaf
    done = subprocess.run(cmd, env=_env(box), capture_output=True, text=True, check=False)  # noqa: S603
    assert done.returncode == 0, done.stderr
    assert _residents(box) == total
    verified = subprocess.run(  # noqa: S603
        _cli("audit", "verify"), env=_env(box), capture_output=True, text=True, check=False
    )
    assert verified.returncode == 0, verified.stdout
    assert "findings 0" in verified.stdout
    assert leaf_count(box) == 9 + total // batch  # reference data, then one leaf per batch


_WRITER = """
import sys
from carnet.bootstrap import bootstrap
from carnet.config import Settings
from carnet.domain.officials import Role
from carnet.services import registry
from tests.factories import TOWN_A, principal, resident_data

box = bootstrap(Settings())
who = principal(Role.REGISTRAR, national=True)
while True:
    r = registry.enrol_resident(box.uow(), who, resident_data(region_code=TOWN_A),
                                clock=box.clock, random_bytes=box.random_bytes)
    registry.update_resident(box.uow(), who, r.uin, {"address": "moved"}, reason="move",
                             expected_version=1, clock=box.clock)
    registry.get_resident(box.uow(), who, r.uin, reason="check")
    print(r.id, flush=True)
"""


def test_a_loop_of_writes_killed_midway_leaves_a_log_that_audits_clean(box: Container) -> None:
    load_reference_data(box.uow)
    root = str(Path(__file__).resolve().parents[3])
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", _WRITER],
        env={**_env(box), "PYTHONPATH": root},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    _wait_for(lambda: _residents(box) >= 15, proc)
    _kill_group(proc)
    assert _residents(box) >= 15
    report = audit(box)
    assert report.ok, report.findings
    # Each loop is three actions; a kill may fall between them, never inside one.
    assert leaf_count(box) - 9 in {3 * _residents(box) - k for k in (0, 1, 2)}


# --------------------------------------------------------------------------- monitor


@pytest.fixture
def other_database(database_url: str, tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    """A second, empty, migrated database on the same backend."""
    if database_url.startswith("sqlite"):
        target = tmp_path / "other.db"
        shutil.copy(sqlite_template, target)
        engine = build_engine(f"sqlite:///{target}")
        yield engine
        engine.dispose()
        return
    name = f"{make_url(database_url).database}_fork"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    engine = build_engine(make_url(database_url).set(database=name).render_as_string(False))
    upgrade(engine)
    yield engine
    engine.dispose()
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _copy_log(source: Engine, target: Engine) -> None:
    """Copy the log (not the registry) from one database to another."""
    with source.connect() as src, target.begin() as dst:
        for table in _LEDGER_TABLES:
            # Checkpoint ids are left to the target's own sequence.
            columns = [
                c
                for c in table.__table__.columns
                if table is not LedgerCheckpointRow or c.name != "id"
            ]
            rows = [dict(r._mapping) for r in src.execute(select(*columns))]
            dst.execute(delete(table))
            if rows:
                dst.execute(insert(table), rows)


def _append_and_sign(box: Container, engine: Engine, reasons: list[str]) -> int:
    def uow_factory() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(engine, box.clock)

    with uow_factory() as uow:
        uow.ledger.append_many(
            [Action(type=ActionType.READ, official_id=None, reason=r) for r in reasons]
        )
        uow.commit()
    signed = ledger.issue_checkpoint(
        uow_factory(), box.key_store(), origin=box.settings.log_origin, clock=box.clock
    )
    return signed.size


def test_the_monitor_follows_a_growing_log(box: Container) -> None:
    run_workload(box)
    source = UowLogSource(box.uow)
    state = monitor_step(source, None)
    assert state.size == leaf_count(box)
    size = _append_and_sign(box, box.engine, ["a", "b", "c"])
    state = monitor_step(source, state)
    assert state.size == size
    assert monitor_step(source, state) == state  # nothing new: accepted again


def test_the_monitor_detects_a_fork_of_the_same_size(
    box: Container, other_database: Engine
) -> None:
    run_workload(box)
    _copy_log(box.engine, other_database)  # both databases share the prefix
    _append_and_sign(box, box.engine, ["honest one", "honest two"])
    _append_and_sign(box, other_database, ["forged one", "forged two"])
    state = monitor_step(UowLogSource(box.uow), None)
    with pytest.raises(ForkError):
        monitor_step(UowLogSource(lambda: SqlAlchemyUnitOfWork(other_database, box.clock)), state)


def test_the_monitor_detects_a_fork_that_grew_further(
    box: Container, other_database: Engine
) -> None:
    run_workload(box)
    _copy_log(box.engine, other_database)
    _append_and_sign(box, box.engine, ["honest"])
    _append_and_sign(box, other_database, ["forged", "and", "more"])
    state = monitor_step(UowLogSource(box.uow), None)
    with pytest.raises(ForkError):
        monitor_step(UowLogSource(lambda: SqlAlchemyUnitOfWork(other_database, box.clock)), state)


def test_the_monitor_detects_a_rollback(box: Container, other_database: Engine) -> None:
    run_workload(box)
    _copy_log(box.engine, other_database)  # a snapshot of the log as it is now
    _append_and_sign(box, box.engine, ["later", "actions"])
    state = monitor_step(UowLogSource(box.uow), None)
    with pytest.raises(RollbackError):
        monitor_step(UowLogSource(lambda: SqlAlchemyUnitOfWork(other_database, box.clock)), state)
