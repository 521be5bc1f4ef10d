"""The outbox: written in the action's transaction, delivered at least once, retried."""

from __future__ import annotations

import pytest

from carnet.domain.errors import InfrastructureError
from carnet.domain.messages import MAX_ATTEMPTS, Channel, Message, MessageState, backoff
from carnet.services.outbox import enqueue, relay, render
from tests.fakes import FakeClock, InMemoryUnitOfWork

pytestmark = pytest.mark.unit


class RecordingSender:
    def __init__(self, failures: int = 0) -> None:
        self.sent: list[tuple[str, str]] = []
        self.failures = failures

    def send(self, message: Message, text: str) -> None:
        if self.failures:
            self.failures -= 1
            raise InfrastructureError("gateway down")
        self.sent.append((message.recipient, text))


def queue_one(uow: InMemoryUnitOfWork, clock: FakeClock, *, commit: bool = True) -> Message:
    with uow.fresh() as work:
        message = enqueue(
            work,
            channel=Channel.SMS,
            recipient="010-0000-1234",
            template="resident_code",
            params={"code": "123456", "minutes": "5"},
            clock=clock,
        )
        if commit:
            work.commit()
    return message


def test_message_exists_only_if_the_transaction_commits(clock: FakeClock) -> None:
    uow = InMemoryUnitOfWork()
    queue_one(uow, clock, commit=False)
    assert uow.store.outbox == {}
    queue_one(uow, clock)
    assert len(uow.store.outbox) == 1


def test_relay_delivers_rendered_text_once(clock: FakeClock) -> None:
    uow = InMemoryUnitOfWork()
    message = queue_one(uow, clock)
    sender = RecordingSender()
    report = relay(uow.fresh, sender, clock=clock)
    assert report.sent == 1
    assert sender.sent == [("010-0000-1234", render(message))]
    assert "123456" in sender.sent[0][1]
    assert uow.store.outbox[message.id].state is MessageState.SENT
    assert relay(uow.fresh, sender, clock=clock).sent == 0


def test_failed_delivery_is_retried_after_backoff_then_given_up(clock: FakeClock) -> None:
    uow = InMemoryUnitOfWork()
    message = queue_one(uow, clock)
    sender = RecordingSender(failures=MAX_ATTEMPTS)
    first = relay(uow.fresh, sender, clock=clock)
    assert (first.sent, first.retried) == (0, 1)
    stored = uow.store.outbox[message.id]
    assert stored.next_attempt_at == clock.now() + backoff(1)
    assert relay(uow.fresh, sender, clock=clock).retried == 0  # not due yet
    for _ in range(MAX_ATTEMPTS - 1):
        clock.advance(hours=2)
        relay(uow.fresh, sender, clock=clock)
    final = uow.store.outbox[message.id]
    assert final.state is MessageState.FAILED
    assert final.attempts == MAX_ATTEMPTS
    assert final.last_error == "infrastructure_error"
    assert sender.sent == []


def test_a_crash_after_sending_resends_rather_than_loses(clock: FakeClock) -> None:
    uow = InMemoryUnitOfWork()
    queue_one(uow, clock)

    class CrashAfterSend(RecordingSender):
        def send(self, message: Message, text: str) -> None:
            super().send(message, text)
            raise KeyboardInterrupt  # the process dies before marking it sent

    crashing = CrashAfterSend()
    with pytest.raises(KeyboardInterrupt):
        relay(uow.fresh, crashing, clock=clock)
    survivor = RecordingSender()
    relay(uow.fresh, survivor, clock=clock)
    assert len(crashing.sent) == 1
    assert len(survivor.sent) == 1


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [10, 20, 40]
    assert backoff(30).total_seconds() == 3600


def test_unknown_template_is_refused(clock: FakeClock) -> None:
    uow = InMemoryUnitOfWork()
    with uow.fresh() as work, pytest.raises(ValueError, match="template"):
        enqueue(
            work,
            channel=Channel.EMAIL,
            recipient="a@example.org",
            template="nope",
            params={},
            clock=clock,
        )
