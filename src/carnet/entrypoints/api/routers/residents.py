"""Resident endpoints: enrol, read, update, search and history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

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
    )
    return ResidentsPublic(
        data=[ResidentPublic.of(r) for r in page.items], next_cursor=page.next_cursor
    )


@router.get("/{uin}")
def get_resident(
    uin: str,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.RESIDENT_READ))],
) -> ResidentPublic:
    """Read one resident."""
    return ResidentPublic.of(registry.get_resident(container.uow(), principal, uin))


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
) -> ResidentHistoryPublic:
    """Every change to a resident: old and new values, who, when and why."""
    changes = registry.resident_history(container.uow(), principal, uin)
    return ResidentHistoryPublic(uin=uin, data=[ResidentChangePublic.of(c) for c in changes])
