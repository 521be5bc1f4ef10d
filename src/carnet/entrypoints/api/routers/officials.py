"""Sign-in, tokens, TOTP enrolment and officials' accounts."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from carnet.domain.officials import Permission, Principal, Scope
from carnet.entrypoints.api.deps import ContainerDep, bearer_token, require
from carnet.entrypoints.api.schemas import (
    OfficialCreate,
    OfficialPublic,
    OfficialsPublic,
    OfficialUpdate,
    TokenPublic,
    TokenRequest,
    TotpConfirm,
    TotpStartPublic,
)
from carnet.services import auth

__all__ = ["router"]

router = APIRouter(tags=["officials"])


@router.post("/auth/token")
def sign_in(body: TokenRequest, container: ContainerDep) -> TokenPublic:
    """Exchange a username, password and TOTP code for a short-lived bearer token.

    ``station`` (optional, within your scope) is where you work this session:
    every action taken with the token is logged with it.
    """
    issued = auth.login(
        container.uow(),
        container.hasher,
        username=body.username,
        password=body.password,
        totp_code=body.totp_code,
        clock=container.clock,
        lifetime=timedelta(minutes=container.settings.token_lifetime_minutes),
        station=body.station,
    )
    return TokenPublic(access_token=issued.token, expires_at=issued.expires_at)


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
)
def sign_out(
    container: ContainerDep,
    token: Annotated[str, Depends(bearer_token)],
    _principal: Annotated[Principal, Depends(require(None))],
) -> Response:
    """Revoke the token used for this request."""
    auth.logout(container.uow(), token, clock=container.clock)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/officials/me")
def who_am_i(
    container: ContainerDep, principal: Annotated[Principal, Depends(require(None))]
) -> OfficialPublic:
    """Your own account."""
    with container.uow() as uow:
        official = uow.officials.get(principal.official_id)
    assert official is not None  # noqa: S101 - authenticate() just loaded it
    return OfficialPublic.of(official)


@router.post("/officials/me/totp")
def start_totp(principal: Annotated[Principal, Depends(require(None))]) -> TotpStartPublic:
    """Draw a TOTP secret; it takes effect once confirmed with a code."""
    enrolment = auth.start_totp(principal)
    return TotpStartPublic(secret=enrolment.secret, provisioning_uri=enrolment.uri)


@router.post(
    "/officials/me/totp/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
)
def confirm_totp(
    body: TotpConfirm,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(None))],
) -> Response:
    """Turn on the TOTP second factor by proving you hold the secret."""
    auth.confirm_totp(
        container.uow(), principal, secret=body.secret, code=body.code, clock=container.clock
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _scope(national: bool | None, regions: list[str] | None, stations: list[str] | None) -> Scope:
    return Scope(
        national=bool(national),
        regions=frozenset(regions or ()),
        stations=frozenset(stations or ()),
    )


@router.get("/officials")
def list_officials(
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.OFFICIAL_READ))],
) -> OfficialsPublic:
    """Every account (administrators and auditors)."""
    officials = auth.list_officials(container.uow(), principal)
    return OfficialsPublic(data=[OfficialPublic.of(o) for o in officials])


@router.post(
    "/officials",
    status_code=status.HTTP_201_CREATED,
)
def create_official(
    body: OfficialCreate,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.OFFICIAL_MANAGE))],
) -> OfficialPublic:
    """Create an account with roles and a scope no wider than your own."""
    official = auth.create_official(
        container.uow(),
        container.hasher,
        principal,
        username=body.username,
        display_name=body.display_name,
        password=body.password,
        roles=body.roles,
        scope=_scope(body.scope_national, body.scope_regions, body.scope_stations),
        clock=container.clock,
        resident_uin=body.resident_uin,
    )
    return OfficialPublic.of(official)


@router.patch("/officials/{official_id}")
def update_official(
    official_id: str,
    body: OfficialUpdate,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.OFFICIAL_MANAGE))],
) -> OfficialPublic:
    """Change another official's roles, scope or activity (deactivation revokes tokens)."""
    changes_scope = body.model_fields_set & {"scope_national", "scope_regions", "scope_stations"}
    official = auth.update_official(
        container.uow(),
        principal,
        official_id,
        roles=body.roles,
        scope=_scope(body.scope_national, body.scope_regions, body.scope_stations)
        if changes_scope
        else None,
        is_active=body.is_active,
        clock=container.clock,
    )
    return OfficialPublic.of(official)
