"""The PKI with its keys behind real key stores: encrypted files and a SoftHSM2 token.

The root signs certificates, CRLs and the trust list through a Signer only, so the
same flow must hold whether the root key sits in a file or in the HSM.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from carnet.adapters.keys.files import FileKeyStore
from carnet.credentials.pki import RootAuthority, validate_signer
from carnet.credentials.signing import Algorithm
from carnet.credentials.trustlist import TrustList, parse_trust_list, sign_trust_list
from carnet.domain.errors import SignerRevokedError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from carnet.services.ports import KeyStore
    from tests.integration.keys.conftest import SoftHsmToken

pytestmark = pytest.mark.integration

T0 = datetime(2025, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)
ROOT_NAME = x509.Name(
    [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "ZZ"),
        x509.NameAttribute(NameOID.COMMON_NAME, "Carnet Integration Root"),
    ]
)


@pytest.fixture
def file_store(tmp_path: Path) -> FileKeyStore:
    return FileKeyStore(tmp_path / "keys", "integration passphrase")


@pytest.fixture
def hsm_store(softhsm_token: SoftHsmToken) -> Iterator[KeyStore]:
    store = softhsm_token.store()
    yield store
    store.close()


def _run_lifecycle(root_store: KeyStore, ds_store: KeyStore, algorithm: Algorithm) -> None:
    """Root → DS certificate → signed trust list → verify → rotate → revoke."""
    root_kid = root_store.create_key("root", algorithm)
    root_signer = root_store.signer(root_kid)
    root = RootAuthority.create(
        root_signer,
        root_store.public_key_der(root_kid),
        ROOT_NAME,
        T0,
        T0 + 3650 * DAY,
        serial_number=1,
    )
    old_kid = ds_store.create_key("ds-national-id-1", algorithm)
    new_kid = ds_store.create_key("ds-national-id-2", Algorithm.ES256)
    old, new = (
        root.issue_signer_certificate(
            ds_store.public_key_der(kid),
            authority="Civil Registry",
            document_type="national_id",
            not_before=T0,
            not_after=T0 + 800 * DAY,
            serial_number=serial,
        )
        for serial, kid in ((10, old_kid), (11, new_kid))
    )
    crl = root.issue_crl(this_update=T0, next_update=T0 + 400 * DAY)
    signed = sign_trust_list(TrustList(root.certificate, (old, new), crl, T0), root_signer)
    trust = parse_trust_list(signed, root.certificate)

    now = T0 + 10 * DAY
    for kid in (old_kid, new_kid):
        info = validate_signer(kid, trust, now)
        assert (info.authority, info.document_type) == ("Civil Registry", "national_id")
        info.verify(b"claims", ds_store.signer(kid).sign(b"claims"))

    revoked_crl = root.revoke(
        old, revoked_at=now, this_update=now, next_update=now + 30 * DAY, previous=crl
    )
    signed = sign_trust_list(TrustList(root.certificate, (old, new), revoked_crl, now), root_signer)
    trust = parse_trust_list(signed, root.certificate)
    with pytest.raises(SignerRevokedError):
        validate_signer(old_kid, trust, now + DAY)
    assert validate_signer(new_kid, trust, now + DAY).serial_number == 11


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_lifecycle_with_file_keys(file_store: FileKeyStore, algorithm: Algorithm) -> None:
    _run_lifecycle(file_store, file_store, algorithm)


@pytest.mark.hsm
@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_lifecycle_with_hsm_keys(hsm_store: KeyStore, algorithm: Algorithm) -> None:
    _run_lifecycle(hsm_store, hsm_store, algorithm)


@pytest.mark.hsm
def test_lifecycle_with_the_root_in_the_hsm_and_signers_in_files(
    hsm_store: KeyStore, file_store: FileKeyStore
) -> None:
    _run_lifecycle(hsm_store, file_store, Algorithm.ES256)
