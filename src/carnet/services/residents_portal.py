"""Residents sign in with their UIN and a one-time code, and see who touched their record.

A code is sent to the resident's registered phone (or e-mail) through the
outbox. The answer to a code request is the same whether or not the UIN exists
or has contact details, so the endpoint cannot be used to probe the registry.
Codes are six digits, stored hashed, valid for five minutes and five attempts;
a resident can ask for at most three codes in fifteen minutes.

Once signed in, a resident reads their own record and the list of every
official action on it and every read of it: the official's role, the station,
the time and the stated reason (principle 3).
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from carnet.domain.errors import AuthenticationError, NotFoundError, ValidationError
from carnet.domain.identifiers import validate_uin
from carnet.domain.messages import Channel
from carnet.domain.persons import Resident, ResidentStatus
from carnet.services.auth import hash_token
from carnet.services.outbox import enqueue
from carnet.services.uow import ApplicationQuery, AuthToken, ResidentCode

if TYPE_CHECKING:
    from carnet.services.ports import Clock
    from carnet.services.uow import UnitOfWork

__all__ = [
    "CODE_LIFETIME",
    "AccessEntry",
    "ResidentSession",
    "access_log",
    "authenticate_resident",
    "own_record",
    "request_code",
    "sign_in",
    "sign_out",
]

CODE_LIFETIME = timedelta(minutes=5)
SESSION_LIFETIME = timedelta(minutes=30)
_MAX_ATTEMPTS = 5
_MAX_CODES = 3
_CODE_WINDOW = timedelta(minutes=15)
_FAILED = "wrong UIN or code, or the code has expired"


def _hash_code(resident_id: str, code: str) -> str:
    # Bound to the resident so equal codes of two residents never share a hash.
    return hash_token(f"{resident_id}:{code}")


def request_code(uow: UnitOfWork, uin: str, *, channel: Channel, clock: Clock) -> None:
    """Send a sign-in code to the resident's registered contact, if any.

    Always returns normally for a well-formed UIN, whatever happened, so that the
    answer reveals nothing.

    Raises:
        UinInvalidError: a malformed UIN (that reveals nothing about the registry).
    """
    uin = validate_uin(uin)
    now = clock.now()
    with uow:
        resident = uow.residents.get_by_uin(uin)
        if resident is None or resident.status is not ResidentStatus.ACTIVE:
            return
        recipient = resident.phone if channel is Channel.SMS else resident.email
        if not recipient:
            return
        if len(uow.resident_access.recent_codes(resident.id, now - _CODE_WINDOW)) >= _MAX_CODES:
            return
        code = f"{secrets.randbelow(1_000_000):06d}"
        uow.resident_access.add_code(
            ResidentCode(
                id=str(uuid.uuid4()),
                resident_id=resident.id,
                code_hash=_hash_code(resident.id, code),
                created_at=now,
                expires_at=now + CODE_LIFETIME,
            )
        )
        enqueue(
            uow,
            channel=channel,
            recipient=recipient,
            template="resident_code",
            params={"code": code, "minutes": str(int(CODE_LIFETIME.total_seconds() // 60))},
            clock=clock,
        )
        uow.commit()


@dataclass(frozen=True, slots=True)
class ResidentSession:
    """A resident's bearer token, shown once."""

    token: str
    expires_at: datetime

    def __repr__(self) -> str:
        return f"ResidentSession(expires_at={self.expires_at!r})"


def sign_in(uow: UnitOfWork, uin: str, code: str, *, clock: Clock) -> ResidentSession:
    """Exchange a UIN and a current code for a short-lived resident token.

    Raises:
        AuthenticationError: unknown UIN, wrong, used or expired code, or too many tries.
    """
    uin = validate_uin(uin)
    now = clock.now()
    with uow:
        resident = uow.residents.get_by_uin(uin)
        if resident is None:
            raise AuthenticationError(_FAILED)
        live = [
            c
            for c in uow.resident_access.recent_codes(resident.id, now - CODE_LIFETIME)
            if c.used_at is None and c.expires_at > now and c.attempts < _MAX_ATTEMPTS
        ]
        if not live:
            raise AuthenticationError(_FAILED)
        latest = live[0]
        if not hmac.compare_digest(latest.code_hash, _hash_code(resident.id, code.strip())):
            uow.resident_access.save_code(replace(latest, attempts=latest.attempts + 1))
            uow.commit()
            raise AuthenticationError(_FAILED)
        uow.resident_access.save_code(replace(latest, used_at=now))
        token = secrets.token_urlsafe(32)
        expires = now + SESSION_LIFETIME
        uow.resident_access.add_token(AuthToken(hash_token(token), resident.id, now, expires))
        uow.commit()
    return ResidentSession(token, expires)


def authenticate_resident(uow: UnitOfWork, token: str, *, clock: Clock) -> str:
    """Return the resident id behind a resident token.

    Raises:
        AuthenticationError: unknown, expired or revoked token.
    """
    with uow:
        stored = uow.resident_access.get_token(hash_token(token))
    if stored is None or stored.revoked_at is not None or stored.expires_at <= clock.now():
        raise AuthenticationError("the token is invalid or has expired")
    return stored.official_id


def sign_out(uow: UnitOfWork, token: str, *, clock: Clock) -> None:
    """Revoke a resident token (idempotent)."""
    with uow:
        uow.resident_access.revoke_token(hash_token(token), clock.now())
        uow.commit()


def _resident(uow: UnitOfWork, resident_id: str) -> Resident:
    found = uow.residents.get(resident_id)
    if found is None:
        raise NotFoundError("no such resident")
    return found


def own_record(uow: UnitOfWork, resident_id: str) -> Resident:
    """Return the signed-in resident's own record (reading it is not an official action)."""
    with uow:
        return _resident(uow, resident_id)


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One action on, or read of, a resident's record, as the resident sees it."""

    at: datetime
    action: str
    official_role: str
    station: str | None
    reason: str | None
    log_index: int


def access_log(uow: UnitOfWork, resident_id: str, *, limit: int = 500) -> list[AccessEntry]:
    """Return every logged action on the resident's record, newest first.

    Officials appear by role and station, not by name: the resident learns who
    (in which capacity, where) touched the record, when and why; auditors can
    resolve the official from the log index.

    Raises:
        ValidationError: a limit out of range.
    """
    if not 1 <= limit <= 5000:  # noqa: PLR2004
        raise ValidationError("limit is between 1 and 5000", field="limit")
    with uow:
        _resident(uow, resident_id)
        actions = {a.index: a for a in uow.ledger.actions_on("resident", resident_id)}
        # Actions on the resident's applications and documents are actions on them too.
        owned = uow.applications.query(
            ApplicationQuery(resident_id=resident_id, open_only=False, limit=limit)
        )
        for kind, ids in (
            ("application", [a.id for a in owned]),
            ("document", [d.id for d in uow.documents.for_resident(resident_id)]),
        ):
            for record_id in ids:
                actions.update({a.index: a for a in uow.ledger.actions_on(kind, record_id)})
    entries = [
        AccessEntry(
            at=a.at,
            action=a.action_type,
            official_role=a.official_role,
            station=a.station,
            reason=a.reason,
            log_index=a.index,
        )
        for a in actions.values()
    ]
    entries.sort(key=lambda e: (e.at, e.log_index), reverse=True)
    return entries[:limit]
