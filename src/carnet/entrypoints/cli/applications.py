"""``carnet applications``: entering applications, four-eyes decisions, escalation, reports.

Every command but ``escalate`` acts as the official signed in with ``carnet
login`` (:func:`carnet.entrypoints.cli.session.official`), so roles, scope and
the four-eyes rule apply exactly as in the API::

    carnet applications submit --uin U --type T [--attr NAME=VALUE ...] --station S
    carnet applications list | show ID | approve ID --reason R | reject ID --reason R
    carnet applications fee ID --receipt R
    carnet applications report --since YYYY-MM-DD --until YYYY-MM-DD
    carnet applications escalate          (operator: no sign-in; cron or a timer)

Output names applications, documents and stations by their ids and numbers,
never a resident's name or UIN.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

import typer

from carnet.domain.errors import ValidationError
from carnet.entrypoints.cli.context import container, handle_errors
from carnet.entrypoints.cli.documents import echo_table, stamp
from carnet.entrypoints.cli.session import official
from carnet.services import applications

if TYPE_CHECKING:
    from carnet.domain.documents import Application, Document

__all__ = ["app", "parse_attributes"]

app = typer.Typer(
    help="Applications: entry, four-eyes decisions, escalation, reports.", no_args_is_help=True
)

_REASON = typer.Option(..., "--reason", help="Why (kept in the log).")


def parse_attributes(pairs: list[str]) -> dict[str, str]:
    """Turn repeated ``NAME=VALUE`` options into a mapping.

    Raises:
        ValidationError: an option without ``=``, an empty name, or a name given twice.
    """
    attributes: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValidationError("an attribute is NAME=VALUE", field="attr")
        if name in attributes:
            raise ValidationError("an attribute is given twice", field=f"attributes.{name}")
        attributes[name] = value.strip()
    return attributes


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError("a date is YYYY-MM-DD", field=field) from exc


def _approvals(application: Application) -> str:
    return f"{len(application.approvals)}/{application.required_approvals}"


def _echo_application(application: Application) -> None:
    typer.echo(
        f"application {application.id} {application.state.value} "
        f"(approvals {_approvals(application)})"
    )


def _echo_document(document: Document) -> None:
    typer.echo(f"document {document.id} {document.document_number} {document.state.value}")


@app.command("submit")
@handle_errors
def submit(
    uin: str = typer.Option(..., "--uin", help="The resident's UIN."),
    document_type: str = typer.Option(..., "--type", help="A type of `carnet documents types`."),
    attr: list[str] = typer.Option([], "--attr", help="NAME=VALUE (repeatable)."),
    station: str = typer.Option(..., "--station", help="Where the document will be collected."),
    fee_receipt: str | None = typer.Option(None, "--fee-receipt", help="The fee's receipt."),
) -> None:
    """Enter an application on a resident's behalf (registrars)."""
    attributes = parse_attributes(attr)
    with official() as (box, principal):
        done = applications.submit(
            box.uow(),
            box.issuing(),
            principal,
            uin=uin,
            document_type=document_type,
            attributes=attributes,
            station_code=station,
            fee_receipt=fee_receipt,
        )
    _echo_application(done.application)
    if done.document is not None:
        _echo_document(done.document)
    elif done.application.fee_amount is not None and done.application.fee_receipt is None:
        typer.echo(
            f"fee due: {done.application.fee_amount} {done.application.fee_currency} "
            "(carnet applications fee ID --receipt R)"
        )


@app.command("list")
@handle_errors
def list_command(
    document_type: str | None = typer.Option(None, "--type", help="Only this document type."),
    station: str | None = typer.Option(None, "--station", help="Only this station."),
    limit: int = typer.Option(50, "--limit", min=1, max=500, help="At most this many."),
) -> None:
    """List the open applications in your scope: escalated first, then the oldest."""
    with official() as (box, principal):
        queue = applications.list_queue(
            box.uow(), principal, document_type=document_type, station_code=station, limit=limit
        )
    echo_table(
        ("ID", "TYPE", "STATION", "SUBMITTED", "APPROVALS", "FEE", "ESCALATED"),
        [
            (
                a.id,
                a.document_type,
                a.station_code,
                stamp(a.submitted_at),
                _approvals(a),
                _fee(a),
                "yes" if a.escalated_at else "",
            )
            for a in queue
        ],
    )


def _fee(application: Application) -> str:
    if application.fee_amount is None:
        return ""
    return "paid" if application.fee_receipt else "due"


@app.command("show")
@handle_errors
def show(application_id: str = typer.Argument(..., help="The application's id.")) -> None:
    """Show one application in your scope: state, approvals, fee and attributes."""
    with official() as (box, principal):
        found = applications.get_application(box.uow(), principal, application_id)
    lines = [
        ("id", found.id),
        ("type", found.document_type),
        ("state", found.state.value),
        ("station", found.station_code),
        ("submitted", stamp(found.submitted_at)),
        ("entered by", found.entered_by or "the resident"),
        ("approvals", _approvals(found)),
        ("fee", _fee(found) or "none"),
        ("escalated", stamp(found.escalated_at) if found.escalated_at else "no"),
        ("decided", stamp(found.decided_at) if found.decided_at else "no"),
    ]
    lines += [(f"approved by {a.official_id}", stamp(a.at)) for a in found.approvals]
    lines += [(f"attribute {k}", v) for k, v in sorted(found.attributes.items())]
    width = max(len(k) for k, _ in lines)
    for key, value in lines:
        typer.echo(f"{key:<{width}}  {value}")


@app.command("approve")
@handle_errors
def approve(
    application_id: str = typer.Argument(..., help="The application's id."),
    reason: str = _REASON,
) -> None:
    """Approve an application; the approval that completes it issues the document."""
    with official() as (box, principal):
        approved, document = applications.approve(
            box.uow(), box.issuing(), principal, application_id, reason=reason
        )
    _echo_application(approved)
    if document is not None:
        _echo_document(document)


@app.command("reject")
@handle_errors
def reject(
    application_id: str = typer.Argument(..., help="The application's id."),
    reason: str = _REASON,
) -> None:
    """Reject an application, with a reason."""
    with official() as (box, principal):
        rejected = applications.reject(
            box.uow(), box.issuing(), principal, application_id, reason=reason
        )
    _echo_application(rejected)


@app.command("fee")
@handle_errors
def fee(
    application_id: str = typer.Argument(..., help="The application's id."),
    receipt: str = typer.Option(..., "--receipt", help="The payment's receipt number."),
) -> None:
    """Record the fee's receipt on an open application."""
    with official() as (box, principal):
        paid = applications.record_fee(
            box.uow(), box.issuing(), principal, application_id, receipt=receipt
        )
    typer.echo(f"application {paid.id} fee recorded")


@app.command("report")
@handle_errors
def report(
    since: str = typer.Option(..., "--since", help="First day, YYYY-MM-DD (UTC)."),
    until: str = typer.Option(..., "--until", help="Last day, YYYY-MM-DD (UTC, included)."),
) -> None:
    """Median and 90th-percentile hours to decision, per station and document type."""
    start = datetime.combine(_day(since, "since"), time(), tzinfo=UTC)
    end = datetime.combine(_day(until, "until") + timedelta(days=1), time(), tzinfo=UTC)
    with official() as (box, principal):
        stats = applications.decision_report(box.uow(), principal, since=start, until=end)
    echo_table(
        ("STATION", "TYPE", "DECIDED", "MEDIAN_H", "P90_H"),
        [
            (
                s.station_code,
                s.document_type,
                str(s.decided),
                f"{s.median_hours:.1f}",
                f"{s.p90_hours:.1f}",
            )
            for s in stats
        ],
    )


@app.command("escalate")
@handle_errors
def escalate() -> None:
    """Escalate applications waiting past their service level (operator; no sign-in)."""
    with container() as box:
        count = applications.escalate_overdue(box.uow(), box.issuing())
    typer.echo(f"escalated {count}")
