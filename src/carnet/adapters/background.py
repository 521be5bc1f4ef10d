"""Run an iterator in a child process and consume its items here, with back-pressure.

Used by the bulk import so that CSV parsing and validation (pure Python, CPU
bound) overlap with database writes. The queue holds at most a few items, so
memory stays flat however large the input is.
"""

from __future__ import annotations

import multiprocessing
import queue as queue_module
from typing import TYPE_CHECKING, TypeVar, cast

from carnet.domain.errors import CarnetError, InfrastructureError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from multiprocessing.queues import Queue

__all__ = ["iterate_in_child"]

T = TypeVar("T")
_POLL_SECONDS = 1.0


def _pump(
    out: Queue[tuple[str, object]], func: Callable[..., Iterator[object]], args: tuple[object, ...]
) -> None:
    try:
        for item in func(*args):
            out.put(("item", item))
        out.put(("done", None))
    except CarnetError as exc:
        out.put(("error", exc))
    except BaseException as exc:  # noqa: BLE001 - the parent re-raises a typed error
        out.put(("error", InfrastructureError(f"the worker failed: {type(exc).__name__}")))


def iterate_in_child(
    func: Callable[..., Iterator[T]], *args: object, max_pending: int = 3
) -> Iterator[T]:
    """Yield the items ``func(*args)`` yields, computing them in a child process.

    ``func`` and ``args`` must be picklable. A Carnet error in the child is
    re-raised here; any other failure becomes an :class:`InfrastructureError`.
    Stopping early (or an exception here) terminates the child.
    """
    ctx = multiprocessing.get_context("spawn")
    channel: Queue[tuple[str, object]] = ctx.Queue(maxsize=max_pending)
    child = ctx.Process(target=_pump, args=(channel, func, args), daemon=True)
    child.start()
    try:
        while True:
            try:
                kind, item = channel.get(timeout=_POLL_SECONDS)
            except queue_module.Empty:
                if not child.is_alive():
                    raise InfrastructureError("the worker process died") from None
                continue
            if kind == "done":
                return
            if kind == "error":
                raise cast("CarnetError", item)
            yield cast("T", item)
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        channel.close()
