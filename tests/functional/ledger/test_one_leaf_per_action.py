"""Exactly one leaf per state-changing API operation, and one per resident-record read.

The OpenAPI document is the inventory: every non-GET operation must either have a
builder below (a valid request, which must append exactly one leaf) or be listed
in ``NOT_LOGGED`` with the reason it is not an official action. A new operation
that is neither fails :func:`test_every_state_changing_operation_is_accounted_for`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyotp
import pytest

from carnet.domain.actions import DEFAULT_READ_REASON, DEFAULT_SEARCH_REASON
from tests.factories import COUNTY_A, TOWN_A, resident_data
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
    yield from open_api(database_url, tmp_path, clock)


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
