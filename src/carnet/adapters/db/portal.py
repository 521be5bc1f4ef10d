"""Repositories for the outbox, residents' sign-in codes and tokens, and proposals."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select, update

from carnet.adapters.db.tables import OutboxRow, ProposalRow, ResidentCodeRow, ResidentTokenRow
from carnet.domain.errors import StaleVersionError
from carnet.domain.messages import Channel, Message, MessageState
from carnet.domain.proposals import Proposal, ProposalState
from carnet.services.uow import AuthToken, ResidentCode

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

__all__ = [
    "SqlAlchemyOutboxRepository",
    "SqlAlchemyProposalRepository",
    "SqlAlchemyResidentAccessRepository",
]


def _message(row: OutboxRow) -> Message:
    return Message(
        id=row.id,
        channel=Channel(row.channel),
        recipient=row.recipient,
        template=row.template,
        params=dict(row.params),
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        attempts=row.attempts,
        state=MessageState(row.state),
        sent_at=row.sent_at,
        last_error=row.last_error,
    )


class SqlAlchemyOutboxRepository:
    """The ``outbox`` table."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, message: Message) -> None:
        """Store a new message."""
        self._s.add(
            OutboxRow(
                id=message.id,
                channel=message.channel.value,
                recipient=message.recipient,
                template=message.template,
                params=message.params,
                created_at=message.created_at,
                next_attempt_at=message.next_attempt_at,
                attempts=message.attempts,
                state=message.state.value,
                sent_at=message.sent_at,
                last_error=message.last_error,
            )
        )

    def due(self, now: datetime, limit: int) -> list[Message]:
        """Return pending messages due at ``now``, oldest first."""
        stmt = (
            select(OutboxRow)
            .where(OutboxRow.state == MessageState.PENDING.value, OutboxRow.next_attempt_at <= now)
            .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
            .limit(limit)
        )
        return [_message(r) for r in self._s.scalars(stmt)]

    def save(self, message: Message) -> None:
        """Store a message's delivery state."""
        self._s.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message.id)
            .values(
                attempts=message.attempts,
                state=message.state.value,
                next_attempt_at=message.next_attempt_at,
                sent_at=message.sent_at,
                last_error=message.last_error,
            )
        )

    def get(self, message_id: str) -> Message | None:
        """Return one message or ``None``."""
        row = self._s.get(OutboxRow, message_id)
        return _message(row) if row else None


def _code(row: ResidentCodeRow) -> ResidentCode:
    return ResidentCode(
        id=row.id,
        resident_id=row.resident_id,
        code_hash=row.code_hash,
        created_at=row.created_at,
        expires_at=row.expires_at,
        attempts=row.attempts,
        used_at=row.used_at,
    )


class SqlAlchemyResidentAccessRepository:
    """Residents' codes and tokens."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def add_code(self, code: ResidentCode) -> None:
        """Store a new code."""
        self._s.add(
            ResidentCodeRow(
                id=code.id,
                resident_id=code.resident_id,
                code_hash=code.code_hash,
                created_at=code.created_at,
                expires_at=code.expires_at,
                attempts=code.attempts,
                used_at=code.used_at,
            )
        )
        self._s.flush()

    def recent_codes(self, resident_id: str, since: datetime) -> list[ResidentCode]:
        """Return the resident's codes issued since ``since``, newest first."""
        stmt = (
            select(ResidentCodeRow)
            .where(ResidentCodeRow.resident_id == resident_id, ResidentCodeRow.created_at >= since)
            .order_by(ResidentCodeRow.created_at.desc(), ResidentCodeRow.id)
        )
        return [_code(r) for r in self._s.scalars(stmt)]

    def save_code(self, code: ResidentCode) -> None:
        """Store a code's attempts and use."""
        self._s.execute(
            update(ResidentCodeRow)
            .where(ResidentCodeRow.id == code.id)
            .values(attempts=code.attempts, used_at=code.used_at)
        )

    def add_token(self, token: AuthToken) -> None:
        """Store a resident token (``official_id`` carries the resident id)."""
        self._s.add(
            ResidentTokenRow(
                token_hash=token.token_hash,
                resident_id=token.official_id,
                issued_at=token.issued_at,
                expires_at=token.expires_at,
                revoked_at=token.revoked_at,
            )
        )

    def get_token(self, token_hash: str) -> AuthToken | None:
        """Return a resident token or ``None``."""
        row = self._s.get(ResidentTokenRow, token_hash)
        if row is None:
            return None
        return AuthToken(
            row.token_hash, row.resident_id, row.issued_at, row.expires_at, row.revoked_at
        )

    def revoke_token(self, token_hash: str, at: datetime) -> None:
        """Revoke a resident token (idempotent)."""
        self._s.execute(
            update(ResidentTokenRow)
            .where(ResidentTokenRow.token_hash == token_hash, ResidentTokenRow.revoked_at.is_(None))
            .values(revoked_at=at)
        )


def _proposal(row: ProposalRow) -> Proposal:
    return Proposal(
        id=row.id,
        action=row.action,
        params=dict(row.params),
        reason=row.reason,
        proposed_by=row.proposed_by,
        proposed_at=row.proposed_at,
        state=ProposalState(row.state),
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_reason=row.decision_reason,
    )


class SqlAlchemyProposalRepository:
    """Two-person proposals."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, proposal: Proposal) -> None:
        """Store a new proposal."""
        self._s.add(
            ProposalRow(
                id=proposal.id,
                action=proposal.action,
                params=proposal.params,
                reason=proposal.reason,
                proposed_by=proposal.proposed_by,
                proposed_at=proposal.proposed_at,
                state=proposal.state.value,
                decided_by=proposal.decided_by,
                decided_at=proposal.decided_at,
                decision_reason=proposal.decision_reason,
            )
        )
        self._s.flush()

    def get(self, proposal_id: str) -> Proposal | None:
        """Return a proposal or ``None``."""
        row = self._s.get(ProposalRow, proposal_id)
        return _proposal(row) if row else None

    def save(self, proposal: Proposal) -> None:
        """Store a decision; only a still-pending proposal may be decided.

        Raises:
            StaleVersionError: it was decided meanwhile (two confirmers raced).
        """
        result = self._s.execute(
            update(ProposalRow)
            .where(ProposalRow.id == proposal.id, ProposalRow.state == ProposalState.PENDING.value)
            .values(
                params=proposal.params,
                state=proposal.state.value,
                decided_by=proposal.decided_by,
                decided_at=proposal.decided_at,
                decision_reason=proposal.decision_reason,
            )
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleVersionError("the proposal was decided meanwhile", field="proposal_id")

    def pending(self, action: str | None = None) -> list[Proposal]:
        """Return pending proposals, oldest first."""
        stmt = select(ProposalRow).where(ProposalRow.state == ProposalState.PENDING.value)
        if action is not None:
            stmt = stmt.where(ProposalRow.action == action)
        return [_proposal(r) for r in self._s.scalars(stmt.order_by(ProposalRow.proposed_at))]
