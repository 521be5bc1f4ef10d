"""Applications for documents: the catalogue, entry, the decision queue, decisions, the report.

An official enters an application on a resident's behalf (by UIN); approvers
decide it under the four-eyes rule, and the approval that completes it issues
the document at once (its id is in the answer). Answers name the application's
facts and the officials who acted, never the resident's name or UIN: the
caller already has the UIN, and reading the record is a logged read of its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from carnet.domain.doctypes import AttributeSpec, DocumentType
from carnet.domain.documents import Application, Document
from carnet.domain.officials import Permission, Principal
from carnet.entrypoints.api.deps import ContainerDep, require
from carnet.entrypoints.api.schemas import AttributeValues
from carnet.services import applications

__all__ = ["router"]

router = APIRouter(tags=["applications"])

ApplicationId = Annotated[str, Path(max_length=64)]


# --------------------------------------------------------------------------- schemas


class AttributePublic(BaseModel):
    """One attribute an application of the type gives."""

    name: str
    kind: str
    label: str
    required: bool
    required_when: dict[str, str]
    choices: list[str]
    default: str | None
    max_value: int | None

    @classmethod
    def of(cls, a: AttributeSpec) -> AttributePublic:
        """Build from a domain attribute."""
        return cls(
            name=a.name,
            kind=a.kind.value,
            label=a.label,
            required=a.required,
            required_when=dict(a.required_when),
            choices=list(a.choices),
            default=a.default,
            max_value=a.max_value,
        )


class FeePublic(BaseModel):
    """A fee in minor units of its currency."""

    amount: int
    currency: str


class ValidityPublic(BaseModel):
    """A fixed term, or a window given by two date attributes."""

    years: int
    days: int
    from_attribute: str | None
    until_attribute: str | None
    max_days: int | None


class DocumentTypePublic(BaseModel):
    """One document type of the catalogue."""

    code: str
    title_native: str
    title_latin: str
    approvals: int
    fee: FeePublic | None
    attributes: list[AttributePublic]
    residents_may_apply: bool
    purposes: list[str]
    validity: ValidityPublic
    single_valid: bool
    min_age_years: int
    collection_days: int

    @classmethod
    def of(cls, t: DocumentType) -> DocumentTypePublic:
        """Build from a domain document type."""
        v = t.validity
        return cls(
            code=t.code,
            title_native=t.title_native,
            title_latin=t.title_latin,
            approvals=t.approvals,
            fee=FeePublic(amount=t.fee.amount, currency=t.fee.currency) if t.fee else None,
            attributes=[AttributePublic.of(a) for a in t.attributes],
            residents_may_apply=t.residents_may_apply,
            purposes=sorted(t.purposes),
            validity=ValidityPublic(
                years=v.years,
                days=v.days,
                from_attribute=v.from_attribute,
                until_attribute=v.until_attribute,
                max_days=v.max_days,
            ),
            single_valid=t.single_valid,
            min_age_years=t.min_age_years,
            collection_days=t.collection_days,
        )


class CataloguePublic(BaseModel):
    """The document types in force, and the catalogue's version."""

    version: int
    issuing_state: str
    authority: str
    data: list[DocumentTypePublic]


class ApplicationCreate(BaseModel):
    """An application entered by an official for the resident with ``uin``."""

    model_config = ConfigDict(extra="forbid")
    uin: str = Field(max_length=14)
    document_type: str = Field(max_length=40)
    attributes: AttributeValues = Field(default_factory=dict)
    station_code: str = Field(max_length=32, description="Where the document is collected.")
    fee_receipt: str | None = Field(default=None, max_length=64)


class ApplicationDecision(BaseModel):
    """An approval or a rejection, always with a reason."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


class FeeReceipt(BaseModel):
    """The receipt of the fee paid."""

    model_config = ConfigDict(extra="forbid")
    receipt: str = Field(min_length=1, max_length=64)


class ApprovalPublic(BaseModel):
    """One official's approval."""

    official_id: str
    at: datetime
    reason: str


class ApplicationPublic(BaseModel):
    """An application as officials see it; ``document_id`` when this request issued it."""

    id: str
    document_type: str
    catalogue_version: int
    attributes: dict[str, str]
    station_code: str
    submitted_at: datetime
    entered_by: str | None
    required_approvals: int
    approvals: list[ApprovalPublic]
    state: str
    decided_at: datetime | None
    decided_by: str | None
    decision_reason: str | None
    fee_amount: int | None
    fee_currency: str | None
    fee_receipt: str | None
    replaces_document_id: str | None
    escalated_at: datetime | None
    version: int
    document_id: str | None = None

    @classmethod
    def of(cls, a: Application, document: Document | None = None) -> ApplicationPublic:
        """Build from a domain application and the document it issued, if any."""
        return cls(
            id=a.id,
            document_type=a.document_type,
            catalogue_version=a.catalogue_version,
            attributes=dict(a.attributes),
            station_code=a.station_code,
            submitted_at=a.submitted_at,
            entered_by=a.entered_by,
            required_approvals=a.required_approvals,
            approvals=[
                ApprovalPublic(official_id=x.official_id, at=x.at, reason=x.reason)
                for x in a.approvals
            ],
            state=a.state.value,
            decided_at=a.decided_at,
            decided_by=a.decided_by,
            decision_reason=a.decision_reason,
            fee_amount=a.fee_amount,
            fee_currency=a.fee_currency,
            fee_receipt=a.fee_receipt,
            replaces_document_id=a.replaces_document_id,
            escalated_at=a.escalated_at,
            version=a.version,
            document_id=document.id if document else None,
        )


class ApplicationsPublic(BaseModel):
    """A page of the decision queue: escalated first, then the oldest."""

    data: list[ApplicationPublic]


class DecisionTimePublic(BaseModel):
    """Time to decision at one station for one document type."""

    station_code: str
    document_type: str
    decided: int
    median_hours: float
    p90_hours: float


class DecisionTimesPublic(BaseModel):
    """The time-to-decision report of a period."""

    since: datetime
    until: datetime
    data: list[DecisionTimePublic]


# --------------------------------------------------------------------------- endpoints


@router.get("/document-types")
def list_document_types(
    container: ContainerDep,
    _principal: Annotated[Principal, Depends(require(Permission.REFERENCE_READ))],
) -> CataloguePublic:
    """The document types in force: attributes, approvals, fee, validity, purposes."""
    catalogue = container.catalogue()
    return CataloguePublic(
        version=catalogue.version,
        issuing_state=catalogue.issuing_state,
        authority=catalogue.authority,
        data=[DocumentTypePublic.of(t) for t in catalogue.types.values()],
    )


@router.post("/applications", status_code=status.HTTP_201_CREATED)
def submit_application(
    body: ApplicationCreate,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.APPLICATION_CREATE))],
) -> ApplicationPublic:
    """Enter an application for a resident; a type needing no approval is issued at once."""
    submitted = applications.submit(
        container.uow(),
        container.issuing(),
        principal,
        uin=body.uin,
        document_type=body.document_type,
        attributes=body.attributes,
        station_code=body.station_code,
        fee_receipt=body.fee_receipt,
    )
    return ApplicationPublic.of(submitted.application, submitted.document)


@router.get("/applications")
def list_applications(
    *,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.APPLICATION_READ))],
    document_type: Annotated[str | None, Query(max_length=40)] = None,
    station_code: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ApplicationsPublic:
    """The open applications in your scope: escalated first, then the oldest."""
    queue = applications.list_queue(
        container.uow(),
        principal,
        document_type=document_type,
        station_code=station_code,
        limit=limit,
        offset=offset,
    )
    return ApplicationsPublic(data=[ApplicationPublic.of(a) for a in queue])


@router.get("/applications/{application_id}")
def get_application(
    application_id: ApplicationId,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.APPLICATION_READ))],
) -> ApplicationPublic:
    """One application in your scope."""
    return ApplicationPublic.of(
        applications.get_application(container.uow(), principal, application_id)
    )


@router.post("/applications/{application_id}/approve")
def approve_application(
    application_id: ApplicationId,
    body: ApplicationDecision,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.APPLICATION_DECIDE))],
) -> ApplicationPublic:
    """Approve, with a reason; the approval that completes the application issues the document."""
    approved, document = applications.approve(
        container.uow(), container.issuing(), principal, application_id, reason=body.reason
    )
    return ApplicationPublic.of(approved, document)


@router.post("/applications/{application_id}/reject")
def reject_application(
    application_id: ApplicationId,
    body: ApplicationDecision,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.APPLICATION_DECIDE))],
) -> ApplicationPublic:
    """Reject, with a reason."""
    rejected = applications.reject(
        container.uow(), container.issuing(), principal, application_id, reason=body.reason
    )
    return ApplicationPublic.of(rejected)


@router.post("/applications/{application_id}/fee")
def record_fee(
    application_id: ApplicationId,
    body: FeeReceipt,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.APPLICATION_CREATE))],
) -> ApplicationPublic:
    """Record the receipt of the fee on an open application."""
    paid = applications.record_fee(
        container.uow(), container.issuing(), principal, application_id, receipt=body.receipt
    )
    return ApplicationPublic.of(paid)


@router.get("/reports/decision-times")
def decision_times(
    *,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.REPORT_READ))],
    since: Annotated[AwareDatetime, Query(description="Start of the period (inclusive).")],
    until: Annotated[AwareDatetime, Query(description="End of the period (exclusive).")],
) -> DecisionTimesPublic:
    """Median and 90th-percentile hours to decision per station and type, in your scope."""
    rows = applications.decision_report(container.uow(), principal, since=since, until=until)
    return DecisionTimesPublic(
        since=since,
        until=until,
        data=[
            DecisionTimePublic(
                station_code=r.station_code,
                document_type=r.document_type,
                decided=r.decided,
                median_hours=r.median_hours,
                p90_hours=r.p90_hours,
            )
            for r in rows
        ],
    )
