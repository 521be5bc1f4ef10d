"""Exactly one leaf per state-changing API operation, and one per resident-record read.

The OpenAPI document is the inventory: every non-GET operation must either have a
builder below (a valid request, which must append exactly one leaf) or be listed
in ``NOT_LOGGED`` with the reason it is not an official action. A new operation
that is neither fails :func:`test_every_state_changing_operation_is_accounted_for`.

Builders set their scene up through the API before the leaves are counted. A
proposal under the two-person rule is one leaf, and so is its decision; an
approval that issues the document, a collection that revokes the card it
replaces and a resident's own action (marked as such, never named) are one
leaf each too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyotp
import pytest

from carnet.domain.actions import DEFAULT_READ_REASON, DEFAULT_SEARCH_REASON
from carnet.domain.officials import Scope
from tests.factories import COUNTY_A, TOWN_A, create_official, resident_data
from tests.functional.api.documents_support import (
    ADULT_BIRTH_DATE,
    IDENTITY_CHECK,
    create_issuer,
    zone_permit_attributes,
)
from tests.functional.ledger.support import PASSWORD, bearer, open_api

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from tests.fakes import FakeClock
    from tests.functional.ledger.support import Api

pytestmark = pytest.mark.functional


@dataclass
class Call:
    method: str
    url: str
    headers: dict[str, str]
    json: dict[str, Any] | None = None
    params: dict[str, str] | None = None
    status: int = 200


def _sign_in(api: Api) -> Call:
    body = {"username": "registrar", "password": PASSWORD, "station": "ST-A"}
    return Call("POST", "/auth/token", {}, json=body)


def _logout(api: Api) -> Call:
    return Call("POST", "/auth/logout", bearer(api.sign_in("registrar2")), status=204)


def _totp_confirm(api: Api) -> Call:
    secret = pyotp.random_base32()
    body = {"secret": secret, "code": pyotp.TOTP(secret).at(api.clock.now())}
    return Call("POST", "/officials/me/totp/confirm", api.headers("auditor"), json=body, status=204)


def _create_official(api: Api) -> Call:
    body = {
        "username": f"new{api.unique()}.official",
        "display_name": "New Official",
        "password": PASSWORD,
        "roles": ["approver"],
        "scope_regions": [TOWN_A],
    }
    return Call("POST", "/officials", api.headers("admin"), json=body, status=201)


def _update_official(api: Api) -> Call:
    target = api.official_id("registrar.a")
    return Call("PATCH", f"/officials/{target}", api.headers("admin"), json={"roles": ["issuer"]})


def _add_region(api: Api) -> Call:
    body = {
        "code": f"{COUNTY_A}{api.unique():04d}",
        "parent_code": COUNTY_A,
        "level": "village",
        "settlement": "rural",
        "name_native": "새마을",
        "name_latin": "Saemaeul",
    }
    return Call("POST", "/regions", api.headers("admin"), json=body, status=201)


def _add_station(api: Api) -> Call:
    body = {"code": f"LX-{api.unique()}", "name": "Ledger office", "region_code": COUNTY_A}
    return Call("POST", "/stations", api.headers("admin"), json=body, status=201)


def _enrol(api: Api) -> Call:
    body = resident_data(region_code=TOWN_A)
    return Call("POST", "/residents", api.headers("registrar"), json=body, status=201)


_TEXT = (
    "family_name_native",
    "given_name_native",
    "family_name_latin",
    "given_name_latin",
    "place_of_birth",
    "address",
)


def _update_resident(api: Api) -> Call:
    current = api.client.get(
        f"/residents/{api.uin}", headers=api.headers("registrar"), params={"reason": "edit"}
    ).json()
    body = {name: current[name] for name in _TEXT} | {
        "address": f"새주소 {api.unique()}",
        "reason": "moved house",
    }
    return Call("PATCH", f"/residents/{api.uin}", api.headers("registrar"), json=body)


def _propose_export(api: Api) -> Call:
    body = {"region_code": COUNTY_A, "reason": "statistics office request"}
    return Call("POST", "/exports", api.headers("registrar"), json=body, status=201)


def _decide_export(api: Api) -> Call:
    proposed = api.client.post(
        "/exports",
        json={"region_code": COUNTY_A, "reason": "statistics office request"},
        headers=api.headers("registrar"),
    )
    assert proposed.status_code == 201, proposed.text
    body = {"confirm": True, "reason": "checked the request"}
    url = f"/exports/{proposed.json()['id']}/decision"
    return Call("POST", url, api.headers("registrar2"), json=body)


# --------------------------------------------------------------------------- documents

DOCUMENT_STAFF = {
    "approver": "approver",
    "approver2": "approver",
    "issuer": "issuer",
    "issuer2": "issuer",
}


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _adult(api: Api, **extra: Any) -> str:
    body = resident_data(region_code=TOWN_A, date_of_birth=ADULT_BIRTH_DATE, **extra)
    created = _ok(api.client.post("/residents", json=body, headers=api.headers("registrar")), 201)
    uin: str = created["uin"]
    return uin


def _apply(
    api: Api, document_type: str = "national_id_card", uin: str | None = None, **attributes: Any
) -> str:
    body = {
        "uin": uin or _adult(api),
        "document_type": document_type,
        "attributes": attributes,
        "station_code": "ST-A",
    }
    created = _ok(
        api.client.post("/applications", json=body, headers=api.headers("registrar")), 201
    )
    application_id: str = created["id"]
    return application_id


def _issued(api: Api, uin: str | None = None) -> str:
    application_id = _apply(api, uin=uin)
    url = f"/applications/{application_id}/approve"
    approved = _ok(
        api.client.post(url, json={"reason": "checked"}, headers=api.headers("approver"))
    )
    document_id: str = approved["document_id"]
    return document_id


def _printed(api: Api, uin: str | None = None) -> tuple[str, str]:
    document_id = _issued(api, uin)
    url = "/stations/ST-A/print-runs"
    run = _ok(api.client.post(url, json={"limit": 500}, headers=api.headers("issuer")), 201)
    return document_id, run["id"]


def _ready(api: Api) -> tuple[str, str]:
    uin = _adult(api)
    document_id, run_id = _printed(api, uin)
    _ok(api.client.post(f"/print-runs/{run_id}/dispatch", headers=api.headers("issuer")))
    body = {"station_code": "ST-A"}
    url = f"/documents/{document_id}/receive"
    _ok(api.client.post(url, json=body, headers=api.headers("registrar")))
    return document_id, uin


def _submit_application(api: Api) -> Call:
    body = {"uin": _adult(api), "document_type": "national_id_card", "station_code": "ST-A"}
    return Call("POST", "/applications", api.headers("registrar"), json=body, status=201)


def _approve_and_issue(api: Api) -> Call:
    url = f"/applications/{_apply(api)}/approve"
    return Call("POST", url, api.headers("approver"), json={"reason": "documents checked"})


def _reject(api: Api) -> Call:
    url = f"/applications/{_apply(api, 'zone_permit', **zone_permit_attributes())}/reject"
    return Call("POST", url, api.headers("approver"), json={"reason": "no sponsor letter"})


def _record_fee(api: Api) -> Call:
    url = f"/applications/{_apply(api, 'passport')}/fee"
    return Call("POST", url, api.headers("registrar"), json={"receipt": "R-1"})


def _print_run(api: Api) -> Call:
    _issued(api)
    url = "/stations/ST-A/print-runs"
    return Call("POST", url, api.headers("issuer"), json={"limit": 500}, status=201)


def _dispatch(api: Api) -> Call:
    _document_id, run_id = _printed(api)
    return Call("POST", f"/print-runs/{run_id}/dispatch", api.headers("issuer"))


def _receive(api: Api) -> Call:
    document_id, run_id = _printed(api)
    _ok(api.client.post(f"/print-runs/{run_id}/dispatch", headers=api.headers("issuer")))
    url = f"/documents/{document_id}/receive"
    return Call("POST", url, api.headers("registrar"), json={"station_code": "ST-A"})


def _transfer(api: Api) -> Call:
    document_id, _uin = _ready(api)
    body = {"to_station": "ST-B", "reason": "the holder moved"}
    return Call("POST", f"/documents/{document_id}/transfer", api.headers("registrar"), json=body)


def _collect(api: Api) -> Call:
    document_id, uin = _ready(api)
    body = {"station_code": "ST-A", "identity_check": IDENTITY_CHECK, "presented_uin": uin}
    return Call("POST", f"/documents/{document_id}/collect", api.headers("registrar"), json=body)


def _report_lost(api: Api) -> Call:
    document_id, _uin = _ready(api)
    url = f"/documents/{document_id}/lost"
    return Call("POST", url, api.headers("registrar"), json={"stolen": True})


def _propose_revocation(api: Api) -> Call:
    url = f"/documents/{_issued(api)}/revocations"
    return Call("POST", url, api.headers("approver"), json={"reason": "forged"}, status=201)


def _decide_revocation(api: Api) -> Call:
    url = f"/documents/{_issued(api)}/revocations"
    proposed = _ok(
        api.client.post(url, json={"reason": "forged"}, headers=api.headers("approver")), 201
    )
    body = {"confirm": True, "reason": "agreed"}
    return Call(
        "POST", f"/revocations/{proposed['id']}/decision", api.headers("approver2"), json=body
    )


def _propose_reprint(api: Api) -> Call:
    document_id, _run_id = _printed(api)
    url = f"/documents/{document_id}/reprints"
    return Call("POST", url, api.headers("issuer"), json={"reason": "smudged"}, status=201)


def _decide_reprint(api: Api) -> Call:
    document_id, _run_id = _printed(api)
    url = f"/documents/{document_id}/reprints"
    proposed = _ok(
        api.client.post(url, json={"reason": "smudged"}, headers=api.headers("issuer")), 201
    )
    body = {"confirm": True, "reason": "seen it"}
    return Call("POST", f"/reprints/{proposed['id']}/decision", api.headers("issuer2"), json=body)


def _resident(api: Api) -> tuple[str, dict[str, str]]:
    """A resident signed in through the portal (the code read from the outbox)."""
    phone = f"+82 10 {api.unique():08d}"
    uin = _adult(api, phone=phone)
    assert api.client.post("/me/code", json={"uin": uin}).status_code == 202
    with api.box.uow() as uow:
        due = uow.outbox.due(api.clock.now(), 10_000)
    code = [m for m in due if m.recipient == phone][-1].params["code"]
    token = _ok(api.client.post("/me/token", json={"uin": uin, "code": code}))
    return uin, bearer(token["access_token"])


def _my_application_body() -> dict[str, Any]:
    return {
        "document_type": "zone_permit",
        "attributes": zone_permit_attributes(),
        "station_code": "ST-A",
    }


def _apply_myself(api: Api) -> Call:
    _uin, headers = _resident(api)
    return Call("POST", "/me/applications", headers, json=_my_application_body(), status=201)


def _withdraw(api: Api) -> Call:
    _uin, headers = _resident(api)
    applied = _ok(
        api.client.post("/me/applications", json=_my_application_body(), headers=headers), 201
    )
    url = f"/me/applications/{applied['id']}/withdraw"
    return Call("POST", url, headers, json={"reason": "trip cancelled"})


def _my_loss(api: Api) -> Call:
    uin, headers = _resident(api)
    document_id, _run_id = _printed(api, uin)
    return Call("POST", f"/me/documents/{document_id}/lost", headers, json={"stolen": False})


BUILDERS: dict[tuple[str, str], Callable[[Api], Call]] = {
    ("POST", "/auth/token"): _sign_in,
    ("POST", "/auth/logout"): _logout,
    ("POST", "/officials/me/totp/confirm"): _totp_confirm,
    ("POST", "/officials"): _create_official,
    ("PATCH", "/officials/{official_id}"): _update_official,
    ("POST", "/regions"): _add_region,
    ("POST", "/stations"): _add_station,
    ("POST", "/residents"): _enrol,
    ("PATCH", "/residents/{uin}"): _update_resident,
    ("POST", "/exports"): _propose_export,
    ("POST", "/exports/{proposal_id}/decision"): _decide_export,
    ("POST", "/applications"): _submit_application,
    ("POST", "/applications/{application_id}/approve"): _approve_and_issue,
    ("POST", "/applications/{application_id}/reject"): _reject,
    ("POST", "/applications/{application_id}/fee"): _record_fee,
    ("POST", "/stations/{station_code}/print-runs"): _print_run,
    ("POST", "/print-runs/{run_id}/dispatch"): _dispatch,
    ("POST", "/documents/{document_id}/receive"): _receive,
    ("POST", "/documents/{document_id}/transfer"): _transfer,
    ("POST", "/documents/{document_id}/collect"): _collect,
    ("POST", "/documents/{document_id}/lost"): _report_lost,
    ("POST", "/documents/{document_id}/revocations"): _propose_revocation,
    ("POST", "/revocations/{proposal_id}/decision"): _decide_revocation,
    ("POST", "/documents/{document_id}/reprints"): _propose_reprint,
    ("POST", "/reprints/{proposal_id}/decision"): _decide_reprint,
    ("POST", "/me/applications"): _apply_myself,
    ("POST", "/me/applications/{application_id}/withdraw"): _withdraw,
    ("POST", "/me/documents/{document_id}/lost"): _my_loss,
}
MARKS: dict[tuple[str, str], list[pytest.MarkDecorator]] = {}

NOT_LOGGED: dict[tuple[str, str], str] = {
    ("POST", "/officials/me/totp"): "draws a secret and stores nothing until it is confirmed",
    ("POST", "/ledger/checkpoints"): "the log's own signed statement about itself",
    ("POST", "/me/code"): "a resident's own sign-in, not an official action",
    ("POST", "/me/token"): "a resident's own sign-in, not an official action",
    ("POST", "/me/logout"): "a resident's own sign-out, not an official action",
}


@pytest.fixture
def api(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Api]:
    """The app with an issuer, and approvers and issuers besides the usual officials."""
    for opened in open_api(database_url, tmp_path, clock, issuer_dir=str(tmp_path / "issuer")):
        create_issuer(opened.box)
        for username, role in DOCUMENT_STAFF.items():
            create_official(
                opened.box.uow(),
                opened.box.hasher,
                clock,
                username=username,
                roles=(role,),
                scope=Scope(national=True),
            )
            opened.tokens[username] = opened.sign_in(username)
        yield opened


def test_every_state_changing_operation_is_accounted_for(api: Api) -> None:
    paths = api.client.app.openapi()["paths"]  # type: ignore[attr-defined]
    operations = {
        (method.upper(), path)
        for path, ops in paths.items()
        for method in ops
        if method.upper() in {"POST", "PUT", "PATCH", "DELETE"}
    }
    unaccounted = operations - set(BUILDERS) - set(NOT_LOGGED)
    assert not unaccounted, f"log these as official actions or list why not: {unaccounted}"
    assert set(BUILDERS) | set(NOT_LOGGED) <= operations  # no stale entry


@pytest.mark.parametrize(
    "operation",
    [pytest.param(op, marks=MARKS.get(op, []), id=" ".join(op)) for op in sorted(BUILDERS)],
)
def test_a_state_changing_operation_appends_exactly_one_leaf(
    api: Api, operation: tuple[str, str]
) -> None:
    call = BUILDERS[operation](api)
    before = api.size()
    response = api.client.request(
        call.method, call.url, headers=call.headers, json=call.json, params=call.params
    )
    assert response.status_code == call.status, response.text
    assert api.size() == before + 1


@pytest.mark.parametrize(
    "operation", [("POST", "/officials/me/totp"), ("POST", "/ledger/checkpoints")], ids=" ".join
)
def test_an_operation_that_is_not_an_action_appends_no_leaf(
    api: Api, operation: tuple[str, str]
) -> None:
    before = api.size()
    response = api.client.request(*operation, headers=api.headers("auditor"))
    assert response.status_code == 200, response.text
    assert api.size() == before


def test_a_refused_request_appends_no_leaf(api: Api) -> None:
    before = api.size()
    bad = resident_data(region_code="99999")
    assert (
        api.client.post("/residents", json=bad, headers=api.headers("registrar")).status_code == 422
    )
    assert api.client.post("/regions", json={}, headers=api.headers("admin")).status_code == 422
    assert api.client.get(
        "/residents/215429306126", headers=api.headers("registrar")
    ).status_code in {
        404,
        422,
    }
    assert (
        api.client.post("/auth/token", json={"username": "admin", "password": "x" * 12}).status_code
        == 401
    )
    assert api.size() == before


# --------------------------------------------------------------------------- reads


def _actions(api: Api) -> list[tuple[str, str | None, str | None]]:
    with api.box.uow() as uow:
        resident = uow.residents.get_by_uin(api.uin)
        assert resident is not None
        found = uow.ledger.actions_on("resident", resident.id)
    return [(a.action_type, a.reason, a.station) for a in found]


@pytest.mark.parametrize(
    ("url", "action", "default"),
    [
        ("/residents/{uin}", "read", DEFAULT_READ_REASON),
        ("/residents/{uin}/history", "history", DEFAULT_READ_REASON),
        ("/residents?uin={uin}", "search", DEFAULT_SEARCH_REASON),
        ("/residents?region_code=" + TOWN_A, "search", DEFAULT_SEARCH_REASON),
    ],
)
def test_each_read_of_a_resident_record_appends_one_leaf_with_its_reason(
    api: Api, url: str, action: str, default: str
) -> None:
    token = api.sign_in("registrar", station="ST-A")
    target = url.format(uin=api.uin)
    before = api.size()
    joiner = "&" if "?" in target else "?"
    with_reason = api.client.get(f"{target}{joiner}reason=counter%20visit", headers=bearer(token))
    assert with_reason.status_code == 200, with_reason.text
    without = api.client.get(target, headers=bearer(token))
    assert without.status_code == 200, without.text
    assert api.size() == before + 2
    assert _actions(api)[-2:] == [(action, "counter visit", "ST-A"), (action, default, "ST-A")]


def test_other_reads_append_no_leaf(api: Api) -> None:
    before = api.size()
    for url, who in (
        ("/officials/me", "registrar"),
        ("/officials", "auditor"),
        ("/regions", "registrar"),
        ("/stations", "registrar"),
        ("/ledger/key", "auditor"),
    ):
        assert api.client.get(url, headers=api.headers(who)).status_code == 200, url
    assert api.size() == before


def test_a_deployment_may_require_a_reason_to_read(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    for api in open_api(database_url, tmp_path, clock, read_reason_required=True):
        before = api.size()
        for url in (f"/residents/{api.uin}", f"/residents/{api.uin}/history"):
            refused = api.client.get(url, headers=api.headers("registrar"))
            assert refused.status_code == 422
            assert refused.json()["field"] == "reason"
            blank = api.client.get(url, headers=api.headers("registrar"), params={"reason": " "})
            assert blank.status_code == 422
        assert api.size() == before
        given = api.client.get(
            f"/residents/{api.uin}", headers=api.headers("registrar"), params={"reason": "visit"}
        )
        assert given.status_code == 200
        assert api.size() == before + 1
