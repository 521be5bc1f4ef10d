"""Applications: entering them, the four-eyes decisions, escalation and the decision report.

A resident applies through the portal (for the types that allow it) or an
official enters the application on their behalf. Approvers decide: each
decision carries a reason, and the four-eyes rule (:mod:`carnet.domain.documents`)
refuses an approver who entered the application, whose own case it is, or who
already approved it. The approval that completes an application issues the
document in the same transaction (:mod:`carnet.services.issuance`), so two
concurrent final approvals end in exactly one document: the second one finds
the application's version changed and is refused.
"""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from carnet.domain.actions import ActionType, application_ref
from carnet.domain.documents import Application, Document, DocumentState
from carnet.domain.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ResidentIneligibleError,
    ValidationError,
)
from carnet.domain.officials import Permission
from carnet.domain.persons import ResidentStatus
from carnet.domain.text import clean_text
from carnet.services.documents import log_action
from carnet.services.issuance import issue_documents
from carnet.services.uow import ApplicationQuery

if TYPE_CHECKING:
    from collections.abc import Mapping

    from carnet.domain.doctypes import DocumentType
    from carnet.domain.officials import Principal
    from carnet.domain.persons import Resident
    from carnet.services.issuance import Issuing
    from carnet.services.uow import UnitOfWork

__all__ = [
    "DecisionStats",
    "Submitted",
    "approve",
    "decision_report",
    "escalate_overdue",
    "for_resident",
    "get_application",
    "list_queue",
    "record_fee",
    "reject",
    "stations_in_scope",
    "submit",
    "withdraw",
]

_MAX_REASON: Final = 500
_MAX_RECEIPT: Final = 64
_IN_PRODUCTION: Final = frozenset(
    {DocumentState.ISSUED, DocumentState.PRODUCED, DocumentState.DISPATCHED, DocumentState.READY}
)


@dataclass(frozen=True, slots=True)
class Submitted:
    """A new application, and the document if its type needs no approval."""

    application: Application
    document: Document | None = None


def stations_in_scope(uow: UnitOfWork, principal: Principal) -> frozenset[str] | None:
    """The station codes the principal's scope covers (``None``: national)."""
    if principal.scope.national:
        return None
    return frozenset(
        s.code for s in uow.stations.list() if principal.covers(uow.regions.lineage(s.region_code))
    )


def _require_station(uow: UnitOfWork, principal: Principal | None, code: str) -> None:
    station = uow.stations.get(code)
    if station is None:
        raise ValidationError("unknown station", field="station_code")
    if principal is not None and not principal.covers(uow.regions.lineage(station.region_code)):
        raise ValidationError("this station is outside your scope", field="station_code")


def _eligible(resident: Resident | None) -> Resident:
    if resident is None:
        raise NotFoundError("no resident with this UIN in your scope", field="uin")
    if resident.status is not ResidentStatus.ACTIVE:
        raise ResidentIneligibleError(
            f"a {resident.status.value} record cannot receive documents", field="uin"
        )
    return resident


def _check_attributes(
    uow: UnitOfWork, doc_type: DocumentType, resident: Resident, attributes: dict[str, str]
) -> None:
    for spec in doc_type.attributes:
        value = attributes.get(spec.name)
        if value is not None and spec.kind.value == "region" and uow.regions.get(value) is None:
            raise ValidationError("unknown region code", field=f"attributes.{spec.name}")
    if doc_type.residence_bound and doc_type.zone_attribute:
        zone = attributes[doc_type.zone_attribute]
        if zone not in uow.regions.lineage(resident.region_code):
            raise ValidationError(
                "the resident does not live in this zone",
                field=f"attributes.{doc_type.zone_attribute}",
            )


def _check_age(doc_type: DocumentType, resident: Resident, now: datetime) -> None:
    if not doc_type.min_age_years:
        return
    born = resident.date_of_birth.latest()  # the youngest the holder can be
    today = now.date()
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if age < doc_type.min_age_years:
        raise ValidationError(
            f"this document is issued from the age of {doc_type.min_age_years}", field="uin"
        )


def _replaced(uow: UnitOfWork, doc_type: DocumentType, resident: Resident) -> str | None:
    """The collected document a new one will replace; refuse if one is in production."""
    if not doc_type.single_valid:
        return None
    current: str | None = None
    for document in uow.documents.for_resident(resident.id):
        if document.document_type != doc_type.code:
            continue
        if document.state in _IN_PRODUCTION:
            raise ConflictError("a document of this type is already in production", field="uin")
        if document.state is DocumentState.COLLECTED and current is None:
            current = document.id
    return current


def submit(
    uow: UnitOfWork,
    issuing: Issuing,
    principal: Principal | None,
    *,
    resident_id: str | None = None,
    uin: str | None = None,
    document_type: str,
    attributes: Mapping[str, object],
    station_code: str,
    fee_receipt: str | None = None,
) -> Submitted:
    """Enter an application: by an official (``principal``) or by the resident.

    A resident applies for themselves (``resident_id`` from their session) and
    only for types that allow it; an official names the resident by ``uin`` and
    needs the resident and the station in scope.

    Raises:
        PermissionDeniedError: the official lacks the permission, or a resident
            applies for a type only officials enter.
        NotFoundError: no such resident in scope.
        ResidentIneligibleError: the record is deceased, emigrated or merged.
        ValidationError: unknown type, bad or missing attributes, unknown
            station, under age, or a residence zone the resident is not in.
        ConflictError: an open application or a document in production of the
            same type already exists.
    """
    now = issuing.clock.now()
    doc_type = issuing.catalogue.get(document_type)
    if principal is not None:
        principal.require(Permission.APPLICATION_CREATE)
    elif not doc_type.residents_may_apply:
        raise PermissionDeniedError("residents cannot apply for this document themselves")
    cleaned = doc_type.clean_attributes(attributes)
    receipt = _receipt(fee_receipt) if fee_receipt else None
    with uow:
        if principal is not None:
            resident = uow.residents.get_by_uin(uin or "")
            if resident is not None and not principal.covers(
                uow.regions.lineage(resident.region_code)
            ):
                resident = None
        else:
            resident = uow.residents.get(resident_id or "")
        resident = _eligible(resident)
        _require_station(uow, principal, station_code)
        _check_attributes(uow, doc_type, resident, cleaned)
        _check_age(doc_type, resident, now)
        if uow.applications.open_for(resident.id, doc_type.code):
            raise ConflictError("an application for this document is already open", field="uin")
        application = Application(
            id=str(uuid.uuid4()),
            resident_id=resident.id,
            document_type=doc_type.code,
            catalogue_version=issuing.catalogue.version,
            attributes=cleaned,
            station_code=station_code,
            submitted_at=now,
            entered_by=principal.official_id if principal else None,
            required_approvals=doc_type.approvals,
            fee_amount=doc_type.fee.amount if doc_type.fee else None,
            fee_currency=doc_type.fee.currency if doc_type.fee else None,
            fee_receipt=receipt,
            replaces_document_id=_replaced(uow, doc_type, resident),
        )
        uow.applications.add(application)
        refs = [application_ref(application)]
        document = None
        if doc_type.approvals == 0 and application.fee_settled:
            issued = issue_documents(uow, issuing, [(application, resident)], now=now)
            application, document, refs = issued.applications[0], issued.documents[0], issued.refs
        log_action(
            uow,
            principal,
            ActionType.APPLICATION,
            refs,
            reason=None,
            now=now,
            by_resident=principal is None,
        )
        uow.commit()
    return Submitted(application, document)


def _receipt(value: str) -> str:
    return clean_text(value, "fee_receipt", max_length=_MAX_RECEIPT)


def _load_in_scope(
    uow: UnitOfWork, principal: Principal, application_id: str
) -> tuple[Application, Resident]:
    application = uow.applications.get(application_id)
    resident = uow.residents.get(application.resident_id) if application else None
    if (
        application is None
        or resident is None
        or not principal.covers(uow.regions.lineage(resident.region_code))
    ):
        raise NotFoundError("no such application in your scope", field="application_id")
    return application, resident


def get_application(uow: UnitOfWork, principal: Principal, application_id: str) -> Application:
    """Return one application in the official's scope.

    Raises:
        NotFoundError: no such application in scope.
    """
    principal.require(Permission.APPLICATION_READ)
    with uow:
        application, _resident = _load_in_scope(uow, principal, application_id)
    return application


def list_queue(
    uow: UnitOfWork,
    principal: Principal,
    *,
    document_type: str | None = None,
    station_code: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Application]:
    """Return open applications in scope: escalated first, then the oldest.

    Raises:
        ValidationError: a bad page size.
    """
    principal.require(Permission.APPLICATION_READ)
    if not 1 <= limit <= 500 or offset < 0:  # noqa: PLR2004 - the page bounds
        raise ValidationError("limit is 1-500 and offset not negative", field="limit")
    with uow:
        stations = stations_in_scope(uow, principal)
        if station_code is not None:
            stations = (
                frozenset({station_code}) & stations
                if stations is not None
                else (frozenset({station_code}))
            )
        return uow.applications.query(
            ApplicationQuery(
                document_types=frozenset({document_type}) if document_type else None,
                station_codes=stations,
                limit=limit,
                offset=offset,
            )
        )


def approve(
    uow: UnitOfWork,
    issuing: Issuing,
    principal: Principal,
    application_id: str,
    *,
    reason: str,
) -> tuple[Application, Document | None]:
    """Approve an application; the approval that completes it issues the document.

    Raises:
        NotFoundError: no such application in scope.
        FourEyesError: the four-eyes rule refuses this official.
        IllegalTransitionError: the application is already decided.
        ValidationError: no reason, or a fee not yet recorded.
        ResidentIneligibleError: the record became ineligible meanwhile.
        StaleVersionError: another official decided at the same time.
    """
    principal.require(Permission.APPLICATION_DECIDE)
    reason = clean_text(reason, "reason", max_length=_MAX_REASON)
    now = issuing.clock.now()
    with uow:
        application, resident = _load_in_scope(uow, principal, application_id)
        approved = application.approve(
            principal.official_id, principal.resident_id, reason=reason, now=now
        )
        _eligible(resident)
        if approved.is_fully_approved and not approved.fee_settled:
            raise ValidationError("the fee has not been recorded", field="fee_receipt")
        uow.applications.save(approved)
        document = None
        refs = [application_ref(approved)]
        action = ActionType.APPROVAL
        if approved.is_fully_approved:
            issued = issue_documents(uow, issuing, [(approved, resident)], now=now)
            approved, document, refs = issued.applications[0], issued.documents[0], issued.refs
            action = ActionType.ISSUANCE
        log_action(uow, principal, action, refs, reason=reason, now=now)
        uow.commit()
    return approved, document


def reject(
    uow: UnitOfWork, issuing: Issuing, principal: Principal, application_id: str, *, reason: str
) -> Application:
    """Reject an application, with a reason.

    Raises:
        NotFoundError: no such application in scope.
        FourEyesError: the official entered it, or it is their own.
        IllegalTransitionError: the application is already decided.
        StaleVersionError: another official decided at the same time.
    """
    principal.require(Permission.APPLICATION_DECIDE)
    reason = clean_text(reason, "reason", max_length=_MAX_REASON)
    now = issuing.clock.now()
    with uow:
        application, _resident = _load_in_scope(uow, principal, application_id)
        rejected = application.reject(
            principal.official_id, principal.resident_id, reason=reason, now=now
        )
        uow.applications.save(rejected)
        log_action(
            uow,
            principal,
            ActionType.REJECTION,
            [application_ref(rejected)],
            reason=reason,
            now=now,
        )
        uow.commit()
    return rejected


def record_fee(
    uow: UnitOfWork, issuing: Issuing, principal: Principal, application_id: str, *, receipt: str
) -> Application:
    """Record the fee's receipt on an open application (entered by a registrar).

    Raises:
        NotFoundError: no such application in scope.
        ValidationError: the type has no fee, or a bad receipt.
        IllegalTransitionError: the application is already decided.
        ConflictError: a receipt is already recorded.
    """
    principal.require(Permission.APPLICATION_CREATE)
    receipt = _receipt(receipt)
    now = issuing.clock.now()
    with uow:
        application, _resident = _load_in_scope(uow, principal, application_id)
        if application.fee_amount is None:
            raise ValidationError("this document has no fee", field="fee_receipt")
        if application.fee_receipt is not None:
            raise ConflictError("the fee is already recorded", field="fee_receipt")
        if not application.is_open:
            raise ConflictError("the application is already decided", field="application_id")
        paid = replace(application, fee_receipt=receipt, version=application.version + 1)
        uow.applications.save(paid)
        log_action(
            uow, principal, ActionType.FEE_PAYMENT, [application_ref(paid)], reason=None, now=now
        )
        uow.commit()
    return paid


def withdraw(
    uow: UnitOfWork, issuing: Issuing, resident_id: str, application_id: str, *, reason: str
) -> Application:
    """Withdraw one of the resident's own open applications.

    Raises:
        NotFoundError: not the resident's application.
        IllegalTransitionError: already decided.
    """
    reason = clean_text(reason, "reason", max_length=_MAX_REASON)
    now = issuing.clock.now()
    with uow:
        application = uow.applications.get(application_id)
        if application is None or application.resident_id != resident_id:
            raise NotFoundError("no such application", field="application_id")
        withdrawn = application.withdraw(reason=reason, now=now)
        uow.applications.save(withdrawn)
        log_action(
            uow,
            None,
            ActionType.WITHDRAWAL,
            [application_ref(withdrawn)],
            reason=reason,
            now=now,
            by_resident=True,
        )
        uow.commit()
    return withdrawn


# ------------------------------------------------------- the resident's own view


def for_resident(
    uow: UnitOfWork, resident_id: str, *, limit: int = 100, offset: int = 0
) -> list[Application]:
    """Return a resident's own applications in every state (for the portal).

    ``resident_id`` comes from the resident's session, never from input.

    Raises:
        ValidationError: a bad page size.
    """
    if not 1 <= limit <= 500 or offset < 0:  # noqa: PLR2004 - the page bounds
        raise ValidationError("limit is 1-500 and offset not negative", field="limit")
    with uow:
        return uow.applications.query(
            ApplicationQuery(resident_id=resident_id, open_only=False, limit=limit, offset=offset)
        )


# ------------------------------------------------------------------ escalation


def escalate_overdue(uow: UnitOfWork, issuing: Issuing) -> int:
    """Escalate every application waiting past its type's service level; return how many.

    Escalated applications head every decision queue. Idempotent: an escalated
    application is not escalated again.
    """
    now = issuing.clock.now()
    count = 0
    with uow:
        refs = []
        for doc_type in issuing.catalogue.types.values():
            rule = doc_type.escalation
            if rule is None:
                continue
            waiting = uow.applications.waiting_since(now - rule.after, frozenset({doc_type.code}))
            for application in waiting:
                if rule.applies(application.attributes):
                    escalated = application.escalate(now)
                    uow.applications.save(escalated)
                    refs.append(application_ref(escalated))
        if refs:
            log_action(
                uow, None, ActionType.ESCALATION, refs, reason="service level exceeded", now=now
            )
            uow.commit()
            count = len(refs)
    return count


@dataclass(frozen=True, slots=True)
class DecisionStats:
    """Time to decision for one station and document type (hours)."""

    station_code: str
    document_type: str
    decided: int
    median_hours: float
    p90_hours: float


def decision_report(
    uow: UnitOfWork, principal: Principal, *, since: datetime, until: datetime
) -> list[DecisionStats]:
    """Median and 90th-percentile time to decision per station and type, in scope.

    Raises:
        ValidationError: an empty or reversed period, or more than a year.
    """
    principal.require(Permission.REPORT_READ)
    if not since < until or until - since > timedelta(days=366):
        raise ValidationError("the period must be positive and at most a year", field="since")
    with uow:
        stations = stations_in_scope(uow, principal)
        rows = uow.applications.decision_times(since, until)
    groups: dict[tuple[str, str], list[float]] = {}
    for row in rows:
        if stations is not None and row.station_code not in stations:
            continue
        hours = (row.decided_at - row.submitted_at).total_seconds() / 3600
        groups.setdefault((row.station_code, row.document_type), []).append(hours)
    return [
        DecisionStats(station, doc_type, len(hours), statistics.median(hours), _p90(hours))
        for (station, doc_type), hours in sorted(groups.items())
    ]


def _p90(values: list[float]) -> float:
    """The 90th percentile (nearest rank): the time within which 90 % were decided."""
    ordered = sorted(values)
    rank = max(1, -(-9 * len(ordered) // 10))
    return ordered[rank - 1]
