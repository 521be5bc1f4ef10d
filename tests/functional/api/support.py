"""Helpers shared by the API functional tests: the test client, sign-in, problem checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi.testclient import TestClient  # backed by httpx2 (a dev dependency)

if TYPE_CHECKING:
    import httpx2 as httpx

__all__ = [
    "PASSWORD",
    "TestClient",
    "assert_problem",
    "bearer",
    "sign_in",
]

PASSWORD = "correct horse battery"  # tests.factories.create_official's default


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for ``token``."""
    return {"Authorization": f"Bearer {token}"}


def sign_in(
    client: TestClient, username: str, password: str = PASSWORD, totp_code: str | None = None
) -> str:
    """Sign in through ``POST /auth/token`` and return the bearer token."""
    body: dict[str, Any] = {"username": username, "password": password}
    if totp_code is not None:
        body["totp_code"] = totp_code
    response = client.post("/auth/token", json=body)
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert isinstance(token, str)
    return token


def assert_problem(
    response: httpx.Response,
    status: int,
    code: str,
    *,
    field: str | None = None,
    absent: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Check an RFC 9457 problem document and return its body.

    ``field=None`` does not check the field; ``absent`` lists strings (personal
    data sent in the request) that must not be echoed anywhere in the response.
    """
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:carnet:error:{code}"
    assert isinstance(body["title"], str)
    assert body["title"]
    if field is not None:
        assert body.get("field") == field, body
    if status == 401:
        assert response.headers.get("www-authenticate") == "Bearer"
    for value in absent:
        assert value not in response.text, f"the response echoes {value!r}"
        assert value not in str(response.headers)
    return body
