"""The reusable two-person rule: propose, then a different official confirms.

A :class:`TwoPersonAction` names the permission both officials need, a scope
check on its parameters, and what to do once confirmed. :func:`propose` records
the request; :func:`decide` lets a second official confirm (carrying the action
out in the same transaction) or reject it. The proposer can never decide their
own proposal. Exports of registry data use it now; merges, revocations and
reprints will use it the same way.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from carnet.domain.actions import Action, ActionType, RecordRef, proposal_ref
from carnet.domain.errors import NotFoundError, ValidationError
from carnet.domain.proposals import Proposal
from carnet.domain.text import clean_text

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from carnet.domain.officials import Permission, Principal
    from carnet.services.ports import Clock
    from carnet.services.uow import UnitOfWork

__all__ = ["TwoPersonAction", "decide", "propose", "require_param"]


@dataclass(frozen=True, slots=True)
class TwoPersonAction:
    """A sensitive action under the two-person rule.

    ``execute`` carries the action out once confirmed and returns result
    parameters and the records it touched; the confirmation's log leaf (of type
    ``action_type``) commits to those records and to the proposal, which names
    the proposer, so the log holds both officials.
    """

    name: str
    permission: Permission
    action_type: ActionType
    check: Callable[[UnitOfWork, Principal, Mapping[str, str]], dict[str, str]]
    execute: Callable[[UnitOfWork, Proposal, Principal], tuple[dict[str, str], Sequence[RecordRef]]]


def propose(
    uow: UnitOfWork,
    principal: Principal,
    action: TwoPersonAction,
    params: Mapping[str, str],
    *,
    reason: str,
    clock: Clock,
) -> Proposal:
    """Record a proposal for ``action``; nothing is carried out yet.

    Raises:
        PermissionDeniedError: the proposer lacks the permission.
        ValidationError: bad parameters, out of scope, or no reason.
    """
    principal.require(action.permission)
    reason = clean_text(reason, "reason", max_length=500)
    with uow:
        checked = action.check(uow, principal, params)
        proposal = Proposal(
            id=str(uuid.uuid4()),
            action=action.name,
            params=checked,
            reason=reason,
            proposed_by=principal.official_id,
            proposed_at=clock.now(),
        )
        uow.proposals.add(proposal)
        uow.ledger.append(
            Action.by(
                principal,
                ActionType.PROPOSAL,
                [proposal_ref(proposal)],
                reason=reason,
                at=proposal.proposed_at,
            )
        )
        uow.commit()
    return proposal


def decide(
    uow: UnitOfWork,
    principal: Principal,
    action: TwoPersonAction,
    proposal_id: str,
    *,
    confirm: bool,
    reason: str,
    clock: Clock,
) -> Proposal:
    """Confirm (and carry out) or reject a proposal as a second official.

    Raises:
        NotFoundError: no such proposal for this action.
        PermissionDeniedError: the decider lacks the permission or is the proposer.
        IllegalTransitionError: already decided or expired.
        StaleVersionError: someone decided it meanwhile.
    """
    principal.require(action.permission)
    reason = clean_text(reason, "reason", max_length=500)
    with uow:
        proposal = uow.proposals.get(proposal_id)
        if proposal is None or proposal.action != action.name:
            raise NotFoundError("no such proposal", field="proposal_id")
        action.check(uow, principal, proposal.params)
        decided = proposal.decide(
            principal.official_id, confirm=confirm, reason=reason, now=clock.now()
        )
        touched: Sequence[RecordRef] = ()
        if confirm:
            result, touched = action.execute(uow, decided, principal)
            decided = replace(decided, params={**decided.params, **result})
        uow.proposals.save(decided)
        uow.ledger.append(
            Action.by(
                principal,
                action.action_type if confirm else ActionType.DECISION,
                [proposal_ref(decided), *touched],
                reason=reason,
                at=decided.decided_at,
            )
        )
        uow.commit()
    return decided


def require_param(params: Mapping[str, str], name: str) -> str:
    """Return a required parameter.

    Raises:
        ValidationError: it is missing or empty.
    """
    value = params.get(name, "")
    if not value:
        raise ValidationError("this parameter is required", field=name)
    return value
