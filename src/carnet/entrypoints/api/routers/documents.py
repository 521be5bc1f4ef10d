"""Documents: reads, print runs, dispatch, hand-overs at stations, loss, revocation, reprints.

Every document answer leaves out the signed QR payload and the machine-readable
zone (both carry the holder's name and birth date) and never names the holder.
Reads are official actions, as for resident records: reading a document, a
resident's documents or a chain of custody is logged with the reason given in
``reason`` (refused without one when ``CARNET_READ_REASON_REQUIRED=true``); the
collection desk's list and a print run's PDF are logged too. Revocations and
reprints follow the two-person rule: one official proposes with a reason, a
second one confirms or rejects the proposal.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from carnet.bootstrap import Container
from carnet.domain.documents import CustodyEvent, Document
from carnet.domain.errors import ValidationError
from carnet.domain.officials import Permission, Principal
from carnet.entrypoints.api.deps import ContainerDep, require
from carnet.entrypoints.api.schemas import Decision, ProposalPublic
from carnet.services import documents, two_person
from carnet.services.issuance import Issuing
from carnet.services.uow import PrintRun

__all__ = ["router"]

router = APIRouter(tags=["documents"])

DocumentId = Annotated[str, Path(max_length=64)]
RunId = Annotated[str, Path(max_length=64)]
ProposalId = Annotated[str, Path(max_length=64)]
StationCode = Annotated[str, Path(max_length=32)]
Uin = Annotated[str, Path(max_length=14)]
Reason = Annotated[
    str | None,
    Query(max_length=500, description="Why you read this; it is kept with the log entry."),
]


def _read_reason(container: ContainerDep, reason: str | None) -> str | None:
    if (reason is None or not reason.strip()) and container.settings.read_reason_required:
        raise ValidationError("state why you read this document", field="reason")
    return reason


# --------------------------------------------------------------------------- schemas


class DocumentPublic(BaseModel):
    """A document as officials see it: its lifecycle, never its QR payload or MRZ."""

    id: str
    document_number: str
    document_type: str
    application_id: str
    attributes: dict[str, str]
    state: str
    valid_from: datetime
    valid_until: datetime
    collection_station: str
    held_at: str | None
    issued_at: datetime
    ready_at: datetime | None
    collected_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    replaces_document_id: str | None
    print_run_id: str | None
    prints: int
    version: int

    @classmethod
    def of(cls, d: Document) -> DocumentPublic:
        """Build from a domain document."""
        return cls(
            id=d.id,
            document_number=d.document_number,
            document_type=d.document_type,
            application_id=d.application_id,
            attributes=dict(d.attributes),
            state=d.state.value,
            valid_from=d.valid_from,
            valid_until=d.valid_until,
            collection_station=d.collection_station,
            held_at=d.held_at,
            issued_at=d.issued_at,
            ready_at=d.ready_at,
            collected_at=d.collected_at,
            ended_at=d.ended_at,
            end_reason=d.end_reason.value if d.end_reason else None,
            replaces_document_id=d.replaces_document_id,
            print_run_id=d.print_run_id,
            prints=d.prints,
            version=d.version,
        )


class DocumentsPublic(BaseModel):
    """Documents, newest first."""

    data: list[DocumentPublic]


class AwaitingPublic(DocumentPublic):
    """A document ready at a station, and how many whole days it has waited."""

    waiting_days: int


class AwaitingListPublic(BaseModel):
    """The documents waiting for collection at a station, oldest first."""

    data: list[AwaitingPublic]


class CustodyEventPublic(BaseModel):
    """One hand-over of a document."""

    seq: int
    transition: str
    from_station: str | None
    to_station: str | None
    official_id: str | None
    at: datetime

    @classmethod
    def of(cls, e: CustodyEvent) -> CustodyEventPublic:
        """Build from a domain custody event."""
        return cls(
            seq=e.seq,
            transition=e.transition.value,
            from_station=e.from_station,
            to_station=e.to_station,
            official_id=e.official_id,
            at=e.at,
        )


class CustodyPublic(BaseModel):
    """A document's chain of custody, in order."""

    document_id: str
    data: list[CustodyEventPublic]


class PrintRunCreate(BaseModel):
    """How many of the station's issued documents to print in one run."""

    model_config = ConfigDict(extra="forbid")
    limit: int = Field(default=100, ge=1, le=500)


class PrintRunPublic(BaseModel):
    """A print run: its documents in print order and the SHA-256 of its PDF."""

    id: str
    station_code: str
    document_ids: list[str]
    pdf_sha256: str
    created_by: str | None
    created_at: datetime

    @classmethod
    def of(cls, r: PrintRun) -> PrintRunPublic:
        """Build from a stored print run."""
        return cls(
            id=r.id,
            station_code=r.station_code,
            document_ids=list(r.document_ids),
            pdf_sha256=r.pdf_sha256,
            created_by=r.created_by,
            created_at=r.created_at,
        )


class Receipt(BaseModel):
    """Receive a dispatched document at a station (default: the one you signed in at)."""

    model_config = ConfigDict(extra="forbid")
    station_code: str | None = Field(default=None, max_length=32)


class TransferCreate(BaseModel):
    """Send a waiting document on to another station, with a reason."""

    model_config = ConfigDict(extra="forbid")
    to_station: str = Field(max_length=32)
    reason: str = Field(min_length=1, max_length=500)


class Collection(BaseModel):
    """Hand a document over: how the person was checked and the UIN they presented."""

    model_config = ConfigDict(extra="forbid")
    station_code: str | None = Field(default=None, max_length=32)
    identity_check: str = Field(
        max_length=32, description="photo_match, previous_document or fingerprint"
    )
    presented_uin: str = Field(max_length=14)


class LossReport(BaseModel):
    """A document reported lost, or stolen."""

    model_config = ConfigDict(extra="forbid")
    stolen: bool = False


class ProposalCreate(BaseModel):
    """Propose a revocation or a reprint, with a reason."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


# --------------------------------------------------------------------------- reads


@router.get("/documents/{document_id}")
def get_document(
    document_id: DocumentId,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.DOCUMENT_READ))],
    reason: Reason = None,
) -> DocumentPublic:
    """One document in your scope; the read is logged with your reason."""
    document = documents.get_document(
        container.uow(), principal, document_id, reason=_read_reason(container, reason)
    )
    return DocumentPublic.of(document)


@router.get("/residents/{uin}/documents")
def documents_of_resident(
    uin: Uin,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.DOCUMENT_READ))],
    reason: Reason = None,
) -> DocumentsPublic:
    """Every document of a resident in your scope, newest first; the read is logged."""
    found = documents.documents_of(
        container.uow(), principal, uin, reason=_read_reason(container, reason)
    )
    return DocumentsPublic(data=[DocumentPublic.of(d) for d in found])


@router.get("/documents/{document_id}/custody")
def custody(
    document_id: DocumentId,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.DOCUMENT_READ))],
    reason: Reason = None,
) -> CustodyPublic:
    """Who handed the document to whom, where and when; the read is logged."""
    events = documents.custody(
        container.uow(), principal, document_id, reason=_read_reason(container, reason)
    )
    return CustodyPublic(document_id=document_id, data=[CustodyEventPublic.of(e) for e in events])


@router.get("/stations/{station_code}/awaiting-collection")
def awaiting_collection(
    station_code: StationCode,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.DOCUMENT_READ))],
) -> AwaitingListPublic:
    """The documents ready at a station, oldest first, with how long they have waited (logged)."""
    waiting = documents.awaiting_collection(
        container.uow(), container.issuing(), principal, station_code
    )
    return AwaitingListPublic(
        data=[
            AwaitingPublic(
                **DocumentPublic.of(w.document).model_dump(), waiting_days=w.waiting.days
            )
            for w in waiting
        ]
    )


# --------------------------------------------------------------------------- printing


@router.post("/stations/{station_code}/print-runs", status_code=status.HTTP_201_CREATED)
def print_run(
    station_code: StationCode,
    body: PrintRunCreate,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.DOCUMENT_PRODUCE))],
) -> PrintRunPublic:
    """Print the station's issued documents in one run; fetch the PDF from the run."""
    output = documents.print_run(
        container.uow(), container.issuing(), principal, station_code, limit=body.limit
    )
    return PrintRunPublic.of(output.run)


@router.get(
    "/print-runs/{run_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The run's PDF."}},
)
def print_run_pdf(
    run_id: RunId,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.DOCUMENT_PRODUCE))],
) -> Response:
    """The PDF of a print run, rendered again; the download is logged as a read of each document."""
    output = documents.print_run_pdf(container.uow(), container.issuing(), principal, run_id)
    return Response(
        content=output.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="print-run-{output.run.id}.pdf"'},
    )


@router.post("/print-runs/{run_id}/dispatch")
def dispatch_run(
    run_id: RunId,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.DOCUMENT_PRODUCE))],
) -> DocumentsPublic:
    """Dispatch the run's printed documents to their collection stations."""
    moved = documents.dispatch_run(container.uow(), container.issuing(), principal, run_id)
    return DocumentsPublic(data=[DocumentPublic.of(d) for d in moved])


# --------------------------------------------------------------------------- hand-overs


@router.post("/documents/{document_id}/receive")
def receive(
    document_id: DocumentId,
    body: Receipt,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.DOCUMENT_HANDOVER))],
) -> DocumentPublic:
    """Receive a dispatched document at its station; the holder is told it is ready."""
    ready = documents.receive(
        container.uow(),
        container.issuing(),
        principal,
        document_id,
        station_code=body.station_code,
    )
    return DocumentPublic.of(ready)


@router.post("/documents/{document_id}/transfer")
def transfer(
    document_id: DocumentId,
    body: TransferCreate,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.DOCUMENT_HANDOVER))],
) -> DocumentPublic:
    """Send an uncollected document from the station holding it to another one."""
    moved = documents.transfer(
        container.uow(),
        container.issuing(),
        principal,
        document_id,
        to_station=body.to_station,
        reason=body.reason,
    )
    return DocumentPublic.of(moved)


@router.post("/documents/{document_id}/collect")
def collect(
    document_id: DocumentId,
    body: Collection,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.DOCUMENT_HANDOVER))],
) -> DocumentPublic:
    """Hand a ready document to its holder after an identity check."""
    collected = documents.collect(
        container.uow(),
        container.issuing(),
        principal,
        document_id,
        station_code=body.station_code,
        identity_check=body.identity_check,
        presented_uin=body.presented_uin,
    )
    return DocumentPublic.of(collected)


@router.post("/documents/{document_id}/lost")
def report_lost(
    document_id: DocumentId,
    body: LossReport,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.DOCUMENT_HANDOVER))],
) -> DocumentPublic:
    """Record a document lost or stolen: it is revoked at once."""
    ended = documents.report_lost(
        container.uow(), container.issuing(), principal, document_id, stolen=body.stolen
    )
    return DocumentPublic.of(ended)


# --------------------------------------------------------------------------- two-person actions


def _propose(
    container: Container,
    principal: Principal,
    action_of: Callable[[Issuing], two_person.TwoPersonAction],
    document_id: str,
    reason: str,
) -> ProposalPublic:
    proposal = two_person.propose(
        container.uow(),
        principal,
        action_of(container.issuing()),
        {"document_id": document_id},
        reason=reason,
        clock=container.clock,
    )
    return ProposalPublic.of(proposal)


def _decide(
    container: Container,
    principal: Principal,
    action_of: Callable[[Issuing], two_person.TwoPersonAction],
    proposal_id: str,
    body: Decision,
) -> ProposalPublic:
    proposal = two_person.decide(
        container.uow(),
        principal,
        action_of(container.issuing()),
        proposal_id,
        confirm=body.confirm,
        reason=body.reason,
        clock=container.clock,
    )
    return ProposalPublic.of(proposal)


@router.post("/documents/{document_id}/revocations", status_code=status.HTTP_201_CREATED)
def propose_revocation(
    document_id: DocumentId,
    body: ProposalCreate,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.DOCUMENT_REVOKE))],
) -> ProposalPublic:
    """Propose revoking a document; a second official must confirm it."""
    return _propose(container, principal, documents.revocation_action, document_id, body.reason)


@router.post("/revocations/{proposal_id}/decision")
def decide_revocation(
    proposal_id: ProposalId,
    body: Decision,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.DOCUMENT_REVOKE))],
) -> ProposalPublic:
    """Confirm (the document is revoked now) or reject a revocation proposed by someone else."""
    return _decide(container, principal, documents.revocation_action, proposal_id, body)


@router.post("/documents/{document_id}/reprints", status_code=status.HTTP_201_CREATED)
def propose_reprint(
    document_id: DocumentId,
    body: ProposalCreate,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.DOCUMENT_PRODUCE))],
) -> ProposalPublic:
    """Propose reprinting a printed, undispatched document; a second issuer must confirm."""
    return _propose(container, principal, documents.reprint_action, document_id, body.reason)


@router.post("/reprints/{proposal_id}/decision")
def decide_reprint(
    proposal_id: ProposalId,
    body: Decision,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.DOCUMENT_PRODUCE))],
) -> ProposalPublic:
    """Confirm (a one-document print run is made) or reject a reprint proposed by another."""
    return _decide(container, principal, documents.reprint_action, proposal_id, body)
