"""SQLAlchemy repositories: explicit conversion between rows and domain objects."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from carnet.adapters.db.tables import (
    AuthTokenRow,
    OfficialRow,
    RegionRow,
    ResidentChangeRow,
    ResidentRow,
    StationRow,
)
from carnet.domain.dates import PartialDate
from carnet.domain.errors import ConflictError, StaleVersionError
from carnet.domain.officials import Official, Role, Scope
from carnet.domain.persons import Resident, ResidentChange, ResidentStatus, Sex
from carnet.domain.regions import Region, RegionLevel, Settlement, Station, StationKind
from carnet.services.uow import AuthToken

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from sqlalchemy.orm import Session

    from carnet.services.uow import ResidentQuery

__all__ = [
    "RESIDENT_COLUMNS",
    "SqlAlchemyOfficialRepository",
    "SqlAlchemyRegionRepository",
    "SqlAlchemyResidentRepository",
    "SqlAlchemyStationRepository",
    "SqlAlchemyTokenRepository",
    "resident_row_tuple",
    "resident_row_values",
]

_ID_CHUNK = 2000  # ids per IN (...) query: well under every backend's parameter limit

_CHUNK = 500


def _path_text(lineage: tuple[str, ...]) -> str:
    """Store a lineage (ancestors then self) as ``/a/b/c/`` for prefix matching."""
    return "/" + "/".join(lineage) + "/"


def _region(row: RegionRow) -> Region:
    codes = tuple(c for c in row.path.split("/") if c)
    return Region(
        code=row.code,
        name_native=row.name_native,
        name_latin=row.name_latin,
        level=RegionLevel(row.level),
        settlement=Settlement(row.settlement),
        parent_code=row.parent_code,
        path=codes[:-1],
        lat=row.lat,
        lon=row.lon,
    )


class SqlAlchemyRegionRepository:
    """Regions in the ``regions`` table."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, code: str) -> Region | None:
        """Return the region ``code`` or ``None``."""
        row = self._s.get(RegionRow, code)
        return _region(row) if row else None

    def add(self, region: Region) -> None:
        """Store a new region."""
        self._s.add(
            RegionRow(
                code=region.code,
                parent_code=region.parent_code,
                level=region.level.value,
                settlement=region.settlement.value,
                name_native=region.name_native,
                name_latin=region.name_latin,
                path=_path_text(region.child_path()),
                lat=region.lat,
                lon=region.lon,
            )
        )
        self._s.flush()

    def list(self, parent_code: str | None = None, *, roots: bool = False) -> list[Region]:
        """Return regions: all, the roots, or the children of ``parent_code``."""
        stmt = select(RegionRow).order_by(RegionRow.code)
        if parent_code is not None:
            stmt = stmt.where(RegionRow.parent_code == parent_code)
        elif roots:
            stmt = stmt.where(RegionRow.parent_code.is_(None))
        return [_region(r) for r in self._s.scalars(stmt)]

    def existing_codes(self, codes: Sequence[str]) -> set[str]:
        """Return which of ``codes`` exist."""
        found: set[str] = set()
        for i in range(0, len(codes), _CHUNK):
            chunk = list(codes[i : i + _CHUNK])
            found.update(self._s.scalars(select(RegionRow.code).where(RegionRow.code.in_(chunk))))
        return found

    def covered_codes(self, codes: Sequence[str]) -> set[str]:
        """Return ``codes`` and every region below them (a prefix match on ``path``)."""
        if not codes:
            return set()
        found: set[str] = set()
        for i in range(0, len(codes), _CHUNK):
            chunk = codes[i : i + _CHUNK]
            paths = [
                row.path
                for row in self._s.scalars(select(RegionRow).where(RegionRow.code.in_(chunk)))
            ]
            if paths:
                stmt = select(RegionRow.code).where(
                    or_(*(RegionRow.path.startswith(p, autoescape=True) for p in paths))
                )
                found.update(self._s.scalars(stmt))
        return found

    def lineage(self, code: str) -> tuple[str, ...]:
        """Return the codes from the root down to ``code``."""
        path = self._s.scalar(select(RegionRow.path).where(RegionRow.code == code))
        return tuple(c for c in path.split("/") if c) if path else ()


def _station(row: StationRow) -> Station:
    return Station(
        code=row.code,
        name=row.name,
        region_code=row.region_code,
        kind=StationKind(row.kind),
        opening_days=frozenset(row.opening_days.split(",")),
        daily_capacity=row.daily_capacity,
    )


class SqlAlchemyStationRepository:
    """Stations in the ``stations`` table."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, code: str) -> Station | None:
        """Return the station ``code`` or ``None``."""
        row = self._s.get(StationRow, code)
        return _station(row) if row else None

    def add(self, station: Station) -> None:
        """Store a new station."""
        order = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
        self._s.add(
            StationRow(
                code=station.code,
                name=station.name,
                region_code=station.region_code,
                kind=station.kind.value,
                opening_days=",".join(d for d in order if d in station.opening_days),
                daily_capacity=station.daily_capacity,
            )
        )
        self._s.flush()

    def list(self, region_code: str | None = None) -> list[Station]:
        """Return stations, optionally those of ``region_code``."""
        stmt = select(StationRow).order_by(StationRow.code)
        if region_code is not None:
            stmt = stmt.where(StationRow.region_code == region_code)
        return [_station(r) for r in self._s.scalars(stmt)]


RESIDENT_COLUMNS: tuple[str, ...] = tuple(c.name for c in ResidentRow.__table__.columns)


def resident_row_tuple(resident: Resident, created_by: str | None) -> tuple[object, ...]:
    """Return a resident's column values in :data:`RESIDENT_COLUMNS` order (bulk writes)."""
    keys = resident.name_keys
    dob = resident.date_of_birth
    return (
        resident.id,
        resident.uin,
        resident.external_ref,
        resident.family_name_native,
        resident.given_name_native,
        resident.family_name_latin,
        resident.given_name_latin,
        keys[0],
        keys[1],
        keys[2],
        keys[3],
        dob.year,
        dob.month,
        dob.day,
        resident.sex.value,
        resident.place_of_birth,
        resident.address,
        resident.region_code,
        resident.household_ref,
        resident.phone,
        resident.email,
        resident.status.value,
        resident.merged_into,
        resident.version,
        resident.created_at,
        resident.updated_at,
        created_by,
    )


def resident_row_values(resident: Resident, created_by: str | None) -> dict[str, object]:
    """Return the column values of a resident row by column name."""
    return dict(zip(RESIDENT_COLUMNS, resident_row_tuple(resident, created_by), strict=True))


def _resident(row: ResidentRow) -> Resident:
    return Resident(
        id=row.id,
        uin=row.uin,
        external_ref=row.external_ref,
        family_name_native=row.family_name_native,
        given_name_native=row.given_name_native,
        family_name_latin=row.family_name_latin,
        given_name_latin=row.given_name_latin,
        date_of_birth=PartialDate(row.birth_year, row.birth_month, row.birth_day),
        sex=Sex(row.sex),
        place_of_birth=row.place_of_birth,
        address=row.address,
        region_code=row.region_code,
        household_ref=row.household_ref,
        phone=row.phone,
        email=row.email,
        status=ResidentStatus(row.status),
        merged_into=row.merged_into,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SqlAlchemyResidentRepository:
    """Residents and their changes."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def get_by_uin(self, uin: str) -> Resident | None:
        """Return the resident holding ``uin`` or ``None``."""
        row = self._s.scalar(select(ResidentRow).where(ResidentRow.uin == uin))
        return _resident(row) if row else None

    def get(self, resident_id: str) -> Resident | None:
        """Return the resident with this internal id or ``None``."""
        row = self._s.get(ResidentRow, resident_id)
        return _resident(row) if row else None

    def get_many(self, resident_ids: Sequence[str]) -> dict[str, Resident]:
        """Return the residents among ``resident_ids`` that exist, by id (chunked)."""
        found: dict[str, Resident] = {}
        for start in range(0, len(resident_ids), _ID_CHUNK):
            chunk = list(resident_ids[start : start + _ID_CHUNK])
            for row in self._s.scalars(select(ResidentRow).where(ResidentRow.id.in_(chunk))):
                found[row.id] = _resident(row)
        return found

    def add(self, resident: Resident, created_by: str | None) -> None:
        """Store a new resident.

        Raises:
            ConflictError: the UIN or external reference is taken.
        """
        self._s.add(ResidentRow(**resident_row_values(resident, created_by)))
        try:
            with self._s.begin_nested():
                self._s.flush()
        except IntegrityError as exc:
            raise ConflictError("the UIN or external reference is already taken") from exc

    def update(self, resident: Resident, change: ResidentChange) -> None:
        """Store a new version of ``resident`` and its change (compare-and-set on version).

        Raises:
            StaleVersionError: someone else wrote a newer version first.
        """
        values = resident_row_values(resident, None)
        for key in ("id", "created_at", "created_by", "external_ref", "uin"):
            values.pop(key)
        result = self._s.execute(
            update(ResidentRow)
            .where(ResidentRow.id == resident.id, ResidentRow.version == resident.version - 1)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleVersionError("the record changed since you read it", field="version")
        self._s.add(
            ResidentChangeRow(
                resident_id=change.resident_id,
                version=change.version,
                changed_at=change.changed_at,
                changed_by=change.changed_by,
                reason=change.reason,
                changes={k: list(v) for k, v in change.changes.items()},
            )
        )
        self._s.flush()

    def history(self, resident_id: str) -> list[ResidentChange]:
        """Return the changes to a resident, oldest first."""
        rows = self._s.scalars(
            select(ResidentChangeRow)
            .where(ResidentChangeRow.resident_id == resident_id)
            .order_by(ResidentChangeRow.version)
        )
        return [
            ResidentChange(
                resident_id=r.resident_id,
                version=r.version,
                changed_at=r.changed_at,
                changed_by=r.changed_by,
                reason=r.reason,
                changes={k: (v[0], v[1]) for k, v in r.changes.items()},
            )
            for r in rows
        ]

    def search(self, query: ResidentQuery) -> list[Resident]:
        """Return residents matching ``query``, ordered by UIN, after the cursor."""
        stmt = select(ResidentRow).order_by(ResidentRow.uin).limit(query.limit)
        if query.family_name:
            stmt = stmt.where(
                or_(
                    ResidentRow.family_key_latin == query.family_name,
                    ResidentRow.family_key_native == query.family_name,
                )
            )
        if query.given_name:
            stmt = stmt.where(
                or_(
                    ResidentRow.given_key_latin == query.given_name,
                    ResidentRow.given_key_native == query.given_name,
                )
            )
        if query.birth_year is not None:
            stmt = stmt.where(ResidentRow.birth_year == query.birth_year)
        if query.birth_month is not None:
            stmt = stmt.where(ResidentRow.birth_month == query.birth_month)
        if query.birth_day is not None:
            stmt = stmt.where(ResidentRow.birth_day == query.birth_day)
        if query.region_code is not None:
            stmt = stmt.where(ResidentRow.region_code == query.region_code)
        if query.scope_regions is not None:
            stmt = stmt.where(ResidentRow.region_code.in_(sorted(query.scope_regions)))
        if query.after_uin is not None:
            stmt = stmt.where(ResidentRow.uin > query.after_uin)
        return [_resident(r) for r in self._s.scalars(stmt)]

    def uins_taken(self, uins: Sequence[str]) -> set[str]:
        """Return which of ``uins`` are allocated."""
        found: set[str] = set()
        for i in range(0, len(uins), _CHUNK):
            chunk = list(uins[i : i + _CHUNK])
            found.update(self._s.scalars(select(ResidentRow.uin).where(ResidentRow.uin.in_(chunk))))
        return found

    def refs_taken(self, refs: Sequence[str]) -> set[str]:
        """Return which external references are already stored."""
        found: set[str] = set()
        for i in range(0, len(refs), _CHUNK):
            chunk = list(refs[i : i + _CHUNK])
            stmt = select(ResidentRow.external_ref).where(ResidentRow.external_ref.in_(chunk))
            found.update(ref for ref in self._s.scalars(stmt) if ref is not None)
        return found


def _official(row: OfficialRow) -> Official:
    return Official(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        roles=frozenset(Role(r) for r in row.roles),
        scope=Scope(
            national=row.scope_national,
            regions=frozenset(row.scope_regions),
            stations=frozenset(row.scope_stations),
        ),
        password_hash=row.password_hash,
        totp_secret=row.totp_secret,
        totp_last_step=row.totp_last_step,
        resident_id=row.resident_id,
        is_active=row.is_active,
        created_at=row.created_at,
    )


def _official_values(official: Official) -> dict[str, object]:
    return {
        "username": official.username,
        "display_name": official.display_name,
        "password_hash": official.password_hash,
        "totp_secret": official.totp_secret,
        "totp_last_step": official.totp_last_step,
        "resident_id": official.resident_id,
        "roles": sorted(r.value for r in official.roles),
        "scope_national": official.scope.national,
        "scope_regions": sorted(official.scope.regions),
        "scope_stations": sorted(official.scope.stations),
        "is_active": official.is_active,
    }


class SqlAlchemyOfficialRepository:
    """Officials in the ``officials`` table."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, official_id: str) -> Official | None:
        """Return the official or ``None``."""
        row = self._s.get(OfficialRow, official_id)
        return _official(row) if row else None

    def get_by_username(self, username: str) -> Official | None:
        """Return the official with ``username`` or ``None``."""
        row = self._s.scalar(select(OfficialRow).where(OfficialRow.username == username))
        return _official(row) if row else None

    def add(self, official: Official) -> None:
        """Store a new official.

        Raises:
            ConflictError: the username is taken.
        """
        assert official.created_at is not None  # noqa: S101 - set by the use case
        self._s.add(
            OfficialRow(
                id=official.id, created_at=official.created_at, **_official_values(official)
            )
        )
        try:
            with self._s.begin_nested():
                self._s.flush()
        except IntegrityError as exc:
            raise ConflictError("this username is taken", field="username") from exc

    def save(self, official: Official) -> None:
        """Store changes to an existing official."""
        self._s.execute(
            update(OfficialRow)
            .where(OfficialRow.id == official.id)
            .values(**_official_values(official))
            .execution_options(synchronize_session=False)
        )

    def list(self) -> list[Official]:
        """Return every official ordered by username."""
        return [
            _official(r)
            for r in self._s.scalars(select(OfficialRow).order_by(OfficialRow.username))
        ]


class SqlAlchemyTokenRepository:
    """Bearer tokens in ``auth_tokens`` (hashes only)."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, token: AuthToken) -> None:
        """Store a token hash."""
        self._s.add(
            AuthTokenRow(
                token_hash=token.token_hash,
                official_id=token.official_id,
                issued_at=token.issued_at,
                expires_at=token.expires_at,
                revoked_at=token.revoked_at,
                station_code=token.station_code,
            )
        )

    def get(self, token_hash: str) -> AuthToken | None:
        """Return the token with this hash or ``None``."""
        row = self._s.get(AuthTokenRow, token_hash)
        if row is None:
            return None
        return AuthToken(
            row.token_hash,
            row.official_id,
            row.issued_at,
            row.expires_at,
            row.revoked_at,
            row.station_code,
        )

    def revoke(self, token_hash: str, at: datetime) -> None:
        """Revoke one token (idempotent)."""
        self._s.execute(
            update(AuthTokenRow)
            .where(AuthTokenRow.token_hash == token_hash, AuthTokenRow.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    def revoke_all(self, official_id: str, at: datetime) -> int:
        """Revoke every live token of an official."""
        result = self._s.execute(
            update(AuthTokenRow)
            .where(AuthTokenRow.official_id == official_id, AuthTokenRow.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
