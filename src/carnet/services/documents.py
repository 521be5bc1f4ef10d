"""The document lifecycle: print runs, dispatch, collection, custody, revocation, sweeps.

Every step goes through the state machine of :class:`~carnet.domain.documents.Document`
(an illegal step is refused with a clear error), is recorded in the chain of
custody when the document changes hands, sets the status-list entry when the
document stops being valid, and appends one log leaf that commits to every
record it touched. Sensitive steps (revocation by an official, reprints) go
through the two-person rule (:mod:`carnet.services.two_person`); a report of
loss or theft revokes at once, and a resident may report their own document.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Final

from carnet.credentials.statuslist import CARNET_BITS, Status, StatusList
from carnet.domain.actions import (
    DEFAULT_READ_REASON,
    DEFAULT_SEARCH_REASON,
    Action,
    ActionType,
    RecordRef,
    application_ref,
    document_ref,
    print_run_ref,
    resident_ref,
)
from carnet.domain.documents import (
    INVALID_STATES,
    RESIDENT_ROLE,
    CustodyEvent,
    Document,
    DocumentState,
    EndReason,
    Transition,
)
from carnet.domain.errors import (
    ConflictError,
    NotFoundError,
    ValidationError,
)
from carnet.domain.messages import Channel
from carnet.domain.officials import Permission
from carnet.domain.persons import ResidentStatus
from carnet.domain.printing import PrintItem
from carnet.domain.text import clean_text
from carnet.services import two_person
from carnet.services.outbox import enqueue
from carnet.services.uow import PrintRun

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

    from carnet.domain.doctypes import Catalogue
    from carnet.domain.officials import Principal
    from carnet.domain.persons import Resident
    from carnet.domain.proposals import Proposal
    from carnet.services.issuance import Issuing
    from carnet.services.uow import UnitOfWork

__all__ = [
    "IDENTITY_CHECKS",
    "Awaiting",
    "PrintOutput",
    "Sweep",
    "awaiting_collection",
    "cascade_resident_change",
    "collect",
    "custody",
    "dispatch_run",
    "documents_of",
    "for_resident",
    "get_document",
    "log_action",
    "print_item",
    "print_run",
    "print_run_pdf",
    "receive",
    "report_lost",
    "reprint_action",
    "revocation_action",
    "status_lists",
    "sweep",
    "transfer",
]

IDENTITY_CHECKS: Final = frozenset({"photo_match", "previous_document", "fingerprint"})
"""How a station official checked the person before handing a document over."""

_MAX_RUN: Final = 500
_MAX_REASON: Final = 500


# ----------------------------------------------------------------- helpers


def log_action(
    uow: UnitOfWork,
    principal: Principal | None,
    action: ActionType,
    refs: Sequence[RecordRef],
    *,
    reason: str | None,
    now: datetime,
    by_resident: bool = False,
) -> None:
    """Append the action's one leaf; a resident's own action is marked as such, never named."""
    if by_resident:
        uow.ledger.append(
            Action(
                type=action,
                official_id=None,
                roles=(RESIDENT_ROLE,),
                subjects=refs,
                reason=reason,
                at=now,
            )
        )
    else:
        uow.ledger.append(Action.by(principal, action, refs, reason=reason, at=now))


def _require_station_scope(uow: UnitOfWork, principal: Principal, code: str | None) -> str:
    """The station must exist and lie in the official's scope; return its code."""
    if not code:
        code = principal.station_code
    if not code:
        raise ValidationError("name the station (or sign in at one)", field="station")
    station = uow.stations.get(code)
    if station is None or not principal.covers(uow.regions.lineage(station.region_code)):
        raise NotFoundError("no such station in your scope", field="station")
    return code


def _load(uow: UnitOfWork, principal: Principal, document_id: str) -> tuple[Document, Resident]:
    """A document whose holder, collection station or custodian is in scope."""
    document = uow.documents.get(document_id)
    resident = uow.residents.get(document.resident_id) if document else None
    if document is None or resident is None:
        raise NotFoundError("no such document in your scope", field="document_id")
    places = [resident.region_code]
    for code in (document.collection_station, document.held_at):
        station = uow.stations.get(code) if code else None
        if station is not None:
            places.append(station.region_code)
    if not any(principal.covers(uow.regions.lineage(p)) for p in places):
        raise NotFoundError("no such document in your scope", field="document_id")
    return document, resident


def _set_invalid(uow: UnitOfWork, document: Document) -> None:
    if document.state in INVALID_STATES:
        uow.status.set_status(document.status_list_id, document.status_idx, Status.INVALID)


def _custody(
    uow: UnitOfWork,
    document: Document,
    transition: Transition,
    *,
    from_station: str | None,
    to_station: str | None,
    official_id: str | None,
    now: datetime,
) -> None:
    seq = len(uow.documents.custody(document.id)) + 1
    uow.documents.add_custody(
        CustodyEvent(
            document_id=document.id,
            seq=seq,
            transition=transition,
            from_station=from_station,
            to_station=to_station,
            official_id=official_id,
            at=now,
        )
    )


def _end(
    uow: UnitOfWork, document: Document, transition: Transition, reason: EndReason, now: datetime
) -> Document:
    ended = document.move(transition, now=now, reason=reason)
    uow.documents.save(ended)
    _set_invalid(uow, ended)
    return ended


# ------------------------------------------------------------------ reads


def _log_read(
    uow: UnitOfWork,
    principal: Principal,
    refs: Sequence[RecordRef],
    *,
    reason: str | None,
    search: bool = False,
) -> None:
    """Log a read of documents (the holder sees it in their access log) and commit."""
    action = ActionType.SEARCH if search else ActionType.READ
    default = DEFAULT_SEARCH_REASON if search else DEFAULT_READ_REASON
    uow.ledger.append(Action.by(principal, action, refs, reason=reason or default))
    uow.commit()


def get_document(
    uow: UnitOfWork, principal: Principal, document_id: str, *, reason: str | None = None
) -> Document:
    """Return one document in scope; the read is logged with its reason.

    Raises:
        NotFoundError: no such document in scope.
    """
    principal.require(Permission.DOCUMENT_READ)
    with uow:
        document, _resident = _load(uow, principal, document_id)
        _log_read(uow, principal, [document_ref(document)], reason=reason)
    return document


def documents_of(
    uow: UnitOfWork, principal: Principal, uin: str, *, reason: str | None = None
) -> list[Document]:
    """Return every document of a resident in scope, newest first; the read is logged.

    Raises:
        NotFoundError: no such resident in scope.
    """
    principal.require(Permission.DOCUMENT_READ)
    with uow:
        resident = uow.residents.get_by_uin(uin)
        if resident is None or not principal.covers(uow.regions.lineage(resident.region_code)):
            raise NotFoundError("no resident with this UIN in your scope", field="uin")
        found = uow.documents.for_resident(resident.id)
        refs = [resident_ref(resident), *(document_ref(d) for d in found)]
        _log_read(uow, principal, refs, reason=reason)
    return found


def custody(
    uow: UnitOfWork, principal: Principal, document_id: str, *, reason: str | None = None
) -> list[CustodyEvent]:
    """Return a document's chain of custody; the read is logged.

    Raises:
        NotFoundError: no such document in scope.
    """
    principal.require(Permission.DOCUMENT_READ)
    with uow:
        document, _resident = _load(uow, principal, document_id)
        events = uow.documents.custody(document_id)
        _log_read(uow, principal, [document_ref(document)], reason=reason)
    return events


def for_resident(uow: UnitOfWork, resident_id: str) -> list[Document]:
    """Return a resident's own documents, newest first (for the portal).

    ``resident_id`` comes from the resident's session, never from input.
    """
    with uow:
        return uow.documents.for_resident(resident_id)


@dataclass(frozen=True, slots=True)
class Awaiting:
    """A document waiting at a station, and for how long."""

    document: Document
    waiting: timedelta


def awaiting_collection(
    uow: UnitOfWork, issuing: Issuing, principal: Principal, station_code: str
) -> list[Awaiting]:
    """Return the documents ready at a station, oldest first, with their age.

    Raises:
        NotFoundError: no such station in scope.
    """
    principal.require(Permission.DOCUMENT_READ)
    now = issuing.clock.now()
    with uow:
        code = _require_station_scope(uow, principal, station_code)
        ready = uow.documents.in_state(DocumentState.READY, station_code=code, held=True)
        if ready:
            refs = [document_ref(d) for d in ready]
            _log_read(uow, principal, refs, reason="collection desk list", search=True)
    return [Awaiting(d, now - (d.ready_at or d.state_changed_at or now)) for d in ready]


# --------------------------------------------------------------- printing


@dataclass(frozen=True, slots=True)
class PrintOutput:
    """A print run and its PDF."""

    run: PrintRun
    pdf: bytes


def print_item(catalogue: Catalogue, document: Document, resident: Resident) -> PrintItem:
    """What is printed on ``document``: formatted fields, MRZ and QR."""
    doc_type = catalogue.get(document.document_type)
    dob = resident.date_of_birth
    labels = {a.name: a.label for a in doc_type.attributes}
    extra = tuple(
        (labels[name], document.attributes[name])
        for name in doc_type.printed
        if document.attributes.get(name)
    )
    last_day = (document.valid_until - timedelta(days=1)).date()
    return PrintItem(
        layout=doc_type.layout,
        document_number=document.document_number,
        title_native=doc_type.title_native,
        title_latin=doc_type.title_latin,
        authority=catalogue.authority,
        family_name_native=resident.family_name_native,
        given_name_native=resident.given_name_native,
        family_name_latin=resident.family_name_latin,
        given_name_latin=resident.given_name_latin,
        date_of_birth=str(dob),
        sex=resident.sex.value,
        nationality=document.attributes.get("nationality", catalogue.issuing_state),
        date_of_issue=document.issued_at.date().isoformat(),
        date_of_expiry=last_day.isoformat(),
        mrz=document.mrz,
        qr_text=document.qr_text,
        fields=extra,
    )


def _render(uow: UnitOfWork, issuing: Issuing, documents: Sequence[Document]) -> bytes:
    if issuing.renderer is None:
        raise ConflictError("no renderer is configured", field="renderer")
    holders = uow.residents.get_many(sorted({d.resident_id for d in documents}))
    if len(holders) != len({d.resident_id for d in documents}):
        raise NotFoundError("a document's holder is missing", field="document_id")
    items = [print_item(issuing.catalogue, d, holders[d.resident_id]) for d in documents]
    return issuing.renderer.render(items)


def print_run(
    uow: UnitOfWork,
    issuing: Issuing,
    principal: Principal,
    station_code: str,
    *,
    limit: int = 100,
) -> PrintOutput:
    """Render the station's issued documents into one PDF and mark them produced.

    Raises:
        NotFoundError: no such station in scope.
        ValidationError: a bad limit.
        ConflictError: nothing to print, or no renderer configured.
    """
    principal.require(Permission.DOCUMENT_PRODUCE)
    if not 1 <= limit <= _MAX_RUN:
        raise ValidationError(f"a print run holds 1 to {_MAX_RUN} documents", field="limit")
    now = issuing.clock.now()
    with uow:
        code = _require_station_scope(uow, principal, station_code)
        queued = uow.documents.in_state(DocumentState.ISSUED, station_code=code, limit=limit)
        if not queued:
            raise ConflictError("no issued documents wait for printing here", field="station")
        pdf = _render(uow, issuing, queued)
        run, refs = _record_run(
            uow, principal, code, queued, transition=Transition.PRINT, pdf=pdf, now=now
        )
        log_action(uow, principal, ActionType.PRINTING, refs, reason=None, now=now)
        uow.commit()
    return PrintOutput(run, pdf)


def _record_run(
    uow: UnitOfWork,
    principal: Principal,
    station_code: str,
    documents: Sequence[Document],
    *,
    transition: Transition,
    pdf: bytes,
    now: datetime,
) -> tuple[PrintRun, list[RecordRef]]:
    """Store a print run and move its documents (print or reprint); return the log refs."""
    run = PrintRun(
        id=str(uuid.uuid4()),
        station_code=station_code,
        created_by=principal.official_id,
        created_at=now,
        document_ids=tuple(d.id for d in documents),
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
    )
    uow.documents.add_print_run(run)
    refs: list[RecordRef] = [
        print_run_ref(run.id, run.station_code, run.document_ids, run.pdf_sha256)
    ]
    for document in documents:
        moved = replace(document.move(transition, now=now), print_run_id=run.id)
        uow.documents.save(moved)
        refs.append(document_ref(moved))
    return run, refs


def print_run_pdf(
    uow: UnitOfWork, issuing: Issuing, principal: Principal, run_id: str
) -> PrintOutput:
    """Render a past print run again (the same documents, in the same order).

    The PDF holds personal data, so each download is logged as a read of every
    document in it.

    Raises:
        NotFoundError: no such run in scope.
    """
    principal.require(Permission.DOCUMENT_PRODUCE)
    with uow:
        run = uow.documents.get_print_run(run_id)
        if run is None:
            raise NotFoundError("no such print run", field="run_id")
        _require_station_scope(uow, principal, run.station_code)
        documents = [d for i in run.document_ids if (d := uow.documents.get(i)) is not None]
        pdf = _render(uow, issuing, documents)
        refs = [document_ref(d) for d in documents]
        _log_read(uow, principal, refs, reason="print run download")
    return PrintOutput(run, pdf)


def dispatch_run(
    uow: UnitOfWork, issuing: Issuing, principal: Principal, run_id: str
) -> list[Document]:
    """Dispatch every still-produced document of a print run to its collection station.

    Raises:
        NotFoundError: no such run in scope.
        ConflictError: nothing left to dispatch in this run.
    """
    principal.require(Permission.DOCUMENT_PRODUCE)
    now = issuing.clock.now()
    with uow:
        run = uow.documents.get_print_run(run_id)
        if run is None:
            raise NotFoundError("no such print run", field="run_id")
        _require_station_scope(uow, principal, run.station_code)
        moved: list[Document] = []
        for document_id in run.document_ids:
            document = uow.documents.get(document_id)
            if document is None or document.state is not DocumentState.PRODUCED:
                continue
            out = document.move(Transition.DISPATCH, now=now, station=document.collection_station)
            uow.documents.save(out)
            _custody(
                uow,
                out,
                Transition.DISPATCH,
                from_station=None,
                to_station=out.collection_station,
                official_id=principal.official_id,
                now=now,
            )
            moved.append(out)
        if not moved:
            raise ConflictError("nothing in this run waits for dispatch", field="run_id")
        log_action(
            uow,
            principal,
            ActionType.DISPATCH,
            [document_ref(d) for d in moved],
            reason=None,
            now=now,
        )
        uow.commit()
    return moved


# ------------------------------------------------------------ hand-overs


def receive(
    uow: UnitOfWork,
    issuing: Issuing,
    principal: Principal,
    document_id: str,
    *,
    station_code: str | None = None,
) -> Document:
    """Receive a dispatched document at its station: it is ready, and the holder is told.

    Raises:
        NotFoundError: no such document or station in scope.
        WrongStationError: the document was dispatched to another station.
        IllegalTransitionError: it is not in transit.
    """
    principal.require(Permission.DOCUMENT_HANDOVER)
    now = issuing.clock.now()
    with uow:
        document, resident = _load(uow, principal, document_id)
        code = _require_station_scope(uow, principal, station_code)
        ready = document.move(Transition.RECEIVE, now=now, station=code)
        uow.documents.save(ready)
        _custody(
            uow,
            ready,
            Transition.RECEIVE,
            from_station=None,
            to_station=code,
            official_id=principal.official_id,
            now=now,
        )
        _notify_ready(uow, issuing, resident, ready)
        log_action(uow, principal, ActionType.RECEIPT, [document_ref(ready)], reason=None, now=now)
        uow.commit()
    return ready


def _notify_ready(
    uow: UnitOfWork, issuing: Issuing, resident: Resident, document: Document
) -> None:
    """Queue the 'ready for collection' notice to the holder's registered contact."""
    station = uow.stations.get(document.collection_station)
    title = issuing.catalogue.get(document.document_type).title_latin
    for channel, recipient in ((Channel.SMS, resident.phone), (Channel.EMAIL, resident.email)):
        if recipient:
            enqueue(
                uow,
                channel=channel,
                recipient=recipient,
                template="document_ready",
                params={
                    "document": title,
                    "station": station.name if station else document.collection_station,
                },
                clock=issuing.clock,
            )
            return


def transfer(
    uow: UnitOfWork,
    issuing: Issuing,
    principal: Principal,
    document_id: str,
    *,
    to_station: str,
    reason: str,
) -> Document:
    """Send an uncollected document from the station holding it to another one.

    Raises:
        NotFoundError: no such document or destination.
        WrongStationError: the official's station does not hold the document.
        IllegalTransitionError: the document is not ready at a station.
        ValidationError: the same station, or no reason.
    """
    principal.require(Permission.DOCUMENT_HANDOVER)
    reason = clean_text(reason, "reason", max_length=_MAX_REASON)
    now = issuing.clock.now()
    with uow:
        document, _resident = _load(uow, principal, document_id)
        if document.held_at is None:
            raise ConflictError("the document is not held at a station", field="document_id")
        _require_station_scope(uow, principal, document.held_at)
        if uow.stations.get(to_station) is None:
            raise NotFoundError("no such station", field="to_station")
        origin = document.held_at
        moved = document.move(Transition.TRANSFER, now=now, station=to_station)
        uow.documents.save(moved)
        _custody(
            uow,
            moved,
            Transition.TRANSFER,
            from_station=origin,
            to_station=to_station,
            official_id=principal.official_id,
            now=now,
        )
        log_action(
            uow, principal, ActionType.TRANSFER, [document_ref(moved)], reason=reason, now=now
        )
        uow.commit()
    return moved


def collect(
    uow: UnitOfWork,
    issuing: Issuing,
    principal: Principal,
    document_id: str,
    *,
    station_code: str | None = None,
    identity_check: str,
    presented_uin: str,
) -> Document:
    """Hand a ready document to its holder after an identity check.

    The official states how they checked the person and enters the UIN the
    person presents; it must be the holder's. Collecting a replacement revokes
    the document it replaces (never earlier: the holder always has a valid one).

    Raises:
        NotFoundError: no such document or station in scope.
        WrongStationError: the document is held at another station.
        IllegalTransitionError: the document is not ready for collection.
        ValidationError: an unknown check, or a UIN that is not the holder's.
    """
    principal.require(Permission.DOCUMENT_HANDOVER)
    if identity_check not in IDENTITY_CHECKS:
        raise ValidationError(
            f"the identity check is one of {', '.join(sorted(IDENTITY_CHECKS))}",
            field="identity_check",
        )
    now = issuing.clock.now()
    with uow:
        document, resident = _load(uow, principal, document_id)
        code = _require_station_scope(uow, principal, station_code)
        if presented_uin.strip() != resident.uin:
            raise ValidationError("the identity check failed", field="presented_uin")
        collected = document.move(Transition.COLLECT, now=now, station=code)
        uow.documents.save(collected)
        _custody(
            uow,
            collected,
            Transition.COLLECT,
            from_station=code,
            to_station=None,
            official_id=principal.official_id,
            now=now,
        )
        refs = [document_ref(collected)]
        doc_type = issuing.catalogue.get(document.document_type)
        for other in uow.documents.for_resident(resident.id):
            replaced = other.id == document.replaces_document_id or (
                doc_type.single_valid
                and other.document_type == document.document_type
                and other.state is DocumentState.COLLECTED
            )
            if other.id != document.id and replaced and other.is_live:
                refs.append(
                    document_ref(_end(uow, other, Transition.REVOKE, EndReason.REPLACED, now))
                )
        log_action(
            uow, principal, ActionType.COLLECTION, refs, reason=f"check: {identity_check}", now=now
        )
        uow.commit()
    return collected


def report_lost(
    uow: UnitOfWork,
    issuing: Issuing,
    principal: Principal | None,
    document_id: str,
    *,
    stolen: bool,
    resident_id: str | None = None,
) -> Document:
    """Record a document as lost or stolen: it is revoked at once.

    An official reports it (``principal``), or the holder reports their own
    document through the portal (``resident_id``).

    Raises:
        NotFoundError: no such document in scope (or not the resident's).
        IllegalTransitionError: the document was never printed, or already ended.
    """
    if principal is not None:
        principal.require(Permission.DOCUMENT_HANDOVER)
    now = issuing.clock.now()
    with uow:
        if principal is not None:
            document, _resident = _load(uow, principal, document_id)
        else:
            found = uow.documents.get(document_id)
            if found is None or found.resident_id != resident_id:
                raise NotFoundError("no such document", field="document_id")
            document = found
        reason = EndReason.STOLEN if stolen else EndReason.LOST
        ended = _end(uow, document, Transition.REPORT_LOST, reason, now)
        log_action(
            uow,
            principal,
            ActionType.LOSS_REPORT,
            [document_ref(ended)],
            reason=reason.value,
            now=now,
            by_resident=principal is None,
        )
        uow.commit()
    return ended


# ------------------------------------------------------ two-person actions


def _document_check(
    uow: UnitOfWork, principal: Principal, params: Mapping[str, str]
) -> dict[str, str]:
    document_id = two_person.require_param(params, "document_id")
    document, _resident = _load(uow, principal, document_id)
    if not document.is_live:
        raise ConflictError(f"the document is already {document.state.value}", field="document_id")
    return {"document_id": document_id}


def revocation_action(issuing: Issuing) -> two_person.TwoPersonAction:
    """Revocation by officials: one proposes with a reason, a second confirms."""

    def execute(
        uow: UnitOfWork, proposal: Proposal, _principal: Principal
    ) -> tuple[dict[str, str], Sequence[RecordRef]]:
        document = uow.documents.get(proposal.params["document_id"])
        if document is None:
            raise NotFoundError("no such document", field="document_id")
        ended = _end(
            uow, document, Transition.REVOKE, EndReason.ADMINISTRATIVE, issuing.clock.now()
        )
        return {"state": ended.state.value}, [document_ref(ended)]

    return two_person.TwoPersonAction(
        name="document_revocation",
        permission=Permission.DOCUMENT_REVOKE,
        action_type=ActionType.REVOCATION,
        check=_document_check,
        execute=execute,
    )


def reprint_action(issuing: Issuing) -> two_person.TwoPersonAction:
    """A reprint (a damaged or misprinted card): proposed by one issuer, confirmed by another.

    Confirming records a one-document print run; its PDF is downloaded like any
    run's. The document keeps its number and signed QR.
    """

    def check(uow: UnitOfWork, principal: Principal, params: Mapping[str, str]) -> dict[str, str]:
        checked = _document_check(uow, principal, params)
        document = uow.documents.get(checked["document_id"])
        if document is None or document.state is not DocumentState.PRODUCED:
            raise ConflictError(
                "only a printed, undispatched document is reprinted", field="document_id"
            )
        return checked

    def execute(
        uow: UnitOfWork, proposal: Proposal, principal: Principal
    ) -> tuple[dict[str, str], Sequence[RecordRef]]:
        document = uow.documents.get(proposal.params["document_id"])
        if document is None:
            raise NotFoundError("no such document", field="document_id")
        pdf = _render(uow, issuing, [document])
        run, refs = _record_run(
            uow,
            principal,
            document.collection_station,
            [document],
            transition=Transition.REPRINT,
            pdf=pdf,
            now=issuing.clock.now(),
        )
        return {"print_run_id": run.id}, refs

    return two_person.TwoPersonAction(
        name="document_reprint",
        permission=Permission.DOCUMENT_PRODUCE,
        action_type=ActionType.PRINTING,
        check=check,
        execute=execute,
    )


# ---------------------------------------------------------------- cascades

_CASCADE: Final = {
    ResidentStatus.DECEASED: EndReason.DECEASED,
    ResidentStatus.EMIGRATED: EndReason.EMIGRATED,
    ResidentStatus.MERGED: EndReason.MERGED,
}


def cascade_resident_change(
    uow: UnitOfWork, catalogue: Catalogue, before: Resident, after: Resident, now: datetime
) -> list[RecordRef]:
    """Revoke what a change to the resident's record invalidates; return the log refs.

    Death, emigration or a merge revoke every live document and close every
    open application; a move out of a residence zone revokes the residence
    certificates for that zone. Runs inside the change's unit of work, so the
    change and its consequences commit together.
    """
    refs: list[RecordRef] = []
    reason = _CASCADE.get(after.status) if after.status != before.status else None
    if reason is not None:
        live = [d for d in uow.documents.for_resident(after.id) if d.is_live]
        refs.extend(document_ref(_end(uow, d, Transition.REVOKE, reason, now)) for d in live)
        for application in uow.applications.open_for(after.id):
            closed = application.reject(None, None, reason=f"record {after.status.value}", now=now)
            uow.applications.save(closed)
            refs.append(application_ref(closed))
        return refs
    if after.region_code == before.region_code:
        return refs
    lineage = set(uow.regions.lineage(after.region_code))
    for document in uow.documents.for_resident(after.id):
        doc_type = catalogue.types.get(document.document_type)
        if doc_type is None or not doc_type.residence_bound or not document.is_live:
            continue
        zone = document.attributes.get(doc_type.zone_attribute or "")
        if zone not in lineage:
            ended = _end(uow, document, Transition.REVOKE, EndReason.RESIDENCE_WITHDRAWN, now)
            refs.append(document_ref(ended))
    return refs


# ------------------------------------------------------------------ sweeps


@dataclass(frozen=True, slots=True)
class Sweep:
    """What a sweep did: expired documents, destroyed uncollected ones, escalations."""

    expired: int
    destroyed: int


def sweep(uow: UnitOfWork, issuing: Issuing, *, batch: int = 1000) -> Sweep:
    """Expire collected documents past validity; destroy and revoke uncollected ones.

    A document ready for longer than its type's ``collection_days`` is destroyed
    at the station holding it, and its status set to invalid. Each kind of step
    is one log leaf (by the operator). Idempotent.
    """
    now = issuing.clock.now()
    with uow:
        expired = [
            _end(uow, d, Transition.EXPIRE, EndReason.EXPIRED, now)
            for d in uow.documents.expiring(now, limit=batch)
        ]
        destroyed: list[Document] = []
        for doc_type in issuing.catalogue.types.values():
            cutoff = now - timedelta(days=doc_type.collection_days)
            for document in uow.documents.in_state(
                DocumentState.READY, changed_before=cutoff, limit=batch
            ):
                if document.document_type != doc_type.code:
                    continue
                holder = document.held_at
                ended = document.move(
                    Transition.DESTROY, now=now, station=holder, reason=EndReason.UNCOLLECTED
                )
                uow.documents.save(ended)
                _set_invalid(uow, ended)
                _custody(
                    uow,
                    ended,
                    Transition.DESTROY,
                    from_station=holder,
                    to_station=None,
                    official_id=None,
                    now=now,
                )
                destroyed.append(ended)
        if expired:
            refs = [document_ref(d) for d in expired]
            log_action(uow, None, ActionType.EXPIRY, refs, reason=None, now=now)
        if destroyed:
            refs = [document_ref(d) for d in destroyed]
            log_action(uow, None, ActionType.DESTRUCTION, refs, reason="uncollected", now=now)
        uow.commit()
    return Sweep(len(expired), len(destroyed))


# ------------------------------------------------------------ status lists


def status_lists(uow: UnitOfWork) -> dict[str, StatusList]:
    """Return every status list the database holds, by URI, for a checkpoint bundle."""
    out: dict[str, StatusList] = {}
    with uow:
        for info in uow.status.lists():
            statuses = StatusList(info.capacity, CARNET_BITS)
            for idx, value in uow.status.statuses(info.list_id):
                statuses.set(idx, value)
            out[info.uri] = statuses
    return out
