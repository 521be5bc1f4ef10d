"""Refusals of the application and document endpoints: problem documents without PII.

Each scenario makes a request that must fail with a stable ``code`` and the
``field`` concerned. No answer, and no log record written while serving it,
may repeat the resident's names or the UINs the request carried; a refused
request appends no leaf to the transparency log.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest

from carnet.domain.officials import Scope
from tests.factories import TOWN_B, fresh_uin
from tests.functional.api.documents_support import Desk, Staff, open_desk, zone_permit_attributes
from tests.functional.api.support import assert_problem

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
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


# Invented, distinctive values, so that "not echoed" checks cannot pass by accident.
NAMES = {
    "family_name_native": "휘몰",
    "given_name_native": "잇솔",
    "family_name_latin": "Hwimol",
    "given_name_latin": "Itsol",
}
PII = tuple(NAMES.values())

if TYPE_CHECKING:
    # A request that should fail (made once the scene is set), and the personal
    # data it sends (never to be echoed).
    Sent = tuple[Callable[[], httpx.Response], tuple[str, ...]]
    Scenario = Callable[[Desk, Staff], Sent]


def _person(desk: Desk) -> str:
    return desk.enrol(**NAMES)


def _unknown_uin(desk: Desk, staff: Staff) -> Sent:
    uin = fresh_uin()
    return lambda: desk.apply(staff["registrar"], uin, "national_id_card"), (uin,)


def _deceased(desk: Desk, staff: Staff) -> Sent:
    uin = _person(desk)
    body = {"status": "deceased", "reason": "death certificate"}
    assert desk.client.patch(f"/residents/{uin}", json=body, headers=staff["registrar"]).is_success
    return lambda: desk.apply(staff["registrar"], uin, "national_id_card"), (uin,)


def _missing_attribute(desk: Desk, staff: Staff) -> Sent:
    uin = _person(desk)
    return lambda: desk.apply(staff["registrar"], uin, "residence_certificate"), (uin,)


def _malformed_attribute(desk: Desk, staff: Staff) -> Sent:
    uin = _person(desk)
    attributes = zone_permit_attributes(entry_from="Hwimol's birthday")
    return lambda: desk.apply(staff["registrar"], uin, "zone_permit", attributes), (uin,)


def _unknown_type(desk: Desk, staff: Staff) -> Sent:
    uin = _person(desk)
    return lambda: desk.apply(staff["registrar"], uin, "driving_licence"), (uin,)


def _unknown_station(desk: Desk, staff: Staff) -> Sent:
    uin = _person(desk)
    return lambda: desk.apply(staff["registrar"], uin, "national_id_card", station_code="ST-Z"), (
        uin,
    )


def _names_in_body(desk: Desk, staff: Staff) -> Sent:
    uin = _person(desk)
    return lambda: desk.apply(staff["registrar"], uin, "national_id_card", None, **NAMES), (uin,)


def _approve_twice(desk: Desk, staff: Staff) -> Sent:
    uin = _person(desk)
    permit = desk.apply(staff["registrar"], uin, "zone_permit", zone_permit_attributes()).json()
    desk.approve(staff["approver"], permit["id"])
    url = f"/applications/{permit['id']}/approve"
    return lambda: desk.client.post(url, json={"reason": "again"}, headers=staff["approver"]), (
        uin,
    )


def _approve_own_entry(desk: Desk, staff: Staff) -> Sent:
    uin = _person(desk)
    both = desk.official("both.roles", "registrar", "approver")
    own = desk.apply(both, uin, "national_id_card").json()
    url = f"/applications/{own['id']}/approve"
    return lambda: desk.client.post(url, json={"reason": "mine"}, headers=both), (uin,)


def _reject_own_entry(desk: Desk, staff: Staff) -> Sent:
    del staff
    uin = _person(desk)
    both = desk.official("both.roles", "registrar", "approver")
    own = desk.apply(both, uin, "national_id_card").json()
    url = f"/applications/{own['id']}/reject"
    return lambda: desk.client.post(url, json={"reason": "mine"}, headers=both), (uin,)


def _approve_decided(desk: Desk, staff: Staff) -> Sent:
    uin = _person(desk)
    created = desk.apply(staff["registrar"], uin, "national_id_card").json()
    url = f"/applications/{created['id']}"
    no = desk.client.post(f"{url}/reject", json={"reason": "no photo"}, headers=staff["approver"])
    assert no.json()["state"] == "rejected"
    return lambda: desk.client.post(
        f"{url}/approve", json={"reason": "late"}, headers=staff["approver"]
    ), (uin,)


def _fee_without_fee(desk: Desk, staff: Staff) -> Sent:
    uin = _person(desk)
    created = desk.apply(staff["registrar"], uin, "national_id_card").json()
    url = f"/applications/{created['id']}/fee"
    return lambda: desk.client.post(url, json={"receipt": "R-9"}, headers=staff["registrar"]), (
        uin,
    )


def _collect_before_receipt(desk: Desk, staff: Staff) -> Sent:
    uin = _person(desk)
    document_id = desk.issue(staff, uin)
    desk.dispatch(staff["issuer"], desk.print_run(staff["issuer"])["id"])
    return lambda: desk.collect(staff["registrar"], document_id, uin), (uin,)


def _collect_at_another_station(desk: Desk, staff: Staff) -> Sent:
    uin = _person(desk)
    document_id = desk.ready(staff, uin)
    return lambda: desk.collect(staff["registrar"], document_id, uin, station="ST-B"), (uin,)


def _collect_by_another_person(desk: Desk, staff: Staff) -> Sent:
    uin = _person(desk)
    document_id = desk.ready(staff, uin)
    other = desk.enrol()
    return lambda: desk.collect(staff["registrar"], document_id, other), (uin, other)


def _collect_without_a_known_check(desk: Desk, staff: Staff) -> Sent:
    uin = _person(desk)
    document_id = desk.ready(staff, uin)
    body = {"identity_check": "looked friendly", "presented_uin": uin, "station_code": "ST-A"}
    url = f"/documents/{document_id}/collect"
    return lambda: desk.client.post(url, json=body, headers=staff["registrar"]), (uin,)


def _lost_before_printing(desk: Desk, staff: Staff) -> Sent:
    uin = _person(desk)
    document_id = desk.issue(staff, uin)
    url = f"/documents/{document_id}/lost"
    return lambda: desk.client.post(url, json={"stolen": True}, headers=staff["registrar"]), (uin,)


def _document_out_of_scope(desk: Desk, staff: Staff) -> Sent:
    uin = _person(desk)
    document_id = desk.issue(staff, uin)
    elsewhere = desk.official("county.b", "registrar", scope=Scope(regions=frozenset({TOWN_B})))
    return lambda: desk.client.get(f"/documents/{document_id}", headers=elsewhere), (uin,)


def _documents_of_unknown_resident(desk: Desk, staff: Staff) -> Sent:
    uin = fresh_uin()
    url = f"/residents/{uin}/documents"
    return lambda: desk.client.get(url, headers=staff["registrar"]), (uin,)


def _revocation_confirmed_by_its_proposer(desk: Desk, staff: Staff) -> Sent:
    uin = _person(desk)
    document_id = desk.issue(staff, uin)
    proposed = desk.client.post(
        f"/documents/{document_id}/revocations", json={"reason": "r"}, headers=staff["approver"]
    ).json()
    url = f"/revocations/{proposed['id']}/decision"
    body = {"confirm": True, "reason": "mine"}
    return lambda: desk.client.post(url, json=body, headers=staff["approver"]), (uin,)


def _resident_applies_for_an_official_only_type(desk: Desk, staff: Staff) -> Sent:
    del staff
    uin = _person(desk)
    body = {"document_type": "national_id_card", "attributes": {}, "station_code": "ST-A"}
    headers = desk.resident_headers(uin)
    return lambda: desk.client.post("/me/applications", json=body, headers=headers), (uin,)


def _resident_reports_anothers_document(desk: Desk, staff: Staff) -> Sent:
    uin = _person(desk)
    document_id = desk.ready(staff, uin)
    other = desk.enrol()
    url = f"/me/documents/{document_id}/lost"
    headers = desk.resident_headers(other)
    return lambda: desk.client.post(url, json={"stolen": True}, headers=headers), (
        uin,
        other,
    )


PROBLEMS: list[Any] = [
    pytest.param(_unknown_uin, 404, "not_found", "uin", id="unknown-uin"),
    pytest.param(_deceased, 409, "resident_ineligible", "uin", id="deceased-resident"),
    pytest.param(
        _missing_attribute, 422, "validation_error", "attributes.zone", id="missing-attribute"
    ),
    pytest.param(
        _malformed_attribute,
        422,
        "validation_error",
        "attributes.entry_from",
        id="malformed-attribute",
    ),
    pytest.param(_unknown_type, 422, "validation_error", "document_type", id="unknown-type"),
    pytest.param(_unknown_station, 422, "validation_error", "station_code", id="unknown-station"),
    pytest.param(_names_in_body, 422, "validation_error", None, id="unknown-fields"),
    pytest.param(_approve_twice, 403, "four_eyes", None, id="approve-twice"),
    pytest.param(_approve_own_entry, 403, "four_eyes", None, id="approve-own-entry"),
    pytest.param(_reject_own_entry, 403, "four_eyes", None, id="reject-own-entry"),
    pytest.param(_approve_decided, 409, "illegal_transition", None, id="approve-rejected"),
    pytest.param(_fee_without_fee, 422, "validation_error", "fee_receipt", id="no-fee-type"),
    pytest.param(
        _collect_before_receipt, 409, "illegal_transition", None, id="collect-before-receipt"
    ),
    pytest.param(
        _collect_at_another_station, 409, "wrong_station", "station", id="collect-wrong-station"
    ),
    pytest.param(
        _collect_by_another_person,
        422,
        "validation_error",
        "presented_uin",
        id="collect-wrong-uin",
    ),
    pytest.param(
        _collect_without_a_known_check,
        422,
        "validation_error",
        "identity_check",
        id="collect-unknown-check",
    ),
    pytest.param(_lost_before_printing, 409, "illegal_transition", None, id="lost-unprinted"),
    pytest.param(
        _document_out_of_scope, 404, "not_found", "document_id", id="document-out-of-scope"
    ),
    pytest.param(
        _documents_of_unknown_resident, 404, "not_found", "uin", id="documents-of-unknown-uin"
    ),
    pytest.param(
        _revocation_confirmed_by_its_proposer,
        403,
        "permission_denied",
        None,
        id="revocation-by-its-proposer",
    ),
    pytest.param(
        _resident_applies_for_an_official_only_type,
        403,
        "permission_denied",
        None,
        id="resident-applies-for-national-id",
    ),
    pytest.param(
        _resident_reports_anothers_document,
        404,
        "not_found",
        "document_id",
        id="resident-reports-anothers-document",
    ),
]


@pytest.mark.parametrize(("scenario", "status", "code", "field"), PROBLEMS)
def test_errors_are_problem_documents_without_personal_data(
    *,
    desk: Desk,
    staff: Staff,
    caplog: pytest.LogCaptureFixture,
    scenario: Scenario,
    status: int,
    code: str,
    field: str | None,
) -> None:
    caplog.set_level(logging.DEBUG, logger="carnet")
    request, sent = scenario(desk, staff)
    before = desk.log_size()
    response = request()

    body = assert_problem(response, status, code, field=field, absent=(*PII, *sent))
    if field is None and code != "validation_error":
        assert "field" not in body
    assert any(r.name == "carnet.access" for r in caplog.records)  # the log was captured
    for value in (*PII, *sent):
        assert value not in caplog.text, f"the log holds {value!r}"
    assert desk.log_size() == before  # a refused request appends no leaf
