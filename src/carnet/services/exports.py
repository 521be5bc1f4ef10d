"""Exports of registry data: a CSV of a region's residents, under the two-person rule.

An export takes personal data out of the registry, so one official proposes it
with a reason and a second, different official confirms it; only then is the file
written, to the export store (private files). Both officials and the records
exported are recorded in the transparency log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from carnet.domain.actions import ActionType, RecordRef, resident_ref
from carnet.domain.errors import NotFoundError, PermissionDeniedError, ValidationError
from carnet.domain.officials import Permission, Principal
from carnet.domain.proposals import Proposal, ProposalState
from carnet.services import two_person
from carnet.services.uow import ResidentQuery

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from typing import BinaryIO

    from carnet.domain.persons import Resident
    from carnet.services.ports import Clock
    from carnet.services.uow import UnitOfWork

__all__ = [
    "EXPORT_COLUMNS",
    "ExportStore",
    "export_action",
    "open_export",
    "propose_export",
]

EXPORT_COLUMNS = (
    "uin",
    "family_name_native",
    "given_name_native",
    "family_name_latin",
    "given_name_latin",
    "date_of_birth",
    "sex",
    "place_of_birth",
    "address",
    "region_code",
    "household_ref",
    "status",
)
_PAGE = 1000


class ExportStore(Protocol):
    """Where export files go (private files on disk by default)."""

    def write(self, export_id: str, header: tuple[str, ...], rows: Iterable[list[str]]) -> int:
        """Write the export atomically; return the number of rows.

        Raises:
            InfrastructureError: the file could not be written.
        """
        ...

    def open(self, export_id: str) -> BinaryIO:
        """Open a finished export for reading.

        Raises:
            NotFoundError: no such export file.
        """
        ...


def _check(uow: UnitOfWork, principal: Principal, params: Mapping[str, str]) -> dict[str, str]:
    region = two_person.require_param(params, "region_code")
    if uow.regions.get(region) is None:
        raise ValidationError("unknown region code", field="region_code")
    if not principal.covers(uow.regions.lineage(region)):
        raise ValidationError("this region is outside your scope", field="region_code")
    return {"region_code": region}


def _residents(uow: UnitOfWork, codes: frozenset[str]) -> Iterator[Resident]:
    after: str | None = None
    while True:
        page = uow.residents.search(
            ResidentQuery(scope_regions=codes, after_uin=after, limit=_PAGE)
        )
        yield from page
        if len(page) < _PAGE:
            return
        after = page[-1].uin


def _row(r: Resident) -> list[str]:
    return [
        r.uin,
        r.family_name_native,
        r.given_name_native,
        r.family_name_latin,
        r.given_name_latin,
        str(r.date_of_birth),
        r.sex.value,
        r.place_of_birth,
        r.address,
        r.region_code,
        r.household_ref or "",
        r.status.value,
    ]


def export_action(store: ExportStore) -> two_person.TwoPersonAction:
    """The two-person action that writes a region's residents to ``store``."""

    def execute(
        uow: UnitOfWork, proposal: Proposal, confirmer: Principal
    ) -> tuple[dict[str, str], list[RecordRef]]:
        del confirmer
        region = proposal.params["region_code"]
        codes = frozenset(uow.regions.covered_codes([region]))
        exported: list[RecordRef] = []

        def rows() -> Iterator[list[str]]:
            for resident in _residents(uow, codes):
                # Every exported record is named in the log: its resident sees the export.
                exported.append(resident_ref(resident))
                yield _row(resident)

        count = store.write(proposal.id, EXPORT_COLUMNS, rows())
        return {"rows": str(count)}, exported

    return two_person.TwoPersonAction(
        name="export.residents",
        permission=Permission.RESIDENT_EXPORT,
        action_type=ActionType.EXPORT,
        check=_check,
        execute=execute,
    )


def propose_export(
    uow: UnitOfWork,
    principal: Principal,
    store: ExportStore,
    *,
    region_code: str,
    reason: str,
    clock: Clock,
) -> Proposal:
    """Propose exporting the residents of ``region_code`` (and below)."""
    return two_person.propose(
        uow,
        principal,
        export_action(store),
        {"region_code": region_code},
        reason=reason,
        clock=clock,
    )


def open_export(
    uow: UnitOfWork, principal: Principal, store: ExportStore, proposal_id: str
) -> BinaryIO:
    """Open a confirmed export; only its proposer or confirmer may read it.

    Raises:
        NotFoundError: no such confirmed export.
        PermissionDeniedError: neither of the two officials.
    """
    principal.require(Permission.RESIDENT_EXPORT)
    with uow:
        proposal = uow.proposals.get(proposal_id)
    if proposal is None or proposal.state is not ProposalState.CONFIRMED:
        raise NotFoundError("no such confirmed export", field="proposal_id")
    if principal.official_id not in (proposal.proposed_by, proposal.decided_by):
        raise PermissionDeniedError("only the two officials of an export may download it")
    return store.open(proposal_id)
