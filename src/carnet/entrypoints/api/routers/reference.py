"""Region and station endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from carnet.domain.officials import Permission, Principal
from carnet.domain.regions import Region, RegionLevel, Settlement, Station, StationKind
from carnet.entrypoints.api.deps import ContainerDep, require
from carnet.entrypoints.api.schemas import RegionCreate, RegionPublic, StationCreate, StationPublic
from carnet.services import reference

__all__ = ["router"]

router = APIRouter(tags=["reference"])


@router.get("/regions")
def list_regions(
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.REFERENCE_READ))],
    parent: Annotated[str | None, Query(max_length=10)] = None,
) -> list[RegionPublic]:
    """The provinces, or the children of ``parent``."""
    regions = reference.list_regions(container.uow(), principal, parent)
    return [RegionPublic.of(r) for r in regions]


@router.post(
    "/regions",
    status_code=status.HTTP_201_CREATED,
)
def add_region(
    body: RegionCreate,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.REFERENCE_MANAGE))],
) -> RegionPublic:
    """Add a region under its parent."""
    region = Region(
        code=body.code,
        parent_code=body.parent_code,
        level=RegionLevel(body.level),
        settlement=Settlement(body.settlement),
        name_native=body.name_native,
        name_latin=body.name_latin,
        lat=body.lat,
        lon=body.lon,
    )
    return RegionPublic.of(reference.add_region(container.uow(), principal, region))


@router.get("/stations")
def list_stations(
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.REFERENCE_READ))],
    region: Annotated[str | None, Query(max_length=10)] = None,
) -> list[StationPublic]:
    """Stations and mobile teams, optionally of one region."""
    return [
        StationPublic.of(s) for s in reference.list_stations(container.uow(), principal, region)
    ]


@router.post(
    "/stations",
    status_code=status.HTTP_201_CREATED,
)
def add_station(
    body: StationCreate,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.REFERENCE_MANAGE))],
) -> StationPublic:
    """Attach a station (or a mobile team, to a county) to a region."""
    station = Station(
        code=body.code,
        name=body.name,
        region_code=body.region_code,
        kind=StationKind(body.kind),
        opening_days=frozenset(body.opening_days),
        daily_capacity=body.daily_capacity,
    )
    return StationPublic.of(reference.add_station(container.uow(), principal, station))
