"""Resident registry use cases: enrol, read, update, search, history.

Every use case takes the caller's :class:`Principal`, checks the permission and
then the scope against the resident's region. A resident outside the caller's
scope is reported as not found, so a scoped official cannot probe for records.

Every use case, reads included, appends one leaf to the transparency log in its
own transaction: a read of one record, a page of search results or a history is
an action with a reason (:data:`~carnet.domain.actions.DEFAULT_READ_REASON` when
the caller gives none).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from carnet.domain.actions import (
    DEFAULT_READ_REASON,
    DEFAULT_SEARCH_REASON,
    Action,
    ActionType,
    change_ref,
    resident_ref,
)
from carnet.domain.dates import PartialDate
from carnet.domain.errors import ConflictError, NotFoundError, StaleVersionError, ValidationError
from carnet.domain.identifiers import generate_uin, validate_uin
from carnet.domain.officials import Permission, Principal
from carnet.domain.persons import Resident, ResidentChange, ResidentDraft, apply_changes
from carnet.domain.regions import RegionLevel
from carnet.domain.text import search_key
from carnet.services.catalogue import default_catalogue
from carnet.services.documents import cascade_resident_change
from carnet.services.uow import ResidentQuery

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime

    from carnet.domain.doctypes import Catalogue
    from carnet.services.ports import Clock
    from carnet.services.uow import UnitOfWork

__all__ = [
    "MAX_PAGE_SIZE",
    "ResidentPage",
    "allocate_uin",
    "enrol_resident",
    "get_resident",
    "resident_history",
    "scope_region_codes",
    "search_residents",
    "update_resident",
]

MAX_PAGE_SIZE = 200
_UIN_ATTEMPTS = 16


def allocate_uin(uow: UnitOfWork, random_bytes: Callable[[int], bytes]) -> str:
    """Draw UINs until one is not yet allocated (the unique index is the final guard).

    Raises:
        ConflictError: no free UIN after many draws (the number space is exhausted).
    """
    for _ in range(_UIN_ATTEMPTS):
        uin = generate_uin(random_bytes)
        if not uow.residents.uins_taken([uin]):
            return uin
    raise ConflictError("could not allocate a free UIN")


def scope_region_codes(uow: UnitOfWork, principal: Principal) -> frozenset[str] | None:
    """Return every region code the principal covers, or ``None`` for national scope."""
    if principal.scope.national:
        return None
    roots = principal.scope.regions | principal.station_regions
    return frozenset(uow.regions.covered_codes(sorted(roots)))


def _check_home_region(uow: UnitOfWork, principal: Principal, code: str) -> None:
    """A resident lives in a town or village inside the official's scope.

    Raises:
        ValidationError: unknown region, a province or county, or out of scope.
    """
    region = uow.regions.get(code)
    if region is None:
        raise ValidationError("unknown region code", field="region_code")
    if region.level not in (RegionLevel.TOWN, RegionLevel.VILLAGE):
        raise ValidationError("a resident lives in a town or village", field="region_code")
    if not principal.covers(region.child_path()):
        raise ValidationError("this region is outside your scope", field="region_code")


def _require_in_scope(uow: UnitOfWork, principal: Principal, region_code: str) -> None:
    if not principal.covers(uow.regions.lineage(region_code)):
        raise NotFoundError("no resident with this UIN in your scope", field="uin")


def _now(clock: Clock | None) -> datetime | None:
    """The action's time, or ``None`` to let the log stamp it."""
    return None if clock is None else clock.now()


def _load(uow: UnitOfWork, principal: Principal, uin: str) -> Resident:
    resident = uow.residents.get_by_uin(validate_uin(uin))
    if resident is None:
        raise NotFoundError("no resident with this UIN in your scope", field="uin")
    _require_in_scope(uow, principal, resident.region_code)
    return resident


def enrol_resident(
    uow: UnitOfWork,
    principal: Principal,
    data: Mapping[str, Any],
    *,
    clock: Clock,
    random_bytes: Callable[[int], bytes],
) -> Resident:
    """Validate and store a new resident with a fresh (or given) UIN.

    Raises:
        PermissionDeniedError: the caller may not enrol, or not in that region.
        ValidationError: a malformed field or an unknown region.
        ConflictError: the given UIN or external reference is taken.
    """
    principal.require(Permission.RESIDENT_CREATE)
    now = clock.now()
    draft = ResidentDraft.build(data, today=now.date())
    external_ref = data.get("external_ref") or None
    given_uin = data.get("uin") or None
    with uow:
        _check_home_region(uow, principal, draft.region_code)
        if given_uin is not None:
            uin = validate_uin(str(given_uin))
            if uow.residents.uins_taken([uin]):
                raise ConflictError("this UIN is already allocated", field="uin")
        else:
            uin = allocate_uin(uow, random_bytes)
        resident = Resident(
            **{name: getattr(draft, name) for name in ResidentDraft.__dataclass_fields__},
            id=str(uuid.uuid4()),
            uin=uin,
            external_ref=str(external_ref) if external_ref else None,
            created_at=now,
            updated_at=now,
        )
        uow.residents.add(resident, principal.official_id)
        uow.ledger.append(
            Action.by(principal, ActionType.ENROLMENT, [resident_ref(resident)], at=now)
        )
        uow.commit()
    return resident


def get_resident(
    uow: UnitOfWork,
    principal: Principal,
    uin: str,
    *,
    reason: str | None = None,
    clock: Clock | None = None,
) -> Resident:
    """Return the resident holding ``uin``; the read is logged with its reason.

    Raises:
        UinInvalidError: a malformed UIN.
        NotFoundError: no such resident in the caller's scope.
        PermissionDeniedError: the caller may not read residents.
        ValidationError: a reason longer than 500 characters.
    """
    principal.require(Permission.RESIDENT_READ)
    with uow:
        resident = _load(uow, principal, uin)
        uow.ledger.append(
            Action.by(
                principal,
                ActionType.READ,
                [resident_ref(resident)],
                reason=reason or DEFAULT_READ_REASON,
                at=_now(clock),
            )
        )
        uow.commit()
    return resident


def update_resident(
    uow: UnitOfWork,
    principal: Principal,
    uin: str,
    updates: Mapping[str, Any],
    *,
    reason: str,
    expected_version: int | None,
    clock: Clock,
    catalogue: Catalogue | None = None,
) -> Resident:
    """Change a resident's fields, keeping the old values in the history.

    A change can end documents, in the same transaction and log leaf: death,
    emigration or a merge revoke every live document and close open
    applications; a move out of a residence zone revokes the residence
    certificates for it (``catalogue``: the document types in force, default
    the built-in catalogue).

    Raises:
        StaleVersionError: ``expected_version`` is not the current version.
        IllegalTransitionError: a forbidden status change.
        ValidationError: malformed input, no reason, or a region out of scope.
    """
    principal.require(Permission.RESIDENT_UPDATE)
    now = clock.now()
    with uow:
        resident = _load(uow, principal, uin)
        if expected_version is not None and expected_version != resident.version:
            raise StaleVersionError("the record changed since you read it", field="version")
        updated, change = apply_changes(
            resident,
            updates,
            reason=reason,
            official_id=principal.official_id,
            now=now,
            today=now.date(),
        )
        if updated.region_code != resident.region_code:
            _check_home_region(uow, principal, updated.region_code)
        uow.residents.update(updated, change)
        consequences = cascade_resident_change(
            uow, catalogue or default_catalogue(), resident, updated, now
        )
        uow.ledger.append(
            Action.by(
                principal,
                ActionType.CHANGE,
                [resident_ref(updated), change_ref(change), *consequences],
                reason=change.reason,
                at=now,
            )
        )
        uow.commit()
    return updated


def resident_history(
    uow: UnitOfWork,
    principal: Principal,
    uin: str,
    *,
    reason: str | None = None,
    clock: Clock | None = None,
) -> list[ResidentChange]:
    """Return every change to a resident, oldest first; the read is logged.

    Raises:
        NotFoundError: no such resident in the caller's scope.
        ValidationError: a reason longer than 500 characters.
    """
    principal.require(Permission.RESIDENT_HISTORY)
    with uow:
        resident = uow.residents.get_by_uin(validate_uin(uin))
        if resident is None:
            raise NotFoundError("no resident with this UIN in your scope", field="uin")
        _require_in_scope(uow, principal, resident.region_code)
        changes = uow.residents.history(resident.id)
        uow.ledger.append(
            Action.by(
                principal,
                ActionType.HISTORY,
                [resident_ref(resident)],
                reason=reason or DEFAULT_READ_REASON,
                at=_now(clock),
            )
        )
        uow.commit()
    return changes


class ResidentPage:
    """One page of search results and the cursor for the next."""

    __slots__ = ("items", "next_cursor")

    def __init__(self, items: list[Resident], next_cursor: str | None) -> None:
        self.items = items
        self.next_cursor = next_cursor


def search_residents(
    uow: UnitOfWork,
    principal: Principal,
    *,
    family_name: str | None = None,
    given_name: str | None = None,
    date_of_birth: str | None = None,
    region_code: str | None = None,
    uin: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    reason: str | None = None,
    clock: Clock | None = None,
) -> ResidentPage:
    """Search residents in the caller's scope, by UIN, by name and birth date, or by region.

    Names are matched on accent- and case-free keys against both the native and
    the Latin names. ``date_of_birth`` may be partial (``1980`` or ``1980-04``).
    The search is logged as one action touching every resident on the page.

    Raises:
        ValidationError: no criterion, a bad date, a bad limit or a bad cursor.
        UinInvalidError: a malformed UIN.
    """
    principal.require(Permission.RESIDENT_READ)
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationError(f"limit is between 1 and {MAX_PAGE_SIZE}", field="limit")
    if not any((family_name, given_name, date_of_birth, region_code, uin)):
        raise ValidationError("give a UIN, a name, a date of birth or a region")
    after = validate_uin(cursor) if cursor else None
    with uow:
        if uin is not None:
            found = _try_load(uow, principal, uin)
            page = ResidentPage([found] if found else [], None)
        else:
            birth = PartialDate.parse(date_of_birth) if date_of_birth else None
            query = ResidentQuery(
                family_name=search_key(family_name) if family_name else None,
                given_name=search_key(given_name) if given_name else None,
                birth_year=birth.year if birth else None,
                birth_month=birth.month if birth else None,
                birth_day=birth.day if birth else None,
                region_code=region_code,
                scope_regions=scope_region_codes(uow, principal),
                after_uin=after,
                limit=limit + 1,
            )
            rows = uow.residents.search(query)
            items = rows[:limit]
            page = ResidentPage(items, items[-1].uin if len(rows) > limit else None)
        uow.ledger.append(
            Action.by(
                principal,
                ActionType.SEARCH,
                [resident_ref(r) for r in page.items],
                reason=reason or DEFAULT_SEARCH_REASON,
                at=_now(clock),
            )
        )
        uow.commit()
    return page


def _try_load(uow: UnitOfWork, principal: Principal, uin: str) -> Resident | None:
    try:
        return _load(uow, principal, uin)
    except NotFoundError:
        return None
