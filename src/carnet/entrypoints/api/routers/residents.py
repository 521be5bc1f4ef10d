"""Resident endpoints: enrol, read, update, search and history.

Reads are official actions: each read, search and history request is logged in
the transparency log with the reason given in the ``reason`` query parameter.
Without one, the log records "no reason given" (a search: "search"), unless the
deployment sets ``CARNET_READ_REASON_REQUIRED=true``; then reading a record or
its history without a reason is refused (422, field ``reason``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from carnet.domain.errors import ValidationError
from carnet.domain.officials import Permission, Principal
from carnet.entrypoints.api.deps import ContainerDep, require
from carnet.entrypoints.api.schemas import (
    ResidentChangePublic,
    ResidentCreate,
    ResidentHistoryPublic,
    ResidentPublic,
    ResidentsPublic,
    ResidentUpdate,
)
from carnet.services import registry

__all__ = ["router"]

router = APIRouter(prefix="/residents", tags=["residents"])

Reason = Annotated[
    str | None,
    Query(
        max_length=500,
        description="Why you read this record; it is kept with the log entry of the read.",
    ),
]


def _read_reason(container: ContainerDep, reason: str | None) -> str | None:
    if (reason is None or not reason.strip()) and container.settings.read_reason_required:
        raise ValidationError("state why you read this record", field="reason")
    return reason


@router.post("", status_code=status.HTTP_201_CREATED)
def enrol_resident(
    body: ResidentCreate,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.RESIDENT_CREATE))],
) -> ResidentPublic:
    """Enrol a resident; a UIN is allocated unless one is given."""
    resident = registry.enrol_resident(
        container.uow(),
        principal,
        body.model_dump(),
        clock=container.clock,
        random_bytes=container.random_bytes,
    )
    return ResidentPublic.of(resident)


@router.get("")
def search_residents(
    *,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.RESIDENT_READ))],
    uin: Annotated[str | None, Query(max_length=14)] = None,
    family_name: Annotated[str | None, Query(max_length=200)] = None,
    given_name: Annotated[str | None, Query(max_length=200)] = None,
    date_of_birth: Annotated[str | None, Query(max_length=10)] = None,
    region_code: Annotated[str | None, Query(max_length=10)] = None,
    cursor: Annotated[str | None, Query(max_length=14)] = None,
    limit: Annotated[int, Query(ge=1, le=registry.MAX_PAGE_SIZE)] = 50,
    reason: Reason = None,
) -> ResidentsPublic:
    """Search residents in your scope by UIN, by name and date of birth, or by region."""
    page = registry.search_residents(
        container.uow(),
        principal,
        uin=uin,
        family_name=family_name,
        given_name=given_name,
        date_of_birth=date_of_birth,
        region_code=region_code,
        cursor=cursor,
        limit=limit,
        reason=reason,
        clock=container.clock,
    )
    return ResidentsPublic(
        data=[ResidentPublic.of(r) for r in page.items], next_cursor=page.next_cursor
    )


@router.get("/{uin}")
def get_resident(
    uin: str,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.RESIDENT_READ))],
    reason: Reason = None,
) -> ResidentPublic:
    """Read one resident; the read is logged with your reason."""
    resident = registry.get_resident(
        container.uow(),
        principal,
        uin,
        reason=_read_reason(container, reason),
        clock=container.clock,
    )
    return ResidentPublic.of(resident)


@router.patch("/{uin}")
def update_resident(
    uin: str,
    body: ResidentUpdate,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.RESIDENT_UPDATE))],
) -> ResidentPublic:
    """Change fields of a resident, with a reason; the old values go to the history."""
    updates = body.model_dump(exclude_unset=True, exclude={"reason", "version"})
    resident = registry.update_resident(
        container.uow(),
        principal,
        uin,
        updates,
        catalogue=container.catalogue(),
        reason=body.reason,
        expected_version=body.version,
        clock=container.clock,
    )
    return ResidentPublic.of(resident)


@router.get("/{uin}/history")
def resident_history(
    uin: str,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.RESIDENT_HISTORY))],
    reason: Reason = None,
) -> ResidentHistoryPublic:
    """Every change to a resident: old and new values, who, when and why (the read is logged)."""
    changes = registry.resident_history(
        container.uow(),
        principal,
        uin,
        reason=_read_reason(container, reason),
        clock=container.clock,
    )
    return ResidentHistoryPublic(uin=uin, data=[ResidentChangePublic.of(c) for c in changes])
