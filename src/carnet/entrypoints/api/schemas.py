"""API schemas (never domain objects): ``<Entity>Create``, ``Update``, ``Public``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from carnet.domain.officials import Official
    from carnet.domain.persons import Resident, ResidentChange
    from carnet.domain.proposals import Proposal
    from carnet.domain.regions import Region, Station

__all__ = [
    "AttributeValues",
    "Decision",
    "OfficialCreate",
    "OfficialPublic",
    "OfficialUpdate",
    "OfficialsPublic",
    "ProposalPublic",
    "RegionCreate",
    "RegionPublic",
    "ResidentChangePublic",
    "ResidentCreate",
    "ResidentHistoryPublic",
    "ResidentPublic",
    "ResidentUpdate",
    "ResidentsPublic",
    "StationCreate",
    "StationPublic",
    "TokenPublic",
    "TokenRequest",
    "TotpConfirm",
    "TotpStartPublic",
]

_Text = Field(max_length=200)
_Day = Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

AttributeValues = Annotated[
    dict[
        Annotated[str, Field(max_length=40)],
        Annotated[str, Field(max_length=200)] | Annotated[int, Field(ge=0, le=1_000_000)] | bool,
    ],
    Field(max_length=30, description="The document type's attributes, by name."),
]
"""An application's attributes as clients send them (the catalogue validates them)."""


def _weekdays() -> list[_Day]:
    return ["Mon", "Tue", "Wed", "Thu", "Fri"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=500)


class ResidentCreate(_Strict):
    """A new resident. Leave ``uin`` empty to have one allocated."""

    family_name_native: str = _Text
    given_name_native: str = _Text
    family_name_latin: str = _Text
    given_name_latin: str = _Text
    date_of_birth: str = Field(description="YYYY, YYYY-MM or YYYY-MM-DD", max_length=10)
    sex: Literal["F", "M", "X"]
    place_of_birth: str = _Text
    address: str = _Text
    region_code: str = Field(max_length=10)
    household_ref: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)
    uin: str | None = Field(default=None, max_length=14)
    external_ref: str | None = Field(default=None, max_length=64)


class ResidentUpdate(_Strict):
    """Fields to change, the reason, and optionally the version last read."""

    reason: str = Field(min_length=1, max_length=500)
    version: int | None = Field(default=None, ge=1)
    family_name_native: str | None = Field(default=None, max_length=200)
    given_name_native: str | None = Field(default=None, max_length=200)
    family_name_latin: str | None = Field(default=None, max_length=200)
    given_name_latin: str | None = Field(default=None, max_length=200)
    date_of_birth: str | None = Field(default=None, max_length=10)
    sex: Literal["F", "M", "X"] | None = None
    place_of_birth: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=200)
    region_code: str | None = Field(default=None, max_length=10)
    household_ref: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)
    status: Literal["active", "deceased", "emigrated"] | None = None


class ResidentPublic(BaseModel):
    """A resident as officials with the right scope see it."""

    uin: str
    family_name_native: str
    given_name_native: str
    family_name_latin: str
    given_name_latin: str
    date_of_birth: str
    sex: str
    place_of_birth: str
    address: str
    region_code: str
    household_ref: str | None
    phone: str | None
    email: str | None
    status: str
    version: int
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def of(cls, r: Resident) -> ResidentPublic:
        """Build from a domain resident."""
        return cls(
            uin=r.uin,
            family_name_native=r.family_name_native,
            given_name_native=r.given_name_native,
            family_name_latin=r.family_name_latin,
            given_name_latin=r.given_name_latin,
            date_of_birth=str(r.date_of_birth),
            sex=r.sex.value,
            place_of_birth=r.place_of_birth,
            address=r.address,
            region_code=r.region_code,
            household_ref=r.household_ref,
            phone=r.phone,
            email=r.email,
            status=r.status.value,
            version=r.version,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )


class ResidentsPublic(BaseModel):
    """A page of residents and the cursor of the next page."""

    data: list[ResidentPublic]
    next_cursor: str | None


class ResidentChangePublic(BaseModel):
    """One change: old and new values, by whom, when and why."""

    version: int
    changed_at: datetime
    changed_by: str | None
    reason: str
    changes: dict[str, tuple[str | None, str | None]]

    @classmethod
    def of(cls, c: ResidentChange) -> ResidentChangePublic:
        """Build from a domain change."""
        return cls(
            version=c.version,
            changed_at=c.changed_at,
            changed_by=c.changed_by,
            reason=c.reason,
            changes=c.changes,
        )


class ResidentHistoryPublic(BaseModel):
    """Every change to one resident, oldest first."""

    uin: str
    data: list[ResidentChangePublic]


class RegionCreate(_Strict):
    """A new region under its parent."""

    code: str = Field(max_length=10)
    parent_code: str | None = Field(default=None, max_length=10)
    level: Literal["province", "county", "town", "village"]
    settlement: Literal["urban", "rural"]
    name_native: str = _Text
    name_latin: str = _Text
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class RegionPublic(BaseModel):
    """A region of the tree."""

    code: str
    parent_code: str | None
    level: str
    settlement: str
    name_native: str
    name_latin: str
    lineage: list[str]
    lat: float | None
    lon: float | None

    @classmethod
    def of(cls, r: Region) -> RegionPublic:
        """Build from a domain region."""
        return cls(
            code=r.code,
            parent_code=r.parent_code,
            level=r.level.value,
            settlement=r.settlement.value,
            name_native=r.name_native,
            name_latin=r.name_latin,
            lineage=list(r.child_path()),
            lat=r.lat,
            lon=r.lon,
        )


class StationCreate(_Strict):
    """A new station or mobile team."""

    code: str = Field(max_length=32)
    name: str = _Text
    region_code: str = Field(max_length=10)
    kind: Literal["office", "mobile"] = "office"
    opening_days: list[_Day] = Field(default_factory=_weekdays, min_length=1)
    daily_capacity: int = Field(default=100, ge=1, le=100_000)


class StationPublic(BaseModel):
    """A station or mobile team."""

    code: str
    name: str
    region_code: str
    kind: str
    opening_days: list[str]
    daily_capacity: int

    @classmethod
    def of(cls, s: Station) -> StationPublic:
        """Build from a domain station."""
        order = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
        return cls(
            code=s.code,
            name=s.name,
            region_code=s.region_code,
            kind=s.kind.value,
            opening_days=[d for d in order if d in s.opening_days],
            daily_capacity=s.daily_capacity,
        )


class TokenRequest(_Strict):
    """Sign-in: username, password, a TOTP code when enrolled, and optionally a station."""

    username: str = Field(max_length=64)
    password: str = Field(max_length=256)
    totp_code: str | None = Field(default=None, max_length=10)
    station: str | None = Field(
        default=None, max_length=32, description="The station you work at (within your scope)."
    )


class TokenPublic(BaseModel):
    """A bearer token, shown once."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme name
    expires_at: datetime


class TotpStartPublic(BaseModel):
    """A TOTP secret to load into an authenticator app, then confirm with a code."""

    secret: str
    provisioning_uri: str


class TotpConfirm(_Strict):
    """The secret received and a current code from the authenticator."""

    secret: str = Field(max_length=64)
    code: str = Field(max_length=10)


class _ScopeFields(_Strict):
    scope_national: bool | None = None
    scope_regions: list[str] | None = Field(default=None, max_length=1000)
    scope_stations: list[str] | None = Field(default=None, max_length=1000)


class OfficialCreate(_ScopeFields):
    """A new staff account."""

    username: str = Field(max_length=64)
    display_name: str = _Text
    password: str = Field(max_length=256)
    roles: list[Literal["admin", "registrar", "approver", "issuer", "auditor"]] = Field(
        min_length=1
    )
    resident_uin: str | None = Field(default=None, max_length=12)


class OfficialUpdate(_ScopeFields):
    """Changes to an account: roles, scope, active flag."""

    roles: list[Literal["admin", "registrar", "approver", "issuer", "auditor"]] | None = None
    is_active: bool | None = None


class OfficialPublic(BaseModel):
    """An account, without secrets."""

    id: str
    username: str
    display_name: str
    roles: list[str]
    scope_national: bool
    scope_regions: list[str]
    scope_stations: list[str]
    is_active: bool
    has_totp: bool

    @classmethod
    def of(cls, o: Official) -> OfficialPublic:
        """Build from a domain official."""
        return cls(
            id=o.id,
            username=o.username,
            display_name=o.display_name,
            roles=sorted(r.value for r in o.roles),
            scope_national=o.scope.national,
            scope_regions=sorted(o.scope.regions),
            scope_stations=sorted(o.scope.stations),
            is_active=o.is_active,
            has_totp=o.has_totp,
        )


class OfficialsPublic(BaseModel):
    """Every account."""

    data: list[OfficialPublic]


class Decision(_Strict):
    """A second official's decision on a two-person proposal."""

    confirm: bool
    reason: str = Field(min_length=1, max_length=500)


class ProposalPublic(BaseModel):
    """A two-person proposal and its outcome."""

    id: str
    action: str
    params: dict[str, str]
    reason: str
    proposed_by: str
    proposed_at: datetime
    state: str
    decided_by: str | None
    decided_at: datetime | None

    @classmethod
    def of(cls, p: Proposal) -> ProposalPublic:
        """Build from a domain proposal."""
        return cls(
            id=p.id,
            action=p.action,
            params=p.params,
            reason=p.reason,
            proposed_by=p.proposed_by,
            proposed_at=p.proposed_at,
            state=p.state.value,
            decided_by=p.decided_by,
            decided_at=p.decided_at,
        )
