"""The two-person rule, exercised through registry exports."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, BinaryIO

import pytest

from carnet.domain.errors import (
    IllegalTransitionError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from carnet.domain.officials import Role
from carnet.domain.proposals import ProposalState
from carnet.services import exports, registry, two_person
from tests.factories import (
    COUNTY_A,
    COUNTY_B,
    TOWN_A,
    TOWN_B,
    principal,
    resident_data,
    seeded_bytes,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from tests.fakes import FakeClock, InMemoryUnitOfWork

pytestmark = pytest.mark.unit


class MemoryExportStore:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def write(self, export_id: str, header: tuple[str, ...], rows: Iterable[list[str]]) -> int:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        count = 0
        for row in rows:
            writer.writerow(row)
            count += 1
        self.files[export_id] = out.getvalue().encode()
        return count

    def open(self, export_id: str) -> BinaryIO:
        if export_id not in self.files:
            raise NotFoundError("no such export")
        return io.BytesIO(self.files[export_id])


ALICE = principal(Role.REGISTRAR, national=True)
BOB = principal(Role.REGISTRAR, national=True)
CAROL_B = principal(Role.REGISTRAR, regions=(COUNTY_B,))
APPROVER = principal(Role.APPROVER, national=True)


@pytest.fixture
def populated(memory_uow: InMemoryUnitOfWork, clock: FakeClock) -> InMemoryUnitOfWork:
    rnd = seeded_bytes()
    for region in (TOWN_A, TOWN_A, TOWN_B):
        registry.enrol_resident(
            memory_uow.fresh(),
            ALICE,
            resident_data(region_code=region),
            clock=clock,
            random_bytes=rnd,
        )
    return memory_uow


def test_export_needs_a_second_official_and_writes_only_then(
    populated: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    store = MemoryExportStore()
    proposal = exports.propose_export(
        populated.fresh(),
        ALICE,
        store,
        region_code=COUNTY_A,
        reason="audit request 12",
        clock=clock,
    )
    assert proposal.state is ProposalState.PENDING
    assert store.files == {}
    with pytest.raises(PermissionDeniedError):
        two_person.decide(
            populated.fresh(),
            ALICE,
            exports.export_action(store),
            proposal.id,
            confirm=True,
            reason="me again",
            clock=clock,
        )
    decided = two_person.decide(
        populated.fresh(),
        BOB,
        exports.export_action(store),
        proposal.id,
        confirm=True,
        reason="checked the request",
        clock=clock,
    )
    assert decided.state is ProposalState.CONFIRMED
    assert decided.decided_by == BOB.official_id
    assert decided.params["rows"] == "2"
    rows = list(csv.reader(io.StringIO(store.files[proposal.id].decode())))
    assert rows[0][0] == "uin"
    assert {r[9] for r in rows[1:]} == {TOWN_A}
    with exports.open_export(populated.fresh(), ALICE, store, proposal.id) as handle:
        assert handle.read() == store.files[proposal.id]
    with pytest.raises(PermissionDeniedError):
        exports.open_export(
            populated.fresh(), principal(Role.REGISTRAR, national=True), store, proposal.id
        )


def test_rejected_or_decided_proposals_cannot_be_decided_again(
    populated: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    store = MemoryExportStore()
    action = exports.export_action(store)
    proposal = exports.propose_export(
        populated.fresh(), ALICE, store, region_code=COUNTY_A, reason="r", clock=clock
    )
    rejected = two_person.decide(
        populated.fresh(),
        BOB,
        action,
        proposal.id,
        confirm=False,
        reason="no legal basis",
        clock=clock,
    )
    assert rejected.state is ProposalState.REJECTED
    assert store.files == {}
    with pytest.raises(IllegalTransitionError):
        two_person.decide(
            populated.fresh(), BOB, action, proposal.id, confirm=True, reason="r", clock=clock
        )
    with pytest.raises(NotFoundError):
        exports.open_export(populated.fresh(), ALICE, store, proposal.id)


def test_expired_proposal_cannot_be_confirmed(
    populated: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    store = MemoryExportStore()
    proposal = exports.propose_export(
        populated.fresh(), ALICE, store, region_code=COUNTY_A, reason="r", clock=clock
    )
    clock.advance(days=3)
    with pytest.raises(IllegalTransitionError, match="expired"):
        two_person.decide(
            populated.fresh(),
            BOB,
            exports.export_action(store),
            proposal.id,
            confirm=True,
            reason="late",
            clock=clock,
        )


def test_scope_and_permission_apply_to_both_officials(
    populated: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    store = MemoryExportStore()
    with pytest.raises(ValidationError, match="scope"):
        exports.propose_export(
            populated.fresh(), CAROL_B, store, region_code=COUNTY_A, reason="r", clock=clock
        )
    with pytest.raises(PermissionDeniedError):
        exports.propose_export(
            populated.fresh(), APPROVER, store, region_code=COUNTY_A, reason="r", clock=clock
        )
    proposal = exports.propose_export(
        populated.fresh(), ALICE, store, region_code=COUNTY_A, reason="r", clock=clock
    )
    with pytest.raises(ValidationError, match="scope"):
        two_person.decide(
            populated.fresh(),
            CAROL_B,
            exports.export_action(store),
            proposal.id,
            confirm=True,
            reason="r",
            clock=clock,
        )
    with pytest.raises(ValidationError):
        exports.propose_export(
            populated.fresh(), ALICE, store, region_code="99999", reason="r", clock=clock
        )
