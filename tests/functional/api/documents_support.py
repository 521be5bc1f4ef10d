"""The app set up for documents: an issuer with a signer per type, and a desk of helpers.

:func:`create_issuer` makes a fresh issuer workspace (root, service signers and a
document signer for each document type of the catalogue) in the directories the
container's settings name. :func:`open_desk` yields the app on a fresh database
with the region tree, the issuer, and a :class:`Desk` of helpers that drive
documents through the API; test modules wrap it in a fixture::

    @pytest.fixture
    def desk(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Desk]:
        yield from open_desk(database_url, tmp_path, clock)
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.exceptions import StarletteDeprecationWarning

from carnet.bootstrap import bootstrap
from carnet.config import Settings
from carnet.credentials.bundle import parse_bundle
from carnet.credentials.verifier import verify
from carnet.domain.messages import Channel
from carnet.domain.officials import Role, Scope
from carnet.entrypoints.api.app import create_app
from carnet.services import documents, registry, residents_portal
from carnet.services.issuance import status_uri
from tests.factories import TOWN_A, create_official, load_reference_data, principal, resident_data
from tests.fakes import FakePasswordHasher
from tests.functional.api.support import bearer, sign_in

with warnings.catch_warnings():
    # As in tests/functional/ledger/support.py: only the test client's import warning.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    import httpx2 as httpx

    from carnet.bootstrap import Container
    from carnet.credentials.verifier import Verdict
    from carnet.domain.documents import Document
    from tests.fakes import FakeClock

__all__ = [
    "ADULT_BIRTH_DATE",
    "DOCUMENT_TYPES",
    "IDENTITY_CHECK",
    "Desk",
    "Headers",
    "Staff",
    "create_issuer",
    "document_settings",
    "open_desk",
    "zone_permit_attributes",
]

DOCUMENT_TYPES = ("national_id_card", "residence_certificate", "zone_permit", "passport")
ADULT_BIRTH_DATE = "1984-06-15"  # old enough for every type (a national ID needs 17)
IDENTITY_CHECK = "photo_match"
Headers = dict[str, str]
Staff = dict[str, Headers]


def create_issuer(box: Container) -> None:
    """Create the issuer workspace of ``box``'s settings, with a signer for every type."""
    workspace = box.issuer_workspace()
    catalogue = box.catalogue()
    now = box.clock.now()
    workspace.init(now=now, authority=catalogue.authority)
    for document_type in catalogue.types:
        workspace.add_signer(authority=catalogue.authority, document_type=document_type, now=now)


def document_settings(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    """Settings whose key, issuer and export directories lie under ``tmp_path``."""
    return Settings(
        environment="test",
        database_url=database_url,
        key_dir=str(tmp_path / "keys"),
        issuer_dir=str(tmp_path / "issuer"),
        export_dir=str(tmp_path / "exports"),
        _env_file=None,
        **overrides,
    )


def zone_permit_attributes(**overrides: Any) -> dict[str, Any]:
    """Valid zone-permit attributes: a week in TOWN_A, starting in a month."""
    values: dict[str, Any] = {
        "zone": TOWN_A,
        "entry_from": "2026-04-01",
        "entry_until": "2026-04-07",
        "purpose": "family visit",
    }
    values.update(overrides)
    return values


@dataclass
class Desk:
    """The app, its container, and helpers that take documents through the API."""

    client: TestClient
    box: Container
    clock: FakeClock
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def unique(self) -> int:
        return next(self.counter)

    # ------------------------------------------------------------------ people

    def official(
        self,
        username: str,
        *roles: str,
        scope: Scope | None = None,
        station: str | None = None,
    ) -> Headers:
        """Create an official and sign them in (at ``station``); return their headers."""
        create_official(
            self.box.uow(),
            self.box.hasher,
            self.clock,
            username=username,
            roles=roles,
            scope=scope or Scope(national=True),
        )
        if station is None:
            return bearer(sign_in(self.client, username))
        body = {"username": username, "password": "correct horse battery", "station": station}
        response = self.client.post("/auth/token", json=body)
        assert response.status_code == 200, response.text
        return bearer(response.json()["access_token"])

    def enrol(self, **overrides: Any) -> str:
        """Enrol an adult resident of TOWN_A (set-up, through the use case); return the UIN."""
        data = resident_data(
            region_code=TOWN_A,
            date_of_birth=ADULT_BIRTH_DATE,
            phone=f"+82 10 {self.unique():08d}",
        )
        data.update(overrides)
        resident = registry.enrol_resident(
            self.box.uow(),
            principal(Role.REGISTRAR, national=True),
            data,
            clock=self.clock,
            random_bytes=self.box.random_bytes,
        )
        return resident.uin

    def resident_headers(self, uin: str) -> Headers:
        """Sign a resident in through the portal (the code read from the outbox)."""
        with self.box.uow() as uow:
            resident = uow.residents.get_by_uin(uin)
        assert resident is not None
        assert resident.phone is not None
        residents_portal.request_code(self.box.uow(), uin, channel=Channel.SMS, clock=self.clock)
        with self.box.uow() as uow:
            due = uow.outbox.due(self.clock.now(), 10_000)
        codes = [m for m in due if m.recipient == resident.phone and m.template == "resident_code"]
        code = codes[-1].params["code"]
        response = self.client.post("/me/token", json={"uin": uin, "code": code})
        assert response.status_code == 200, response.text
        return bearer(response.json()["access_token"])

    # ------------------------------------------------------------ applications

    def apply(
        self,
        headers: Headers,
        uin: str,
        document_type: str,
        attributes: dict[str, Any] | None = None,
        **extra: Any,
    ) -> httpx.Response:
        """``POST /applications`` (collected at ST-A unless ``station_code`` is given)."""
        body = {
            "uin": uin,
            "document_type": document_type,
            "attributes": attributes or {},
            "station_code": "ST-A",
            **extra,
        }
        return self.client.post("/applications", json=body, headers=headers)

    def approve(self, headers: Headers, application_id: str, reason: str = "checked") -> Any:
        """Approve; return the answer's JSON (the approval must succeed)."""
        response = self.client.post(
            f"/applications/{application_id}/approve", json={"reason": reason}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    # ---------------------------------------------------------------- lifecycle

    def print_run(self, headers: Headers, station: str = "ST-A", limit: int = 100) -> Any:
        """Print the station's issued documents; return the run's JSON."""
        response = self.client.post(
            f"/stations/{station}/print-runs", json={"limit": limit}, headers=headers
        )
        assert response.status_code == 201, response.text
        return response.json()

    def dispatch(self, headers: Headers, run_id: str) -> Any:
        response = self.client.post(f"/print-runs/{run_id}/dispatch", headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    def receive(self, headers: Headers, document_id: str, station: str = "ST-A") -> Any:
        response = self.client.post(
            f"/documents/{document_id}/receive", json={"station_code": station}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    def collect(
        self, headers: Headers, document_id: str, uin: str, station: str = "ST-A"
    ) -> httpx.Response:
        body = {"station_code": station, "identity_check": IDENTITY_CHECK, "presented_uin": uin}
        return self.client.post(f"/documents/{document_id}/collect", json=body, headers=headers)

    def deliver(
        self, issuer: Headers, registrar: Headers, document_id: str, station: str = "ST-A"
    ) -> None:
        """Print, dispatch and receive an issued document at its station."""
        run = self.print_run(issuer, station)
        assert document_id in run["document_ids"]
        self.dispatch(issuer, run["id"])
        self.receive(registrar, document_id, station)

    # ------------------------------------------------------------------ shortcuts

    def hire_staff(self) -> Staff:
        """A registrar signed in at ST-A, two approvers and two issuers, all national."""
        return {
            "registrar": self.official("registrar", "registrar", station="ST-A"),
            "approver": self.official("approver", "approver"),
            "approver2": self.official("approver2", "approver"),
            "issuer": self.official("issuer", "issuer"),
            "issuer2": self.official("issuer2", "issuer"),
        }

    def issue(
        self,
        staff: Staff,
        uin: str,
        document_type: str = "national_id_card",
        attributes: dict[str, Any] | None = None,
    ) -> str:
        """Apply for a type needing one approval and approve it; return the document id."""
        created = self.apply(staff["registrar"], uin, document_type, attributes)
        assert created.status_code == 201, created.text
        issued = self.approve(staff["approver"], created.json()["id"])
        assert issued["state"] == "issued"
        document_id: str = issued["document_id"]
        return document_id

    def ready(self, staff: Staff, uin: str) -> str:
        """A national identity card ready for collection at ST-A; return its id."""
        document_id = self.issue(staff, uin)
        self.deliver(staff["issuer"], staff["registrar"], document_id)
        return document_id

    def collected(self, staff: Staff, uin: str) -> str:
        """A national identity card in its holder's hands; return its id."""
        document_id = self.ready(staff, uin)
        collected = self.collect(staff["registrar"], document_id, uin)
        assert collected.status_code == 200, collected.text
        return document_id

    # ------------------------------------------------------------------ storage

    def status_entry(self, document_id: str) -> int:
        """The document's entry in the status lists the database publishes."""
        document = self.document(document_id)
        lists = documents.status_lists(self.box.uow())
        uri = status_uri(self.box.settings.status_base_uri, document.status_list_id)
        return lists[uri].get(document.status_idx)

    def checkpoint_verdict(
        self, document_id: str, purpose: str = "identity_check", zone: str | None = None
    ) -> Verdict:
        """What a checkpoint holding a fresh bundle says about the document's QR code."""
        now = self.clock.now()
        workspace = self.box.issuer_workspace()
        lists = documents.status_lists(self.box.uow())
        bundle = parse_bundle(
            workspace.export_bundle(now=now, status_lists=lists), workspace.root_certificate(), now
        )
        return verify(self.document(document_id).qr_text, bundle, purpose, now, zone=zone)

    def document(self, document_id: str) -> Document:
        """The stored document (with what the API never shows)."""
        with self.box.uow() as uow:
            found = uow.documents.get(document_id)
        assert found is not None
        return found

    def documents_of(self, uin: str) -> list[Document]:
        with self.box.uow() as uow:
            resident = uow.residents.get_by_uin(uin)
            assert resident is not None
            return uow.documents.for_resident(resident.id)

    def log_size(self) -> int:
        with self.box.uow() as uow:
            return uow.ledger.head().size


def open_desk(
    database_url: str, tmp_path: Path, clock: FakeClock, **settings: Any
) -> Iterator[Desk]:
    """Yield a desk on ``database_url`` with the region tree and an issuer."""
    config = document_settings(database_url, tmp_path, **settings)
    box = bootstrap(config, clock=clock, hasher=FakePasswordHasher())
    try:
        load_reference_data(box.uow)
        create_issuer(box)
        with TestClient(create_app(config, box)) as client:
            yield Desk(client=client, box=box, clock=clock)
    finally:
        box.close()
