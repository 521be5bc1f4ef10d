"""Applications and documents: the four-eyes rule and the document lifecycle.

An :class:`Application` asks for one document of one type for one resident. It
is entered by the resident (through the portal) or by an official on their
behalf, and approved by as many distinct officials as the type requires
(:attr:`~carnet.domain.doctypes.DocumentType.approvals`). The four-eyes rule
(:meth:`Application.approve`): nobody approves an application they entered,
one for themselves, or one they already approved.

A :class:`Document` is what issuance produces. Its lifecycle is an explicit
state machine (:data:`TRANSITIONS`)::

    issued ──print──▶ produced ──dispatch──▶ dispatched ──receive──▶ ready ──collect──▶ collected
                        │  ▲ reprint                 ▲                 │                  │
                        └──┘                         └────transfer─────┘                  ▼
                                                                    destroy (uncollected) expired

and, from any live state, ``revoked``; from a printed state, ``lost`` (reported
lost or stolen). ``expired``, ``revoked``, ``lost`` and ``destroyed`` are final.
An illegal transition raises :class:`~carnet.domain.errors.IllegalTransitionError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from carnet.domain.errors import (
    FourEyesError,
    IllegalTransitionError,
    ValidationError,
    WrongStationError,
)

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime, timedelta

__all__ = [
    "END_STATES",
    "INVALID_STATES",
    "LIVE_STATES",
    "RESIDENT_ROLE",
    "TRANSITIONS",
    "Application",
    "ApplicationState",
    "Approval",
    "CustodyEvent",
    "Document",
    "DocumentState",
    "EndReason",
    "Transition",
]


RESIDENT_ROLE: Final = "resident"
"""How the log marks an action a resident took themselves (never naming them)."""


class ApplicationState(StrEnum):
    """Where an application stands."""

    SUBMITTED = "submitted"
    ISSUED = "issued"
    """Fully approved; the document was issued in the same transaction."""
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class Approval:
    """One official's approval, with the reason they gave."""

    official_id: str
    at: datetime
    reason: str = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Application:
    """An application for a document. Attributes are kept out of ``repr``.

    ``entered_by`` is the official who entered it, or ``None`` when the resident
    applied through the portal. ``station_code`` is where the resident will
    collect the document (and whose figures the decision counts towards).
    """

    id: str
    resident_id: str
    document_type: str
    catalogue_version: int
    attributes: dict[str, str] = field(repr=False)
    station_code: str
    submitted_at: datetime
    entered_by: str | None = None
    required_approvals: int = 1
    approvals: tuple[Approval, ...] = ()
    state: ApplicationState = ApplicationState.SUBMITTED
    decided_at: datetime | None = None
    decided_by: str | None = None
    decision_reason: str | None = field(default=None, repr=False)
    fee_amount: int | None = None
    fee_currency: str | None = None
    fee_receipt: str | None = field(default=None, repr=False)
    replaces_document_id: str | None = None
    escalated_at: datetime | None = None
    version: int = 1

    @property
    def is_open(self) -> bool:
        """Whether the application still waits for decisions."""
        return self.state is ApplicationState.SUBMITTED

    @property
    def fee_settled(self) -> bool:
        """Whether no fee is due, or its receipt is recorded."""
        return self.fee_amount is None or self.fee_receipt is not None

    @property
    def is_fully_approved(self) -> bool:
        """Whether enough distinct officials approved it."""
        return len(self.approvals) >= self.required_approvals

    def _require_open(self) -> None:
        if not self.is_open:
            raise IllegalTransitionError(f"the application is already {self.state.value}")

    def check_approver(self, official_id: str, official_resident_id: str | None) -> None:
        """Apply the four-eyes rule to a would-be approver.

        Raises:
            IllegalTransitionError: the application is no longer open.
            FourEyesError: they entered it, it is their own, or they approved it.
        """
        self._require_open()
        if official_id == self.entered_by:
            raise FourEyesError("an official may not approve an application they entered")
        if official_resident_id is not None and official_resident_id == self.resident_id:
            raise FourEyesError("an official may not approve their own application")
        if any(a.official_id == official_id for a in self.approvals):
            raise FourEyesError("this official has already approved the application")

    def approve(
        self, official_id: str, official_resident_id: str | None, *, reason: str, now: datetime
    ) -> Application:
        """Return the application with one more approval (see :meth:`check_approver`).

        Raises:
            IllegalTransitionError: the application is no longer open.
            FourEyesError: the four-eyes rule refuses this official.
        """
        self.check_approver(official_id, official_resident_id)
        approvals = (*self.approvals, Approval(official_id, now, reason))
        return replace(self, approvals=approvals, version=self.version + 1)

    def mark_issued(self, now: datetime) -> Application:
        """Return the application closed as issued.

        Raises:
            IllegalTransitionError: it is not open, or not fully approved.
        """
        self._require_open()
        if not self.is_fully_approved:
            raise IllegalTransitionError("the application still needs approvals")
        last = self.approvals[-1] if self.approvals else None
        return replace(
            self,
            state=ApplicationState.ISSUED,
            decided_at=now,
            decided_by=last.official_id if last else None,
            decision_reason=last.reason if last else None,
            version=self.version + 1,
        )

    def reject(
        self,
        official_id: str | None,
        official_resident_id: str | None,
        *,
        reason: str,
        now: datetime,
    ) -> Application:
        """Return the application rejected (``official_id`` ``None``: by the system).

        Raises:
            IllegalTransitionError: it is not open.
            FourEyesError: an official rejecting their own entry or case.
        """
        self._require_open()
        if official_id is not None:
            if any(a.official_id == official_id for a in self.approvals):
                raise FourEyesError("an official who approved may not reject the application")
            if official_id == self.entered_by:
                raise FourEyesError("an official may not decide an application they entered")
            if official_resident_id is not None and official_resident_id == self.resident_id:
                raise FourEyesError("an official may not decide their own application")
        return replace(
            self,
            state=ApplicationState.REJECTED,
            decided_at=now,
            decided_by=official_id,
            decision_reason=reason,
            version=self.version + 1,
        )

    def withdraw(self, *, reason: str, now: datetime) -> Application:
        """Return the application withdrawn by the resident.

        Raises:
            IllegalTransitionError: it is not open.
        """
        self._require_open()
        return replace(
            self,
            state=ApplicationState.WITHDRAWN,
            decided_at=now,
            decision_reason=reason,
            version=self.version + 1,
        )

    def escalate(self, now: datetime) -> Application:
        """Return the application marked escalated (already escalated: unchanged).

        Raises:
            IllegalTransitionError: it is not open.
        """
        self._require_open()
        if self.escalated_at is not None:
            return self
        return replace(self, escalated_at=now, version=self.version + 1)

    def decision_time(self) -> timedelta | None:
        """How long the decision took, once decided by officials."""
        if self.decided_at is None or self.state is ApplicationState.WITHDRAWN:
            return None
        return self.decided_at - self.submitted_at


class DocumentState(StrEnum):
    """Where a document stands in its lifecycle."""

    ISSUED = "issued"
    """Approved, numbered and signed; waiting to be printed."""
    PRODUCED = "produced"
    DISPATCHED = "dispatched"
    READY = "ready"
    COLLECTED = "collected"
    EXPIRED = "expired"
    REVOKED = "revoked"
    LOST = "lost"
    DESTROYED = "destroyed"


class Transition(StrEnum):
    """The named moves of the lifecycle."""

    PRINT = "print"
    REPRINT = "reprint"
    DISPATCH = "dispatch"
    RECEIVE = "receive"
    TRANSFER = "transfer"
    COLLECT = "collect"
    EXPIRE = "expire"
    REVOKE = "revoke"
    REPORT_LOST = "report_lost"
    DESTROY = "destroy"


class EndReason(StrEnum):
    """Why a document stopped being valid (kept with the document, never a name)."""

    REPLACED = "replaced"
    LOST = "lost"
    STOLEN = "stolen"
    DECEASED = "deceased"
    EMIGRATED = "emigrated"
    MERGED = "merged"
    RESIDENCE_WITHDRAWN = "residence_withdrawn"
    UNCOLLECTED = "uncollected"
    EXPIRED = "expired"
    ADMINISTRATIVE = "administrative"


_S = DocumentState
LIVE_STATES: Final = frozenset({_S.ISSUED, _S.PRODUCED, _S.DISPATCHED, _S.READY, _S.COLLECTED})
END_STATES: Final = frozenset({_S.EXPIRED, _S.REVOKED, _S.LOST, _S.DESTROYED})
INVALID_STATES: Final = frozenset({_S.REVOKED, _S.LOST, _S.DESTROYED})
"""States whose status-list entry is set to INVALID."""

TRANSITIONS: Final[Mapping[Transition, tuple[frozenset[DocumentState], DocumentState]]] = {
    Transition.PRINT: (frozenset({_S.ISSUED}), _S.PRODUCED),
    Transition.REPRINT: (frozenset({_S.PRODUCED}), _S.PRODUCED),
    Transition.DISPATCH: (frozenset({_S.PRODUCED}), _S.DISPATCHED),
    Transition.RECEIVE: (frozenset({_S.DISPATCHED}), _S.READY),
    Transition.TRANSFER: (frozenset({_S.READY}), _S.DISPATCHED),
    Transition.COLLECT: (frozenset({_S.READY}), _S.COLLECTED),
    Transition.EXPIRE: (frozenset({_S.COLLECTED}), _S.EXPIRED),
    Transition.REVOKE: (LIVE_STATES, _S.REVOKED),
    Transition.REPORT_LOST: (
        frozenset({_S.PRODUCED, _S.DISPATCHED, _S.READY, _S.COLLECTED}),
        _S.LOST,
    ),
    Transition.DESTROY: (frozenset({_S.READY}), _S.DESTROYED),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    """An issued document. The signed QR and the MRZ hold personal data: not in ``repr``.

    ``collection_station`` is where the holder collects it; ``held_at`` is the
    station that has it in custody now (``None`` before it reaches a station).
    """

    id: str
    document_number: str = field(repr=False)
    resident_id: str
    application_id: str
    document_type: str
    catalogue_version: int
    attributes: dict[str, str] = field(repr=False)
    valid_from: datetime
    valid_until: datetime
    status_list_id: int
    status_idx: int
    signer_kid: str
    qr_text: str = field(repr=False)
    mrz: tuple[str, ...] = field(repr=False)
    collection_station: str
    issued_at: datetime
    state: DocumentState = DocumentState.ISSUED
    held_at: str | None = None
    state_changed_at: datetime | None = None
    ready_at: datetime | None = None
    collected_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: EndReason | None = None
    replaces_document_id: str | None = None
    print_run_id: str | None = None
    prints: int = 0
    version: int = 1

    @property
    def is_live(self) -> bool:
        """Whether the document is still in its lifecycle (not final)."""
        return self.state in LIVE_STATES

    def move(
        self,
        transition: Transition,
        *,
        now: datetime,
        station: str | None = None,
        reason: EndReason | None = None,
    ) -> Document:
        """Return the document after ``transition``.

        ``station`` is the station acting (receive, collect, destroy, transfer
        out) or, for dispatch and transfer, the destination. Final transitions
        take an :class:`EndReason`.

        Raises:
            IllegalTransitionError: ``transition`` is not allowed from the state.
            WrongStationError: a station acts on a document it does not hold.
            ValidationError: a missing station or reason.
        """
        sources, target = TRANSITIONS[transition]
        if self.state not in sources:
            raise IllegalTransitionError(
                f"a {self.state.value} document cannot take the {transition.value} step"
            )
        changes: dict[str, object] = {
            "state": target,
            "state_changed_at": now,
            "version": self.version + 1,
        }
        changes.update(self._placement(transition, now, station))
        if target in END_STATES:
            if reason is None:
                raise ValidationError("a reason is required", field="reason")
            changes["ended_at"] = now
            changes["end_reason"] = reason
        return replace(self, **changes)  # type: ignore[arg-type]

    def _placement(
        self, transition: Transition, now: datetime, station: str | None
    ) -> dict[str, object]:
        """Where the document is after ``transition``, and what that step stamps."""
        if transition in {Transition.PRINT, Transition.REPRINT}:
            return {"prints": self.prints + 1}
        if transition in {Transition.DISPATCH, Transition.TRANSFER}:
            if not station:
                raise ValidationError("a destination station is required", field="station")
            if transition is Transition.TRANSFER and station == self.held_at:
                raise ValidationError("the document is already at this station", field="station")
            return {"collection_station": station, "held_at": None}
        if transition is Transition.RECEIVE:
            self._require_station(station, self.collection_station)
            return {"held_at": station, "ready_at": now}
        if transition is Transition.COLLECT:
            self._require_station(station, self.held_at)
            return {"collected_at": now, "held_at": None}
        if transition is Transition.DESTROY:
            self._require_station(station, self.held_at)
            return {"held_at": None}
        return {}

    @staticmethod
    def _require_station(acting: str | None, expected: str | None) -> None:
        if not acting:
            raise ValidationError("the acting station is required", field="station")
        if acting != expected:
            raise WrongStationError("the document is not held at this station", field="station")


@dataclass(frozen=True, slots=True, kw_only=True)
class CustodyEvent:
    """One hand-over in a document's chain of custody."""

    document_id: str
    seq: int
    transition: Transition
    from_station: str | None
    to_station: str | None
    official_id: str | None
    at: datetime
