"""The residents' portal API: sign in with a one-time code, read your record and its access log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from carnet.domain.errors import AuthenticationError
from carnet.domain.messages import Channel
from carnet.entrypoints.api.deps import ContainerDep
from carnet.entrypoints.api.schemas import ResidentPublic
from carnet.services import residents_portal

__all__ = ["router"]

router = APIRouter(prefix="/me", tags=["residents' portal"])
_bearer = HTTPBearer(auto_error=False)


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
