"""Officials, their roles, and what each role may do where.

An official holds one or more roles and a scope. The scope is national, or a set
of regions and stations; a station stands for the region it is attached to. A
scope covers a region when it names that region or one of its ancestors.

The permission table below is the single source of the access policy: every API
endpoint and CLI command declares the :class:`Permission` it needs, and the
resident use cases also check the scope against the resident's region.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from carnet.domain.errors import PermissionDeniedError, ValidationError

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

__all__ = [
    "ROLE_PERMISSIONS",
    "Official",
    "Permission",
    "Principal",
    "Role",
    "Scope",
    "validate_username",
]

_USERNAME = re.compile(r"[a-z][a-z0-9._-]{2,63}")


class Role(StrEnum):
    """The roles an official can hold."""

    ADMIN = "admin"
    REGISTRAR = "registrar"
    APPROVER = "approver"
    ISSUER = "issuer"
    AUDITOR = "auditor"


class Permission(StrEnum):
    """Actions that need a role. Resident permissions are also bounded by scope."""

    RESIDENT_READ = "resident:read"
    RESIDENT_CREATE = "resident:create"
    RESIDENT_UPDATE = "resident:update"
    RESIDENT_HISTORY = "resident:history"
    RESIDENT_IMPORT = "resident:import"
    RESIDENT_EXPORT = "resident:export"
    REFERENCE_READ = "reference:read"
    REFERENCE_MANAGE = "reference:manage"
    OFFICIAL_READ = "official:read"
    OFFICIAL_MANAGE = "official:manage"
    LEDGER_READ = "ledger:read"
    LEDGER_CHECKPOINT = "ledger:checkpoint"
    APPLICATION_CREATE = "application:create"
    APPLICATION_READ = "application:read"
    APPLICATION_DECIDE = "application:decide"
    DOCUMENT_READ = "document:read"
    DOCUMENT_PRODUCE = "document:produce"
    DOCUMENT_HANDOVER = "document:handover"
    DOCUMENT_REVOKE = "document:revoke"
    REPORT_READ = "report:read"


# Least privilege: an administrator manages accounts and reference data but does
# not read residents; an auditor reads change histories but not current records.
# Registrars enter applications and hand documents over at their station;
# approvers decide applications and (two of them) revoke documents; issuers run
# print runs and dispatch. Time-to-decision reports are aggregates.
# Only auditors read the log's leaves; auditors and administrators may ask for a
# checkpoint (checkpoints and proofs themselves are public: they hold no PII).
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(
        {
            Permission.REFERENCE_READ,
            Permission.REFERENCE_MANAGE,
            Permission.OFFICIAL_READ,
            Permission.OFFICIAL_MANAGE,
            Permission.LEDGER_CHECKPOINT,
        }
    ),
    Role.REGISTRAR: frozenset(
        {
            Permission.REFERENCE_READ,
            Permission.RESIDENT_READ,
            Permission.RESIDENT_CREATE,
            Permission.RESIDENT_UPDATE,
            Permission.RESIDENT_HISTORY,
            Permission.RESIDENT_IMPORT,
            Permission.RESIDENT_EXPORT,
            Permission.APPLICATION_CREATE,
            Permission.APPLICATION_READ,
            Permission.DOCUMENT_READ,
            Permission.DOCUMENT_HANDOVER,
        }
    ),
    Role.APPROVER: frozenset(
        {
            Permission.REFERENCE_READ,
            Permission.RESIDENT_READ,
            Permission.APPLICATION_READ,
            Permission.APPLICATION_DECIDE,
            Permission.DOCUMENT_READ,
            Permission.DOCUMENT_REVOKE,
            Permission.REPORT_READ,
        }
    ),
    Role.ISSUER: frozenset(
        {
            Permission.REFERENCE_READ,
            Permission.RESIDENT_READ,
            Permission.DOCUMENT_READ,
            Permission.DOCUMENT_PRODUCE,
        }
    ),
    Role.AUDITOR: frozenset(
        {
            Permission.REFERENCE_READ,
            Permission.RESIDENT_HISTORY,
            Permission.OFFICIAL_READ,
            Permission.LEDGER_READ,
            Permission.LEDGER_CHECKPOINT,
            Permission.REPORT_READ,
        }
    ),
}


def validate_username(value: str) -> str:
    """Return ``value`` if it is a valid username (lower case, 3-64 characters).

    Raises:
        ValidationError: any other shape.
    """
    if not _USERNAME.fullmatch(value):
        raise ValidationError(
            "a username is 3-64 lower-case letters, digits, '.', '_' or '-'", field="username"
        )
    return value


@dataclass(frozen=True, slots=True)
class Scope:
    """Where an official may act: nationally, or within regions and stations."""

    national: bool = False
    regions: frozenset[str] = frozenset()
    stations: frozenset[str] = frozenset()

    def covers(self, region_lineage: Iterable[str], station_regions: Iterable[str] = ()) -> bool:
        """Whether the scope covers a region, given its codes from the root down.

        ``station_regions`` are the regions of this scope's stations, resolved
        by the caller (a station stands for its region).
        """
        if self.national:
            return True
        allowed = self.regions | frozenset(station_regions)
        return any(code in allowed for code in region_lineage)

    def includes(self, other: Scope) -> bool:
        """Whether every place ``other`` names is also named by this scope.

        Used when an administrator grants a scope: they cannot grant more than
        they hold. Region containment is checked by the caller with lineages.
        """
        if self.national:
            return True
        return (
            not other.national and other.regions <= self.regions and other.stations <= self.stations
        )

    @property
    def is_empty(self) -> bool:
        """Whether the scope names no place at all."""
        return not (self.national or self.regions or self.stations)


@dataclass(frozen=True, slots=True, kw_only=True)
class Official:
    """A staff account."""

    id: str
    username: str
    display_name: str
    roles: frozenset[Role]
    scope: Scope
    password_hash: str = field(repr=False)
    totp_secret: str | None = field(default=None, repr=False)
    totp_last_step: int | None = None
    resident_id: str | None = None
    """The official's own registry record, if any: they may not approve their own case."""
    is_active: bool = True
    created_at: datetime | None = None

    @property
    def has_totp(self) -> bool:
        """Whether a TOTP second factor is enrolled."""
        return self.totp_secret is not None


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated official behind a request, with resolved permissions."""

    official_id: str
    username: str
    roles: frozenset[Role]
    scope: Scope
    station_regions: frozenset[str] = frozenset()
    station_code: str | None = None
    resident_id: str | None = None

    @property
    def permissions(self) -> frozenset[Permission]:
        """The union of the permissions of every role held."""
        granted: set[Permission] = set()
        for role in self.roles:
            granted |= ROLE_PERMISSIONS[role]
        return frozenset(granted)

    def can(self, permission: Permission) -> bool:
        """Whether some role grants ``permission``."""
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        """Raise unless some role grants ``permission``.

        Raises:
            PermissionDeniedError: no role grants it.
        """
        if not self.can(permission):
            raise PermissionDeniedError(f"this needs the permission {permission.value}")

    def covers(self, region_lineage: Iterable[str]) -> bool:
        """Whether the principal's scope covers the region with this lineage."""
        return self.scope.covers(region_lineage, self.station_regions)
