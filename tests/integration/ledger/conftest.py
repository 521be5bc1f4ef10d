"""A container with its own key directory, and a realistic workload to audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select

from carnet.adapters.db.audit import SqlAlchemyAuditSource
from carnet.adapters.db.tables import LedgerLeafRow
from carnet.bootstrap import bootstrap
from carnet.config import Settings
from carnet.domain.officials import Scope
from carnet.services import auth, ledger, registry
from carnet.services.audit import AuditReport, verify
from tests.factories import COUNTY_A, TOWN_A, create_official, load_reference_data, resident_data
from tests.fakes import FakePasswordHasher

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from carnet.bootstrap import Container
    from carnet.domain.officials import Principal
    from tests.fakes import FakeClock

PASSWORD = "correct horse battery"


@pytest.fixture
def box(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Container]:
    """The composition root on a fresh database, with keys under ``tmp_path``."""
    settings = Settings(
        environment="test",
        database_url=database_url,
        key_dir=str(tmp_path / "keys"),
        _env_file=None,
    )
    container = bootstrap(settings, clock=clock, hasher=FakePasswordHasher())
    yield container
    container.close()


def leaf_count(box: Container) -> int:
    with box.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(LedgerLeafRow)) or 0)


def audit(box: Container) -> AuditReport:
    with SqlAlchemyAuditSource.open(box.engine) as source:
        return verify(source)


def sign_in(box: Container, username: str, station: str | None = None) -> Principal:
    issued = auth.login(
        box.uow(),
        box.hasher,
        username=username,
        password=PASSWORD,
        totp_code=None,
        clock=box.clock,
        lifetime=timedelta(minutes=15),
        station=station,
    )
    return auth.authenticate(box.uow(), issued.token, clock=box.clock)


@dataclass
class Workload:
    """What :func:`run_workload` did: the registrar, the residents, the log size."""

    registrar: Principal
    uins: list[str]
    resident_ids: list[str]
    leaves: int


def run_workload(box: Container) -> Workload:
    """Every kind of action that exists today, through the use cases, then a checkpoint."""
    load_reference_data(box.uow)
    national = Scope(national=True)
    create_official(
        box.uow(), box.hasher, box.clock, username="admin.one", roles=("admin",), scope=national
    )
    create_official(
        box.uow(),
        box.hasher,
        box.clock,
        username="registrar.a",
        roles=("registrar",),
        scope=Scope(regions=frozenset({COUNTY_A})),
    )
    registrar = sign_in(box, "registrar.a", station="ST-A")
    residents = [
        registry.enrol_resident(
            box.uow(),
            registrar,
            resident_data(region_code=TOWN_A),
            clock=box.clock,
            random_bytes=box.random_bytes,
        )
        for _ in range(3)
    ]
    for version, updates in enumerate(({"address": "새주소 1"}, {"phone": "010-1111-2222"}), 1):
        registry.update_resident(
            box.uow(),
            registrar,
            residents[0].uin,
            updates,
            reason="moved house",
            expected_version=version,
            clock=box.clock,
        )
    registry.get_resident(box.uow(), registrar, residents[1].uin, reason="counter visit")
    registry.resident_history(box.uow(), registrar, residents[0].uin, reason="complaint")
    registry.search_residents(box.uow(), registrar, region_code=TOWN_A, reason="planning")
    admin = sign_in(box, "admin.one")
    with box.uow() as uow:
        target = uow.officials.get_by_username("registrar.a")
    assert target is not None
    auth.update_official(
        box.uow(), admin, target.id, roles=["registrar", "approver"], clock=box.clock
    )
    ledger.issue_checkpoint(
        box.uow(), box.key_store(), origin=box.settings.log_origin, clock=box.clock
    )
    return Workload(
        registrar=registrar,
        uins=[r.uin for r in residents],
        resident_ids=[r.id for r in residents],
        leaves=leaf_count(box),
    )
