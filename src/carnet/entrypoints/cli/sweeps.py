"""Background sweeps: escalation of overdue applications, document expiry and destruction.

``carnet documents sweep`` and ``carnet applications escalate`` run them once
(from cron or a timer); ``carnet serve`` runs them in a daemon thread
(:func:`start_sweeper_thread`) every ``sweep_interval_seconds``, never from
FastAPI start-up hooks. The thread logs counts only, and a failure is logged and
retried at the next tick.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from carnet.domain.errors import CarnetError
from carnet.services import applications
from carnet.services import documents as lifecycle

if TYPE_CHECKING:
    from carnet.bootstrap import Container

__all__ = ["SweepCounts", "start_sweeper_thread", "sweep_once"]

logger = logging.getLogger(__name__)

_SWEEP_BATCH: Final = 1000
_MAX_SWEEP_PASSES: Final = 100


@dataclass(frozen=True, slots=True)
class SweepCounts:
    """What one sweep did: applications escalated, documents expired and destroyed."""

    escalated: int
    expired: int
    destroyed: int


def sweep_once(box: Container) -> SweepCounts:
    """Escalate overdue applications, then sweep documents until no full batch is left.

    Each pass is one transaction with at most one leaf per kind of step.
    """
    escalated = applications.escalate_overdue(box.uow(), box.issuing())
    expired = destroyed = 0
    for _ in range(_MAX_SWEEP_PASSES):
        swept = lifecycle.sweep(box.uow(), box.issuing(), batch=_SWEEP_BATCH)
        expired += swept.expired
        destroyed += swept.destroyed
        if swept.expired < _SWEEP_BATCH and swept.destroyed < _SWEEP_BATCH:
            break
    return SweepCounts(escalated, expired, destroyed)


def _sweep_loop(box: Container, every: float, stop: threading.Event) -> None:
    while True:
        # A database that is down for a moment must not end the worker: log the
        # failure (never its records) and try again at the next tick.
        try:
            counts = sweep_once(box)
        except CarnetError as exc:
            logger.warning("document sweep failed: %s; retrying in %g s", exc.code, every)
        except Exception:  # the worker's outermost boundary
            logger.exception("document sweep failed; retrying in %g s", every)
        else:
            level = logging.INFO if counts != SweepCounts(0, 0, 0) else logging.DEBUG
            logger.log(
                level,
                "sweep: escalated %d, expired %d, destroyed %d",
                counts.escalated,
                counts.expired,
                counts.destroyed,
            )
        if stop.wait(every):
            return


def start_sweeper_thread(box: Container) -> threading.Event:
    """Sweep at once and then every ``sweep_interval_seconds`` in a daemon thread.

    Set the returned event to stop it: the thread ends instead of waiting for the
    next sweep. A sweep cut short by the process ending rolls back, and the next
    one does its work (sweeps are idempotent).
    """
    stop = threading.Event()
    threading.Thread(
        target=_sweep_loop,
        args=(box, float(box.settings.sweep_interval_seconds), stop),
        name="document-sweeper",
        daemon=True,
    ).start()
    return stop
