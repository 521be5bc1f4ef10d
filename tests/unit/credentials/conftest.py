"""Fixtures for the signed-QR stack: in-memory signers and a synthetic identity.

The identities are synthetic; no real person's data appears in these tests.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from carnet.credentials.claim169 import BirthDate, Gender, Identity169
from carnet.credentials.cwt import CwtClaims
from carnet.credentials.signing import Algorithm, Signer
from carnet.credentials.statuslist import StatusReference

if TYPE_CHECKING:
    from collections.abc import Callable

# Fixed private keys, so that failures reproduce byte for byte.
_P256_SCALAR = 0x1F5E_C0DE_CA2E_7000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0001
_ED25519_SEED = bytes(range(32))
# RFC 6979 nonces: the same key and message give the same signature, so sizes reproduce.
_DETERMINISTIC_ECDSA = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)


def key_id(public_key: ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey) -> bytes:
    """Carnet's kid: the first 8 bytes of SHA-256 over the DER SubjectPublicKeyInfo."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).digest()[:8]


@dataclass(frozen=True)
class InMemorySigner:
    """A :class:`Signer` over a private key held in memory (tests only)."""

    private_key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

    @property
    def kid(self) -> bytes:
        return key_id(self.private_key.public_key())

    @property
    def algorithm(self) -> Algorithm:
        if isinstance(self.private_key, ec.EllipticCurvePrivateKey):
            return Algorithm.ES256
        return Algorithm.EDDSA

    def sign(self, data: bytes) -> bytes:
        if isinstance(self.private_key, ec.EllipticCurvePrivateKey):
            r, s = decode_dss_signature(self.private_key.sign(data, _DETERMINISTIC_ECDSA))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return self.private_key.sign(data)


@pytest.fixture(scope="session")
def es256_signer() -> Signer:
    return InMemorySigner(ec.derive_private_key(_P256_SCALAR, ec.SECP256R1()))


@pytest.fixture(scope="session")
def eddsa_signer() -> Signer:
    return InMemorySigner(ed25519.Ed25519PrivateKey.from_private_bytes(_ED25519_SEED))


@pytest.fixture(scope="session")
def es256_public_key(es256_signer: InMemorySigner) -> ec.EllipticCurvePublicKey:
    public_key = es256_signer.private_key.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    return public_key


@pytest.fixture(scope="session")
def eddsa_public_key(eddsa_signer: InMemorySigner) -> ed25519.Ed25519PublicKey:
    public_key = eddsa_signer.private_key.public_key()
    assert isinstance(public_key, ed25519.Ed25519PublicKey)
    return public_key


def korean_identity(**overrides: object) -> Identity169:
    """A synthetic Korean resident: Hangul and Latin names, 12-digit UIN, Latin address."""
    values: dict[str, object] = {
        "uin": "840115203917",
        "full_name": "KIM MINJUN",
        "given_name": "MINJUN",
        "family_name": "KIM",
        "secondary_full_name": "김민준",
        "secondary_language": "kor",
        "date_of_birth": BirthDate(1984, 1, 15),
        "gender": Gender.MALE,
        "address": "12 Sejong-daero, Jongno-gu, Seoul 03154",
        "nationality": "KOR",
    }
    values.update(overrides)
    return Identity169(**values)  # type: ignore[arg-type]


def national_id_claims(**overrides: object) -> CwtClaims:
    """The claims of a synthetic national ID card (no photo)."""
    values: dict[str, object] = {
        "not_before": datetime(2025, 3, 1, tzinfo=UTC),
        "expires_at": datetime(2035, 2, 28, tzinfo=UTC),
        "identity": korean_identity(),
        "status": StatusReference(uri="https://id.carnet.kr/sl/7", idx=131_071),
        "document_type": "ID",
        "document_number": "M84011520",
    }
    values.update(overrides)
    return CwtClaims(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def make_identity() -> Callable[..., Identity169]:
    return korean_identity


@pytest.fixture(scope="session")
def make_claims() -> Callable[..., CwtClaims]:
    return national_id_claims
