"""``carnet documents``: the catalogue, print runs, hand-overs, revocation and sweeps.

Official commands act as the official signed in with ``carnet login``
(:func:`carnet.entrypoints.cli.session.official`); roles and scope are checked by
the use cases of :mod:`carnet.services.documents`, as in the API::

    carnet documents types | check-types FILE
    carnet documents show ID | list --uin U | custody ID | awaiting STATION
    carnet documents print-run STATION --out FILE.pdf | print-pdf RUN --out FILE.pdf
    carnet documents dispatch RUN | receive ID | transfer ID --to S --reason R
    carnet documents collect ID --check CHECK --uin U | lost ID [--stolen]
    carnet documents revoke ID --reason R | decide-revocation PROPOSAL --confirm/--reject
    carnet documents reprint ID --reason R | decide-reprint PROPOSAL --confirm/--reject
    carnet documents sweep               (operator: no sign-in; cron or a timer)

``carnet serve`` runs the same sweep in a thread (:mod:`.sweeps`).
PDFs hold personal data: they are written with mode 0600. Output names documents
by id and number, never a resident's name or UIN.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path  # noqa: TC003 - Typer reads the annotations at run time
from typing import TYPE_CHECKING

import typer

from carnet.domain.errors import InfrastructureError
from carnet.entrypoints.cli.context import container, handle_errors
from carnet.entrypoints.cli.session import official
from carnet.entrypoints.cli.sweeps import sweep_once
from carnet.services import documents as lifecycle
from carnet.services import two_person
from carnet.services.catalogue import load_catalogue
from carnet.services.issuer_workspace import write_file_atomically

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime
    from typing import TypeAlias

    from carnet.domain.doctypes import DocumentType
    from carnet.domain.documents import Document
    from carnet.domain.proposals import Proposal
    from carnet.services.issuance import Issuing

    _ActionOf: TypeAlias = Callable[[Issuing], two_person.TwoPersonAction]

__all__ = ["app", "echo_table", "stamp"]

app = typer.Typer(
    help="Documents: catalogue, printing, hand-overs, revocation, sweeps.", no_args_is_help=True
)

_DOCUMENT = typer.Argument(..., help="The document's id.")
_PROPOSAL = typer.Argument(..., help="The proposal's id.")
_REASON = typer.Option(..., "--reason", help="Why (kept in the log).")
_DECISION = typer.Option(..., "--confirm/--reject", help="Confirm (and carry out) or reject.")
_OUT = typer.Option(..., "--out", help="Where to write the PDF (mode 0600).")


# ------------------------------------------------------------------ output


def stamp(moment: datetime) -> str:
    """A timestamp as the CLI prints it: UTC, to the minute."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def echo_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print rows under a header, in columns separated by two spaces."""
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    for row in (header, *rows):
        typer.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _echo_fields(fields: Sequence[tuple[str, str]]) -> None:
    width = max(len(k) for k, _ in fields)
    for key, value in fields:
        typer.echo(f"{key:<{width}}  {value}")


def _write_pdf(path: Path, pdf: bytes, *, run_id: str) -> None:
    """Write a PDF privately: :func:`write_file_atomically` uses mkstemp, mode 0600."""
    try:
        write_file_atomically(path, pdf)
    except InfrastructureError as exc:
        raise InfrastructureError(
            f"{path.name} could not be written; the run is recorded: "
            f"carnet documents print-pdf {run_id} --out FILE"
        ) from exc


# --------------------------------------------------------------- catalogue


def _validity(doc_type: DocumentType) -> str:
    validity = doc_type.validity
    if validity.from_attribute and validity.until_attribute:
        most = f", max {validity.max_days} d" if validity.max_days else ""
        return f"{validity.from_attribute}..{validity.until_attribute}{most}"
    parts = [
        f"{validity.years} y" if validity.years else "",
        f"{validity.days} d" if validity.days else "",
    ]
    return " ".join(p for p in parts if p)


@app.command("types")
@handle_errors
def types() -> None:
    """List the document types in force (the catalogue, setting document_types_file)."""
    with container() as box:
        catalogue = box.catalogue()
    typer.echo(
        f"catalogue version {catalogue.version}, {catalogue.issuing_state}, {catalogue.authority}"
    )
    echo_table(
        ("CODE", "TITLE", "APPROVALS", "VALIDITY", "FEE", "COLLECT_DAYS", "PORTAL"),
        [
            (
                t.code,
                t.title_latin,
                str(t.approvals),
                _validity(t),
                f"{t.fee.amount} {t.fee.currency}" if t.fee else "",
                str(t.collection_days),
                "yes" if t.residents_may_apply else "no",
            )
            for t in catalogue.types.values()
        ],
    )


@app.command("check-types")
@handle_errors
def check_types(path: Path = typer.Argument(..., help="A document-type catalogue (YAML).")) -> None:
    """Validate a catalogue file against the rules and the purpose policy."""
    catalogue = load_catalogue(path)
    typer.echo(f"OK: {len(catalogue.types)} document types, version {catalogue.version}")


# ------------------------------------------------------------------- reads

_READ_REASON = typer.Option(
    None, "--reason", help="Why you read it (the holder sees it in their access log)."
)


@app.command("show")
@handle_errors
def show(document_id: str = _DOCUMENT, reason: str | None = _READ_REASON) -> None:
    """Show one document in your scope: number, state, validity and where it is (logged)."""
    with official() as (box, principal):
        d = lifecycle.get_document(box.uow(), principal, document_id, reason=reason)
    fields = [
        ("id", d.id),
        ("number", d.document_number),
        ("type", d.document_type),
        ("state", d.state.value),
        ("valid from", stamp(d.valid_from)),
        ("valid until", stamp(d.valid_until)),
        ("issued", stamp(d.issued_at)),
        ("collection station", d.collection_station),
        ("held at", d.held_at or ""),
        ("prints", str(d.prints)),
        ("print run", d.print_run_id or ""),
        ("status entry", f"{d.status_list_id}/{d.status_idx}"),
        ("signer", d.signer_kid),
    ]
    if d.ready_at:
        fields.append(("ready since", stamp(d.ready_at)))
    if d.collected_at:
        fields.append(("collected", stamp(d.collected_at)))
    if d.ended_at:
        reason = d.end_reason.value if d.end_reason else ""
        fields.append(("ended", f"{stamp(d.ended_at)} ({reason})"))
    if d.replaces_document_id:
        fields.append(("replaces", d.replaces_document_id))
    _echo_fields(fields)


def _document_rows(found: Sequence[Document]) -> list[tuple[str, ...]]:
    return [
        (
            d.id,
            d.document_number,
            d.document_type,
            d.state.value,
            stamp(d.valid_until),
            d.held_at or d.collection_station,
        )
        for d in found
    ]


@app.command("list")
@handle_errors
def list_command(
    uin: str = typer.Option(..., "--uin", help="The resident's UIN."),
    reason: str | None = _READ_REASON,
) -> None:
    """List a resident's documents, newest first (logged)."""
    with official() as (box, principal):
        found = lifecycle.documents_of(box.uow(), principal, uin, reason=reason)
    echo_table(("ID", "NUMBER", "TYPE", "STATE", "VALID_UNTIL", "STATION"), _document_rows(found))


@app.command("custody")
@handle_errors
def custody(document_id: str = _DOCUMENT, reason: str | None = _READ_REASON) -> None:
    """Show a document's chain of custody (logged)."""
    with official() as (box, principal):
        events = lifecycle.custody(box.uow(), principal, document_id, reason=reason)
    echo_table(
        ("SEQ", "AT", "STEP", "FROM", "TO", "OFFICIAL"),
        [
            (
                str(e.seq),
                stamp(e.at),
                e.transition.value,
                e.from_station or "",
                e.to_station or "",
                e.official_id or "system",
            )
            for e in events
        ],
    )


@app.command("awaiting")
@handle_errors
def awaiting(station: str = typer.Argument(..., help="The station's code.")) -> None:
    """List the documents ready for collection at a station, oldest first."""
    with official() as (box, principal):
        ready = lifecycle.awaiting_collection(box.uow(), box.issuing(), principal, station)
    echo_table(
        ("ID", "NUMBER", "TYPE", "DAYS"),
        [
            (
                a.document.id,
                a.document.document_number,
                a.document.document_type,
                str(a.waiting.days),
            )
            for a in ready
        ],
    )


# ---------------------------------------------------------------- printing


@app.command("print-run")
@handle_errors
def print_run(
    station: str = typer.Argument(..., help="The station whose issued documents to print."),
    limit: int = typer.Option(100, "--limit", min=1, max=500, help="At most this many."),
    out: Path = _OUT,
) -> None:
    """Render the station's issued documents into one PDF and mark them produced (issuers)."""
    with official() as (box, principal):
        output = lifecycle.print_run(box.uow(), box.issuing(), principal, station, limit=limit)
    _write_pdf(out, output.pdf, run_id=output.run.id)
    count = len(output.run.document_ids)
    typer.echo(f"print run {output.run.id}: {count} documents; wrote {out}")


@app.command("print-pdf")
@handle_errors
def print_pdf(
    run_id: str = typer.Argument(..., help="The print run's id."),
    out: Path = _OUT,
) -> None:
    """Render a past print run's PDF again (the same documents, in the same order)."""
    with official() as (box, principal):
        output = lifecycle.print_run_pdf(box.uow(), box.issuing(), principal, run_id)
    _write_pdf(out, output.pdf, run_id=output.run.id)
    typer.echo(f"wrote {out} ({len(output.run.document_ids)} documents)")


@app.command("dispatch")
@handle_errors
def dispatch(run_id: str = typer.Argument(..., help="The print run's id.")) -> None:
    """Dispatch a print run's documents to their collection stations (issuers)."""
    with official() as (box, principal):
        moved = lifecycle.dispatch_run(box.uow(), box.issuing(), principal, run_id)
    typer.echo(f"dispatched {len(moved)} documents")
    for d in moved:
        typer.echo(f"document {d.id} {d.document_number} to {d.collection_station}")


# -------------------------------------------------------------- hand-overs


@app.command("receive")
@handle_errors
def receive(
    document_id: str = _DOCUMENT,
    station: str | None = typer.Option(None, "--station", help="Default: your sign-in station."),
) -> None:
    """Receive a dispatched document at the station: it is ready and the holder is told."""
    with official() as (box, principal):
        ready = lifecycle.receive(
            box.uow(), box.issuing(), principal, document_id, station_code=station
        )
    typer.echo(f"document {ready.id} ready at {ready.held_at}")


@app.command("transfer")
@handle_errors
def transfer(
    document_id: str = _DOCUMENT,
    to: str = typer.Option(..., "--to", help="The destination station."),
    reason: str = _REASON,
) -> None:
    """Send an uncollected document to another station."""
    with official() as (box, principal):
        moved = lifecycle.transfer(
            box.uow(), box.issuing(), principal, document_id, to_station=to, reason=reason
        )
    typer.echo(f"document {moved.id} in transit to {moved.collection_station}")


@app.command("collect")
@handle_errors
def collect(
    document_id: str = _DOCUMENT,
    check: str = typer.Option(
        ...,
        "--check",
        help="How you checked the person: photo_match|previous_document|fingerprint.",
    ),
    uin: str = typer.Option(..., "--uin", help="The UIN the person presents."),
    station: str | None = typer.Option(None, "--station", help="Default: your sign-in station."),
) -> None:
    """Hand a ready document to its holder after an identity check."""
    with official() as (box, principal):
        collected = lifecycle.collect(
            box.uow(),
            box.issuing(),
            principal,
            document_id,
            station_code=station,
            identity_check=check,
            presented_uin=uin,
        )
    typer.echo(f"document {collected.id} collected")


@app.command("lost")
@handle_errors
def lost(
    document_id: str = _DOCUMENT,
    stolen: bool = typer.Option(False, "--stolen", help="Reported stolen rather than lost."),
) -> None:
    """Record a document as lost or stolen: it is revoked at once."""
    with official() as (box, principal):
        ended = lifecycle.report_lost(
            box.uow(), box.issuing(), principal, document_id, stolen=stolen
        )
    reason = ended.end_reason.value if ended.end_reason else ended.state.value
    typer.echo(f"document {ended.id} {ended.state.value} ({reason})")


# ------------------------------------------------------ two-person actions


def _propose(action_of: _ActionOf, document_id: str, reason: str, decide_with: str) -> None:
    """Propose a two-person action on a document; print the proposal and the next step."""
    with official() as (box, principal):
        proposal = two_person.propose(
            box.uow(),
            principal,
            action_of(box.issuing()),
            {"document_id": document_id},
            reason=reason,
            clock=box.clock,
        )
    typer.echo(f"proposal {proposal.id} {proposal.state.value}")
    typer.echo(f"a second official decides: carnet documents {decide_with} {proposal.id}", err=True)


def _decide(action_of: _ActionOf, proposal_id: str, *, confirm: bool, reason: str) -> Proposal:
    """Confirm or reject a proposal as the second official; print and return it."""
    with official() as (box, principal):
        decided = two_person.decide(
            box.uow(),
            principal,
            action_of(box.issuing()),
            proposal_id,
            confirm=confirm,
            reason=reason,
            clock=box.clock,
        )
    typer.echo(f"proposal {decided.id} {decided.state.value}")
    return decided


@app.command("revoke")
@handle_errors
def revoke(document_id: str = _DOCUMENT, reason: str = _REASON) -> None:
    """Propose revoking a document; a second official confirms (decide-revocation)."""
    _propose(lifecycle.revocation_action, document_id, reason, "decide-revocation")


@app.command("decide-revocation")
@handle_errors
def decide_revocation(
    proposal_id: str = _PROPOSAL, confirm: bool = _DECISION, reason: str = _REASON
) -> None:
    """Confirm (revoking the document) or reject another official's revocation proposal."""
    decided = _decide(lifecycle.revocation_action, proposal_id, confirm=confirm, reason=reason)
    if "state" in decided.params:
        typer.echo(f"document {decided.params['document_id']} {decided.params['state']}")


@app.command("reprint")
@handle_errors
def reprint(document_id: str = _DOCUMENT, reason: str = _REASON) -> None:
    """Propose reprinting a printed, undispatched document; a second issuer confirms."""
    _propose(lifecycle.reprint_action, document_id, reason, "decide-reprint")


@app.command("decide-reprint")
@handle_errors
def decide_reprint(
    proposal_id: str = _PROPOSAL, confirm: bool = _DECISION, reason: str = _REASON
) -> None:
    """Confirm (recording a one-document print run) or reject a reprint proposal."""
    decided = _decide(lifecycle.reprint_action, proposal_id, confirm=confirm, reason=reason)
    run_id = decided.params.get("print_run_id")
    if run_id:
        typer.echo(f"print run {run_id}: carnet documents print-pdf {run_id} --out FILE.pdf")


# ------------------------------------------------------------------ sweeps


@app.command("sweep")
@handle_errors
def sweep() -> None:
    """Escalate overdue applications, expire documents, destroy uncollected ones (operator)."""
    with container() as box:
        counts = sweep_once(box)
    typer.echo(
        f"escalated {counts.escalated}  expired {counts.expired}  destroyed {counts.destroyed}"
    )
