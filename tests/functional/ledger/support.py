"""The app on a fresh database with one official per role, for the ledger's API tests."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.exceptions import StarletteDeprecationWarning

from carnet.bootstrap import bootstrap
from carnet.config import Settings
from carnet.domain.officials import Scope
from carnet.entrypoints.api.app import create_app
from tests.factories import COUNTY_A, TOWN_A, create_official, load_reference_data, resident_data
from tests.fakes import FakePasswordHasher

with warnings.catch_warnings():
    # Starlette warns at import time that plain httpx backs its test client (as
    # tests/functional/api/support.py explains); only that warning is silenced.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from carnet.bootstrap import Container
    from tests.fakes import FakeClock

__all__ = ["PASSWORD", "Api", "TestClient", "bearer", "open_api"]

PASSWORD = "correct horse battery"
OFFICIALS: dict[str, tuple[tuple[str, ...], Scope]] = {
    "admin": (("admin",), Scope(national=True)),
    "admin2": (("admin",), Scope(national=True)),
    "registrar": (("registrar",), Scope(national=True)),
    "registrar2": (("registrar",), Scope(national=True)),
    "registrar.a": (("registrar",), Scope(regions=frozenset({COUNTY_A}))),
    "auditor": (("auditor",), Scope(national=True)),
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Api:
    """A client, its container, a token per official, and a resident to read."""

    client: TestClient
    box: Container
    clock: FakeClock
    tokens: dict[str, str] = field(default_factory=dict)
    uin: str = ""
    counter: int = 0

    def headers(self, who: str) -> dict[str, str]:
        return bearer(self.tokens[who])

    def unique(self) -> int:
        self.counter += 1
        return self.counter

    def sign_in(self, username: str, **extra: Any) -> str:
        body = {"username": username, "password": PASSWORD, **extra}
        response = self.client.post("/auth/token", json=body)
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    def size(self) -> int:
        with self.box.uow() as uow:
            return uow.ledger.head().size

    def official_id(self, username: str) -> str:
        with self.box.uow() as uow:
            found = uow.officials.get_by_username(username)
        assert found is not None
        return found.id

    def enrol(self) -> str:
        body = resident_data(region_code=TOWN_A)
        response = self.client.post("/residents", json=body, headers=self.headers("registrar"))
        assert response.status_code == 201, response.text
        uin: str = response.json()["uin"]
        return uin


def open_api(database_url: str, tmp_path: Path, clock: FakeClock, **settings: Any) -> Iterator[Api]:
    """Yield the app on ``database_url`` with officials signed in and one resident."""
    config = Settings(
        environment="test",
        database_url=database_url,
        key_dir=str(tmp_path / "keys"),
        export_dir=str(tmp_path / "exports"),
        _env_file=None,
        **settings,
    )
    box = bootstrap(config, clock=clock, hasher=FakePasswordHasher())
    try:
        load_reference_data(box.uow)
        for username, (roles, scope) in OFFICIALS.items():
            create_official(
                box.uow(), box.hasher, clock, username=username, roles=roles, scope=scope
            )
        with TestClient(create_app(config, box)) as client:
            api = Api(client=client, box=box, clock=clock)
            for username in OFFICIALS:
                api.tokens[username] = api.sign_in(username)
            api.uin = api.enrol()
            yield api
    finally:
        box.close()
