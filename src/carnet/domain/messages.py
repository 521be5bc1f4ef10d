"""Outgoing notifications: one-time codes now, invitations and collection notices later.

A message is written to the outbox in the same transaction as the action that
causes it, and a relay delivers it at least once. The text is rendered from a
template name and parameters at send time, so the stored row holds only what the
template needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = ["MAX_ATTEMPTS", "Channel", "Message", "MessageState", "backoff"]

MAX_ATTEMPTS = 8


class Channel(StrEnum):
    """How a message reaches its recipient."""

    SMS = "sms"
    EMAIL = "email"


class MessageState(StrEnum):
    """Where a message stands in the outbox."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """A notification waiting in (or delivered from) the outbox."""

    id: str
    channel: Channel
    recipient: str = field(repr=False)
    template: str
    params: dict[str, str] = field(repr=False)
    created_at: datetime
    next_attempt_at: datetime
    attempts: int = 0
    state: MessageState = MessageState.PENDING
    sent_at: datetime | None = None
    last_error: str | None = None


def backoff(attempts: int) -> timedelta:
    """The wait before the next delivery attempt: 10 s doubling, at most an hour."""
    return timedelta(seconds=min(10 * 2 ** max(attempts - 1, 0), 3600))
