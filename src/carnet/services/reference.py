"""Reference data use cases: the region tree and the stations attached to it.

Adding a region or a station, or loading a file of them, appends one leaf to the
transparency log in the same transaction (a load logs the records it added).
"""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING

from carnet.domain.actions import Action, ActionType, region_ref, station_ref
from carnet.domain.errors import ConflictError, ValidationError
from carnet.domain.officials import Permission, Principal
from carnet.domain.regions import (
    Region,
    RegionLevel,
    Settlement,
    Station,
    StationKind,
    parse_opening_days,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import TextIO

    from carnet.domain.actions import RecordRef
    from carnet.services.uow import UnitOfWork

__all__ = [
    "REGION_COLUMNS",
    "STATION_COLUMNS",
    "add_region",
    "add_station",
    "list_regions",
    "list_stations",
    "load_reference",
]

_PARENT_LEVEL = {
    RegionLevel.COUNTY: RegionLevel.PROVINCE,
    RegionLevel.TOWN: RegionLevel.COUNTY,
    RegionLevel.VILLAGE: RegionLevel.COUNTY,
}


def _require(principal: Principal | None, permission: Permission) -> None:
    if principal is not None:
        principal.require(permission)


def add_region(uow: UnitOfWork, principal: Principal | None, region: Region) -> Region:
    """Add a region under its parent; the lineage is derived from the parent.

    ``principal`` is ``None`` only when the CLI loads reference data.

    Raises:
        ValidationError: unknown parent, or a level that does not fit under it.
        ConflictError: the code exists.
    """
    _require(principal, Permission.REFERENCE_MANAGE)
    with uow:
        if uow.regions.get(region.code) is not None:
            raise ConflictError("this region code exists", field="code")
        stored = _placed(uow, region)
        uow.regions.add(stored)
        uow.ledger.append(Action.by(principal, ActionType.REGION_CREATION, [region_ref(stored)]))
        uow.commit()
    return stored


def _placed(uow: UnitOfWork, region: Region) -> Region:
    """Return ``region`` with its lineage, checking its parent exists and fits its level.

    Raises:
        ValidationError: unknown parent, or a level that does not fit under it.
    """
    path: tuple[str, ...] = ()
    if region.parent_code is not None:
        parent = uow.regions.get(region.parent_code)
        if parent is None:
            raise ValidationError("unknown parent region", field="parent_code")
        if _PARENT_LEVEL.get(region.level) is not parent.level:
            raise ValidationError(
                f"a {region.level.value} cannot lie in a {parent.level.value}", field="level"
            )
        path = parent.child_path()
    return Region(
        code=region.code,
        name_native=region.name_native,
        name_latin=region.name_latin,
        level=region.level,
        settlement=region.settlement,
        parent_code=region.parent_code,
        path=path,
        lat=region.lat,
        lon=region.lon,
    )


def _check_station_place(uow: UnitOfWork, station: Station) -> None:
    """Check the station's region exists; a mobile team is attached to a county.

    Raises:
        ValidationError: unknown region, or a mobile team elsewhere than a county.
    """
    region = uow.regions.get(station.region_code)
    if region is None:
        raise ValidationError("unknown region", field="region_code")
    if station.kind is StationKind.MOBILE and region.level is not RegionLevel.COUNTY:
        raise ValidationError("a mobile team is attached to a county", field="region_code")


def add_station(uow: UnitOfWork, principal: Principal | None, station: Station) -> Station:
    """Attach a station (or a mobile team, to a county) to a region.

    Raises:
        ValidationError: unknown region, or a mobile team not attached to a county.
        ConflictError: the code exists.
    """
    _require(principal, Permission.REFERENCE_MANAGE)
    with uow:
        _check_station_place(uow, station)
        if uow.stations.get(station.code) is not None:
            raise ConflictError("this station code exists", field="code")
        uow.stations.add(station)
        uow.ledger.append(Action.by(principal, ActionType.STATION_CREATION, [station_ref(station)]))
        uow.commit()
    return station


def list_regions(
    uow: UnitOfWork, principal: Principal, parent_code: str | None = None
) -> list[Region]:
    """List the provinces, or the children of ``parent_code``."""
    principal.require(Permission.REFERENCE_READ)
    with uow:
        return uow.regions.list(parent_code, roots=parent_code is None)


def list_stations(
    uow: UnitOfWork, principal: Principal, region_code: str | None = None
) -> list[Station]:
    """List stations, optionally those of one region."""
    principal.require(Permission.REFERENCE_READ)
    with uow:
        return uow.stations.list(region_code)


REGION_COLUMNS = (
    "code",
    "parent_code",
    "level",
    "name_native",
    "name_latin",
    "settlement",
    "lat",
    "lon",
)
STATION_COLUMNS = ("code", "name", "region_code", "kind", "opening_days", "daily_capacity")


def _float(value: str) -> float | None:
    try:
        return float(value) if value.strip() else None
    except ValueError as exc:
        raise ValidationError("not a number", field="lat/lon") from exc


def load_reference(
    uow: UnitOfWork, regions: TextIO, stations: TextIO | None = None
) -> tuple[int, int]:
    """Load region and station CSV files in one transaction; return the counts added.

    Rows whose code already exists are skipped, so loading is idempotent. Parents
    must come before their children (as ``carnet synth`` writes them).

    Raises:
        ValidationError: a bad header or row (with its line number in ``field``).
    """
    added_regions = added_stations = 0
    added: list[RecordRef] = []
    with uow:
        for line, row in _rows(regions, REGION_COLUMNS):
            if uow.regions.get(row["code"]) is not None:
                continue
            try:
                region = _placed(uow, _region_of(row))
            except (ValidationError, ValueError) as exc:
                raise _line_error(line, exc) from exc
            uow.regions.add(region)
            added.append(region_ref(region))
            added_regions += 1
        for line, row in _rows(stations, STATION_COLUMNS) if stations else ():
            if uow.stations.get(row["code"]) is not None:
                continue
            try:
                station = _station_of(row)
                _check_station_place(uow, station)
            except (ValidationError, ValueError) as exc:
                raise _line_error(line, exc) from exc
            uow.stations.add(station)
            added.append(station_ref(station))
            added_stations += 1
        uow.ledger.append(Action.by(None, ActionType.REFERENCE_LOAD, added))
        uow.commit()
    return added_regions, added_stations


def _rows(source: TextIO, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(source)
    if tuple(reader.fieldnames or ()) != columns:
        raise ValidationError("the header must be: " + ",".join(columns), field="header")
    for row in reader:
        # DictReader pads short rows with None and gathers extra fields under None.
        if None in row or any(value is None for value in row.values()):
            raise ValidationError(
                f"expected {len(columns)} columns", field=f"line {reader.line_num}"
            )
        yield reader.line_num, row


def _region_of(row: dict[str, str]) -> Region:
    return Region(
        code=row["code"],
        parent_code=row["parent_code"] or None,
        level=RegionLevel(row["level"]),
        settlement=Settlement(row["settlement"]),
        name_native=row["name_native"],
        name_latin=row["name_latin"],
        lat=_float(row["lat"]),
        lon=_float(row["lon"]),
    )


def _station_of(row: dict[str, str]) -> Station:
    return Station(
        code=row["code"],
        name=row["name"],
        region_code=row["region_code"],
        kind=StationKind(row["kind"]),
        opening_days=parse_opening_days(row["opening_days"]),
        daily_capacity=int(row["daily_capacity"]),
    )


def _line_error(line: int, exc: Exception) -> ValidationError:
    if isinstance(exc, ValidationError):
        return ValidationError(exc.message, field=f"line {line}: {exc.field}")
    return ValidationError("malformed value", field=f"line {line}")
