"""Officials' accounts and sign-in: passwords, TOTP, short-lived bearer tokens.

Tokens are random 256-bit strings handed out once; only their SHA-256 is
stored, so a database leak yields no usable token. Tokens expire after a short
lifetime and can be revoked one by one or all at once. Sign-in failures give
one message whatever went wrong, so they reveal nothing about which accounts
exist.

An official signs in *at a station* (optional, within their scope): the token
carries it, and every action taken with the token is logged with it. Sign-in,
sign-out and every change to an account append one leaf to the transparency log
in their own transaction; a failed sign-in changes nothing and logs nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING

import pyotp

from carnet.domain.actions import Action, ActionType, official_ref, token_ref
from carnet.domain.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from carnet.domain.identifiers import validate_uin
from carnet.domain.officials import Official, Permission, Principal, Role, Scope, validate_username
from carnet.domain.text import clean_text
from carnet.services.uow import AuthToken

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime, timedelta

    from carnet.domain.actions import RecordRef
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


def _totp_step(secret: str, code: str | None, now: datetime, last_step: int | None) -> int | None:
    """Return the time step ``code`` is valid for, or ``None``.

    One step of clock drift either way is tolerated (RFC 6238 §5.2), and a step
    at or before ``last_step`` is refused, so a code is never accepted twice.
    """
    if not code:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        fresh = last_step is None or step > last_step
        if fresh and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _stored_token_ref(token: AuthToken) -> RecordRef:
    return token_ref(
        token.token_hash, token.official_id, token.issued_at, token.expires_at, token.station_code
    )


def _station_in_scope(uow: UnitOfWork, scope: Scope, code: str) -> bool:
    """Whether the station exists and the scope covers it (a station stands for its region)."""
    station = uow.stations.get(code)
    if station is None:
        return False
    if scope.national or code in scope.stations:
        return True
    station_regions = [
        found.region_code for name in scope.stations if (found := uow.stations.get(name))
    ]
    return scope.covers(uow.regions.lineage(station.region_code), station_regions)


def login(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    *,
    username: str,
    password: str,
    totp_code: str | None,
    clock: Clock,
    lifetime: timedelta,
    station: str | None = None,
) -> IssuedToken:
    """Check a password (and TOTP code when enrolled) and issue a bearer token.

    ``station`` is where the official works for this session; it must lie in
    their scope, and it is checked only once the credentials are right.

    Raises:
        AuthenticationError: anything wrong with the credentials; the message
            does not say what.
        ValidationError: right credentials, but a station outside the scope.
    """
    now = clock.now()
    with uow:
        official = uow.officials.get_by_username(username)
        if official is None or not official.is_active:
            hasher.verify(hasher.hash(_DUMMY_PASSWORD), password)
            raise AuthenticationError(_FAILED)
        if not hasher.verify(official.password_hash, password):
            raise AuthenticationError(_FAILED)
        step = None
        if official.totp_secret is not None:
            step = _totp_step(official.totp_secret, totp_code, now, official.totp_last_step)
            if step is None:
                raise AuthenticationError(_FAILED)
        if station is not None and not _station_in_scope(uow, official.scope, station):
            raise ValidationError("this station is outside your scope", field="station")
        subjects: list[RecordRef] = []
        rehash = hasher.needs_rehash(official.password_hash)
        if step is not None or rehash:
            if step is not None:
                official = replace(official, totp_last_step=step)
            if rehash:
                official = replace(official, password_hash=hasher.hash(password))
            uow.officials.save(official)
            subjects.append(official_ref(official))
        token = secrets.token_urlsafe(32)
        expires = now + lifetime
        stored = AuthToken(hash_token(token), official.id, now, expires, station_code=station)
        uow.tokens.add(stored)
        subjects.insert(0, _stored_token_ref(stored))
        uow.ledger.append(
            Action(
                type=ActionType.SIGN_IN,
                official_id=official.id,
                roles=tuple(r.value for r in official.roles),
                station=station,
                at=now,
                subjects=subjects,
            )
        )
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
        if stored.station_code is not None and not _station_in_scope(
            uow, official.scope, stored.station_code
        ):
            # The scope changed since sign-in: the station no longer belongs to it.
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
        station_code=stored.station_code,
        resident_id=official.resident_id,
    )


def logout(uow: UnitOfWork, token: str, *, clock: Clock) -> None:
    """Revoke the token presented (idempotent: only the first revocation is logged)."""
    now = clock.now()
    with uow:
        stored = uow.tokens.get(hash_token(token))
        if stored is None or stored.revoked_at is not None:
            return
        uow.tokens.revoke(stored.token_hash, now)
        official = uow.officials.get(stored.official_id)
        uow.ledger.append(
            Action(
                type=ActionType.SIGN_OUT,
                official_id=stored.official_id,
                roles=tuple(r.value for r in official.roles) if official else (),
                station=stored.station_code,
                at=now,
                subjects=[_stored_token_ref(stored)],
            )
        )
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
    resident_uin: str | None = None,
) -> Official:
    """Create an account. ``principal`` is ``None`` only for the CLI's bootstrap.

    ``resident_uin`` links the account to the official's own registry record, so
    the four-eyes rule can refuse them their own applications.

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
        if resident_uin is not None:
            own = uow.residents.get_by_uin(validate_uin(resident_uin))
            if own is None:
                raise ValidationError("no resident holds this UIN", field="resident_uin")
            official = replace(official, resident_id=own.id)
        uow.officials.add(official)
        uow.ledger.append(
            Action.by(
                principal,
                ActionType.OFFICIAL_CREATION,
                [official_ref(official)],
                at=official.created_at,
            )
        )
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
        now = clock.now()
        if not updated.is_active or updated.roles != official.roles:
            uow.tokens.revoke_all(official.id, now)
        uow.ledger.append(
            Action.by(principal, ActionType.OFFICIAL_CHANGE, [official_ref(updated)], at=now)
        )
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
        step = _totp_step(secret, code, clock.now(), None)
    except (ValueError, TypeError) as exc:  # a malformed base32 secret
        raise ValidationError("malformed TOTP secret", field="secret") from exc
    if step is None:
        raise ValidationError("the code does not match", field="code")
    with uow:
        official = uow.officials.get(principal.official_id)
        if official is None:
            raise NotFoundError("no such official")
        # The confirming code is spent: it cannot also be used to sign in.
        enrolled = replace(official, totp_secret=secret, totp_last_step=step)
        uow.officials.save(enrolled)
        uow.ledger.append(
            Action.by(
                principal, ActionType.TOTP_ENROLMENT, [official_ref(enrolled)], at=clock.now()
            )
        )
        uow.commit()
