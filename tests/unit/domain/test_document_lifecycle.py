"""Applications under the four-eyes rule, and the lifecycle state machine of documents."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import pytest

from carnet.domain.documents import (
    END_STATES,
    INVALID_STATES,
    LIVE_STATES,
    TRANSITIONS,
    Application,
    ApplicationState,
    Approval,
    Document,
    DocumentState,
    EndReason,
    Transition,
)
from carnet.domain.errors import (
    ConflictError,
    FourEyesError,
    IllegalTransitionError,
    PermissionDeniedError,
    ResidentIneligibleError,
    ValidationError,
    WrongStationError,
)

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = pytest.mark.unit

S = DocumentState
T = Transition
T0: Final = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOME: Final = "ST-A"
OTHER: Final = "ST-B"
RESIDENT: Final = "resident-1"
CLERK: Final = "official-clerk"
"""The official who entered the application."""


def _at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


# --------------------------------------------------------------------------- builders


def _document(state: DocumentState = S.ISSUED, **overrides: Any) -> Document:
    """A document in ``state`` as the lifecycle would leave it (custody fields consistent)."""
    held = HOME if state in {S.READY, S.COLLECTED} else None
    values: dict[str, Any] = {
        "id": "doc-1",
        "document_number": "Z12345678",
        "resident_id": RESIDENT,
        "application_id": "app-1",
        "document_type": "zone_permit",
        "catalogue_version": 1,
        "attributes": {"zone": "11010001"},
        "valid_from": T0,
        "valid_until": T0 + timedelta(days=30),
        "status_list_id": 1,
        "status_idx": 42,
        "signer_kid": "ab12",
        "qr_text": "NCFSECRETQR",
        "mrz": ("IDUTOZ12345678",),
        "collection_station": HOME,
        "issued_at": T0,
        "state": state,
        "held_at": held,
        "state_changed_at": T0,
    }
    values.update(overrides)
    return Document(**values)


def _application(**overrides: Any) -> Application:
    values: dict[str, Any] = {
        "id": "app-1",
        "resident_id": RESIDENT,
        "document_type": "zone_permit",
        "catalogue_version": 1,
        "attributes": {"zone": "11010001", "purpose": "secret purpose"},
        "station_code": HOME,
        "submitted_at": T0,
        "entered_by": CLERK,
        "required_approvals": 2,
    }
    values.update(overrides)
    return Application(**values)


# --------------------------------------------------------------------------- the state machine

DOCUMENTED: Final = {
    T.PRINT: ({S.ISSUED}, S.PRODUCED),
    T.REPRINT: ({S.PRODUCED}, S.PRODUCED),
    T.DISPATCH: ({S.PRODUCED}, S.DISPATCHED),
    T.RECEIVE: ({S.DISPATCHED}, S.READY),
    T.TRANSFER: ({S.READY}, S.DISPATCHED),
    T.COLLECT: ({S.READY}, S.COLLECTED),
    T.EXPIRE: ({S.COLLECTED}, S.EXPIRED),
    T.REVOKE: ({S.ISSUED, S.PRODUCED, S.DISPATCHED, S.READY, S.COLLECTED}, S.REVOKED),
    T.REPORT_LOST: ({S.PRODUCED, S.DISPATCHED, S.READY, S.COLLECTED}, S.LOST),
    T.DESTROY: ({S.READY}, S.DESTROYED),
}
"""The lifecycle of the module docstring, written out independently of the code."""


def test_the_transition_table_is_the_documented_lifecycle() -> None:
    assert {t: (set(src), dst) for t, (src, dst) in TRANSITIONS.items()} == DOCUMENTED
    assert set(TRANSITIONS) == set(Transition)


def test_every_state_is_either_live_or_final() -> None:
    assert set(DocumentState) == LIVE_STATES | END_STATES
    assert not LIVE_STATES & END_STATES
    assert END_STATES - {S.EXPIRED} == INVALID_STATES


def test_no_transition_leaves_a_final_state() -> None:
    for sources, _target in TRANSITIONS.values():
        assert not sources & END_STATES


# The station each move needs to succeed from a consistent document (see _document).
_STATION: Final = {
    T.DISPATCH: HOME,
    T.TRANSFER: OTHER,
    T.RECEIVE: HOME,
    T.COLLECT: HOME,
    T.DESTROY: HOME,
}

ALL_PAIRS: Final = [
    pytest.param(state, transition, id=f"{state.value}-{transition.value}")
    for state, transition in itertools.product(DocumentState, Transition)
]


@pytest.mark.parametrize(("state", "transition"), ALL_PAIRS)
def test_a_move_is_allowed_exactly_when_the_table_lists_it(
    state: DocumentState, transition: Transition
) -> None:
    document = _document(state)
    sources, target = TRANSITIONS[transition]
    kwargs: dict[str, Any] = {
        "now": _at(1),
        "station": _STATION.get(transition),
        "reason": EndReason.ADMINISTRATIVE,
    }
    if state in sources:
        moved = document.move(transition, **kwargs)
        assert moved.state is target
        assert moved.state_changed_at == _at(1)
        assert moved.version == document.version + 1
        assert moved.is_live == (target in LIVE_STATES)
    else:
        with pytest.raises(IllegalTransitionError) as info:
            document.move(transition, **kwargs)
        assert transition.value in info.value.message
        assert state.value in info.value.message


def test_the_happy_path_from_issue_to_expiry() -> None:
    issued = _document()
    assert (issued.held_at, issued.prints, issued.version) == (None, 0, 1)
    assert issued.is_live

    produced = issued.move(T.PRINT, now=_at(1))
    assert produced.state is S.PRODUCED
    assert produced.prints == 1
    assert produced.state_changed_at == _at(1)

    dispatched = produced.move(T.DISPATCH, now=_at(2), station=HOME)
    assert dispatched.state is S.DISPATCHED
    assert dispatched.collection_station == HOME
    assert dispatched.held_at is None
    assert dispatched.ready_at is None

    ready = dispatched.move(T.RECEIVE, now=_at(3), station=HOME)
    assert ready.state is S.READY
    assert ready.held_at == HOME
    assert ready.ready_at == _at(3)
    assert ready.collected_at is None

    collected = ready.move(T.COLLECT, now=_at(4), station=HOME)
    assert collected.state is S.COLLECTED
    assert collected.collected_at == _at(4)
    assert collected.held_at is None  # handed over: no station holds it any more
    assert collected.ready_at == _at(3)
    assert collected.ended_at is None
    assert collected.is_live

    expired = collected.move(T.EXPIRE, now=_at(5), reason=EndReason.EXPIRED)
    assert expired.state is S.EXPIRED
    assert expired.ended_at == _at(5)
    assert expired.end_reason is EndReason.EXPIRED
    assert not expired.is_live
    assert expired.state not in INVALID_STATES

    path = [issued, produced, dispatched, ready, collected, expired]
    assert [d.version for d in path] == [1, 2, 3, 4, 5, 6]
    assert [d.state_changed_at for d in path] == [T0, *(_at(h) for h in range(1, 6))]
    assert {d.prints for d in path[1:]} == {1}
    assert issued.state is S.ISSUED  # the original is untouched (frozen)


def test_a_reprint_counts_the_prints() -> None:
    produced = _document().move(T.PRINT, now=_at(1))
    reprinted = produced.move(T.REPRINT, now=_at(2)).move(T.REPRINT, now=_at(3))
    assert reprinted.state is S.PRODUCED
    assert reprinted.prints == 3
    assert reprinted.version == 4


def test_a_transfer_sends_a_ready_document_to_another_station() -> None:
    ready = _document(S.READY, ready_at=_at(1))
    moved = ready.move(T.TRANSFER, now=_at(2), station=OTHER)
    assert moved.state is S.DISPATCHED
    assert moved.collection_station == OTHER
    assert moved.held_at is None

    with pytest.raises(WrongStationError):
        moved.move(T.RECEIVE, now=_at(3), station=HOME)
    received = moved.move(T.RECEIVE, now=_at(3), station=OTHER)
    assert received.state is S.READY
    assert received.held_at == OTHER
    assert received.ready_at == _at(3)
    collected = received.move(T.COLLECT, now=_at(4), station=OTHER)
    assert collected.collected_at == _at(4)


def test_a_transfer_to_the_station_holding_it_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        _document(S.READY).move(T.TRANSFER, now=_at(1), station=HOME)
    assert info.value.field == "station"


@pytest.mark.parametrize(
    ("state", "transition"),
    [(S.PRODUCED, T.DISPATCH), (S.READY, T.TRANSFER)],
    ids=["dispatch", "transfer"],
)
@pytest.mark.parametrize("station", [None, ""], ids=["none", "empty"])
def test_dispatch_and_transfer_need_a_destination(
    state: DocumentState, transition: Transition, station: str | None
) -> None:
    with pytest.raises(ValidationError) as info:
        _document(state).move(transition, now=_at(1), station=station)
    assert info.value.field == "station"
    assert not isinstance(info.value, WrongStationError)


def test_receiving_at_a_station_it_was_not_sent_to_is_refused() -> None:
    dispatched = _document(S.DISPATCHED, collection_station=HOME)
    with pytest.raises(WrongStationError) as info:
        dispatched.move(T.RECEIVE, now=_at(1), station=OTHER)
    assert info.value.field == "station"


@pytest.mark.parametrize(
    ("state", "transition", "reason"),
    [
        (S.DISPATCHED, T.RECEIVE, None),
        (S.READY, T.COLLECT, None),
        (S.READY, T.DESTROY, EndReason.UNCOLLECTED),
    ],
    ids=["receive", "collect", "destroy"],
)
@pytest.mark.parametrize("station", [None, ""], ids=["none", "empty"])
def test_an_acting_station_is_required(
    state: DocumentState, transition: Transition, reason: EndReason | None, station: str | None
) -> None:
    with pytest.raises(ValidationError) as info:
        _document(state).move(transition, now=_at(1), station=station, reason=reason)
    assert info.value.field == "station"
    assert not isinstance(info.value, WrongStationError)


@pytest.mark.parametrize(
    ("transition", "reason"),
    [(T.COLLECT, None), (T.DESTROY, EndReason.UNCOLLECTED)],
    ids=["collect", "destroy"],
)
def test_a_station_not_holding_the_document_cannot_hand_it_over(
    transition: Transition, reason: EndReason | None
) -> None:
    ready = _document(S.READY)
    assert ready.held_at == HOME
    with pytest.raises(WrongStationError) as info:
        ready.move(transition, now=_at(1), station=OTHER, reason=reason)
    assert info.value.field == "station"


def test_a_document_in_transit_cannot_be_collected() -> None:
    # Transferred out: ST-A held it until the transfer, but may no longer hand it over.
    in_transit = _document(S.READY).move(T.TRANSFER, now=_at(1), station=OTHER)
    with pytest.raises(IllegalTransitionError):
        in_transit.move(T.COLLECT, now=_at(2), station=HOME)


def test_an_uncollected_document_is_destroyed_at_its_station() -> None:
    destroyed = _document(S.READY).move(
        T.DESTROY, now=_at(1), station=HOME, reason=EndReason.UNCOLLECTED
    )
    assert destroyed.state is S.DESTROYED
    assert destroyed.end_reason is EndReason.UNCOLLECTED
    assert destroyed.ended_at == _at(1)
    assert destroyed.state in INVALID_STATES


FINAL_MOVES: Final = [
    pytest.param(state, transition, id=f"{state.value}-{transition.value}")
    for transition, (sources, target) in TRANSITIONS.items()
    if target in END_STATES
    for state in sorted(sources)
]


@pytest.mark.parametrize(("state", "transition"), FINAL_MOVES)
def test_a_final_move_needs_a_reason(state: DocumentState, transition: Transition) -> None:
    document = _document(state)
    with pytest.raises(ValidationError) as info:
        document.move(transition, now=_at(1), station=_STATION.get(transition))
    assert info.value.field == "reason"


@pytest.mark.parametrize(("state", "transition"), FINAL_MOVES)
def test_a_final_move_records_when_and_why(state: DocumentState, transition: Transition) -> None:
    ended = _document(state).move(
        transition, now=_at(7), station=_STATION.get(transition), reason=EndReason.STOLEN
    )
    assert ended.state is TRANSITIONS[transition][1]
    assert ended.ended_at == _at(7)
    assert ended.end_reason is EndReason.STOLEN
    assert not ended.is_live


@pytest.mark.parametrize("state", sorted(LIVE_STATES))
def test_a_live_document_can_be_revoked(state: DocumentState) -> None:
    revoked = _document(state).move(T.REVOKE, now=_at(1), reason=EndReason.DECEASED)
    assert revoked.state is S.REVOKED
    assert revoked.end_reason is EndReason.DECEASED
    assert revoked.state in INVALID_STATES


@pytest.mark.parametrize("state", sorted(END_STATES))
def test_a_final_document_cannot_be_revoked(state: DocumentState) -> None:
    with pytest.raises(IllegalTransitionError):
        _document(state).move(T.REVOKE, now=_at(1), reason=EndReason.ADMINISTRATIVE)


@pytest.mark.parametrize("state", sorted(DocumentState))
def test_only_a_printed_document_can_be_reported_lost(state: DocumentState) -> None:
    printed = {S.PRODUCED, S.DISPATCHED, S.READY, S.COLLECTED}
    document = _document(state)
    if state in printed:
        lost = document.move(T.REPORT_LOST, now=_at(1), reason=EndReason.LOST)
        assert lost.state is S.LOST
        assert lost.end_reason is EndReason.LOST
    else:
        with pytest.raises(IllegalTransitionError):
            document.move(T.REPORT_LOST, now=_at(1), reason=EndReason.LOST)


def test_a_reason_given_to_an_ordinary_move_is_not_recorded() -> None:
    produced = _document().move(T.PRINT, now=_at(1), reason=EndReason.LOST)
    assert produced.end_reason is None
    assert produced.ended_at is None


def test_each_move_adds_one_to_the_version() -> None:
    steps: list[Callable[[Document], Document]] = [
        lambda d: d.move(T.PRINT, now=_at(1)),
        lambda d: d.move(T.REPRINT, now=_at(2)),
        lambda d: d.move(T.DISPATCH, now=_at(3), station=HOME),
        lambda d: d.move(T.RECEIVE, now=_at(4), station=HOME),
        lambda d: d.move(T.TRANSFER, now=_at(5), station=OTHER),
        lambda d: d.move(T.RECEIVE, now=_at(6), station=OTHER),
        lambda d: d.move(T.COLLECT, now=_at(7), station=OTHER),
        lambda d: d.move(T.REPORT_LOST, now=_at(8), reason=EndReason.LOST),
    ]
    document = _document(version=5)
    versions = [document.version]
    for step in steps:
        document = step(document)
        versions.append(document.version)
    assert versions == list(range(5, 5 + len(steps) + 1))
    assert document.state is S.LOST


def test_a_document_keeps_personal_data_out_of_its_repr() -> None:
    text = repr(_document())
    assert "Z12345678" not in text
    assert "NCFSECRETQR" not in text
    assert "11010001" not in text
    assert "doc-1" in text


# --------------------------------------------------------------------------- applications


def test_a_new_application_is_open_and_waits_for_approvals() -> None:
    application = _application()
    assert application.is_open
    assert application.state is ApplicationState.SUBMITTED
    assert not application.is_fully_approved
    assert application.decision_time() is None
    assert "secret purpose" not in repr(application)


def test_an_approval_records_who_when_and_why() -> None:
    approved = _application().approve("official-1", None, reason="documents seen", now=_at(1))
    assert approved.approvals == (Approval("official-1", _at(1), "documents seen"),)
    assert approved.version == 2
    assert approved.is_open
    assert not approved.is_fully_approved
    assert "documents seen" not in repr(approved.approvals[0])


def test_the_same_official_cannot_approve_twice() -> None:
    once = _application().approve("official-1", None, reason="ok", now=_at(1))
    with pytest.raises(FourEyesError):
        once.approve("official-1", None, reason="ok again", now=_at(2))
    with pytest.raises(FourEyesError):
        once.check_approver("official-1", None)


def test_the_entering_official_cannot_approve() -> None:
    with pytest.raises(FourEyesError):
        _application().approve(CLERK, None, reason="mine", now=_at(1))
    with pytest.raises(FourEyesError):
        _application().check_approver(CLERK, "resident-9")


def test_an_official_cannot_approve_their_own_application() -> None:
    with pytest.raises(FourEyesError):
        _application().approve("official-1", RESIDENT, reason="me", now=_at(1))


def test_another_official_with_a_resident_record_may_approve() -> None:
    application = _application()
    application.check_approver("official-1", "resident-9")
    approved = application.approve("official-1", "resident-9", reason="ok", now=_at(1))
    assert [a.official_id for a in approved.approvals] == ["official-1"]


def test_anyone_but_the_resident_may_approve_a_portal_application() -> None:
    portal = _application(entered_by=None, required_approvals=1)
    approved = portal.approve("official-1", None, reason="ok", now=_at(1))
    assert approved.is_fully_approved
    with pytest.raises(FourEyesError):
        portal.approve("official-2", RESIDENT, reason="me", now=_at(1))


def test_two_approvals_need_two_distinct_officials_before_issuing() -> None:
    application = _application(required_approvals=2)
    first = application.approve("official-1", None, reason="first look", now=_at(1))
    with pytest.raises(IllegalTransitionError):
        first.mark_issued(_at(2))
    with pytest.raises(FourEyesError):
        first.approve("official-1", None, reason="again", now=_at(2))
    second = first.approve("official-2", None, reason="second look", now=_at(3))
    assert second.is_fully_approved
    issued = second.mark_issued(_at(4))
    assert issued.state is ApplicationState.ISSUED
    assert not issued.is_open
    assert issued.decided_at == _at(4)
    assert issued.decided_by == "official-2"
    assert issued.decision_reason == "second look"
    assert issued.decision_time() == timedelta(hours=4)
    assert [a.official_id for a in issued.approvals] == ["official-1", "official-2"]
    assert issued.version == 4


def test_an_unapproved_application_cannot_be_issued() -> None:
    with pytest.raises(IllegalTransitionError):
        _application(required_approvals=1).mark_issued(_at(1))


def test_a_type_without_approvals_is_issued_by_nobody() -> None:
    issued = _application(required_approvals=0).mark_issued(_at(1))
    assert issued.state is ApplicationState.ISSUED
    assert issued.decided_by is None
    assert issued.decision_reason is None


def _issued() -> Application:
    return (
        _application(required_approvals=1)
        .approve("official-1", None, reason="ok", now=_at(1))
        .mark_issued(_at(2))
    )


def _rejected() -> Application:
    return _application().reject("official-1", None, reason="incomplete", now=_at(1))


def _withdrawn() -> Application:
    return _application().withdraw(reason="plans changed", now=_at(1))


ACTIONS: Final[dict[str, Callable[[Application], object]]] = {
    "approve": lambda a: a.approve("official-5", None, reason="late", now=_at(9)),
    "check_approver": lambda a: a.check_approver("official-5", None),
    "reject": lambda a: a.reject("official-5", None, reason="late", now=_at(9)),
    "reject-by-system": lambda a: a.reject(None, None, reason="late", now=_at(9)),
    "withdraw": lambda a: a.withdraw(reason="late", now=_at(9)),
    "escalate": lambda a: a.escalate(_at(9)),
    "mark_issued": lambda a: a.mark_issued(_at(9)),
    "approve-by-entering-official": lambda a: a.approve(CLERK, None, reason="x", now=_at(9)),
}
DECIDED: Final[dict[str, Callable[[], Application]]] = {
    "issued": _issued,
    "rejected": _rejected,
    "withdrawn": _withdrawn,
}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("decided", DECIDED)
def test_a_decided_application_refuses_further_steps(decided: str, action: str) -> None:
    application = DECIDED[decided]()
    assert not application.is_open
    with pytest.raises(IllegalTransitionError) as info:
        ACTIONS[action](application)
    assert decided in info.value.message


def test_a_rejection_records_the_decision() -> None:
    rejected = _rejected()
    assert rejected.state is ApplicationState.REJECTED
    assert rejected.decided_by == "official-1"
    assert rejected.decision_reason == "incomplete"
    assert rejected.decided_at == _at(1)
    assert rejected.decision_time() == timedelta(hours=1)
    assert rejected.version == 2


def test_the_entering_official_cannot_reject() -> None:
    with pytest.raises(FourEyesError):
        _application().reject(CLERK, None, reason="mine", now=_at(1))


def test_an_official_cannot_reject_their_own_application() -> None:
    with pytest.raises(FourEyesError):
        _application().reject("official-1", RESIDENT, reason="mine", now=_at(1))


def test_the_system_may_reject() -> None:
    rejected = _application().reject(None, None, reason="resident deceased", now=_at(2))
    assert rejected.state is ApplicationState.REJECTED
    assert rejected.decided_by is None
    assert rejected.decision_reason == "resident deceased"
    assert rejected.decision_time() == timedelta(hours=2)


def test_a_withdrawal_has_no_decision_time() -> None:
    withdrawn = _withdrawn()
    assert withdrawn.state is ApplicationState.WITHDRAWN
    assert withdrawn.decided_at == _at(1)
    assert withdrawn.decided_by is None
    assert withdrawn.decision_reason == "plans changed"
    assert withdrawn.decision_time() is None


def test_an_escalation_marks_the_application_and_keeps_it_open() -> None:
    escalated = _application().escalate(_at(25))
    assert escalated.escalated_at == _at(25)
    assert escalated.is_open
    assert escalated.version == 2
    again = escalated.escalate(_at(26))
    assert again is escalated  # the first escalation stands: same time, same version


def test_an_official_who_approved_may_not_reject() -> None:
    approved = _application(required_approvals=2).approve(
        "official-1", None, reason="ok", now=_at(1)
    )
    with pytest.raises(FourEyesError):
        approved.reject("official-1", None, reason="changed my mind", now=_at(2))
    rejected = approved.reject("official-2", None, reason="forged receipt", now=_at(2))
    assert rejected.state is ApplicationState.REJECTED
    assert rejected.decided_by == "official-2"


def test_approvals_survive_an_escalation() -> None:
    approved = _application().approve("official-1", None, reason="ok", now=_at(1))
    escalated = approved.escalate(_at(2))
    assert escalated.approvals == approved.approvals
    assert replace(escalated, escalated_at=None, version=approved.version) == approved


# --------------------------------------------------------------------------- the new errors


@pytest.mark.parametrize(
    ("error", "base", "code"),
    [
        (FourEyesError, PermissionDeniedError, "four_eyes"),
        (WrongStationError, ConflictError, "wrong_station"),
        (ResidentIneligibleError, ConflictError, "resident_ineligible"),
    ],
    ids=["four-eyes", "wrong-station", "resident-ineligible"],
)
def test_the_lifecycle_errors_sit_in_the_tree(
    error: type[Exception], base: type[Exception], code: str
) -> None:
    assert issubclass(error, base)
    raised = error("a message")
    assert getattr(raised, "code", None) == code
    assert "a message" in repr(raised)
