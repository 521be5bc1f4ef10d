"""The residents' portal: a one-time code through the outbox, then "who accessed my data"."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from carnet.domain.officials import Scope
from carnet.entrypoints.api.app import create_app
from carnet.services.outbox import relay
from tests.factories import COUNTY_A, TOWN_A, create_official, resident_data
from tests.functional.api.support import TestClient, bearer, sign_in

if TYPE_CHECKING:
    from collections.abc import Iterator

    from carnet.bootstrap import Container
    from carnet.config import Settings
    from carnet.domain.messages import Message

pytestmark = pytest.mark.functional


class Inbox:
    """A sender that keeps what it is asked to deliver."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    def send(self, message: Message, text: str) -> None:
        self.texts.append((message.recipient, text))


@pytest.fixture
def client(seeded: Container, test_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(test_settings, seeded)) as test_client:
        yield test_client


def _official(
    box: Container, client: TestClient, name: str, station: str | None = None
) -> dict[str, str]:
    create_official(
        box.uow(),
        box.hasher,
        box.clock,
        username=name,
        roles=("registrar",),
        scope=Scope(national=True),
    )
    return bearer(sign_in(client, name))


def _resident_session(box: Container, client: TestClient, uin: str) -> dict[str, str]:
    assert client.post("/me/code", json={"uin": uin}).status_code == 202
    inbox = Inbox()
    relay(box.uow, inbox, clock=box.clock)
    ((recipient, text),) = inbox.texts
    assert recipient == "010-5555-6666"
    code = text.split("sign-in code is ")[1][:6]
    token = client.post("/me/token", json={"uin": uin, "code": code})
    assert token.status_code == 200, token.text
    return bearer(token.json()["access_token"])


def test_a_resident_sees_who_read_and_exported_their_record(
    seeded: Container, client: TestClient
) -> None:
    alice = _official(seeded, client, "alice")
    bob = _official(seeded, client, "bob")
    enrolled = client.post(
        "/residents", headers=alice, json=resident_data(phone="010-5555-6666", region_code=TOWN_A)
    )
    assert enrolled.status_code == 201, enrolled.text
    uin = enrolled.json()["uin"]
    read = client.get(f"/residents/{uin}", headers=alice, params={"reason": "benefit claim 77"})
    assert read.status_code == 200, read.text
    proposed = client.post(
        "/exports", headers=alice, json={"region_code": COUNTY_A, "reason": "court order 9"}
    )
    assert proposed.status_code == 201, proposed.text
    export_id = proposed.json()["id"]
    own = client.post(
        f"/exports/{export_id}/decision", headers=alice, json={"confirm": True, "reason": "me"}
    )
    assert own.status_code == 403
    confirmed = client.post(
        f"/exports/{export_id}/decision",
        headers=bob,
        json={"confirm": True, "reason": "order checked"},
    )
    assert confirmed.status_code == 200, confirmed.text

    me = _resident_session(seeded, client, uin)
    record = client.get("/me/record", headers=me)
    assert record.status_code == 200
    assert record.json()["uin"] == uin
    log = client.get("/me/access-log", headers=me)
    assert log.status_code == 200, log.text
    entries = log.json()["data"]
    actions = [e["action"] for e in entries]
    assert actions[0] == "export"  # newest first
    assert set(actions) >= {"enrolment", "read", "export"}
    (read_entry,) = [e for e in entries if e["action"] == "read"]
    assert read_entry["reason"] == "benefit claim 77"
    assert read_entry["official_role"] == "registrar"
    (export_entry,) = [e for e in entries if e["action"] == "export"]
    assert export_entry["reason"] == "order checked"
    # Officials appear by role, never by name or id.
    assert "alice" not in log.text
    assert "bob" not in log.text
    # An official's token is not a resident's token, and the other way round.
    assert client.get("/me/record", headers=alice).status_code == 401
    assert client.get(f"/residents/{uin}", headers=me).status_code == 401


def test_code_requests_answer_the_same_whatever_happened(
    seeded: Container, client: TestClient
) -> None:
    unknown = client.post("/me/code", json={"uin": "370473083690"})
    assert unknown.status_code == 202
    bad = client.post("/me/token", json={"uin": "370473083690", "code": "123456"})
    assert bad.status_code == 401
    assert bad.headers["content-type"] == "application/problem+json"
