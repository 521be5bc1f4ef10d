"""Outbox, residents' codes and tokens, and proposals on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import stat
from typing import TYPE_CHECKING

import pytest

from carnet.adapters.exports import FileExportStore
from carnet.adapters.notify.senders import FileSender
from carnet.domain.errors import StaleVersionError
from carnet.domain.messages import Channel
from carnet.domain.officials import Role, Scope
from carnet.domain.proposals import ProposalState
from carnet.services import exports, registry, residents_portal, two_person
from carnet.services.outbox import relay
from tests.factories import (
    COUNTY_A,
    TOWN_A,
    create_official,
    principal,
    principal_of,
    resident_data,
)

if TYPE_CHECKING:
    from pathlib import Path

    from carnet.bootstrap import Container
    from carnet.domain.officials import Principal

pytestmark = pytest.mark.integration


def registrar(box: Container, name: str) -> Principal:
    official = create_official(
        box.uow(),
        box.hasher,
        box.clock,
        username=name,
        roles=("registrar",),
        scope=Scope(national=True),
    )
    return principal_of(official)


def test_code_travels_through_the_outbox_to_a_file_and_signs_in(
    seeded: Container, tmp_path: Path
) -> None:
    resident = registry.enrol_resident(
        seeded.uow(),
        principal(Role.REGISTRAR, national=True),
        resident_data(phone="010-2222-3333"),
        clock=seeded.clock,
        random_bytes=seeded.random_bytes,
    )
    residents_portal.request_code(
        seeded.uow(), resident.uin, channel=Channel.SMS, clock=seeded.clock
    )
    outbox_file = tmp_path / "outbox.jsonl"
    report = relay(seeded.uow, FileSender(outbox_file), clock=seeded.clock)
    assert report.sent == 1
    assert stat.S_IMODE(outbox_file.stat().st_mode) == 0o600
    line = outbox_file.read_text(encoding="utf-8")
    assert "010-2222-3333" in line
    code = line.split("sign-in code is ")[1][:6]
    session = residents_portal.sign_in(seeded.uow(), resident.uin, code, clock=seeded.clock)
    assert (
        residents_portal.authenticate_resident(seeded.uow(), session.token, clock=seeded.clock)
        == resident.id
    )
    with seeded.uow() as uow:
        assert uow.outbox.due(seeded.clock.now(), 10) == []


def test_export_confirmed_by_a_second_official_writes_a_private_file(
    seeded: Container, tmp_path: Path
) -> None:
    alice, bob = registrar(seeded, "alice"), registrar(seeded, "bob")
    for _ in range(3):
        registry.enrol_resident(
            seeded.uow(),
            alice,
            resident_data(region_code=TOWN_A),
            clock=seeded.clock,
            random_bytes=seeded.random_bytes,
        )
    store = FileExportStore(tmp_path / "exports")
    proposal = exports.propose_export(
        seeded.uow(), alice, store, region_code=COUNTY_A, reason="court order 7", clock=seeded.clock
    )
    done = two_person.decide(
        seeded.uow(),
        bob,
        exports.export_action(store),
        proposal.id,
        confirm=True,
        reason="verified the order",
        clock=seeded.clock,
    )
    assert done.state is ProposalState.CONFIRMED
    path = tmp_path / "exports" / f"{proposal.id}.csv"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert len(rows) == 4
    with seeded.uow() as uow:
        stored = uow.proposals.get(proposal.id)
    assert stored is not None
    assert (stored.state, stored.decided_by, stored.params["rows"]) == (
        ProposalState.CONFIRMED,
        bob.official_id,
        "3",
    )


def test_a_proposal_is_decided_once_even_if_two_officials_race(
    seeded: Container, tmp_path: Path
) -> None:
    people = [registrar(seeded, n) for n in ("ann", "ben", "cat")]
    store = FileExportStore(tmp_path / "exports")
    proposal = exports.propose_export(
        seeded.uow(), people[0], store, region_code=COUNTY_A, reason="r", clock=seeded.clock
    )
    with seeded.uow() as stale:
        loaded = stale.proposals.get(proposal.id)
    assert loaded is not None
    two_person.decide(
        seeded.uow(),
        people[1],
        exports.export_action(store),
        proposal.id,
        confirm=False,
        reason="no",
        clock=seeded.clock,
    )
    late = loaded.decide(people[2].official_id, confirm=True, reason="yes", now=seeded.clock.now())
    with seeded.uow() as uow, pytest.raises(StaleVersionError):
        uow.proposals.save(late)
    with seeded.uow() as uow:
        final = uow.proposals.get(proposal.id)
    assert final is not None
    assert final.state is ProposalState.REJECTED
