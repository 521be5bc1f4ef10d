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
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "ApplicationRow",
    "AuthTokenRow",
    "Base",
    "CustodyEventRow",
    "DocumentRow",
    "LedgerCheckpointRow",
    "LedgerHeadRow",
    "LedgerKeyRow",
    "LedgerLeafRow",
    "LedgerNodeRow",
    "LedgerSubjectRow",
    "OfficialRow",
    "OutboxRow",
    "PrintRunItemRow",
    "PrintRunRow",
    "ProposalRow",
    "RegionRow",
    "ResidentChangeRow",
    "ResidentCodeRow",
    "ResidentRow",
    "ResidentTokenRow",
    "StationRow",
    "StatusEntryRow",
    "StatusListRow",
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
    # The last TOTP time step accepted: a code is never accepted twice (RFC 6238 §5.2).
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # The official's own registry record: the four-eyes rule keeps them off their own case.
    resident_id: Mapped[str | None] = mapped_column(ForeignKey("residents.id"))
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
    station_code: Mapped[str | None] = mapped_column(String(32))


class OutboxRow(Base):
    """A notification waiting for (or past) delivery."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(String(254))
    template: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(8))
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(String(64))


class ResidentCodeRow(Base):
    """A resident's one-time sign-in code (hash only)."""

    __tablename__ = "resident_codes"
    __table_args__ = (Index("ix_resident_codes_resident_created", "resident_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ResidentTokenRow(Base):
    """A resident's session token (hash only)."""

    __tablename__ = "resident_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ProposalRow(Base):
    """A sensitive action waiting for (or decided by) a second official."""

    __tablename__ = "proposals"
    __table_args__ = (Index("ix_proposals_state_action", "state", "action"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    action: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, str]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    proposed_by: Mapped[str] = mapped_column(ForeignKey("officials.id"))
    proposed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    state: Mapped[str] = mapped_column(String(12))
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("officials.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decision_reason: Mapped[str | None] = mapped_column(Text)


class LedgerHeadRow(Base):
    """The log head: one row (``id = 1``) with the size and the right frontier.

    Appending locks this row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite
    transactions are ``BEGIN IMMEDIATE``), so leaves are numbered in commit order.
    ``frontier`` holds the compact-range hashes, highest level first, concatenated.
    """

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)
    frontier: Mapped[bytes] = mapped_column(LargeBinary)


class LedgerLeafRow(Base):
    """One leaf: its bytes (no personal data), and the reason it commits to."""

    __tablename__ = "ledger_leaves"

    leaf_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entry: Mapped[bytes] = mapped_column(LargeBinary)
    reason: Mapped[str | None] = mapped_column(Text)
    reason_salt: Mapped[bytes | None] = mapped_column(LargeBinary)


class LedgerSubjectRow(Base):
    """A record a leaf touched: its id, version, salt and commitment (kept private)."""

    __tablename__ = "ledger_subjects"
    __table_args__ = (Index("ix_ledger_subjects_kind_record", "kind", "record_id"),)

    leaf_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(80))
    version: Mapped[int | None] = mapped_column(Integer)
    salt: Mapped[bytes] = mapped_column(LargeBinary)
    commitment: Mapped[bytes] = mapped_column(LargeBinary)


class LedgerNodeRow(Base):
    """A complete-subtree hash; ``node_id`` is ``level << 56 | index``."""

    __tablename__ = "ledger_nodes"

    node_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class LedgerCheckpointRow(Base):
    """A signed checkpoint (C2SP signed note) and the log key that signed it."""

    __tablename__ = "ledger_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    size: Mapped[int] = mapped_column(BigInteger, index=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary)
    key_kid: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LedgerKeyRow(Base):
    """A log signing key: key-store id, note key name (the origin), public half."""

    __tablename__ = "ledger_keys"

    kid: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ApplicationRow(Base):
    """An application for a document; ``approvals`` is a JSON list, oldest first.

    Each approval is ``{"official_id", "at" (ISO 8601, UTC), "reason"}``: they
    are only ever read with their application, so a side table buys nothing.
    """

    __tablename__ = "applications"
    __table_args__ = (
        # The decision queue: open applications, escalated first, then oldest.
        Index("ix_applications_queue", "state", "escalated_at", "submitted_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    document_type: Mapped[str] = mapped_column(String(40))
    catalogue_version: Mapped[int] = mapped_column(Integer)
    attributes: Mapped[dict[str, str]] = mapped_column(JSON)
    station_code: Mapped[str] = mapped_column(String(32))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Officials are referenced by id without a foreign key, as in ``residents.created_by``.
    entered_by: Mapped[str | None] = mapped_column(String(36))
    required_approvals: Mapped[int] = mapped_column(Integer)
    approvals: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(12))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    decided_by: Mapped[str | None] = mapped_column(String(36))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    fee_amount: Mapped[int | None] = mapped_column(BigInteger)
    fee_currency: Mapped[str | None] = mapped_column(String(3))
    fee_receipt: Mapped[str | None] = mapped_column(Text)
    # No foreign key: documents reference applications, and a cycle would order inserts.
    replaces_document_id: Mapped[str | None] = mapped_column(String(36))
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(Integer)


class DocumentRow(Base):
    """An issued document: number, validity, status-list entry, signed QR and MRZ lines."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("status_list_id", "status_idx"),
        Index("ix_documents_state_station", "state", "collection_station"),
        Index("ix_documents_state_held", "state", "held_at"),
        Index("ix_documents_state_valid_until", "state", "valid_until"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    document_number: Mapped[str] = mapped_column(String(32), unique=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"))
    document_type: Mapped[str] = mapped_column(String(40))
    catalogue_version: Mapped[int] = mapped_column(Integer)
    attributes: Mapped[dict[str, str]] = mapped_column(JSON)
    valid_from: Mapped[datetime] = mapped_column(UtcDateTime())
    valid_until: Mapped[datetime] = mapped_column(UtcDateTime())
    status_list_id: Mapped[int] = mapped_column(Integer)
    status_idx: Mapped[int] = mapped_column(Integer)
    signer_kid: Mapped[str] = mapped_column(String(64))
    qr_text: Mapped[str] = mapped_column(Text)
    mrz: Mapped[list[str]] = mapped_column(JSON)
    collection_station: Mapped[str] = mapped_column(String(32))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    state: Mapped[str] = mapped_column(String(12))
    held_at: Mapped[str | None] = mapped_column(String(32))
    state_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ready_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    collected_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(24))
    # Plain ids: a replacement and its print run may be written in either order.
    replaces_document_id: Mapped[str | None] = mapped_column(String(36))
    print_run_id: Mapped[str | None] = mapped_column(String(36))
    prints: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)


class CustodyEventRow(Base):
    """One hand-over in a document's chain of custody, numbered per document."""

    __tablename__ = "document_custody"

    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    transition: Mapped[str] = mapped_column(String(16))
    from_station: Mapped[str | None] = mapped_column(String(32))
    to_station: Mapped[str | None] = mapped_column(String(32))
    official_id: Mapped[str | None] = mapped_column(String(36))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class PrintRunRow(Base):
    """A station's print run: one PDF, identified by its SHA-256."""

    __tablename__ = "print_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    station_code: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    pdf_sha256: Mapped[str] = mapped_column(String(64))


class PrintRunItemRow(Base):
    """A document of a print run, at its position in the PDF."""

    __tablename__ = "print_run_items"

    run_id: Mapped[str] = mapped_column(ForeignKey("print_runs.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"))


class StatusListRow(Base):
    """A status list: its size, how many entries are allocated, whether it takes more."""

    __tablename__ = "status_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uri: Mapped[str | None] = mapped_column(Text)
    capacity: Mapped[int] = mapped_column(Integer)
    used: Mapped[int] = mapped_column(Integer)
    is_open: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class StatusEntryRow(Base):
    """An allocated status-list entry and its 2-bit status.

    The primary key is the uniqueness the allocator relies on: two issuers never
    share an index (draft-ietf-oauth-status-list §13.3).
    """

    __tablename__ = "status_entries"

    list_id: Mapped[int] = mapped_column(
        ForeignKey("status_lists.id"), primary_key=True, autoincrement=False
    )
    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[int] = mapped_column(SmallInteger, default=0, server_default=text("0"))
