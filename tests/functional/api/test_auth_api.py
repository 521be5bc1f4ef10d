"""Sign-in, TOTP, token lifetime and revocation, officials' administration, OpenAPI."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pyotp
import pytest
from sqlalchemy import text

from carnet.domain.officials import Role, Scope
from carnet.entrypoints.api.app import create_app
from carnet.services import auth
from tests.factories import COUNTY_A, COUNTY_B, PROVINCE, TOWN_A, create_official, principal
from tests.functional.api.support import (
    PASSWORD,
    TestClient,
    assert_problem,
    bearer,
    sign_in,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    import httpx2 as httpx

    from carnet.bootstrap import Container
    from carnet.config import Settings
    from tests.fakes import FakeClock

pytestmark = [pytest.mark.functional]

NATIONAL = Scope(national=True)
IN_COUNTY_A = Scope(regions=frozenset({COUNTY_A}))


@pytest.fixture
def client(seeded: Container, test_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(test_settings, seeded)) as test_client:
        yield test_client


def official(
    box: Container, username: str, role: str = "registrar", scope: Scope = NATIONAL
) -> str:
    """Create an account through the use case; return its id."""
    return create_official(
        box.uow(), box.hasher, box.clock, username=username, roles=(role,), scope=scope
    ).id


def token_rows(box: Container) -> list[dict[str, Any]]:
    with box.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM auth_tokens")).mappings().all()
    return [dict(row) for row in rows]


def me(client: TestClient, token: str) -> httpx.Response:
    response: httpx.Response = client.get("/officials/me", headers=bearer(token))
    return response


# --------------------------------------------------------------------------- sign-in


def test_sign_in_issues_a_bearer_token_for_the_configured_lifetime(
    seeded: Container, client: TestClient, clock: FakeClock, test_settings: Settings
) -> None:
    official(seeded, "rita.registrar")
    response = client.post("/auth/token", json={"username": "rita.registrar", "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert len(body["access_token"]) >= 43  # 256 random bits, base64url
    lifetime = timedelta(minutes=test_settings.token_lifetime_minutes)
    assert datetime.fromisoformat(body["expires_at"]) == clock.now() + lifetime


def test_sign_in_failures_all_look_the_same(seeded: Container, client: TestClient) -> None:
    official(seeded, "rita.registrar")
    gone = official(seeded, "gone.registrar")
    auth.update_official(
        seeded.uow(),
        principal(Role.ADMIN, national=True),
        gone,
        is_active=False,
        clock=seeded.clock,
    )
    attempts = {
        "unknown user": {"username": "nobody.here", "password": PASSWORD},
        "wrong password": {"username": "rita.registrar", "password": PASSWORD + "!"},
        "inactive account": {"username": "gone.registrar", "password": PASSWORD},
    }
    bodies = {}
    for what, attempt in attempts.items():
        response = client.post("/auth/token", json=attempt)
        bodies[what] = assert_problem(
            response,
            401,
            "authentication_failed",
            absent=(attempt["username"], attempt["password"]),
        )
    assert len({repr(b) for b in bodies.values()}) == 1, bodies
    assert token_rows(seeded) == []


def test_tokens_are_stored_only_as_their_sha256(seeded: Container, client: TestClient) -> None:
    official(seeded, "rita.registrar")
    tokens = [sign_in(client, "rita.registrar") for _ in range(2)]
    rows = token_rows(seeded)
    assert sorted(row["token_hash"] for row in rows) == sorted(
        hashlib.sha256(t.encode()).hexdigest() for t in tokens
    )
    stored = repr(rows)
    for token in tokens:
        assert token not in stored


# --------------------------------------------------------------------------- TOTP


def _wrong_code(secret: str, now: datetime) -> str:
    totp = pyotp.TOTP(secret)
    near = {totp.at(now + timedelta(seconds=30 * step)) for step in range(-2, 3)}
    return next(code for code in ("000000", "111111", "222222") if code not in near)


def test_totp_enrolment_makes_sign_in_need_the_code(
    seeded: Container, client: TestClient, clock: FakeClock
) -> None:
    official(seeded, "rita.registrar")
    token = sign_in(client, "rita.registrar")
    started = client.post("/officials/me/totp", headers=bearer(token))
    assert started.status_code == 200, started.text
    secret = started.json()["secret"]
    assert "rita.registrar" in started.json()["provisioning_uri"]
    assert "issuer=Carnet" in started.json()["provisioning_uri"]
    # Not in force until confirmed.
    assert me(client, token).json()["has_totp"] is False
    sign_in(client, "rita.registrar")

    wrong = {"secret": secret, "code": _wrong_code(secret, clock.now())}
    refused = client.post("/officials/me/totp/confirm", json=wrong, headers=bearer(token))
    assert_problem(refused, 422, "validation_error", field="code")
    assert me(client, token).json()["has_totp"] is False

    right = {"secret": secret, "code": pyotp.TOTP(secret).at(clock.now())}
    confirmed = client.post("/officials/me/totp/confirm", json=right, headers=bearer(token))
    assert confirmed.status_code == 204, confirmed.text
    assert me(client, token).json()["has_totp"] is True

    clock.advance(minutes=3)
    credentials = {"username": "rita.registrar", "password": PASSWORD}
    without = client.post("/auth/token", json=credentials)
    assert_problem(without, 401, "authentication_failed")
    bad = client.post(
        "/auth/token", json=credentials | {"totp_code": _wrong_code(secret, clock.now())}
    )
    assert_problem(bad, 401, "authentication_failed")
    assert bad.json() == without.json()
    sign_in(client, "rita.registrar", totp_code=pyotp.TOTP(secret).at(clock.now()))


# --------------------------------------------------------------------------- token life


def test_a_token_stops_working_when_its_lifetime_is_over(
    seeded: Container, client: TestClient, clock: FakeClock, test_settings: Settings
) -> None:
    official(seeded, "rita.registrar")
    token = sign_in(client, "rita.registrar")
    clock.advance(minutes=test_settings.token_lifetime_minutes - 1)
    assert me(client, token).status_code == 200
    clock.advance(minutes=1)
    assert_problem(me(client, token), 401, "authentication_failed")


def test_logout_revokes_that_token_only(seeded: Container, client: TestClient) -> None:
    official(seeded, "rita.registrar")
    leaving, staying = sign_in(client, "rita.registrar"), sign_in(client, "rita.registrar")
    response = client.post("/auth/logout", headers=bearer(leaving))
    assert response.status_code == 204, response.text
    assert_problem(me(client, leaving), 401, "authentication_failed")
    assert me(client, staying).status_code == 200
    revoked = {r["token_hash"]: r["revoked_at"] is not None for r in token_rows(seeded)}
    assert revoked == {auth.hash_token(leaving): True, auth.hash_token(staying): False}


def test_deactivation_revokes_every_token_of_the_official(
    seeded: Container, client: TestClient
) -> None:
    official(seeded, "ada.admin", "admin")
    rita = official(seeded, "rita.registrar")
    admin = bearer(sign_in(client, "ada.admin"))
    tokens = [sign_in(client, "rita.registrar") for _ in range(2)]

    response = client.patch(f"/officials/{rita}", json={"is_active": False}, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    for token in tokens:
        assert_problem(me(client, token), 401, "authentication_failed")
    rows = [r for r in token_rows(seeded) if r["official_id"] == rita]
    assert len(rows) == 2
    assert all(r["revoked_at"] is not None for r in rows)

    # Revoked, not merely suspended: coming back needs a new sign-in.
    assert client.patch(f"/officials/{rita}", json={"is_active": True}, headers=admin).is_success
    for token in tokens:
        assert_problem(me(client, token), 401, "authentication_failed")
    assert me(client, sign_in(client, "rita.registrar")).status_code == 200


def test_a_role_change_revokes_the_tokens_of_the_official(
    seeded: Container, client: TestClient
) -> None:
    official(seeded, "ada.admin", "admin")
    rita = official(seeded, "rita.registrar")
    admin = bearer(sign_in(client, "ada.admin"))
    token = sign_in(client, "rita.registrar")
    response = client.patch(f"/officials/{rita}", json={"roles": ["approver"]}, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["roles"] == ["approver"]
    assert_problem(me(client, token), 401, "authentication_failed")
    assert me(client, sign_in(client, "rita.registrar")).json()["roles"] == ["approver"]


# --------------------------------------------------------------------------- administration


def test_an_admin_cannot_change_their_own_account(seeded: Container, client: TestClient) -> None:
    ada = official(seeded, "ada.admin", "admin")
    token = sign_in(client, "ada.admin")
    for change in (
        {"is_active": False},
        {"roles": ["admin", "registrar"]},
        {"scope_national": True},
    ):
        response = client.patch(f"/officials/{ada}", json=change, headers=bearer(token))
        assert_problem(response, 403, "permission_denied")
    account = me(client, token).json()
    assert (account["roles"], account["is_active"]) == (["admin"], True)


def _new_official(username: str, **scope: Any) -> dict[str, Any]:
    body = {"username": username, "display_name": "New One", "password": PASSWORD}
    return body | {"roles": ["registrar"]} | scope


def test_a_region_scoped_admin_grants_nothing_beyond_their_region(
    seeded: Container, client: TestClient
) -> None:
    official(seeded, "ada.admin", "admin", IN_COUNTY_A)
    admin = bearer(sign_in(client, "ada.admin"))
    beyond: dict[str, dict[str, Any]] = {
        "national": {"scope_national": True},
        "other county": {"scope_regions": [COUNTY_B]},
        "own province": {"scope_regions": [PROVINCE]},
        "other station": {"scope_stations": ["ST-B"]},
        "own and other": {"scope_regions": [TOWN_A, COUNTY_B]},
    }
    for n, scope in enumerate(beyond.values()):
        response = client.post(
            "/officials", json=_new_official(f"new{n}.one", **scope), headers=admin
        )
        assert_problem(response, 403, "permission_denied")
    with seeded.uow() as uow:
        assert [o.username for o in uow.officials.list()] == ["ada.admin"]

    granted = client.post(
        "/officials", json=_new_official("inside.one", scope_regions=[TOWN_A]), headers=admin
    )
    assert granted.status_code == 201, granted.text
    assert granted.json()["scope_regions"] == [TOWN_A]
    widened = client.patch(
        f"/officials/{granted.json()['id']}", json={"scope_regions": [COUNTY_B]}, headers=admin
    )
    assert_problem(widened, 403, "permission_denied")
    national_one = official(seeded, "nat.registrar")
    taken_over = client.patch(
        f"/officials/{national_one}", json={"is_active": False}, headers=admin
    )
    assert_problem(taken_over, 403, "permission_denied")


def test_openapi_document_is_served(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["info"]["title"] == "Carnet"
    assert {"/auth/token", "/residents", "/residents/{uin}", "/officials"} <= set(document["paths"])
