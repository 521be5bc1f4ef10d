"""The two-person rule: one official proposes a sensitive action, another confirms it.

Sensitive actions (exports now; merges, revocations and reprints later) are not
carried out by the official who asks for them. The proposal records what and why;
a second, different official with the same permission confirms (or rejects) it,
and only then is the action carried out. Both officials are recorded in the
transparency log.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from carnet.domain.errors import IllegalTransitionError, PermissionDeniedError

__all__ = ["PROPOSAL_LIFETIME", "Proposal", "ProposalState"]

PROPOSAL_LIFETIME = timedelta(days=2)


class ProposalState(StrEnum):
    """Where a proposal stands."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True, kw_only=True)
class Proposal:
    """A sensitive action waiting for a second official."""

    id: str
    action: str
    params: dict[str, str] = field(repr=False)
    reason: str = field(repr=False)
    proposed_by: str
    proposed_at: datetime
    state: ProposalState = ProposalState.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = field(default=None, repr=False)

    def is_expired(self, now: datetime) -> bool:
        """Whether the proposal waited too long to be decided."""
        return now - self.proposed_at > PROPOSAL_LIFETIME

    def decide(self, official_id: str, *, confirm: bool, reason: str, now: datetime) -> Proposal:
        """Return the proposal confirmed or rejected by ``official_id``.

        Raises:
            PermissionDeniedError: the proposer tries to decide their own proposal.
            IllegalTransitionError: already decided, or expired.
        """
        if official_id == self.proposed_by:
            raise PermissionDeniedError("a second, different official must decide this")
        if self.state is not ProposalState.PENDING:
            raise IllegalTransitionError(f"the proposal is already {self.state.value}")
        if self.is_expired(now):
            raise IllegalTransitionError("the proposal has expired; propose it again")
        return replace(
            self,
            state=ProposalState.CONFIRMED if confirm else ProposalState.REJECTED,
            decided_by=official_id,
            decided_at=now,
            decision_reason=reason,
        )
