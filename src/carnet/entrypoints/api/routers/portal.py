"""The residents' portal API: sign in with a one-time code, read your record and its access log.

Signed in, a resident also applies for the document types open to residents,
follows and withdraws their own applications, sees their own documents (with
their numbers) and reports one lost or stolen, which revokes it at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from carnet.domain.documents import Application, ApplicationState, Document
from carnet.domain.errors import AuthenticationError
from carnet.domain.messages import Channel
from carnet.entrypoints.api.deps import ContainerDep
from carnet.entrypoints.api.schemas import AttributeValues, ResidentPublic
from carnet.services import applications, documents, residents_portal

__all__ = ["router"]

router = APIRouter(prefix="/me", tags=["residents' portal"])
_bearer = HTTPBearer(auto_error=False)
_ItemId = Annotated[str, Path(max_length=64)]


class CodeRequest(BaseModel):
    """Ask for a sign-in code on your registered phone or e-mail."""

    model_config = ConfigDict(extra="forbid")
    uin: str = Field(max_length=14)
    channel: Literal["sms", "email"] = "sms"


class ResidentSignIn(BaseModel):
    """Your UIN and the code you received."""

    model_config = ConfigDict(extra="forbid")
    uin: str = Field(max_length=14)
    code: str = Field(min_length=6, max_length=6, pattern=r"^[0-9]{6}$")


class ResidentTokenPublic(BaseModel):
    """A resident's bearer token, shown once."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme name
    expires_at: datetime


class AccessEntryPublic(BaseModel):
    """One action on, or read of, your record."""

    at: datetime
    action: str
    official_role: str
    station: str | None
    reason: str | None
    log_index: int


class AccessLogPublic(BaseModel):
    """Who touched your record: role and station, when, why. Newest first."""

    data: list[AccessEntryPublic]


class MyApplicationCreate(BaseModel):
    """Apply for a document open to residents; collect it at ``station_code``."""

    model_config = ConfigDict(extra="forbid")
    document_type: str = Field(max_length=40)
    attributes: AttributeValues = Field(default_factory=dict)
    station_code: str = Field(max_length=32)


class Withdrawal(BaseModel):
    """Withdraw one of your open applications, with a reason."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


class MyLossReport(BaseModel):
    """Your document is lost, or stolen."""

    model_config = ConfigDict(extra="forbid")
    stolen: bool = False


class MyApplicationPublic(BaseModel):
    """One of your applications: where it stands, never who decided it."""

    id: str
    document_type: str
    attributes: dict[str, str]
    station_code: str
    submitted_at: datetime
    state: str
    approvals_received: int
    approvals_required: int
    fee_amount: int | None
    fee_currency: str | None
    fee_recorded: bool
    decided_at: datetime | None
    decision_reason: str | None
    """Why it was rejected or withdrawn; an approver's reasoning stays internal."""

    @classmethod
    def of(cls, a: Application) -> MyApplicationPublic:
        """Build from a domain application."""
        closed = a.state in {ApplicationState.REJECTED, ApplicationState.WITHDRAWN}
        return cls(
            id=a.id,
            document_type=a.document_type,
            attributes=dict(a.attributes),
            station_code=a.station_code,
            submitted_at=a.submitted_at,
            state=a.state.value,
            approvals_received=len(a.approvals),
            approvals_required=a.required_approvals,
            fee_amount=a.fee_amount,
            fee_currency=a.fee_currency,
            fee_recorded=a.fee_receipt is not None,
            decided_at=a.decided_at,
            decision_reason=a.decision_reason if closed else None,
        )


class MyApplicationsPublic(BaseModel):
    """Your applications."""

    data: list[MyApplicationPublic]


class MyDocumentPublic(BaseModel):
    """One of your documents: its number, where it stands, how long it is valid."""

    id: str
    document_type: str
    document_number: str
    state: str
    valid_from: datetime
    valid_until: datetime
    collection_station: str
    end_reason: str | None

    @classmethod
    def of(cls, d: Document) -> MyDocumentPublic:
        """Build from a domain document."""
        return cls(
            id=d.id,
            document_type=d.document_type,
            document_number=d.document_number,
            state=d.state.value,
            valid_from=d.valid_from,
            valid_until=d.valid_until,
            collection_station=d.collection_station,
            end_reason=d.end_reason.value if d.end_reason else None,
        )


class MyDocumentsPublic(BaseModel):
    """Your documents, newest first."""

    data: list[MyDocumentPublic]


def resident_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The resident's bearer token.

    Raises:
        AuthenticationError: none given.
    """
    if credentials is None or not credentials.credentials:
        raise AuthenticationError("sign in first: no bearer token")
    return credentials.credentials


def current_resident(
    container: ContainerDep, token: Annotated[str, Depends(resident_token)]
) -> str:
    """The id of the signed-in resident."""
    return residents_portal.authenticate_resident(container.uow(), token, clock=container.clock)


current_resident.resident_only = True  # type: ignore[attr-defined]


@router.post("/code", status_code=status.HTTP_202_ACCEPTED)
def request_code(body: CodeRequest, container: ContainerDep) -> dict[str, str]:
    """Send a sign-in code to your registered contact. The answer is always the same."""
    residents_portal.request_code(
        container.uow(), body.uin, channel=Channel(body.channel), clock=container.clock
    )
    return {"status": "if the UIN has a registered contact, a code is on its way"}


@router.post("/token")
def sign_in(body: ResidentSignIn, container: ContainerDep) -> ResidentTokenPublic:
    """Exchange your UIN and code for a short-lived token."""
    session = residents_portal.sign_in(container.uow(), body.uin, body.code, clock=container.clock)
    return ResidentTokenPublic(access_token=session.token, expires_at=session.expires_at)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def sign_out(
    container: ContainerDep,
    token: Annotated[str, Depends(resident_token)],
    _resident: Annotated[str, Depends(current_resident)],
) -> Response:
    """End your session."""
    residents_portal.sign_out(container.uow(), token, clock=container.clock)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/record")
def my_record(
    container: ContainerDep, resident_id: Annotated[str, Depends(current_resident)]
) -> ResidentPublic:
    """Your own record."""
    return ResidentPublic.of(residents_portal.own_record(container.uow(), resident_id))


@router.get("/access-log")
def my_access_log(
    container: ContainerDep,
    resident_id: Annotated[str, Depends(current_resident)],
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> AccessLogPublic:
    """Every official action on your record and every read of it: role, station, time, reason."""
    entries = residents_portal.access_log(container.uow(), resident_id, limit=limit)
    return AccessLogPublic(
        data=[
            AccessEntryPublic(
                at=e.at,
                action=e.action,
                official_role=e.official_role,
                station=e.station,
                reason=e.reason,
                log_index=e.log_index,
            )
            for e in entries
        ]
    )


@router.post("/applications", status_code=status.HTTP_201_CREATED)
def apply(
    body: MyApplicationCreate,
    container: ContainerDep,
    resident_id: Annotated[str, Depends(current_resident)],
) -> MyApplicationPublic:
    """Apply for a document yourself (only the types open to residents)."""
    submitted = applications.submit(
        container.uow(),
        container.issuing(),
        None,
        resident_id=resident_id,
        document_type=body.document_type,
        attributes=body.attributes,
        station_code=body.station_code,
    )
    return MyApplicationPublic.of(submitted.application)


@router.get("/applications")
def my_applications(
    container: ContainerDep,
    resident_id: Annotated[str, Depends(current_resident)],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> MyApplicationsPublic:
    """Your applications, open and decided."""
    found = applications.for_resident(container.uow(), resident_id, limit=limit, offset=offset)
    return MyApplicationsPublic(data=[MyApplicationPublic.of(a) for a in found])


@router.post("/applications/{application_id}/withdraw")
def withdraw(
    application_id: _ItemId,
    body: Withdrawal,
    container: ContainerDep,
    resident_id: Annotated[str, Depends(current_resident)],
) -> MyApplicationPublic:
    """Withdraw one of your open applications."""
    withdrawn = applications.withdraw(
        container.uow(), container.issuing(), resident_id, application_id, reason=body.reason
    )
    return MyApplicationPublic.of(withdrawn)


@router.get("/documents")
def my_documents(
    container: ContainerDep, resident_id: Annotated[str, Depends(current_resident)]
) -> MyDocumentsPublic:
    """Your documents, newest first."""
    found = documents.for_resident(container.uow(), resident_id)
    return MyDocumentsPublic(data=[MyDocumentPublic.of(d) for d in found])


@router.post("/documents/{document_id}/lost")
def report_lost(
    document_id: _ItemId,
    body: MyLossReport,
    container: ContainerDep,
    resident_id: Annotated[str, Depends(current_resident)],
) -> MyDocumentPublic:
    """Report your document lost or stolen: it is revoked at once."""
    ended = documents.report_lost(
        container.uow(),
        container.issuing(),
        None,
        document_id,
        stolen=body.stolen,
        resident_id=resident_id,
    )
    return MyDocumentPublic.of(ended)
