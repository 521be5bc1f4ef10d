"""Officials' accounts and sign-in: passwords, TOTP, short-lived bearer tokens.

Tokens are random 256-bit strings handed out once; only their SHA-256 is
stored, so a database leak yields no usable token. Tokens expire after a short
lifetime and can be revoked one by one or all at once. Sign-in failures give
one message whatever went wrong, so they reveal nothing about which accounts
exist.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING

import pyotp

from carnet.domain.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from carnet.domain.officials import Official, Permission, Principal, Role, Scope, validate_username
from carnet.domain.text import clean_text
from carnet.services.uow import AuthToken

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime, timedelta

    from carnet.services.ports import Clock, PasswordHasher
    from carnet.services.uow import UnitOfWork

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "IssuedToken",
    "TotpEnrolment",
    "authenticate",
    "confirm_totp",
    "create_official",
    "hash_token",
    "list_officials",
    "login",
    "logout",
    "start_totp",
    "update_official",
]

MIN_PASSWORD_LENGTH = 12
_FAILED = "wrong username, password or one-time code"
# A real hash to check against when the username is unknown, so that the time a
# failed sign-in takes does not tell whether the account exists.
_DUMMY_PASSWORD = "carnet-timing-equaliser"  # noqa: S105 - not a credential


class IssuedToken:
    """A freshly issued bearer token: shown once, then only its hash is kept."""

    __slots__ = ("expires_at", "token")

    def __init__(self, token: str, expires_at: datetime) -> None:
        self.token = token
        self.expires_at = expires_at

    def __repr__(self) -> str:
        return f"IssuedToken(expires_at={self.expires_at!r})"


class TotpEnrolment:
    """A new TOTP secret and its provisioning URI, until the official confirms it."""

    __slots__ = ("secret", "uri")

    def __init__(self, secret: str, uri: str) -> None:
        self.secret = secret
        self.uri = uri

    def __repr__(self) -> str:
        return "TotpEnrolment(<secret>)"


def hash_token(token: str) -> str:
    """Return the hex SHA-256 under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"a password has at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    return password


def _totp_ok(secret: str, code: str | None, now: datetime) -> bool:
    return bool(code) and pyotp.TOTP(secret).verify(code or "", for_time=now, valid_window=1)


def login(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    *,
    username: str,
    password: str,
    totp_code: str | None,
    clock: Clock,
    lifetime: timedelta,
) -> IssuedToken:
    """Check a password (and TOTP code when enrolled) and issue a bearer token.

    Raises:
        AuthenticationError: anything wrong; the message does not say what.
    """
    now = clock.now()
    with uow:
        official = uow.officials.get_by_username(username)
        if official is None or not official.is_active:
            hasher.verify(hasher.hash(_DUMMY_PASSWORD), password)
            raise AuthenticationError(_FAILED)
        if not hasher.verify(official.password_hash, password):
            raise AuthenticationError(_FAILED)
        if official.totp_secret is not None and not (
            totp_code
            and pyotp.TOTP(official.totp_secret).verify(totp_code, for_time=now, valid_window=1)
        ):
            raise AuthenticationError(_FAILED)
        if hasher.needs_rehash(official.password_hash):
            uow.officials.save(replace(official, password_hash=hasher.hash(password)))
        token = secrets.token_urlsafe(32)
        expires = now + lifetime
        uow.tokens.add(AuthToken(hash_token(token), official.id, now, expires))
        uow.commit()
    return IssuedToken(token, expires)


def authenticate(uow: UnitOfWork, token: str, *, clock: Clock) -> Principal:
    """Resolve a bearer token into the principal behind it.

    Raises:
        AuthenticationError: unknown, expired or revoked token, or inactive account.
    """
    now = clock.now()
    with uow:
        stored = uow.tokens.get(hash_token(token))
        if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
            raise AuthenticationError("the token is invalid or has expired")
        official = uow.officials.get(stored.official_id)
        if official is None or not official.is_active:
            raise AuthenticationError("the token is invalid or has expired")
        station_regions = frozenset(
            station.region_code
            for code in official.scope.stations
            if (station := uow.stations.get(code)) is not None
        )
    return Principal(
        official_id=official.id,
        username=official.username,
        roles=official.roles,
        scope=official.scope,
        station_regions=station_regions,
    )


def logout(uow: UnitOfWork, token: str, *, clock: Clock) -> None:
    """Revoke the token presented (idempotent)."""
    with uow:
        uow.tokens.revoke(hash_token(token), clock.now())
        uow.commit()


def _check_grant(uow: UnitOfWork, principal: Principal, scope: Scope) -> None:
    """An administrator grants only places inside their own scope."""
    if principal.scope.national:
        return
    if scope.national:
        raise PermissionDeniedError("only a national administrator grants national scope")
    for code in scope.regions:
        if not principal.covers(uow.regions.lineage(code)):
            raise PermissionDeniedError("this region is outside your scope")
    for code in scope.stations:
        station = uow.stations.get(code)
        if station is None or not principal.covers(uow.regions.lineage(station.region_code)):
            raise PermissionDeniedError("this station is outside your scope")


def _check_places(uow: UnitOfWork, scope: Scope) -> None:
    if scope.is_empty:
        raise ValidationError("an official needs a scope", field="scope")
    if missing := set(scope.regions) - uow.regions.existing_codes(sorted(scope.regions)):
        raise ValidationError(f"{len(missing)} unknown region code(s)", field="scope_regions")
    if any(uow.stations.get(code) is None for code in scope.stations):
        raise ValidationError("unknown station code", field="scope_stations")


def _roles(values: Iterable[str]) -> frozenset[Role]:
    try:
        roles = frozenset(Role(v) for v in values)
    except ValueError as exc:
        raise ValidationError("unknown role", field="roles") from exc
    if not roles:
        raise ValidationError("an official needs at least one role", field="roles")
    return roles


def create_official(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    principal: Principal | None,
    *,
    username: str,
    display_name: str,
    password: str,
    roles: Iterable[str],
    scope: Scope,
    clock: Clock,
) -> Official:
    """Create an account. ``principal`` is ``None`` only for the CLI's bootstrap.

    Raises:
        PermissionDeniedError: the caller may not manage officials, or not that scope.
        ValidationError: bad username, password, roles or scope.
        ConflictError: the username is taken.
    """
    if principal is not None:
        principal.require(Permission.OFFICIAL_MANAGE)
    official = Official(
        id=str(uuid.uuid4()),
        username=validate_username(username),
        display_name=clean_text(display_name, "display_name"),
        roles=_roles(roles),
        scope=scope,
        password_hash=hasher.hash(_check_password(password)),
        created_at=clock.now(),
    )
    with uow:
        _check_places(uow, scope)
        if principal is not None:
            _check_grant(uow, principal, scope)
        if uow.officials.get_by_username(official.username) is not None:
            raise ConflictError("this username is taken", field="username")
        uow.officials.add(official)
        uow.commit()
    return official


def list_officials(uow: UnitOfWork, principal: Principal) -> list[Official]:
    """Return every official (administrators and auditors)."""
    principal.require(Permission.OFFICIAL_READ)
    with uow:
        return uow.officials.list()


def update_official(
    uow: UnitOfWork,
    principal: Principal,
    official_id: str,
    *,
    roles: Iterable[str] | None = None,
    scope: Scope | None = None,
    is_active: bool | None = None,
    clock: Clock,
) -> Official:
    """Change an official's roles, scope or activity; deactivation revokes tokens.

    Raises:
        NotFoundError: no such official.
        PermissionDeniedError: not an administrator, or a scope beyond their own,
            or an administrator changing their own account.
    """
    principal.require(Permission.OFFICIAL_MANAGE)
    with uow:
        official = uow.officials.get(official_id)
        if official is None:
            raise NotFoundError("no such official", field="official_id")
        if official.id == principal.official_id:
            raise PermissionDeniedError("another administrator must change your account")
        _check_grant(uow, principal, official.scope)
        if scope is not None:
            _check_places(uow, scope)
            _check_grant(uow, principal, scope)
        updated = replace(
            official,
            roles=_roles(roles) if roles is not None else official.roles,
            scope=scope if scope is not None else official.scope,
            is_active=official.is_active if is_active is None else is_active,
        )
        uow.officials.save(updated)
        if not updated.is_active or updated.roles != official.roles:
            uow.tokens.revoke_all(official.id, clock.now())
        uow.commit()
    return updated


def start_totp(principal: Principal, *, issuer: str = "Carnet") -> TotpEnrolment:
    """Draw a TOTP secret for the caller; it is stored only once confirmed."""
    secret = pyotp.random_base32()
    uri = pyotp.TOTP(secret).provisioning_uri(name=principal.username, issuer_name=issuer)
    return TotpEnrolment(secret, uri)


def confirm_totp(
    uow: UnitOfWork, principal: Principal, *, secret: str, code: str, clock: Clock
) -> None:
    """Store the caller's TOTP secret once they prove they hold it.

    Raises:
        ValidationError: the code does not match the secret.
    """
    try:
        valid = pyotp.TOTP(secret).verify(code, for_time=clock.now(), valid_window=1)
    except (ValueError, TypeError) as exc:  # a malformed base32 secret
        raise ValidationError("malformed TOTP secret", field="secret") from exc
    if not valid:
        raise ValidationError("the code does not match", field="code")
    with uow:
        official = uow.officials.get(principal.official_id)
        if official is None:
            raise NotFoundError("no such official")
        uow.officials.save(replace(official, totp_secret=secret))
        uow.commit()
