"""``carnet audit verify`` and ``carnet audit monitor``.

``verify`` recomputes the log from its stored leaves, checks every checkpoint and
every logged record, prints what it checked and every finding (leaf index, node,
record id and what mismatched; no personal data), and exits with 7 when anything
mismatches.

``monitor`` keeps the last checkpoint it accepted in a state file and accepts a
new one only with a valid consistency proof. A fork or a rollback exits with 7
and leaves both signed checkpoints, the evidence, next to the state file.
"""

from __future__ import annotations

import os
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path  # noqa: TC003 - Typer reads the annotations at run time
from typing import TYPE_CHECKING

import typer

from carnet.adapters.db.audit import SqlAlchemyAuditSource
from carnet.adapters.db.engine import build_engine
from carnet.adapters.db.uow import SqlAlchemyUnitOfWork
from carnet.domain.errors import CarnetError, ForkError, RollbackError, ValidationError
from carnet.entrypoints.cli.context import container, handle_errors
from carnet.services.audit import MonitorRecord, UowLogSource, accept_checkpoint, verify

if TYPE_CHECKING:
    from carnet.services.audit import LogSource

__all__ = ["audit_app"]

audit_app = typer.Typer(help="Audit the transparency log.", no_args_is_help=True)

EXIT_MISMATCH = 7  # the CLI's exit code for the LedgerError branch


@audit_app.command("verify")
@handle_errors
def verify_command(
    show: int = typer.Option(200, min=1, help="Print at most this many findings."),
) -> None:
    """Recompute the log and check its checkpoints and every logged record."""
    with container() as box, SqlAlchemyAuditSource.open(box.engine) as source:
        report = verify(source)
    typer.echo(
        f"leaves {report.leaves:,}  nodes {report.nodes:,}  checkpoints {report.checkpoints:,}  "
        f"records {report.records:,}  findings {len(report.findings):,}"
    )
    for finding in report.findings[:show]:
        typer.echo(f"MISMATCH {finding}")
    if len(report.findings) > show:
        typer.echo(f"... and {len(report.findings) - show:,} more")
    if not report.ok:
        raise typer.Exit(EXIT_MISMATCH)
    typer.echo("the log and every logged record check out")


def _write_atomically(path: Path, text: str) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    with temp.open("w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    temp.replace(path)


def _evidence(state_file: Path, old: MonitorRecord | None, note: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = state_file.with_name(f"{state_file.name}.evidence-{stamp}.txt")
    accepted = old.note if old is not None else "(none)\n"
    _write_atomically(
        path, f"# last accepted checkpoint\n{accepted}\n# conflicting checkpoint\n{note}"
    )
    return path


def _round(source: LogSource, state_file: Path, vkey: str | None) -> MonitorRecord:
    state = (
        MonitorRecord.from_json(state_file.read_text(encoding="utf-8"))
        if state_file.exists()
        else None
    )
    note = source.checkpoint()
    try:
        accepted = accept_checkpoint(source, state, note, vkey=vkey)
    except (ForkError, RollbackError) as exc:
        path = _evidence(state_file, state, note)
        typer.echo(f"ALARM {exc.code}: {exc.message}; evidence in {path}", err=True)
        raise
    _write_atomically(state_file, accepted.to_json())
    grew = "" if state is None else f" (was {state.size:,})"
    typer.echo(f"accepted checkpoint of size {accepted.size:,}{grew}")
    return accepted


@audit_app.command("monitor")
@handle_errors
def monitor_command(
    state: Path = typer.Option(..., "--state", help="Where the last accepted checkpoint is kept."),
    db: str | None = typer.Option(None, "--db", help="Read the log from this database URL."),
    api: str | None = typer.Option(None, "--api", help="Read the log from this API base URL."),
    once: bool = typer.Option(False, "--once", help="Check once and exit (the default)."),
    every: float | None = typer.Option(None, min=1, help="Keep checking every this many seconds."),
    vkey: str | None = typer.Option(
        None, help="The log's verifier key; without it the first key seen is trusted."
    ),
) -> None:
    """Accept each new checkpoint only if it extends the last one (fork and rollback alarm)."""
    if (db is None) == (api is None):
        raise ValidationError("give exactly one of --db and --api", field="source")
    if once and every is not None:
        raise ValidationError("give --once or --every, not both", field="every")
    if api is not None:
        from carnet.adapters.ledger_http import HttpLogSource  # noqa: PLC0415 - needs httpx

        with HttpLogSource.connect(api) as http:
            _run(http, state, vkey, every)
        return
    engine = build_engine(db or "")
    try:
        with container() as box:
            source = UowLogSource(lambda: SqlAlchemyUnitOfWork(engine, box.clock))
            _run(source, state, vkey, every)
    finally:
        engine.dispose()


def _run(source: LogSource, state: Path, vkey: str | None, every: float | None) -> None:
    if every is None:
        _round(source, state, vkey)
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while True:
        try:
            _round(source, state, vkey)
        except (ForkError, RollbackError):
            raise
        except CarnetError as exc:
            # A log that cannot be reached for a moment is not an alarm; try again.
            typer.echo(f"warning: {exc.code}: {exc.message}", err=True)
        if stop.wait(every):
            return
