"""Official actions as the transparency log records them, and the log's leaf format.

Every official action is one :class:`Action`: its type, the official (id and
roles), the station, the time, a reason, and the records it touched
(:class:`RecordRef`). The log never holds a record itself: each touched record
becomes a *salted commitment* ``SHA-256(salt || canonical bytes)`` whose salt stays
in the database next to the leaf, so the leaf holds no personal data while the
record version it saw can still be proven, or disproven, later.

The canonical bytes of a record version (:func:`canonical_bytes`) are compact JSON
with sorted keys of its kind, id, version and fields; the helpers
``*_ref`` build them for every kind of record that exists today, and
:meth:`RecordRef.of` for any later one.

A leaf (:func:`encode_leaf`) is canonical compact JSON, ASCII only::

    {"at":"2026-03-02T09:00:00.000000Z","official":"<uuid>"|null,"reason":"<b64>"|null,
     "roles":["registrar"],"station":"ST-A"|null,
     "subjects":{"count":2,"root":"<b64>"},"type":"change","v":1}

``subjects.root`` is the RFC 9162 Merkle tree hash over one entry per touched
record, ``kind || 0x00 || commitment``, in the action's order; ``reason`` is the
salted commitment to the reason text, which itself stays in the database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from enum import Enum, StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from carnet.domain.documents import Application, Document
from carnet.domain.errors import LedgerError, ValidationError
from carnet.domain.persons import Resident

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from carnet.domain.officials import Official, Principal
    from carnet.domain.persons import ResidentChange
    from carnet.domain.proposals import Proposal
    from carnet.domain.regions import Region, Station

__all__ = [
    "DEFAULT_READ_REASON",
    "DEFAULT_SEARCH_REASON",
    "LEAF_FORMAT_VERSION",
    "OPERATOR",
    "READ_ACTIONS",
    "Action",
    "ActionType",
    "LeafFields",
    "LoggedAction",
    "RecordKind",
    "RecordRef",
    "application_ref",
    "canonical_bytes",
    "change_ref",
    "commitment",
    "decode_leaf",
    "document_ref",
    "encode_leaf",
    "official_ref",
    "print_run_ref",
    "proposal_ref",
    "region_ref",
    "resident_ref",
    "signer_ref",
    "station_ref",
    "subject_entry",
    "token_ref",
]

LEAF_FORMAT_VERSION = 1
OPERATOR = "operator"
"""How an action without an official (a CLI command run by the operator) is shown."""

DEFAULT_READ_REASON = "no reason given"
"""Recorded for a read of a resident record when the caller states no reason."""

DEFAULT_SEARCH_REASON = "search"
"""Recorded for a search when the caller states no reason."""

_MAX_REASON = 500
_HASH_SIZE = 32
_TYPE = re.compile(r"[a-z][a-z_]{0,39}")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class ActionType(StrEnum):
    """What an official did. Values are stable: they are written into leaves."""

    # The registry.
    ENROLMENT = "enrolment"
    CHANGE = "change"
    MERGE = "merge"
    IMPORT = "import"
    EXPORT = "export"
    TRANSFER = "transfer"
    # Reads of resident records: one record, a page of search results, a history.
    READ = "read"
    SEARCH = "search"
    HISTORY = "history"
    # Documents (issue #5 and later).
    APPLICATION = "application"
    APPROVAL = "approval"
    ISSUANCE = "issuance"
    PRINTING = "printing"
    DISPATCH = "dispatch"
    COLLECTION = "collection"
    REVOCATION = "revocation"
    REJECTION = "rejection"
    WITHDRAWAL = "withdrawal"
    FEE_PAYMENT = "fee_payment"
    ESCALATION = "escalation"
    RECEIPT = "receipt"
    LOSS_REPORT = "loss_report"
    DESTRUCTION = "destruction"
    EXPIRY = "expiry"
    # The two-person rule: a proposal, and the second official's decision.
    PROPOSAL = "proposal"
    DECISION = "decision"
    # Officials' accounts and sign-in.
    SIGN_IN = "sign_in"
    SIGN_OUT = "sign_out"
    OFFICIAL_CREATION = "official_creation"
    OFFICIAL_CHANGE = "official_change"
    TOTP_ENROLMENT = "totp_enrolment"
    # Reference data.
    REGION_CREATION = "region_creation"
    STATION_CREATION = "station_creation"
    REFERENCE_LOAD = "reference_load"
    # The issuer's PKI: document and service signers certified or revoked.
    SIGNER_CREATION = "signer_creation"
    SIGNER_REVOCATION = "signer_revocation"


READ_ACTIONS = frozenset({ActionType.READ, ActionType.SEARCH, ActionType.HISTORY})
"""Actions that only read the records they touch."""


class RecordKind(StrEnum):
    """The kinds of record the log commits to today."""

    RESIDENT = "resident"
    RESIDENT_CHANGE = "resident_change"
    OFFICIAL = "official"
    AUTH_TOKEN = "auth_token"  # noqa: S105 - a record kind, not a credential
    REGION = "region"
    STATION = "station"
    PROPOSAL = "proposal"
    APPLICATION = "application"
    DOCUMENT = "document"
    PRINT_RUN = "print_run"
    SIGNER = "signer"


@lru_cache(maxsize=4096)
def _utc_text(value: datetime) -> str:
    # Cached: the rows of one import or one batch share their timestamps.
    return value.astimezone(UTC).strftime(_TIME_FORMAT)


def _jsonable(value: object) -> object:  # noqa: PLR0911 - one branch per type
    """Turn a field value into plain JSON: one representation per value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValidationError("naive datetimes cannot be logged")
        return _utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return _jsonable(value.value)
    if isinstance(value, frozenset | set):
        return sorted(str(_jsonable(v)) for v in value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        # Plain strings, ints and None (most fields) skip the recursive call.
        return {
            str(k): v if v is None or type(v) in _PLAIN_TYPES else _jsonable(v)
            for k, v in value.items()
        }
    return str(value)


_PLAIN_TYPES = frozenset({str, int})


def canonical_bytes(
    kind: str, record_id: str, version: int | None, values: Mapping[str, object]
) -> bytes:
    """Return the canonical bytes of one record version (compact JSON, sorted keys).

    Floats are written with ``repr`` and datetimes as UTC with microseconds, so the
    same record read back from SQLite or PostgreSQL gives the same bytes.
    """
    document = {"kind": kind, "id": record_id, "version": version, "fields": _jsonable(values)}
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def commitment(salt: bytes, content: bytes) -> bytes:
    """Return the salted commitment ``SHA-256(salt || content)``."""
    return hashlib.sha256(salt + content).digest()


def subject_entry(kind: str, record_commitment: bytes) -> bytes:
    """Return one entry of a leaf's subject tree: ``kind || 0x00 || commitment``."""
    return kind.encode("ascii") + b"\x00" + record_commitment


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordRef:
    """One record version an action touched, with its canonical bytes.

    Build it with :meth:`of` or the ``*_ref`` helpers so that ``content`` is the
    canonical form the audit recomputes from the database.
    """

    kind: str
    id: str
    version: int | None = None
    content: bytes = field(repr=False)

    @classmethod
    def of(
        cls, kind: str, record_id: str, values: Mapping[str, object], version: int | None = None
    ) -> RecordRef:
        """Return a reference to a record version with the given field values."""
        return cls(
            kind=kind,
            id=record_id,
            version=version,
            content=canonical_bytes(kind, record_id, version, values),
        )


_RESIDENT_FIELDS = tuple(f.name for f in fields(Resident) if f.name not in {"id", "version"})
_APPLICATION_FIELDS = tuple(f.name for f in fields(Application) if f.name not in {"id", "version"})
_DOCUMENT_FIELDS = tuple(f.name for f in fields(Document) if f.name not in {"id", "version"})


def resident_ref(resident: Resident) -> RecordRef:
    """The current version of a resident: every field of the record."""
    values = {name: getattr(resident, name) for name in _RESIDENT_FIELDS}
    return RecordRef.of(RecordKind.RESIDENT, resident.id, values, resident.version)


def change_ref(change: ResidentChange) -> RecordRef:
    """One row of a resident's history; its id is ``<resident id>/<version>``."""
    values = {
        "resident_id": change.resident_id,
        "changed_at": change.changed_at,
        "changed_by": change.changed_by,
        "reason": change.reason,
        "changes": {k: list(v) for k, v in change.changes.items()},
    }
    record_id = f"{change.resident_id}/{change.version}"
    return RecordRef.of(RecordKind.RESIDENT_CHANGE, record_id, values, change.version)


def official_ref(official: Official) -> RecordRef:
    """An official's account, secrets included (they are only ever committed to)."""
    values = {
        "username": official.username,
        "display_name": official.display_name,
        "roles": official.roles,
        "scope_national": official.scope.national,
        "scope_regions": official.scope.regions,
        "scope_stations": official.scope.stations,
        "password_hash": official.password_hash,
        "totp_secret": official.totp_secret,
        "is_active": official.is_active,
        "created_at": official.created_at,
    }
    return RecordRef.of(RecordKind.OFFICIAL, official.id, values)


def token_ref(
    token_hash: str,
    official_id: str,
    issued_at: datetime,
    expires_at: datetime,
    station_code: str | None,
) -> RecordRef:
    """A bearer token's fixed fields (its revocation time changes and is left out)."""
    values = {
        "official_id": official_id,
        "issued_at": issued_at,
        "expires_at": expires_at,
        "station_code": station_code,
    }
    return RecordRef.of(RecordKind.AUTH_TOKEN, token_hash, values)


def region_ref(region: Region) -> RecordRef:
    """A region of the tree."""
    values = {
        "parent_code": region.parent_code,
        "level": region.level,
        "settlement": region.settlement,
        "name_native": region.name_native,
        "name_latin": region.name_latin,
        "path": region.path,
        "lat": region.lat,
        "lon": region.lon,
    }
    return RecordRef.of(RecordKind.REGION, region.code, values)


def station_ref(station: Station) -> RecordRef:
    """A station or mobile team."""
    values = {
        "name": station.name,
        "region_code": station.region_code,
        "kind": station.kind,
        "opening_days": station.opening_days,
        "daily_capacity": station.daily_capacity,
    }
    return RecordRef.of(RecordKind.STATION, station.code, values)


def proposal_ref(proposal: Proposal) -> RecordRef:
    """A two-person proposal: what, why, who proposed and who decided, and when."""
    values = {
        "action": proposal.action,
        "params": proposal.params,
        "reason": proposal.reason,
        "proposed_by": proposal.proposed_by,
        "proposed_at": proposal.proposed_at,
        "state": proposal.state,
        "decided_by": proposal.decided_by,
        "decided_at": proposal.decided_at,
        "decision_reason": proposal.decision_reason,
    }
    return RecordRef.of(RecordKind.PROPOSAL, proposal.id, values)


def application_ref(application: Application) -> RecordRef:
    """An application version: every field, approvals included."""
    values = {name: getattr(application, name) for name in _APPLICATION_FIELDS}
    values["approvals"] = [[a.official_id, a.at, a.reason] for a in application.approvals]
    return RecordRef.of(RecordKind.APPLICATION, application.id, values, application.version)


def document_ref(document: Document) -> RecordRef:
    """A document version: every field, the signed QR and the MRZ included."""
    values = {name: getattr(document, name) for name in _DOCUMENT_FIELDS}
    return RecordRef.of(RecordKind.DOCUMENT, document.id, values, document.version)


def print_run_ref(
    run_id: str, station_code: str, document_ids: Sequence[str], pdf_sha256: str
) -> RecordRef:
    """A print run: the station, the documents in order and the PDF's hash."""
    values = {
        "station_code": station_code,
        "document_ids": list(document_ids),
        "pdf_sha256": pdf_sha256,
    }
    return RecordRef.of(RecordKind.PRINT_RUN, run_id, values)


def signer_ref(
    kid_hex: str, *, authority: str, document_type: str, serial_number: int, revoked: bool
) -> RecordRef:
    """A signer certificate of the issuer's PKI (its key id names it)."""
    values = {
        "authority": authority,
        "document_type": document_type,
        "serial_number": str(serial_number),
        "revoked": revoked,
    }
    return RecordRef.of(RecordKind.SIGNER, kid_hex, values)


def _clean_reason(reason: str | None) -> str | None:
    if reason is None:
        return None
    reason = " ".join(reason.split())
    if not reason:
        return None
    if len(reason) > _MAX_REASON:
        raise ValidationError(f"a reason has at most {_MAX_REASON} characters", field="reason")
    return reason


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    """One official action, to be appended to the log in the action's transaction.

    ``official_id`` is ``None`` for commands the operator runs from the CLI.
    ``at`` is ``None`` to let the log stamp the time at which it appends.

    Raises:
        ValidationError: a reason longer than 500 characters, or a bad station code.
    """

    type: ActionType
    official_id: str | None
    roles: tuple[str, ...] = ()
    station: str | None = None
    at: datetime | None = None
    subjects: Sequence[RecordRef] = ()
    reason: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "subjects", tuple(self.subjects))
        object.__setattr__(self, "roles", tuple(sorted(self.roles)))
        object.__setattr__(self, "reason", _clean_reason(self.reason))
        if self.station is not None and not self.station.isascii():
            raise ValidationError("a station code is ASCII", field="station")

    @classmethod
    def by(
        cls,
        principal: Principal | None,
        action_type: ActionType,
        subjects: Sequence[RecordRef] = (),
        *,
        reason: str | None = None,
        at: datetime | None = None,
    ) -> Action:
        """Return the action of ``principal`` (``None``: the CLI operator)."""
        if principal is None:
            return cls(type=action_type, official_id=None, subjects=subjects, reason=reason, at=at)
        return cls(
            type=action_type,
            official_id=principal.official_id,
            roles=tuple(r.value for r in principal.roles),
            station=principal.station_code,
            at=at,
            subjects=subjects,
            reason=reason,
        )


@dataclass(frozen=True, slots=True)
class LoggedAction:
    """One leaf that touched a record, as a resident or an auditor sees it.

    ``official_role`` is the official's roles joined with ``,`` (``operator`` for a
    CLI command); ``reason`` comes from the database, where the leaf commits to it.
    """

    index: int
    action_type: str
    official_id: str | None
    official_role: str
    station: str | None
    at: datetime
    reason: str | None


@dataclass(frozen=True, slots=True)
class LeafFields:
    """The decoded, non-personal fields of a leaf."""

    action_type: str
    official_id: str | None
    roles: tuple[str, ...]
    station: str | None
    at: datetime
    subject_count: int
    subjects_root: bytes
    reason_commitment: bytes | None
    format_version: int = LEAF_FORMAT_VERSION

    @property
    def official_role(self) -> str:
        """The roles joined with ``,``, or ``operator`` when no official acted."""
        if self.official_id is None:
            return OPERATOR
        return ",".join(self.roles)


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def encode_leaf(leaf: LeafFields) -> bytes:
    """Return the canonical bytes of a leaf (compact JSON, sorted keys, ASCII)."""
    document = {
        "v": leaf.format_version,
        "type": leaf.action_type,
        "official": leaf.official_id,
        "roles": list(leaf.roles),
        "station": leaf.station,
        "at": leaf.at.astimezone(UTC).strftime(_TIME_FORMAT),
        "subjects": {"count": leaf.subject_count, "root": _b64(leaf.subjects_root)},
        "reason": None if leaf.reason_commitment is None else _b64(leaf.reason_commitment),
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode("ascii")


def _hash_field(value: object, name: str) -> bytes:
    if not isinstance(value, str):
        raise LedgerError(f"leaf field {name} is not base64")
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise LedgerError(f"leaf field {name} is not base64") from exc
    if len(raw) != _HASH_SIZE:
        raise LedgerError(f"leaf field {name} is not a 32-byte hash")
    return raw


def _optional_text(value: object, name: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise LedgerError(f"leaf field {name} is not text")
    return value


def _parse(data: bytes) -> dict[str, Any]:
    try:
        document = json.loads(data.decode("ascii"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise LedgerError("the leaf is not canonical JSON") from exc
    if not isinstance(document, dict):
        raise LedgerError("the leaf is not a JSON object")
    return document


def decode_leaf(data: bytes) -> LeafFields:
    """Parse leaf bytes written by :func:`encode_leaf`, refusing any other encoding.

    Raises:
        LedgerError: not canonical JSON of a leaf of a known format version.
    """
    document = _parse(data)
    if set(document) != {"v", "type", "official", "roles", "station", "at", "subjects", "reason"}:
        raise LedgerError("the leaf has missing or unknown fields")
    if document["v"] != LEAF_FORMAT_VERSION:
        raise LedgerError("unknown leaf format version")
    action_type, roles, subjects = document["type"], document["roles"], document["subjects"]
    if not isinstance(action_type, str) or not _TYPE.fullmatch(action_type):
        raise LedgerError("leaf field type is malformed")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise LedgerError("leaf field roles is malformed")
    if not isinstance(subjects, dict) or set(subjects) != {"count", "root"}:
        raise LedgerError("leaf field subjects is malformed")
    count = subjects["count"]
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise LedgerError("leaf field subjects.count is malformed")
    try:
        at = datetime.strptime(str(document["at"]), _TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError as exc:
        raise LedgerError("leaf field at is malformed") from exc
    reason = document["reason"]
    leaf = LeafFields(
        action_type=action_type,
        official_id=_optional_text(document["official"], "official"),
        roles=tuple(roles),
        station=_optional_text(document["station"], "station"),
        at=at,
        subject_count=count,
        subjects_root=_hash_field(subjects["root"], "subjects.root"),
        reason_commitment=None if reason is None else _hash_field(reason, "reason"),
    )
    if encode_leaf(leaf) != data:
        raise LedgerError("the leaf is not in canonical form")
    return leaf
