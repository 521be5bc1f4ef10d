"""Residents sign in with their UIN and a one-time code sent through the outbox."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from carnet.domain.errors import AuthenticationError, UinInvalidError
from carnet.domain.messages import Channel
from carnet.domain.officials import Role
from carnet.services import registry, residents_portal
from tests.factories import fresh_uin, principal, resident_data, seeded_bytes

if TYPE_CHECKING:
    from tests.fakes import FakeClock, InMemoryUnitOfWork

pytestmark = pytest.mark.unit

REGISTRAR = principal(Role.REGISTRAR, national=True)


def enrol(uow: InMemoryUnitOfWork, clock: FakeClock, **overrides: object) -> str:
    resident = registry.enrol_resident(
        uow.fresh(), REGISTRAR, resident_data(**overrides), clock=clock, random_bytes=seeded_bytes()
    )
    return resident.uin


def sent_code(uow: InMemoryUnitOfWork) -> str:
    message = max(uow.store.outbox.values(), key=lambda m: m.created_at)
    return message.params["code"]


def test_code_goes_to_the_registered_phone_and_signs_in(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    uin = enrol(memory_uow, clock, phone="010-1111-2222")
    residents_portal.request_code(memory_uow.fresh(), uin, channel=Channel.SMS, clock=clock)
    (message,) = memory_uow.store.outbox.values()
    assert message.recipient == "010-1111-2222"
    code = sent_code(memory_uow)
    assert re.fullmatch(r"[0-9]{6}", code)
    assert all(code not in c.code_hash for c in memory_uow.store.codes.values())
    session = residents_portal.sign_in(memory_uow.fresh(), uin, code, clock=clock)
    resident_id = residents_portal.authenticate_resident(
        memory_uow.fresh(), session.token, clock=clock
    )
    assert residents_portal.own_record(memory_uow.fresh(), resident_id).uin == uin
    assert session.token not in repr(session)


def test_a_code_works_once(memory_uow: InMemoryUnitOfWork, clock: FakeClock) -> None:
    uin = enrol(memory_uow, clock)
    residents_portal.request_code(memory_uow.fresh(), uin, channel=Channel.SMS, clock=clock)
    code = sent_code(memory_uow)
    residents_portal.sign_in(memory_uow.fresh(), uin, code, clock=clock)
    with pytest.raises(AuthenticationError):
        residents_portal.sign_in(memory_uow.fresh(), uin, code, clock=clock)


def test_code_expires(memory_uow: InMemoryUnitOfWork, clock: FakeClock) -> None:
    uin = enrol(memory_uow, clock)
    residents_portal.request_code(memory_uow.fresh(), uin, channel=Channel.SMS, clock=clock)
    clock.advance(minutes=6)
    with pytest.raises(AuthenticationError):
        residents_portal.sign_in(memory_uow.fresh(), uin, sent_code(memory_uow), clock=clock)


def test_five_wrong_tries_burn_the_code(memory_uow: InMemoryUnitOfWork, clock: FakeClock) -> None:
    uin = enrol(memory_uow, clock)
    residents_portal.request_code(memory_uow.fresh(), uin, channel=Channel.SMS, clock=clock)
    code = sent_code(memory_uow)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            residents_portal.sign_in(memory_uow.fresh(), uin, wrong, clock=clock)
    with pytest.raises(AuthenticationError):
        residents_portal.sign_in(memory_uow.fresh(), uin, code, clock=clock)


def test_requests_reveal_nothing_and_are_rate_limited(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    no_phone = enrol(memory_uow, clock, phone=None, email=None)
    residents_portal.request_code(memory_uow.fresh(), no_phone, channel=Channel.SMS, clock=clock)
    residents_portal.request_code(memory_uow.fresh(), fresh_uin(), channel=Channel.SMS, clock=clock)
    assert memory_uow.store.outbox == {}
    uin = enrol(memory_uow, clock)
    for _ in range(5):
        residents_portal.request_code(memory_uow.fresh(), uin, channel=Channel.SMS, clock=clock)
    assert len(memory_uow.store.outbox) == 3
    with pytest.raises(UinInvalidError):
        residents_portal.request_code(memory_uow.fresh(), "123", channel=Channel.SMS, clock=clock)


def test_email_channel_and_session_expiry_and_logout(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    uin = enrol(memory_uow, clock, email="someone@example.org")
    residents_portal.request_code(memory_uow.fresh(), uin, channel=Channel.EMAIL, clock=clock)
    (message,) = memory_uow.store.outbox.values()
    assert message.recipient == "someone@example.org"
    session = residents_portal.sign_in(memory_uow.fresh(), uin, sent_code(memory_uow), clock=clock)
    residents_portal.sign_out(memory_uow.fresh(), session.token, clock=clock)
    with pytest.raises(AuthenticationError):
        residents_portal.authenticate_resident(memory_uow.fresh(), session.token, clock=clock)
    clock.advance(seconds=30)
    residents_portal.request_code(memory_uow.fresh(), uin, channel=Channel.EMAIL, clock=clock)
    later = residents_portal.sign_in(memory_uow.fresh(), uin, sent_code(memory_uow), clock=clock)
    clock.advance(minutes=31)
    with pytest.raises(AuthenticationError):
        residents_portal.authenticate_resident(memory_uow.fresh(), later.token, clock=clock)
