"""Documents through the API: from application to collection, replacement, loss, revocation.

Each document type goes the whole way: entered by a registrar, approved by as
many approvers as it needs (and its fee recorded), printed in a run whose PDF
is downloaded, dispatched, received at the station and handed over after an
identity check. Revocation (by two officials, by a loss report, or because the
resident's record changed) must reach the status list that checkpoints get in
their bundle.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import pytest

from carnet.credentials.statuslist import Status
from tests.factories import COUNTY_A, TOWN_A, TOWN_B
from tests.functional.api.documents_support import (
    IDENTITY_CHECK,
    Desk,
    Staff,
    open_desk,
    zone_permit_attributes,
)
from tests.functional.api.support import assert_problem

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.fakes import FakeClock

pytestmark = [pytest.mark.functional]


@pytest.fixture
def desk(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Desk]:
    yield from open_desk(database_url, tmp_path, clock)


@pytest.fixture
def staff(desk: Desk) -> Staff:
    return desk.hire_staff()


@pytest.fixture
def strict_desk(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Desk]:
    """A deployment where reading without a stated reason is refused."""
    yield from open_desk(database_url, tmp_path, clock, read_reason_required=True)


# --------------------------------------------------------------------------- the four types

LIFECYCLES = [
    pytest.param("national_id_card", {}, 1, None, id="national-id"),
    pytest.param("residence_certificate", {"zone": COUNTY_A}, 1, None, id="residence"),
    pytest.param("zone_permit", zone_permit_attributes(), 2, None, id="zone-permit"),
    pytest.param(
        "zone_permit",
        zone_permit_attributes(travel="official", sponsor="Ministry of Trade"),
        2,
        None,
        id="zone-permit-official-travel",
    ),
    pytest.param(
        "zone_permit",
        zone_permit_attributes(
            travel="official",
            sponsor="Ministry of Trade, Industry and Energy",
            party="group",
            group_size="12",
        ),
        2,
        None,
        id="zone-permit-official-group",
    ),
    pytest.param("passport", {}, 2, "RCPT-2026-0042", id="passport"),
]


@pytest.mark.parametrize(("document_type", "attributes", "approvals", "receipt"), LIFECYCLES)
def test_each_type_goes_from_application_to_collection(
    *,
    desk: Desk,
    staff: Staff,
    document_type: str,
    attributes: dict[str, Any],
    approvals: int,
    receipt: str | None,
) -> None:
    uin = desk.enrol()
    extra = {"fee_receipt": receipt} if receipt else {}
    created = desk.apply(staff["registrar"], uin, document_type, attributes, **extra)
    assert created.status_code == 201, created.text
    application = created.json()
    assert (application["state"], application["required_approvals"]) == ("submitted", approvals)
    assert application["document_id"] is None
    assert uin not in created.text  # the answer never names the resident

    decided: Any = None
    for approver in ("approver", "approver2")[:approvals]:
        decided = desk.approve(staff[approver], application["id"], reason=f"{approver} checked")
    assert decided["state"] == "issued"
    assert [a["reason"] for a in decided["approvals"]] == [
        f"{name} checked" for name in ("approver", "approver2")[:approvals]
    ]
    document_id = decided["document_id"]

    read = desk.client.get(f"/documents/{document_id}", headers=staff["registrar"])
    assert read.status_code == 200, read.text
    document = read.json()
    assert (document["state"], document["document_type"]) == ("issued", document_type)
    assert document["application_id"] == application["id"]
    assert "qr_text" not in document
    assert "mrz" not in document
    stored = desk.document(document_id)
    assert stored.qr_text not in read.text
    assert all(line not in read.text for line in stored.mrz)
    listed = desk.client.get(f"/residents/{uin}/documents", headers=staff["approver"])
    assert [d["id"] for d in listed.json()["data"]] == [document_id]

    run = desk.print_run(staff["issuer"])
    assert run["document_ids"] == [document_id]
    pdf = desk.client.get(f"/print-runs/{run['id']}/pdf", headers=staff["issuer"])
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert hashlib.sha256(pdf.content).hexdigest() == run["pdf_sha256"]

    dispatched = desk.dispatch(staff["issuer"], run["id"])
    assert [(d["id"], d["state"]) for d in dispatched["data"]] == [(document_id, "dispatched")]
    ready = desk.receive(staff["registrar"], document_id)
    assert (ready["state"], ready["held_at"]) == ("ready", "ST-A")
    waiting = desk.client.get("/stations/ST-A/awaiting-collection", headers=staff["registrar"])
    assert [(d["id"], d["waiting_days"]) for d in waiting.json()["data"]] == [(document_id, 0)]

    collected = desk.collect(staff["registrar"], document_id, uin)
    assert collected.status_code == 200, collected.text
    assert collected.json()["state"] == "collected"
    custody = desk.client.get(f"/documents/{document_id}/custody", headers=staff["registrar"])
    assert [e["transition"] for e in custody.json()["data"]] == ["dispatch", "receive", "collect"]
    assert desk.status_entry(document_id) == Status.VALID
    if document_type == "zone_permit":
        desk.clock.advance(days=31)  # the permit is valid from its first day
        verdict = desk.checkpoint_verdict(document_id, "zone_entry", zone=TOWN_A)
    else:
        verdict = desk.checkpoint_verdict(document_id)
    assert verdict.is_valid, verdict


def test_a_ready_document_waits_in_whole_days_and_holder_is_told(desk: Desk, staff: Staff) -> None:
    uin = desk.enrol(phone="+82 10 5555 0101")
    document_id = desk.issue(staff, uin, "national_id_card")
    desk.deliver(staff["issuer"], staff["registrar"], document_id)
    with desk.box.uow() as uow:
        notices = [
            m for m in uow.outbox.due(desk.clock.now(), 1000) if m.recipient.endswith("0101")
        ]
    assert [m.template for m in notices] == ["document_ready"]

    desk.clock.advance(days=3, hours=2)
    registrar = desk.official("late.registrar", "registrar")  # the morning's tokens expired
    waiting = desk.client.get("/stations/ST-A/awaiting-collection", headers=registrar)
    assert [(d["id"], d["waiting_days"]) for d in waiting.json()["data"]] == [(document_id, 3)]


# --------------------------------------------------------------------------- replacement, loss


def test_a_new_card_replaces_the_old_one_only_when_it_is_collected(
    desk: Desk, staff: Staff
) -> None:
    uin = desk.enrol()
    old = desk.collected(staff, uin)

    created = desk.apply(staff["registrar"], uin, "national_id_card").json()
    assert created["replaces_document_id"] == old
    new = desk.approve(staff["approver"], created["id"])["document_id"]
    in_production = desk.apply(staff["registrar"], uin, "national_id_card")
    assert_problem(in_production, 409, "conflict", absent=(uin,))
    desk.deliver(staff["issuer"], staff["registrar"], new)
    assert desk.document(old).state.value == "collected"  # the holder is never without one
    assert desk.status_entry(old) == Status.VALID

    collected = desk.collect(staff["registrar"], new, uin)
    assert collected.status_code == 200, collected.text
    ended = desk.client.get(f"/documents/{old}", headers=staff["registrar"]).json()
    assert (ended["state"], ended["end_reason"]) == ("revoked", "replaced")
    assert desk.status_entry(old) == Status.INVALID
    assert desk.status_entry(new) == Status.VALID


def test_a_lost_document_is_revoked_at_once(desk: Desk, staff: Staff) -> None:
    uin = desk.enrol()
    document_id = desk.collected(staff, uin)
    assert desk.checkpoint_verdict(document_id).is_valid

    lost = desk.client.post(
        f"/documents/{document_id}/lost", json={"stolen": True}, headers=staff["registrar"]
    )
    assert lost.status_code == 200, lost.text
    assert (lost.json()["state"], lost.json()["end_reason"]) == ("lost", "stolen")
    assert desk.status_entry(document_id) == Status.INVALID
    verdict = desk.checkpoint_verdict(document_id)
    assert (verdict.result, verdict.reasons) == ("invalid", ("revoked",))

    unprinted = desk.issue(staff, desk.enrol(), "national_id_card")
    never_printed = desk.client.post(
        f"/documents/{unprinted}/lost", json={"stolen": False}, headers=staff["registrar"]
    )
    assert_problem(never_printed, 409, "illegal_transition")


# --------------------------------------------------------------------------- two-person actions


def test_a_revocation_needs_a_second_official(desk: Desk, staff: Staff) -> None:
    uin = desk.enrol()
    document_id = desk.collected(staff, uin)
    proposed = desk.client.post(
        f"/documents/{document_id}/revocations",
        json={"reason": "issued on a forged birth certificate"},
        headers=staff["approver"],
    )
    assert proposed.status_code == 201, proposed.text
    proposal = proposed.json()
    assert (proposal["state"], proposal["action"]) == ("pending", "document_revocation")
    assert desk.document(document_id).state.value == "collected"

    decision = {"confirm": True, "reason": "agreed"}
    url = f"/revocations/{proposal['id']}/decision"
    own = desk.client.post(url, json=decision, headers=staff["approver"])
    assert_problem(own, 403, "permission_denied")
    assert desk.status_entry(document_id) == Status.VALID
    registrar = desk.client.post(url, json=decision, headers=staff["registrar"])
    assert_problem(registrar, 403, "permission_denied")

    confirmed = desk.client.post(url, json=decision, headers=staff["approver2"])
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["state"] == "confirmed"
    ended = desk.client.get(f"/documents/{document_id}", headers=staff["approver"]).json()
    assert (ended["state"], ended["end_reason"]) == ("revoked", "administrative")
    assert desk.status_entry(document_id) == Status.INVALID
    verdict = desk.checkpoint_verdict(document_id)
    assert (verdict.result, verdict.reasons) == ("invalid", ("revoked",))

    twice = desk.client.post(
        f"/documents/{document_id}/revocations", json={"reason": "again"}, headers=staff["approver"]
    )
    assert_problem(twice, 409, "conflict", field="document_id")


def test_a_reprint_is_confirmed_by_a_second_issuer(desk: Desk, staff: Staff) -> None:
    document_id = desk.issue(staff, desk.enrol(), "national_id_card")
    desk.print_run(staff["issuer"])
    proposed = desk.client.post(
        f"/documents/{document_id}/reprints",
        json={"reason": "card jammed in the printer"},
        headers=staff["issuer"],
    )
    assert proposed.status_code == 201, proposed.text
    url = f"/reprints/{proposed.json()['id']}/decision"
    own = desk.client.post(url, json={"confirm": True, "reason": "ok"}, headers=staff["issuer"])
    assert_problem(own, 403, "permission_denied")

    confirmed = desk.client.post(
        url, json={"confirm": True, "reason": "seen the jam"}, headers=staff["issuer2"]
    )
    assert confirmed.status_code == 200, confirmed.text
    run_id = confirmed.json()["params"]["print_run_id"]
    pdf = desk.client.get(f"/print-runs/{run_id}/pdf", headers=staff["issuer2"])
    assert (pdf.status_code, pdf.content[:4]) == (200, b"%PDF")
    reprinted = desk.client.get(f"/documents/{document_id}", headers=staff["issuer"]).json()
    assert (reprinted["state"], reprinted["prints"], reprinted["print_run_id"]) == (
        "produced",
        2,
        run_id,
    )


def test_a_waiting_document_is_transferred_and_collected_at_the_other_station(
    desk: Desk, staff: Staff
) -> None:
    uin = desk.enrol()
    document_id = desk.issue(staff, uin, "national_id_card")
    desk.deliver(staff["issuer"], staff["registrar"], document_id)
    moved = desk.client.post(
        f"/documents/{document_id}/transfer",
        json={"to_station": "ST-B", "reason": "the holder moved"},
        headers=staff["registrar"],
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["state"], moved.json()["collection_station"]) == ("dispatched", "ST-B")
    desk.receive(staff["registrar"], document_id, "ST-B")
    assert desk.collect(staff["registrar"], document_id, uin, "ST-B").status_code == 200
    custody = desk.client.get(f"/documents/{document_id}/custody", headers=staff["registrar"])
    assert [(e["transition"], e["from_station"], e["to_station"]) for e in custody.json()["data"]][
        2:
    ] == [("transfer", "ST-A", "ST-B"), ("receive", None, "ST-B"), ("collect", "ST-B", None)]


def test_the_station_signed_in_at_is_the_acting_station_by_default(
    desk: Desk, staff: Staff
) -> None:
    uin = desk.enrol()
    document_id = desk.issue(staff, uin)
    desk.dispatch(staff["issuer"], desk.print_run(staff["issuer"])["id"])
    url = f"/documents/{document_id}"
    received = desk.client.post(f"{url}/receive", json={}, headers=staff["registrar"])
    assert (received.status_code, received.json()["held_at"]) == (200, "ST-A")
    body = {"identity_check": IDENTITY_CHECK, "presented_uin": f" {uin} "}
    collected = desk.client.post(f"{url}/collect", json=body, headers=staff["registrar"])
    assert (collected.status_code, collected.json()["state"]) == (200, "collected")
    nowhere = desk.official("roaming", "registrar")
    again = desk.client.post(f"{url}/collect", json=body, headers=nowhere)
    assert_problem(again, 422, "validation_error", field="station")


# --------------------------------------------------------------------------- cascades


def test_a_death_revokes_every_document_and_closes_open_applications(
    desk: Desk, staff: Staff
) -> None:
    uin = desk.enrol()
    card = desk.collected(staff, uin)
    certificate = desk.issue(staff, uin, "residence_certificate", {"zone": TOWN_A})
    permit = desk.apply(staff["registrar"], uin, "zone_permit", zone_permit_attributes()).json()
    before = desk.log_size()

    died = desk.client.patch(
        f"/residents/{uin}",
        json={"status": "deceased", "reason": "death certificate 2026-117"},
        headers=staff["registrar"],
    )
    assert died.status_code == 200, died.text
    assert desk.log_size() == before + 1  # the change and its consequences: one leaf

    shown = desk.client.get(f"/residents/{uin}/documents", headers=staff["registrar"]).json()
    assert {d["id"]: (d["state"], d["end_reason"]) for d in shown["data"]} == {
        card: ("revoked", "deceased"),
        certificate: ("revoked", "deceased"),
    }
    assert desk.status_entry(card) == desk.status_entry(certificate) == Status.INVALID
    closed = desk.client.get(f"/applications/{permit['id']}", headers=staff["approver"]).json()
    assert (closed["state"], closed["decision_reason"]) == ("rejected", "record deceased")
    refused = desk.apply(staff["registrar"], uin, "passport")
    assert_problem(refused, 409, "resident_ineligible", field="uin", absent=(uin,))


def test_moving_out_of_the_zone_revokes_the_residence_certificate(desk: Desk, staff: Staff) -> None:
    uin = desk.enrol()
    card = desk.collected(staff, uin)
    certificate = desk.issue(staff, uin, "residence_certificate", {"zone": COUNTY_A})
    desk.deliver(staff["issuer"], staff["registrar"], certificate)

    moved = desk.client.patch(
        f"/residents/{uin}",
        json={"region_code": TOWN_B, "reason": "moved to county B"},
        headers=staff["registrar"],
    )
    assert moved.status_code == 200, moved.text
    ended = desk.client.get(f"/documents/{certificate}", headers=staff["registrar"]).json()
    assert (ended["state"], ended["end_reason"]) == ("revoked", "residence_withdrawn")
    assert desk.status_entry(certificate) == Status.INVALID
    assert desk.document(card).state.value == "collected"


# --------------------------------------------------------------------------- reads


def test_reads_of_documents_are_logged_with_their_reason(desk: Desk, staff: Staff) -> None:
    uin = desk.enrol()
    document_id = desk.ready(staff, uin)
    for url in (
        f"/documents/{document_id}",
        f"/documents/{document_id}/custody",
        f"/residents/{uin}/documents",
    ):
        before = desk.log_size()
        read = desk.client.get(url, params={"reason": "counter visit"}, headers=staff["registrar"])
        assert read.status_code == 200, read.text
        assert desk.log_size() == before + 1, url
        with desk.box.uow() as uow:
            last = uow.ledger.actions_on("document", document_id)[-1]
        assert (last.action_type, last.reason) == ("read", "counter visit")


def test_a_deployment_may_require_a_reason_to_read_documents(strict_desk: Desk) -> None:
    staff = strict_desk.hire_staff()
    uin = strict_desk.enrol()
    document_id = strict_desk.issue(staff, uin)
    for url in (
        f"/documents/{document_id}",
        f"/documents/{document_id}/custody",
        f"/residents/{uin}/documents",
    ):
        before = strict_desk.log_size()
        for params in ({}, {"reason": "  "}):
            refused = strict_desk.client.get(url, params=params, headers=staff["registrar"])
            assert_problem(refused, 422, "validation_error", field="reason", absent=(uin,))
        assert strict_desk.log_size() == before
        given = strict_desk.client.get(url, params={"reason": "visit"}, headers=staff["registrar"])
        assert given.status_code == 200, given.text
