"""The notification outbox: write in the action's transaction, deliver at least once.

A use case calls :func:`enqueue` inside its unit of work, so a message exists if
and only if the action committed. :func:`relay` delivers due messages through a
:class:`Sender`: it sends first and marks the message sent afterwards, in its own
transaction, so a crash between the two re-sends it (at least once, never lost).
Failures are retried with exponential back-off up to a limit.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from carnet.domain.errors import InfrastructureError
from carnet.domain.messages import MAX_ATTEMPTS, Channel, Message, MessageState, backoff

if TYPE_CHECKING:
    from collections.abc import Callable

    from carnet.services.ports import Clock
    from carnet.services.uow import UnitOfWork

__all__ = ["TEMPLATES", "RelayReport", "Sender", "enqueue", "relay", "render"]

logger = logging.getLogger(__name__)

TEMPLATES: dict[str, str] = {
    "resident_code": "Carnet: your sign-in code is {code}. It expires in {minutes} minutes. "
    "No official will ever ask you for it.",
    "document_ready": "Carnet: your {document} is ready for collection at {station}. "
    "Bring proof of identity; a card you hold now stays valid until you collect the new one.",
}


class Sender(Protocol):
    """Delivers one rendered message (console, file, SMS gateway, SMTP)."""

    def send(self, message: Message, text: str) -> None:
        """Deliver ``text`` to ``message.recipient``.

        Raises:
            InfrastructureError: the channel could not deliver it now.
        """
        ...


def render(message: Message) -> str:
    """Render a message's text from its template and parameters."""
    return TEMPLATES[message.template].format(**message.params)


def enqueue(
    uow: UnitOfWork,
    *,
    channel: Channel,
    recipient: str,
    template: str,
    params: dict[str, str],
    clock: Clock,
) -> Message:
    """Add a message to the outbox inside the caller's open unit of work."""
    if template not in TEMPLATES:
        msg = f"unknown template {template!r}"
        raise ValueError(msg)
    now = clock.now()
    message = Message(
        id=str(uuid.uuid4()),
        channel=channel,
        recipient=recipient,
        template=template,
        params=params,
        created_at=now,
        next_attempt_at=now,
    )
    uow.outbox.add(message)
    return message


class RelayReport:
    """How many messages one relay pass sent, postponed and gave up on."""

    __slots__ = ("failed", "retried", "sent")

    def __init__(self) -> None:
        self.sent = 0
        self.retried = 0
        self.failed = 0


def relay(
    uow_factory: Callable[[], UnitOfWork],
    sender: Sender,
    *,
    clock: Clock,
    limit: int = 100,
) -> RelayReport:
    """Deliver the due messages once; return what happened."""
    report = RelayReport()
    with uow_factory() as uow:
        due = uow.outbox.due(clock.now(), limit)
    for message in due:
        try:
            sender.send(message, render(message))
        except InfrastructureError as exc:
            attempts = message.attempts + 1
            gave_up = attempts >= MAX_ATTEMPTS
            updated = replace(
                message,
                attempts=attempts,
                state=MessageState.FAILED if gave_up else MessageState.PENDING,
                next_attempt_at=clock.now() + backoff(attempts),
                last_error=exc.code,
            )
            report.failed += gave_up
            report.retried += not gave_up
            logger.warning("outbox delivery failed (attempt %d): %s", attempts, exc.code)
        else:
            updated = replace(
                message,
                attempts=message.attempts + 1,
                state=MessageState.SENT,
                sent_at=clock.now(),
            )
            report.sent += 1
        with uow_factory() as uow:
            uow.outbox.save(updated)
            uow.commit()
    return report
