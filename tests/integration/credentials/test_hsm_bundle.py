"""Keys in an HSM: a bundle and credentials signed inside SoftHSM2 verify offline.

Every key of the issuer workspace (root, bundle signer, status-list signer and
document signers) is generated in a throwaway SoftHSM2 token and never leaves it;
the checkpoint only needs the bundle and the pinned root. Without SoftHSM2 these
tests skip with the install command, unless ``CARNET_REQUIRE_ALL=1``.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from carnet.credentials.bundle import parse_bundle
from carnet.credentials.signing import Algorithm
from carnet.credentials.statuslist import Status
from carnet.credentials.verifier import verify
from carnet.services.issuer_workspace import IssuerWorkspace
from tests.integration.keys.conftest import softhsm_token  # noqa: F401 - the fixture

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from carnet.adapters.keys.pkcs11 import Pkcs11KeyStore
    from tests.integration.keys.conftest import SoftHsmToken

pytestmark = [pytest.mark.integration, pytest.mark.hsm]

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
IDENTITY = {"full_name": "JUNG HAEIN", "date_of_birth": "1979-11-30", "gender": "male"}


@pytest.fixture
def hsm(softhsm_token: SoftHsmToken) -> Iterator[Pkcs11KeyStore]:  # noqa: F811 - uses the fixture
    store = softhsm_token.store()
    yield store
    store.close()


@pytest.mark.parametrize("algorithm", list(Algorithm), ids=lambda a: a.name)
def test_a_bundle_and_credential_signed_in_the_hsm_verify(
    hsm: Pkcs11KeyStore, tmp_path: Path, algorithm: Algorithm
) -> None:
    workspace = IssuerWorkspace(tmp_path / "issuer", hsm, rng=secrets.SystemRandom())
    root_kid = workspace.init(now=NOW, algorithm=algorithm)
    signer = workspace.add_signer(
        authority="Civil Registry", document_type="passport", now=NOW, algorithm=algorithm
    )
    assert {root_kid, signer.kid} <= set(hsm.list_kids())
    workspace.create_status_list()
    issued = workspace.issue_test_credential(
        IDENTITY, document_type="passport", document_number="P7654321", now=NOW
    )
    assert issued.signer_kid == signer.kid
    bundle = parse_bundle(workspace.export_bundle(now=NOW), workspace.root_certificate(), NOW)
    assert bundle.signer.algorithm is algorithm
    verdict = verify(issued.qr_text, bundle, "boarding", NOW + timedelta(hours=1))
    assert verdict.is_valid, verdict
    assert dict(verdict.disclosed) == {"name": "JUNG HAEIN", "document_number": "P7654321"}

    workspace.set_status(issued.status.uri, issued.status.idx, Status.INVALID)
    bundle = parse_bundle(workspace.export_bundle(now=NOW), workspace.root_certificate(), NOW)
    assert verify(issued.qr_text, bundle, "boarding", NOW).reasons == ("revoked",)


def test_the_hsm_root_revokes_a_signer_held_in_the_hsm(hsm: Pkcs11KeyStore, tmp_path: Path) -> None:
    workspace = IssuerWorkspace(tmp_path / "issuer", hsm, rng=secrets.SystemRandom())
    workspace.init(now=NOW)
    old = workspace.add_signer(authority="Zone Office", document_type="zone_permit", now=NOW)
    workspace.create_status_list()
    before = workspace.issue_test_credential(
        IDENTITY, document_type="zone_permit", document_number="Z1", now=NOW, zone="ZONE-A"
    )
    workspace.add_signer(authority="Zone Office", document_type="zone_permit", now=NOW)
    after = workspace.issue_test_credential(
        IDENTITY, document_type="zone_permit", document_number="Z2", now=NOW, zone="ZONE-A"
    )
    assert after.signer_kid != old.kid
    bundle = parse_bundle(workspace.export_bundle(now=NOW), workspace.root_certificate(), NOW)
    assert verify(before.qr_text, bundle, "zone_entry", NOW, zone="ZONE-A").is_valid
    workspace.revoke_signer(old.kid, now=NOW)
    bundle = parse_bundle(workspace.export_bundle(now=NOW), workspace.root_certificate(), NOW)
    assert verify(before.qr_text, bundle, "zone_entry", NOW, zone="ZONE-A").reasons == (
        "signer_revoked",
    )
    assert verify(after.qr_text, bundle, "zone_entry", NOW, zone="ZONE-A").is_valid
