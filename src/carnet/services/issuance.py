"""Issuance: a fully approved application becomes a numbered, signed document.

:func:`issue_documents` allocates for each application a document number (random,
so it reveals no issuance order), the validity window its type declares and a
status-list index (random, :mod:`carnet.credentials.statusindex`), signs the
credential with the document signer certified for the type
(:func:`carnet.credentials.issuing.issue_credential`), builds the MRZ
(:mod:`carnet.credentials.mrz`), stores the document, closes the application and
returns the log's record references. It runs inside the caller's unit of work:
the approval that completes an application issues in the same transaction, and
a campaign issues thousands per transaction with the same code.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Final, Protocol

from carnet.credentials.claim169 import BirthDate, Gender, Identity169
from carnet.credentials.issuing import COMPACT_DOCUMENT_TYPES, issue_credential
from carnet.credentials.mrz import MrzData, MrzDate, Sex, build_td1, build_td3
from carnet.credentials.statusindex import IndexAllocator, ListUsage, RandomSource
from carnet.credentials.statuslist import StatusReference
from carnet.domain.actions import (
    Action,
    ActionType,
    RecordRef,
    application_ref,
    document_ref,
)
from carnet.domain.doctypes import MrzFormat
from carnet.domain.documents import Application, Document
from carnet.domain.errors import ConflictError, ValidationError
from carnet.domain.persons import ResidentStatus
from carnet.domain.persons import Sex as ResidentSex

if TYPE_CHECKING:
    from collections.abc import Sequence

    from carnet.credentials.signing import Signer
    from carnet.domain.doctypes import Catalogue, DocumentType
    from carnet.domain.officials import Principal
    from carnet.domain.persons import Resident
    from carnet.services.ports import Clock, Renderer
    from carnet.services.uow import StatusRepository, UnitOfWork

__all__ = [
    "DocumentSigners",
    "Issued",
    "Issuing",
    "IssuingKey",
    "issue_approved",
    "issue_documents",
    "status_uri",
]

_NUMBER_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"  # no I, O, Q: easy to read
_NUMBER_LENGTH: Final = 9  # fits TD1 and TD3 without overflow
_NUMBER_ATTEMPTS: Final = 8
_NATIVE_LANGUAGE: Final = "kor"
_GENDERS: Final = {
    ResidentSex.MALE: Gender.MALE,
    ResidentSex.FEMALE: Gender.FEMALE,
    ResidentSex.UNSPECIFIED: Gender.OTHER,
}


@dataclass(frozen=True, slots=True)
class IssuingKey:
    """The document signer for one type: its key, its kid (hex) and its authority."""

    signer: Signer = field(repr=False)
    kid: str
    authority: str


class DocumentSigners(Protocol):
    """Hands out the current document signer of each document type."""

    def signer_for(self, document_type: str) -> IssuingKey:
        """Return the newest unrevoked signer certified for ``document_type``.

        Raises:
            NotFoundError: no usable signer for the type.
            InfrastructureError: the key store failed.
        """
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Issuing:
    """What the document use cases need besides a unit of work."""

    catalogue: Catalogue
    signers: DocumentSigners
    clock: Clock
    status_base_uri: str
    renderer: Renderer | None = None
    rng: RandomSource = field(default_factory=secrets.SystemRandom)


def status_uri(base: str, list_id: int) -> str:
    """The URI a status list is published under: short, it is inside every QR."""
    return f"{base.rstrip('/')}/{list_id}"


class _PublishedIndexStore:
    """The status repository as an allocator store, naming new lists as it creates them.

    In bulk mode the taken indices of each list are read once and claims are
    made in memory, then written with one statement per list (:meth:`flush`);
    the unique key still guards against a concurrent issuer.
    """

    def __init__(self, repo: StatusRepository, base_uri: str, *, bulk: bool) -> None:
        self._repo = repo
        self._base = base_uri
        self._bulk = bulk
        self._taken: dict[int, set[int]] = {}
        self._pending: dict[int, list[int]] = {}
        self._usage: dict[int, ListUsage] = {}
        self._closed: set[int] = set()
        self._uris: dict[int, str] = {}

    def open_lists(self) -> list[ListUsage]:
        if not self._bulk:
            return list(self._repo.open_lists())
        if not self._usage:
            self._usage = {u.list_id: u for u in self._repo.open_lists()}
        return [u for i, u in self._usage.items() if i not in self._closed]

    def create_list(self, capacity: int) -> int:
        list_id = self._repo.create_list(capacity)
        uri = status_uri(self._base, list_id)
        self._repo.set_uri(list_id, uri)
        self._uris[list_id] = uri
        if self._bulk:
            self._usage[list_id] = ListUsage(list_id, capacity, 0)
            self._taken[list_id] = set()
        return list_id

    def claim_first(self, list_id: int, candidates: Sequence[int]) -> int | None:
        if not self._bulk:
            return self._repo.claim_first(list_id, candidates)
        taken = self._taken.get(list_id)
        if taken is None:
            taken = self._taken[list_id] = set(self._repo.taken(list_id))
        usage = self._usage[list_id]
        for idx in candidates:
            if not 0 <= idx < usage.capacity:
                raise ValidationError("index outside the status list", field="idx")
            if idx not in taken:
                taken.add(idx)
                self._pending.setdefault(list_id, []).append(idx)
                self._usage[list_id] = ListUsage(list_id, usage.capacity, usage.used + 1)
                return idx
        return None

    def close_list(self, list_id: int) -> None:
        self._closed.add(list_id)
        self._repo.close_list(list_id)

    def flush(self) -> None:
        for list_id, indices in self._pending.items():
            self._repo.claim_many(list_id, indices)
        self._pending.clear()

    def uri(self, list_id: int) -> str:
        found = self._uris.get(list_id)
        if found is None:
            self._uris = {info.list_id: info.uri for info in self._repo.lists()}
            found = self._uris.get(list_id)
        if found is None:
            raise ConflictError("the status list has no published URI", field="list_id")
        return found


@dataclass(frozen=True, slots=True)
class Issued:
    """What an issuance produced: the closed applications, the documents, the log refs."""

    applications: list[Application]
    documents: list[Document]
    refs: list[RecordRef]


def issue_documents(
    uow: UnitOfWork,
    issuing: Issuing,
    pairs: Sequence[tuple[Application, Resident]],
    *,
    now: datetime,
) -> Issued:
    """Issue one document per fully approved application, inside ``uow``.

    Returns the closed applications, the new documents and the record references
    to log (each application, then each document). The caller appends the log
    leaf and commits.

    Raises:
        IllegalTransitionError: an application is not open or not fully approved.
        ValidationError: the resident's record lacks what the document prints.
        NotFoundError: no signer for a type.
        ConflictError: no free document number or status index.
    """
    if not pairs:
        return Issued([], [], [])
    store = _PublishedIndexStore(uow.status, issuing.status_base_uri, bulk=len(pairs) > 1)
    allocator = IndexAllocator(store)
    numbers = _new_numbers(uow, issuing, [a.document_type for a, _ in pairs])
    documents: list[Document] = []
    closed_all: list[Application] = []
    for (application, resident), number in zip(pairs, numbers, strict=True):
        closed = application.mark_issued(now)
        doc_type = issuing.catalogue.get(application.document_type)
        index = allocator.allocate(issuing.rng)
        valid_from, valid_until = validity_window(doc_type, application.attributes, now)
        key = issuing.signers.signer_for(doc_type.code)
        zone = application.attributes.get(doc_type.zone_attribute or "")
        qr = issue_credential(
            _identity(resident, doc_type, application.attributes),
            document_type=doc_type.code,
            document_number=number,
            status=StatusReference(store.uri(index.list_id), index.idx),
            valid_from=valid_from,
            valid_until=valid_until,
            zone=zone,
            signer=key.signer,
            now=now,
            issuer=key.authority,
        )
        document = Document(
            id=_uuid(issuing),
            document_number=number,
            resident_id=resident.id,
            application_id=application.id,
            document_type=doc_type.code,
            catalogue_version=application.catalogue_version,
            attributes=dict(application.attributes),
            valid_from=valid_from,
            valid_until=valid_until,
            status_list_id=index.list_id,
            status_idx=index.idx,
            signer_kid=key.kid,
            qr_text=qr,
            mrz=build_mrz(
                issuing.catalogue,
                doc_type,
                resident=resident,
                number=number,
                valid_until=valid_until,
                application=application,
            ),
            collection_station=application.station_code,
            issued_at=now,
            state_changed_at=now,
            replaces_document_id=application.replaces_document_id,
        )
        documents.append(document)
        closed_all.append(closed)
    store.flush()
    if len(closed_all) == 1:
        uow.applications.save(closed_all[0])
    else:
        uow.applications.save_many(closed_all)
    if len(documents) == 1:
        uow.documents.add(documents[0])
    else:
        uow.documents.add_many(documents)
    refs = [application_ref(a) for a in closed_all] + [document_ref(d) for d in documents]
    return Issued(closed_all, documents, refs)


def validity_window(
    doc_type: DocumentType, attributes: dict[str, str], now: datetime
) -> tuple[datetime, datetime]:
    """Return ``(valid_from, valid_until)`` for a document issued ``now``.

    A fixed term runs from issuance to the end of the same calendar day ``years``
    and ``days`` later (UTC); a window from attributes runs from the start of the
    first day to the end of the last. A window already over is refused.

    Raises:
        ValidationError: the attribute window ended before issuance.
    """
    validity = doc_type.validity
    if validity.from_attribute and validity.until_attribute:
        start = date.fromisoformat(attributes[validity.from_attribute])
        end = date.fromisoformat(attributes[validity.until_attribute])
        valid_from = datetime.combine(start, time(), tzinfo=UTC)
        valid_until = datetime.combine(end + timedelta(days=1), time(), tzinfo=UTC)
        if valid_until <= now:
            raise ValidationError(
                "the requested dates are already over",
                field=f"attributes.{validity.until_attribute}",
            )
        return valid_from, valid_until
    today = now.astimezone(UTC).date()
    last = _add_years(today, validity.years) + timedelta(days=validity.days)
    return now, datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year + years, day=28)


def _identity(
    resident: Resident, doc_type: DocumentType, attributes: dict[str, str]
) -> Identity169:
    """The Claim 169 identity the QR carries: the minimum for a compact type (ADR 0008)."""
    dob = resident.date_of_birth
    birth = BirthDate(dob.year, dob.month, dob.day)
    native = f"{resident.family_name_native}{resident.given_name_native}"
    latin = f"{resident.given_name_latin} {resident.family_name_latin}"
    gender = _GENDERS.get(resident.sex)
    if doc_type.code in COMPACT_DOCUMENT_TYPES:
        return Identity169(full_name=native, date_of_birth=birth, gender=gender)
    return Identity169(
        full_name=latin,
        given_name=resident.given_name_latin,
        family_name=resident.family_name_latin,
        secondary_full_name=native,
        secondary_language=_NATIVE_LANGUAGE,
        date_of_birth=birth,
        gender=gender,
        nationality=attributes.get("nationality"),
    )


def build_mrz(
    catalogue: Catalogue,
    doc_type: DocumentType,
    *,
    resident: Resident,
    number: str,
    valid_until: datetime,
    application: Application,
) -> tuple[str, ...]:
    """Return the MRZ lines of a document (TD1: three lines, TD3: two).

    The date of expiry is the last day of validity; an unknown part of the date
    of birth is written with fillers (Doc 9303 Part 3 §3.8).
    """
    dob = resident.date_of_birth
    data = MrzData(
        document_code=doc_type.mrz_code,
        issuing_state=catalogue.issuing_state,
        document_number=number,
        primary_identifier=resident.family_name_latin,
        secondary_identifier=resident.given_name_latin,
        nationality=application.attributes.get("nationality", catalogue.issuing_state),
        date_of_birth=MrzDate(dob.year % 100, dob.month, dob.day),
        sex=Sex(resident.sex.value),
        date_of_expiry=MrzDate.from_date((valid_until - timedelta(days=1)).date()),
    )
    if doc_type.mrz_format is MrzFormat.TD3:
        return build_td3(data)
    return build_td1(data)


def _new_numbers(uow: UnitOfWork, issuing: Issuing, types: Sequence[str]) -> list[str]:
    """Draw one random, unused document number per type (prefix + check-free body)."""
    prefixes = [issuing.catalogue.get(t).number_prefix for t in types]
    chosen: list[str | None] = [None] * len(types)
    for _attempt in range(_NUMBER_ATTEMPTS):
        missing = [i for i, n in enumerate(chosen) if n is None]
        if not missing:
            break
        drawn = {i: _draw_number(prefixes[i], issuing.rng) for i in missing}
        taken = uow.documents.numbers_taken(sorted(set(drawn.values())))
        seen: set[str] = {n for n in chosen if n is not None}
        for i, number in drawn.items():
            if number not in taken and number not in seen:
                chosen[i] = number
                seen.add(number)
    if any(n is None for n in chosen):
        raise ConflictError("could not draw a free document number")
    return [n for n in chosen if n is not None]


def _draw_number(prefix: str, rng: RandomSource) -> str:
    """A prefix and a uniformly random body from the number alphabet (one draw)."""
    width = _NUMBER_LENGTH - len(prefix)
    value = rng.randrange(len(_NUMBER_ALPHABET) ** width)
    body = []
    for _ in range(width):
        value, digit = divmod(value, len(_NUMBER_ALPHABET))
        body.append(_NUMBER_ALPHABET[digit])
    return prefix + "".join(body)


def _uuid(issuing: Issuing) -> str:
    """A version-4 UUID from the issuer's random source (tests may seed it): one draw."""
    return str(uuid.UUID(int=issuing.rng.randrange(1 << 128), version=4))


def issue_approved(
    uow: UnitOfWork,
    issuing: Issuing,
    application_ids: Sequence[str],
    *,
    principal: Principal | None = None,
) -> list[Document]:
    """Issue, in one transaction, every fully approved open application among the ids.

    The batch path for campaigns and for applications approved while issuance
    could not run: applications not open, not fully approved, or whose holder's
    record is no longer active are skipped. One ``issuance`` leaf commits to
    every application and document (``principal``: the official running the
    batch; ``None``: the operator).

    Raises:
        NotFoundError: no signer for a type.
        ConflictError: no free number or index, or a concurrent issuer won.
    """
    now = issuing.clock.now()
    with uow:
        found = uow.applications.get_many(application_ids)
        ready = [a for a in found.values() if a.is_open and a.is_fully_approved]
        holders = uow.residents.get_many(sorted({a.resident_id for a in ready}))
        pairs = [
            (a, holders[a.resident_id])
            for a in ready
            if a.resident_id in holders
            and holders[a.resident_id].status is ResidentStatus.ACTIVE
            and a.fee_settled
        ]
        issued = issue_documents(uow, issuing, pairs, now=now)
        if issued.documents:
            uow.ledger.append(Action.by(principal, ActionType.ISSUANCE, issued.refs, at=now))
            uow.commit()
    return issued.documents
