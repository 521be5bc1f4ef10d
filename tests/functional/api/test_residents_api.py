"""Residents through the API: enrol, read, update with a reason, history, search, errors.

Errors are RFC 9457 problem documents with a stable ``code`` and the ``field``
concerned; none of them, and no log record written while serving them, may
repeat the personal data of the request.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

from carnet.domain.identifiers import is_valid_uin
from carnet.domain.officials import Role, Scope
from carnet.entrypoints.api.app import create_app
from carnet.services import registry
from tests.factories import (
    COUNTY_A,
    TOWN_A,
    TOWN_B,
    create_official,
    fresh_uin,
    principal,
    resident_data,
)
from tests.functional.api.support import (
    TestClient,
    assert_problem,
    bearer,
    sign_in,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import httpx2 as httpx

    from carnet.bootstrap import Container
    from carnet.config import Settings
    from tests.fakes import FakeClock

    # A request that should fail, and the personal data it sent (never to be echoed).
    Sent = tuple[httpx.Response, tuple[str, ...]]
    Scenario = Callable[[Container, TestClient, dict[str, str]], Sent]

pytestmark = [pytest.mark.functional]

# Invented, distinctive values, so that "not echoed" checks cannot pass by accident.
NAMES = {
    "family_name_native": "휘몰",
    "given_name_native": "잇솔",
    "family_name_latin": "Hwimol",
    "given_name_latin": "Itsol",
}
ADDRESS = "가상로 77길 7"
EMAIL = "hwimol.itsol@example.org"
PII = (*NAMES.values(), ADDRESS, EMAIL)


def person(**overrides: Any) -> dict[str, Any]:
    """A synthetic resident of TOWN_A with the distinctive names above."""
    return resident_data(**NAMES, address=ADDRESS, email=EMAIL, region_code=TOWN_A) | overrides


@pytest.fixture
def client(seeded: Container, test_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(test_settings, seeded)) as test_client:
        yield test_client


def _official(
    box: Container, client: TestClient, username: str, role: str, scope: Scope
) -> dict[str, str]:
    create_official(box.uow(), box.hasher, box.clock, username=username, roles=(role,), scope=scope)
    return bearer(sign_in(client, username))


@pytest.fixture
def registrar(seeded: Container, client: TestClient) -> dict[str, str]:
    """Headers of a national registrar."""
    return _official(seeded, client, "registrar", "registrar", Scope(national=True))


def enrol(box: Container, **overrides: Any) -> str:
    """Enrol through the use case (set-up, not under test); return the UIN."""
    resident = registry.enrol_resident(
        box.uow(),
        principal(Role.REGISTRAR, national=True),
        person(**overrides),
        clock=box.clock,
        random_bytes=box.random_bytes,
    )
    return resident.uin


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


# --------------------------------------------------------------------------- the life of a record


def test_enrol_read_update_and_history_keep_who_when_why(
    client: TestClient, registrar: dict[str, str], clock: FakeClock
) -> None:
    created = client.post("/residents", json=person(address="옛주소 1"), headers=registrar)
    assert created.status_code == 201, created.text
    record = created.json()
    uin = record["uin"]
    assert is_valid_uin(uin)
    assert (record["version"], record["status"], record["region_code"]) == (1, "active", TOWN_A)
    assert record["family_name_latin"] == "Hwimol"
    assert at(record["created_at"]) == clock.now()

    assert client.get(f"/residents/{uin}", headers=registrar).json() == record

    clock.advance(minutes=5)  # within the token's lifetime
    body = {"address": "새주소 2", "region_code": TOWN_B, "reason": "moved", "version": 1}
    updated = client.patch(f"/residents/{uin}", json=body, headers=registrar)
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 2
    assert (updated.json()["address"], updated.json()["region_code"]) == ("새주소 2", TOWN_B)
    assert at(updated.json()["updated_at"]) == clock.now()
    assert client.get(f"/residents/{uin}", headers=registrar).json() == updated.json()

    history = client.get(f"/residents/{uin}/history", headers=registrar)
    assert history.status_code == 200, history.text
    me = client.get("/officials/me", headers=registrar).json()
    assert history.json()["uin"] == uin
    [change] = history.json()["data"]
    assert change["changes"] == {
        "address": ["옛주소 1", "새주소 2"],
        "region_code": [TOWN_A, TOWN_B],
    }
    assert change["changed_by"] == me["id"]
    assert at(change["changed_at"]) == clock.now()
    assert change["reason"] == "moved"
    assert change["version"] == 2


def test_patch_needs_only_the_changed_fields_and_a_reason(
    seeded: Container, client: TestClient, registrar: dict[str, str]
) -> None:
    uin = enrol(seeded)
    response = client.patch(
        f"/residents/{uin}",
        json={"phone": "010-9999-0000", "reason": "new phone"},
        headers=registrar,
    )
    assert response.status_code == 200, response.text
    assert response.json()["phone"] == "010-9999-0000"
    assert response.json()["family_name_latin"] == "Hwimol"
    history = client.get(f"/residents/{uin}/history", headers=registrar).json()["data"]
    [change] = history
    assert list(change["changes"]) == ["phone"]  # nothing else was touched
    assert change["changes"]["phone"][1] == "010-9999-0000"


# --------------------------------------------------------------------------- search


def _uins(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [r["uin"] for r in response.json()["data"]]


def test_search_by_uin_and_by_region(
    seeded: Container, client: TestClient, registrar: dict[str, str]
) -> None:
    in_a = enrol(seeded)
    in_b = enrol(seeded, region_code=TOWN_B)

    def search(**query: str) -> httpx.Response:
        response: httpx.Response = client.get("/residents", params=query, headers=registrar)
        return response

    assert _uins(search(uin=in_a)) == [in_a]
    assert _uins(search(uin=fresh_uin())) == []
    assert _uins(search(region_code=TOWN_B)) == [in_b]
    assert _uins(search(region_code=TOWN_A)) == [in_a]

    county_a = _official(
        seeded, client, "approver", "approver", Scope(regions=frozenset({COUNTY_A}))
    )
    for query, found in (
        ({"uin": in_a}, [in_a]),
        ({"uin": in_b}, []),
        ({"region_code": TOWN_B}, []),
    ):
        assert _uins(client.get("/residents", params=query, headers=county_a)) == found


def test_a_scoped_registrar_cannot_move_a_resident_out_of_their_scope(
    seeded: Container, client: TestClient
) -> None:
    uin = enrol(seeded)
    county_a = _official(seeded, client, "reg.a", "registrar", Scope(regions=frozenset({COUNTY_A})))
    body = {"region_code": TOWN_B, "reason": "moved away"}
    response = client.patch(f"/residents/{uin}", json=body, headers=county_a)
    assert_problem(response, 422, "validation_error", field="region_code", absent=PII)
    with seeded.uow() as uow:
        stored = uow.residents.get_by_uin(uin)
        assert stored is not None
        assert (stored.region_code, stored.version) == (TOWN_A, 1)
        assert uow.residents.history(stored.id) == []


def test_search_by_name_and_partial_birth_date_ignores_accents_and_case(
    seeded: Container, client: TestClient, registrar: dict[str, str]
) -> None:
    so_80 = enrol(
        seeded, family_name_latin="Sŏ", given_name_latin="Ji-hŭn", date_of_birth="1980-02-03"
    )
    so_80b = enrol(
        seeded,
        family_name_latin="SO",
        given_name_latin="Jihun",
        date_of_birth="1980-07-01",
        region_code=TOWN_B,
    )
    enrol(seeded, family_name_latin="So", given_name_latin="Jihun", date_of_birth="1990-07-01")

    def search(**query: str) -> httpx.Response:
        response: httpx.Response = client.get("/residents", params=query, headers=registrar)
        return response

    found = search(family_name="so", given_name="JIHUN", date_of_birth="1980")
    assert sorted(_uins(found)) == sorted([so_80, so_80b])
    assert _uins(search(family_name="Sŏ", date_of_birth="1980-07")) == [so_80b]
    assert _uins(search(family_name="so", date_of_birth="1980-07-02")) == []
    assert len(_uins(search(family_name="휘몰", given_name="잇솔"))) == 3

    approver = _official(
        seeded, client, "approver", "approver", Scope(regions=frozenset({COUNTY_A}))
    )
    scoped = client.get(
        "/residents", params={"family_name": "so", "date_of_birth": "1980"}, headers=approver
    )
    assert _uins(scoped) == [so_80]


def test_search_pages_through_every_match_with_next_cursor(
    seeded: Container, client: TestClient, registrar: dict[str, str]
) -> None:
    uins = sorted(enrol(seeded, family_name_native="남궁") for _ in range(5))
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(3):
        params = {"family_name": "남궁", "limit": "2"} | ({"cursor": cursor} if cursor else {})
        page = client.get("/residents", params=params, headers=registrar)
        seen += _uins(page)
        cursor = page.json()["next_cursor"]
        if cursor is not None:
            assert cursor == seen[-1]
    assert seen == uins
    assert cursor is None


# --------------------------------------------------------------------------- problems


def _bad_check_digit(uin: str) -> str:
    return uin[:-1] + str((int(uin[-1]) + 1) % 10)


def _uin_in_path(box: Container, c: TestClient, h: dict[str, str]) -> Sent:
    bad = _bad_check_digit(enrol(box))
    return c.get(f"/residents/{bad}", headers=h), (bad,)


def _uin_in_query(box: Container, c: TestClient, h: dict[str, str]) -> Sent:
    bad = _bad_check_digit(enrol(box))
    return c.get("/residents", params={"uin": bad}, headers=h), (bad,)


def _uin_in_body(box: Container, c: TestClient, h: dict[str, str]) -> Sent:
    del box
    bad = _bad_check_digit(fresh_uin())
    return c.post("/residents", json=person(uin=bad), headers=h), (bad,)


def _post(**overrides: Any) -> Scenario:
    def scenario(box: Container, c: TestClient, h: dict[str, str]) -> Sent:
        del box
        body = person(**overrides)
        echoed = tuple(v for v in overrides.values() if isinstance(v, str) and len(v) > 3)
        return c.post("/residents", json=body, headers=h), echoed

    return scenario


def _patch(*steps: dict[str, Any]) -> Scenario:
    """PATCH one resident with each body in turn; the last answer is the one checked."""

    def scenario(box: Container, c: TestClient, h: dict[str, str]) -> Sent:
        uin = enrol(box)
        for step in steps[:-1]:
            first = c.patch(f"/residents/{uin}", json=step, headers=h)
            assert first.status_code == 200, first.text
        return c.patch(f"/residents/{uin}", json=steps[-1], headers=h), (uin,)

    return scenario


def _no_criterion(box: Container, c: TestClient, h: dict[str, str]) -> Sent:
    del box
    return c.get("/residents", params={"limit": "10"}, headers=h), ()


PROBLEMS: list[Any] = [
    pytest.param(_uin_in_path, 422, "uin_invalid", "uin", id="uin-check-digit-in-path"),
    pytest.param(_uin_in_query, 422, "uin_invalid", "uin", id="uin-check-digit-in-query"),
    pytest.param(_uin_in_body, 422, "uin_invalid", "uin", id="uin-check-digit-in-body"),
    pytest.param(
        _post(region_code="11099999"), 422, "validation_error", "region_code", id="unknown-region"
    ),
    pytest.param(
        _post(date_of_birth="2026-03-03"),
        422,
        "validation_error",
        "date_of_birth",
        id="future-date",
    ),
    pytest.param(
        _post(date_of_birth="2023-02-30"),
        422,
        "validation_error",
        "date_of_birth",
        id="impossible-date",
    ),
    pytest.param(
        _post(family_name_latin="Hwimolsky" * 23),
        422,
        "validation_error",
        "family_name_latin",
        id="oversize-field",
    ),
    pytest.param(
        _post(nickname="Sparrowhawk"), 422, "validation_error", "nickname", id="unknown-field"
    ),
    pytest.param(
        _patch({"address": "새주소 3"}),
        422,
        "validation_error",
        "reason",
        id="missing-reason",
    ),
    pytest.param(
        _patch({"address": "새주소 3", "reason": "   "}),
        422,
        "validation_error",
        "reason",
        id="blank-reason",
    ),
    pytest.param(
        _patch(
            {"address": "새주소 3", "reason": "r", "version": 1},
            {"address": "새주소 4", "reason": "r", "version": 1},
        ),
        409,
        "stale_version",
        "version",
        id="stale-version",
    ),
    pytest.param(
        _patch({"status": "deceased", "reason": "died"}, {"status": "active", "reason": "oops"}),
        409,
        "illegal_transition",
        "status",
        id="deceased-to-active",
    ),
    pytest.param(_no_criterion, 422, "validation_error", None, id="no-search-criterion"),
]


@pytest.mark.parametrize(("scenario", "status", "code", "field"), PROBLEMS)
def test_errors_are_problem_documents_without_personal_data(
    *,
    seeded: Container,
    client: TestClient,
    registrar: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    scenario: Scenario,
    status: int,
    code: str,
    field: str | None,
) -> None:
    caplog.set_level(logging.DEBUG, logger="carnet")
    response, sent = scenario(seeded, client, registrar)

    body = assert_problem(response, status, code, field=field, absent=(*PII, *sent))
    if field is None:
        assert "field" not in body
    assert any(r.name == "carnet.access" for r in caplog.records)  # the log was captured
    for value in (*PII, *sent):
        assert value not in caplog.text, f"the log holds {value!r}"
