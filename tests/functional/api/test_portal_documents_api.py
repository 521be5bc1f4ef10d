"""The residents' portal for documents: apply, follow, withdraw, see your documents, report loss.

A resident applies only for the types open to residents, sees only their own
applications and documents (with their numbers, never the QR payload or the
MRZ), and a loss report of their own document revokes it at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from carnet.services import documents
from carnet.services.issuance import status_uri
from tests.factories import TOWN_A
from tests.functional.api.documents_support import Desk, open_desk, zone_permit_attributes
from tests.functional.api.support import assert_problem

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.fakes import FakeClock

pytestmark = [pytest.mark.functional]

Headers = dict[str, str]


@pytest.fixture
def desk(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Desk]:
    yield from open_desk(database_url, tmp_path, clock)


def _apply(desk: Desk, resident: Headers, document_type: str, **attributes: str) -> dict[str, Any]:
    body = {"document_type": document_type, "attributes": attributes, "station_code": "ST-A"}
    response = desk.client.post("/me/applications", json=body, headers=resident)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_resident_applies_follows_and_collects_a_zone_permit(desk: Desk) -> None:
    uin = desk.enrol()
    resident = desk.resident_headers(uin)
    registrar = desk.official("registrar", "registrar")
    approvers = [desk.official(f"approver{i}", "approver") for i in (1, 2)]
    issuer = desk.official("issuer", "issuer")

    applied = _apply(desk, resident, "zone_permit", **zone_permit_attributes())
    assert (applied["state"], applied["approvals_received"], applied["approvals_required"]) == (
        "submitted",
        0,
        2,
    )
    assert "entered_by" not in applied
    for approver in approvers:
        desk.approve(approver, applied["id"], reason="internal note")
    mine = desk.client.get("/me/applications", headers=resident).json()["data"]
    assert [(a["id"], a["state"], a["decision_reason"]) for a in mine] == [
        (applied["id"], "issued", None)  # an approver's reasoning stays internal
    ]

    (document,) = desk.documents_of(uin)
    desk.deliver(issuer, registrar, document.id)
    assert desk.collect(registrar, document.id, uin).status_code == 200
    shown = desk.client.get("/me/documents", headers=resident)
    assert shown.status_code == 200, shown.text
    assert shown.json()["data"] == [
        {
            "id": document.id,
            "document_type": "zone_permit",
            "document_number": document.document_number,
            "state": "collected",
            "valid_from": "2026-04-01T00:00:00Z",
            "valid_until": "2026-04-08T00:00:00Z",
            "collection_station": "ST-A",
            "end_reason": None,
        }
    ]
    assert document.qr_text not in shown.text

    lost = desk.client.post(
        f"/me/documents/{document.id}/lost", json={"stolen": False}, headers=resident
    )
    assert lost.status_code == 200, lost.text
    assert (lost.json()["state"], lost.json()["end_reason"]) == ("lost", "lost")
    stored = desk.document(document.id)
    lists = documents.status_lists(desk.box.uow())
    uri = status_uri(desk.box.settings.status_base_uri, stored.status_list_id)
    assert lists[uri].get(stored.status_idx) == 1  # INVALID
    access = desk.client.get("/me/access-log", headers=resident)
    assert access.status_code == 200, access.text


def test_a_resident_withdraws_an_open_application_and_its_fee_is_recorded_later(
    desk: Desk,
) -> None:
    uin = desk.enrol()
    resident = desk.resident_headers(uin)
    registrar = desk.official("registrar", "registrar")
    passport = _apply(desk, resident, "passport")
    assert (passport["fee_amount"], passport["fee_recorded"]) == (53000, False)
    paid = desk.client.post(
        f"/applications/{passport['id']}/fee", json={"receipt": "R-77"}, headers=registrar
    )
    assert paid.status_code == 200, paid.text
    permit = _apply(desk, resident, "zone_permit", **zone_permit_attributes())

    withdrawn = desk.client.post(
        f"/me/applications/{permit['id']}/withdraw",
        json={"reason": "trip cancelled"},
        headers=resident,
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert (withdrawn.json()["state"], withdrawn.json()["decision_reason"]) == (
        "withdrawn",
        "trip cancelled",
    )
    again = desk.client.post(
        f"/me/applications/{permit['id']}/withdraw", json={"reason": "x"}, headers=resident
    )
    assert_problem(again, 409, "illegal_transition")
    mine = desk.client.get("/me/applications", headers=resident).json()["data"]
    assert {(a["document_type"], a["state"], a["fee_recorded"]) for a in mine} == {
        ("passport", "submitted", True),
        ("zone_permit", "withdrawn", False),
    }
    queue = desk.client.get(
        "/applications", headers=desk.official("queue.approver", "approver")
    ).json()
    assert [a["id"] for a in queue["data"]] == [passport["id"]]
    assert queue["data"][0]["entered_by"] is None


def test_a_resident_sees_and_touches_only_their_own(desk: Desk) -> None:
    alice_uin, bob_uin = desk.enrol(), desk.enrol()
    alice, bob = desk.resident_headers(alice_uin), desk.resident_headers(bob_uin)
    permit = _apply(desk, alice, "zone_permit", zone=TOWN_A, **_dates())

    assert desk.client.get("/me/applications", headers=bob).json() == {"data": []}
    assert desk.client.get("/me/documents", headers=bob).json() == {"data": []}
    withdraw = desk.client.post(
        f"/me/applications/{permit['id']}/withdraw", json={"reason": "mine now"}, headers=bob
    )
    assert_problem(withdraw, 404, "not_found", field="application_id", absent=(alice_uin,))
    national = desk.client.post(
        "/me/applications",
        json={"document_type": "national_id_card", "attributes": {}, "station_code": "ST-A"},
        headers=alice,
    )
    assert_problem(national, 403, "permission_denied")
    official = desk.official("registrar", "registrar")
    not_a_resident = desk.client.get("/me/documents", headers=official)
    assert_problem(not_a_resident, 401, "authentication_failed")


def _dates() -> dict[str, str]:
    return {"entry_from": "2026-04-01", "entry_until": "2026-04-07", "purpose": "visit"}


def test_the_access_log_shows_every_action_on_the_residents_documents(desk: Desk) -> None:
    staff = desk.hire_staff()
    uin = desk.enrol()
    document_id = desk.collected(staff, uin)
    shown = desk.client.get(
        f"/documents/{document_id}?reason=checkpoint%20query", headers=staff["approver"]
    )
    assert shown.status_code == 200, shown.text
    resident = desk.resident_headers(uin)
    entries = desk.client.get("/me/access-log", headers=resident).json()["data"]
    actions = [e["action"] for e in entries]
    for step in ("application", "issuance", "printing", "dispatch", "receipt", "collection"):
        assert step in actions, (step, actions)
    read = next(e for e in entries if e["action"] == "read" and e["reason"] == "checkpoint query")
    assert read["official_role"] == "approver"
