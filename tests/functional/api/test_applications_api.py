"""Applications through the API: the catalogue, entry, decisions, the queue and the report.

The four-eyes rule and the fee are enforced at the approval that would issue;
the queue shows open applications in the caller's scope, escalated ones first;
two approvers' final approvals racing end in exactly one document.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest

from carnet.domain.officials import Scope
from carnet.services import applications, auth
from tests.factories import TOWN_A, TOWN_B
from tests.functional.api.documents_support import Desk, Staff, open_desk, zone_permit_attributes
from tests.functional.api.support import assert_problem, bearer, sign_in

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    import httpx2 as httpx

    from tests.fakes import FakeClock

pytestmark = [pytest.mark.functional]


@pytest.fixture
def desk(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Desk]:
    yield from open_desk(database_url, tmp_path, clock)


@pytest.fixture
def staff(desk: Desk) -> Staff:
    return desk.hire_staff()


def test_a_zone_permit_for_official_travel_needs_a_sponsor(desk: Desk, staff: Staff) -> None:
    uin = desk.enrol()
    refused = desk.apply(
        staff["registrar"], uin, "zone_permit", zone_permit_attributes(travel="official")
    )
    assert_problem(refused, 422, "validation_error", field="attributes.sponsor", absent=(uin,))


def test_a_passport_is_issued_only_once_its_fee_is_recorded(desk: Desk, staff: Staff) -> None:
    uin = desk.enrol()
    created = desk.apply(staff["registrar"], uin, "passport").json()
    assert (created["fee_amount"], created["fee_currency"]) == (53000, "KRW")
    desk.approve(staff["approver"], created["id"])
    unpaid = desk.client.post(
        f"/applications/{created['id']}/approve", json={"reason": "ok"}, headers=staff["approver2"]
    )
    assert_problem(unpaid, 422, "validation_error", field="fee_receipt")

    paid = desk.client.post(
        f"/applications/{created['id']}/fee", json={"receipt": "R-1"}, headers=staff["registrar"]
    )
    assert paid.status_code == 200, paid.text
    assert paid.json()["fee_receipt"] == "R-1"
    again = desk.client.post(
        f"/applications/{created['id']}/fee", json={"receipt": "R-2"}, headers=staff["registrar"]
    )
    assert_problem(again, 409, "conflict", field="fee_receipt")
    issued = desk.approve(staff["approver2"], created["id"])
    assert issued["state"] == "issued"
    assert issued["document_id"]


def test_a_residence_certificate_names_a_zone_the_resident_lives_in(
    desk: Desk, staff: Staff
) -> None:
    uin = desk.enrol()
    elsewhere = desk.apply(staff["registrar"], uin, "residence_certificate", {"zone": TOWN_B})
    assert_problem(elsewhere, 422, "validation_error", field="attributes.zone", absent=(uin,))
    at_home = desk.apply(staff["registrar"], uin, "residence_certificate", {"zone": TOWN_A})
    assert at_home.status_code == 201, at_home.text


# --------------------------------------------------------------------------- the queue and report


def test_the_queue_lists_open_applications_in_scope_escalated_first(
    desk: Desk, staff: Staff
) -> None:
    national = desk.apply(staff["registrar"], desk.enrol(), "national_id_card").json()
    desk.clock.advance(minutes=1)
    permit = desk.apply(
        staff["registrar"], desk.enrol(), "zone_permit", zone_permit_attributes()
    ).json()
    desk.clock.advance(minutes=1)
    official = desk.apply(
        staff["registrar"],
        desk.enrol(),
        "zone_permit",
        zone_permit_attributes(travel="official", sponsor="Ministry of Trade"),
    ).json()
    elsewhere = desk.official(
        "county.b", "approver", "registrar", scope=Scope(regions=frozenset({TOWN_B}))
    )

    queue = desk.client.get("/applications", headers=staff["approver"]).json()["data"]
    assert [a["id"] for a in queue] == [national["id"], permit["id"], official["id"]]
    only = desk.client.get(
        "/applications",
        params={"document_type": "zone_permit", "limit": "1", "offset": "1"},
        headers=staff["approver"],
    )
    assert [a["id"] for a in only.json()["data"]] == [official["id"]]
    other_station = desk.client.get(
        "/applications", params={"station_code": "ST-B"}, headers=staff["approver"]
    )
    assert other_station.json()["data"] == []
    assert desk.client.get("/applications", headers=elsewhere).json()["data"] == []
    one = desk.client.get(f"/applications/{permit['id']}", headers=staff["approver"])
    assert one.json()["attributes"]["zone"] == TOWN_A
    assert_problem(
        desk.client.get(f"/applications/{permit['id']}", headers=elsewhere), 404, "not_found"
    )

    desk.clock.advance(hours=25)  # official travel waits at most a day
    assert applications.escalate_overdue(desk.box.uow(), desk.box.issuing()) == 1
    approver = desk.official("approver.next.day", "approver")
    queue = desk.client.get("/applications", headers=approver).json()["data"]
    assert [a["id"] for a in queue] == [official["id"], national["id"], permit["id"]]
    assert queue[0]["escalated_at"] is not None


def test_the_report_gives_median_and_90th_percentile_hours_to_decision(
    desk: Desk, staff: Staff
) -> None:
    t0 = desk.clock.now()
    first = desk.apply(staff["registrar"], desk.enrol(), "national_id_card").json()
    second = desk.apply(staff["registrar"], desk.enrol(), "national_id_card").json()
    desk.clock.advance(minutes=6)
    desk.approve(staff["approver"], first["id"])
    desk.clock.advance(minutes=6)
    rejected = desk.client.post(
        f"/applications/{second['id']}/reject",
        json={"reason": "blurred photo"},
        headers=staff["approver"],
    )
    assert rejected.status_code == 200, rejected.text

    period = {"since": t0.isoformat(), "until": "2026-03-03T00:00:00+00:00"}
    report = desk.client.get("/reports/decision-times", params=period, headers=staff["approver"])
    assert report.status_code == 200, report.text
    assert report.json()["data"] == [
        {
            "station_code": "ST-A",
            "document_type": "national_id_card",
            "decided": 2,
            "median_hours": pytest.approx(0.15),
            "p90_hours": pytest.approx(0.2),
        }
    ]
    auditor = desk.official("auditor.b", "auditor", scope=Scope(regions=frozenset({TOWN_B})))
    hidden = desk.client.get("/reports/decision-times", params=period, headers=auditor)
    assert hidden.json()["data"] == []
    reversed_period = {"since": period["until"], "until": period["since"]}
    refused = desk.client.get(
        "/reports/decision-times", params=reversed_period, headers=staff["approver"]
    )
    assert_problem(refused, 422, "validation_error", field="since")
    naive = desk.client.get(
        "/reports/decision-times",
        params={"since": "2026-03-01T00:00:00", "until": "2026-03-03T00:00:00+00:00"},
        headers=staff["approver"],
    )
    assert_problem(naive, 422, "validation_error", field="since")


def test_the_catalogue_lists_the_four_types(desk: Desk, staff: Staff) -> None:
    response = desk.client.get("/document-types", headers=staff["issuer"])
    assert response.status_code == 200, response.text
    types = {t["code"]: t for t in response.json()["data"]}
    assert set(types) == {"national_id_card", "residence_certificate", "zone_permit", "passport"}
    assert types["passport"]["fee"] == {"amount": 53000, "currency": "KRW"}
    assert (types["zone_permit"]["approvals"], types["zone_permit"]["residents_may_apply"]) == (
        2,
        True,
    )
    sponsor = next(a for a in types["zone_permit"]["attributes"] if a["name"] == "sponsor")
    assert sponsor["required_when"] == {"travel": "official"}
    travel = next(a for a in types["zone_permit"]["attributes"] if a["name"] == "travel")
    assert (travel["choices"], travel["default"]) == (["personal", "official"], "personal")
    assert types["zone_permit"]["validity"]["max_days"] == 92
    assert types["national_id_card"]["validity"]["years"] == 10


# --------------------------------------------------------------------------- concurrency


def test_two_final_approvals_racing_issue_exactly_one_document(desk: Desk, staff: Staff) -> None:
    uin = desk.enrol()
    application = desk.apply(
        staff["registrar"], uin, "zone_permit", zone_permit_attributes()
    ).json()
    desk.approve(staff["approver"], application["id"])
    racers = [staff["approver2"], desk.official("approver3", "approver")]
    start = threading.Barrier(len(racers))
    answers: list[httpx.Response | BaseException] = [RuntimeError("not run")] * len(racers)

    def approve(slot: int) -> None:
        try:
            start.wait(timeout=30)
            answers[slot] = desk.client.post(
                f"/applications/{application['id']}/approve",
                json={"reason": f"racer {slot}"},
                headers=racers[slot],
            )
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            answers[slot] = exc

    before = desk.log_size()
    threads = [threading.Thread(target=approve, args=(i,)) for i in range(len(racers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    responses = [a for a in answers if not isinstance(a, BaseException)]
    assert len(responses) == len(racers), answers

    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    (won,) = (r for r in responses if r.status_code == 200)
    (lost,) = (r for r in responses if r.status_code == 409)
    assert won.json()["document_id"]
    assert lost.json()["code"] in {"stale_version", "illegal_transition"}
    issued = [d for d in desk.documents_of(uin) if d.application_id == application["id"]]
    assert [d.id for d in issued] == [won.json()["document_id"]]
    assert desk.log_size() == before + 1


def test_a_malformed_attribute_is_named_in_the_error(desk: Desk, staff: Staff) -> None:
    uin = desk.enrol()
    attributes = zone_permit_attributes(purpose=["not", "text"])
    refused = desk.apply(staff["registrar"], uin, "zone_permit", attributes)
    assert refused.status_code == 422
    assert refused.json()["field"] == "purpose"  # not the union member's type tag


def test_an_official_linked_to_their_record_may_not_approve_their_own_application(
    desk: Desk, staff: Staff
) -> None:
    uin = desk.enrol()
    auth.create_official(
        desk.box.uow(),
        desk.box.hasher,
        None,
        username="approver.self",
        display_name="Approver Self",
        password="correct horse battery",
        roles=("approver",),
        scope=Scope(national=True),
        clock=desk.clock,
        resident_uin=uin,
    )
    own = bearer(sign_in(desk.client, "approver.self"))
    created = desk.apply(staff["registrar"], uin, "national_id_card").json()
    refused = desk.client.post(
        f"/applications/{created['id']}/approve", json={"reason": "mine"}, headers=own
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "four_eyes"
    assert desk.approve(staff["approver"], created["id"])["state"] == "issued"
