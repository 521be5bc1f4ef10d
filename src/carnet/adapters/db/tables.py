"""SQLAlchemy 2 typed table mappings (the rows, not the domain objects).

Repositories in :mod:`carnet.adapters.db.repositories` convert rows to domain
objects and back explicitly. Portable types only: ``JSON`` rather than JSONB,
client-side UUIDs, and named constraints so Alembic behaves the same on SQLite
and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AuthTokenRow",
    "Base",
    "OfficialRow",
    "RegionRow",
    "ResidentChangeRow",
    "ResidentRow",
    "StationRow",
    "UtcDateTime",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes and store UTC."""
        del dialect
        if value is None:
            return None
        if value.tzinfo is None:
            msg = "naive datetimes are not stored"
            raise ValueError(msg)
        return value.astimezone(UTC)

    def process_result_value(self, value: object, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime."""
        del dialect
        if value is None:
            return None
        assert isinstance(value, datetime)  # noqa: S101 - the column type guarantees it
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with the shared naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class RegionRow(Base):
    """A region of the tree; ``path`` holds the ancestors' codes joined by '/'."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    level: Mapped[str] = mapped_column(String(16))
    settlement: Mapped[str] = mapped_column(String(8))
    name_native: Mapped[str] = mapped_column(String(200))
    name_latin: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(120), index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)


class StationRow(Base):
    """An issuing office or a mobile team."""

    __tablename__ = "stations"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    opening_days: Mapped[str] = mapped_column(String(40))
    daily_capacity: Mapped[int] = mapped_column(Integer)


class ResidentRow(Base):
    """A resident. The ``*_key`` columns hold accent- and case-free search keys."""

    __tablename__ = "residents"
    __table_args__ = (
        Index("ix_residents_latin_names", "family_key_latin", "given_key_latin"),
        Index("ix_residents_native_names", "family_key_native", "given_key_native"),
        Index("ix_residents_region_uin", "region_code", "uin"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    uin: Mapped[str] = mapped_column(String(12), unique=True)
    external_ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    family_name_native: Mapped[str] = mapped_column(String(200))
    given_name_native: Mapped[str] = mapped_column(String(200))
    family_name_latin: Mapped[str] = mapped_column(String(200))
    given_name_latin: Mapped[str] = mapped_column(String(200))
    family_key_native: Mapped[str] = mapped_column(String(200))
    given_key_native: Mapped[str] = mapped_column(String(200))
    family_key_latin: Mapped[str] = mapped_column(String(200))
    given_key_latin: Mapped[str] = mapped_column(String(200))
    birth_year: Mapped[int] = mapped_column(Integer, index=True)
    birth_month: Mapped[int | None] = mapped_column(Integer)
    birth_day: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str] = mapped_column(String(1))
    place_of_birth: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    household_ref: Mapped[str | None] = mapped_column(String(64), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(12))
    merged_into: Mapped[str | None] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str | None] = mapped_column(String(36))


class ResidentChangeRow(Base):
    """One change to a resident, with old and new values."""

    __tablename__ = "resident_changes"
    __table_args__ = (UniqueConstraint("resident_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    changed_by: Mapped[str | None] = mapped_column(String(36))
    reason: Mapped[str] = mapped_column(Text)
    changes: Mapped[dict[str, list[str | None]]] = mapped_column(JSON)


class OfficialRow(Base):
    """A staff account with its roles and scope."""

    __tablename__ = "officials"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    roles: Mapped[list[str]] = mapped_column(JSON)
    scope_national: Mapped[bool] = mapped_column(Boolean)
    scope_regions: Mapped[list[str]] = mapped_column(JSON)
    scope_stations: Mapped[list[str]] = mapped_column(JSON)
    is_active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AuthTokenRow(Base):
    """A bearer token, stored only as its SHA-256 hash."""

    __tablename__ = "auth_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    official_id: Mapped[str] = mapped_column(ForeignKey("officials.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
