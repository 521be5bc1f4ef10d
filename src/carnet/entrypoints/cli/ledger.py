"""``carnet ledger checkpoint``: sign the log's checkpoint now, or keep doing so.

With ``--every SECONDS`` it is the checkpoint worker: it signs a checkpoint
whenever the log has grown and exits cleanly on SIGTERM or Ctrl-C. ``carnet
serve`` runs the same loop in a daemon thread (:func:`start_checkpointer_thread`),
never from FastAPI start-up hooks.
"""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING

import typer

from carnet.entrypoints.cli.context import container, handle_errors

if TYPE_CHECKING:
    from carnet.bootstrap import Container

__all__ = ["ledger_app", "start_checkpointer_thread"]

ledger_app = typer.Typer(help="The transparency log.", no_args_is_help=True)


def start_checkpointer_thread(box: Container) -> threading.Event:
    """Run the checkpoint worker in a daemon thread; set the event to stop it."""
    stop = threading.Event()
    worker = box.checkpointer()
    threading.Thread(
        target=worker.run,
        args=(box.settings.checkpoint_interval_seconds, stop),
        name="ledger-checkpointer",
        daemon=True,
    ).start()
    return stop


@ledger_app.command("checkpoint")
@handle_errors
def checkpoint_command(
    every: float | None = typer.Option(
        None,
        min=1,
        max=60,
        help="Keep running: sign a checkpoint every this many seconds if the log grew.",
    ),
) -> None:
    """Sign a checkpoint of the log (C2SP tlog-checkpoint) and print it."""
    with container() as box:
        worker = box.checkpointer()
        if every is None:
            typer.echo(worker.tick().note, nl=False)
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        typer.echo(f"signing checkpoints every {every:g} s; SIGTERM stops", err=True)
        worker.run(every, stop)
    typer.echo("checkpoint worker stopped", err=True)
