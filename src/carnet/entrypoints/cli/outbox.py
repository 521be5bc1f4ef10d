"""``carnet outbox relay``: deliver pending notifications, once or continuously."""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING

import typer

from carnet.entrypoints.cli.context import container, handle_errors
from carnet.services.outbox import relay

if TYPE_CHECKING:
    from carnet.bootstrap import Container

__all__ = ["app", "start_relay_thread"]

app = typer.Typer(help="The notification outbox.", no_args_is_help=True)


def _loop(box: Container, every: float, stop: threading.Event) -> None:
    while not stop.is_set():
        relay(box.uow, box.sender(), clock=box.clock)
        stop.wait(every)


def start_relay_thread(box: Container, every: float = 2.0) -> threading.Event:
    """Run the relay in a daemon thread (for ``carnet serve``); set the event to stop it."""
    stop = threading.Event()
    threading.Thread(
        target=_loop, args=(box, every, stop), name="outbox-relay", daemon=True
    ).start()
    return stop


@app.command("relay")
@handle_errors
def relay_command(
    every: float | None = typer.Option(
        None, min=0.5, help="Keep running, relaying every this many seconds."
    ),
) -> None:
    """Deliver due messages through the configured sender (CARNET_NOTIFY_BACKEND)."""
    with container() as box:
        if every is None:
            report = relay(box.uow, box.sender(), clock=box.clock)
            typer.echo(f"sent {report.sent}  retried {report.retried}  failed {report.failed}")
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            _loop(box, every, stop)
        except KeyboardInterrupt:
            stop.set()
