"""Repository ports and the unit of work that owns each transaction.

Use cases open a unit of work, read and write through its repositories, and
call :meth:`UnitOfWork.commit`. Leaving the ``with`` block without committing
rolls everything back, so a failure at any point leaves no half-done record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, Self

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from types import TracebackType

    from carnet.domain.officials import Official
    from carnet.domain.persons import Resident, ResidentChange
    from carnet.domain.regions import Region, Station

__all__ = [
    "AuthToken",
    "OfficialRepository",
    "RegionRepository",
    "ResidentQuery",
    "ResidentRepository",
    "StationRepository",
    "TokenRepository",
    "UnitOfWork",
]


@dataclass(frozen=True, slots=True)
class ResidentQuery:
    """A resident search. Names match on accent- and case-free keys.

    ``scope_regions`` restricts results to residents of exactly these region
    codes (the caller's scope, already expanded to every covered region);
    ``None`` means no restriction. Pagination is by keyset: ``after_uin``.
    """

    family_name: str | None = None
    given_name: str | None = None
    birth_year: int | None = None
    birth_month: int | None = None
    birth_day: int | None = None
    region_code: str | None = None
    scope_regions: frozenset[str] | None = None
    after_uin: str | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class AuthToken:
    """A stored bearer token (its hash only)."""

    token_hash: str
    official_id: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None


class RegionRepository(Protocol):
    """Regions of the tree."""

    def get(self, code: str) -> Region | None:
        """Return the region ``code`` or ``None``."""
        ...

    def add(self, region: Region) -> None:
        """Store a new region."""
        ...

    def list(self, parent_code: str | None = None, *, roots: bool = False) -> list[Region]:
        """Return regions, optionally the children of ``parent_code`` or the roots."""
        ...

    def existing_codes(self, codes: Sequence[str]) -> set[str]:
        """Return which of ``codes`` exist."""
        ...

    def covered_codes(self, codes: Sequence[str]) -> set[str]:
        """Return ``codes`` and the codes of every region below any of them."""
        ...

    def lineage(self, code: str) -> tuple[str, ...]:
        """Return the codes from the root down to ``code`` (empty if unknown)."""
        ...


class StationRepository(Protocol):
    """Stations and mobile teams."""

    def get(self, code: str) -> Station | None:
        """Return the station ``code`` or ``None``."""
        ...

    def add(self, station: Station) -> None:
        """Store a new station."""
        ...

    def list(self, region_code: str | None = None) -> list[Station]:
        """Return stations, optionally those attached to ``region_code``."""
        ...


class ResidentRepository(Protocol):
    """Residents and their change history."""

    def get_by_uin(self, uin: str) -> Resident | None:
        """Return the resident holding ``uin`` or ``None``."""
        ...

    def add(self, resident: Resident, created_by: str | None) -> None:
        """Store a new resident.

        Raises:
            ConflictError: the UIN or external reference is already taken.
        """
        ...

    def update(self, resident: Resident, change: ResidentChange) -> None:
        """Store ``resident`` (version bumped) and its change, checking the version.

        Raises:
            StaleVersionError: the stored version is not ``resident.version - 1``.
        """
        ...

    def history(self, resident_id: str) -> list[ResidentChange]:
        """Return the changes to a resident, oldest first."""
        ...

    def search(self, query: ResidentQuery) -> list[Resident]:
        """Return residents matching ``query`` ordered by UIN."""
        ...

    def uins_taken(self, uins: Sequence[str]) -> set[str]:
        """Return which of ``uins`` are already allocated."""
        ...

    def refs_taken(self, refs: Sequence[str]) -> set[str]:
        """Return which of the external references are already imported."""
        ...


class OfficialRepository(Protocol):
    """Staff accounts."""

    def get(self, official_id: str) -> Official | None:
        """Return the official ``official_id`` or ``None``."""
        ...

    def get_by_username(self, username: str) -> Official | None:
        """Return the official with ``username`` or ``None``."""
        ...

    def add(self, official: Official) -> None:
        """Store a new official.

        Raises:
            ConflictError: the username is taken.
        """
        ...

    def save(self, official: Official) -> None:
        """Store changes to an existing official."""
        ...

    def list(self) -> list[Official]:
        """Return every official ordered by username."""
        ...


class TokenRepository(Protocol):
    """Bearer tokens, stored hashed."""

    def add(self, token: AuthToken) -> None:
        """Store a token."""
        ...

    def get(self, token_hash: str) -> AuthToken | None:
        """Return the token with this hash or ``None``."""
        ...

    def revoke(self, token_hash: str, at: datetime) -> None:
        """Mark one token revoked."""
        ...

    def revoke_all(self, official_id: str, at: datetime) -> int:
        """Revoke every live token of an official; return how many."""
        ...


class UnitOfWork(Protocol):
    """One transaction over every repository."""

    regions: RegionRepository
    stations: StationRepository
    residents: ResidentRepository
    officials: OfficialRepository
    tokens: TokenRepository

    def __enter__(self) -> Self:
        """Begin the transaction."""
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back unless committed."""
        ...

    def commit(self) -> None:
        """Commit the transaction.

        Raises:
            ConflictError: a uniqueness constraint failed at commit.
        """
        ...

    def rollback(self) -> None:
        """Roll the transaction back."""
        ...
