"""Interoperability both ways: Carnet ⇄ the claim169 library and Carnet ⇄ pycose.

``claim169`` (PyPI, a Rust implementation of MOSIP Claim 169) and ``pycose``
are independent implementations: what they accept from Carnet and what Carnet
accepts from them is the evidence that our bytes follow the specifications.

pycose 1.1 cannot decode with cbor2 6 (cbor2 now returns a tag's array as a
tuple and ``CoseMessage.decode`` insists on a list), so :func:`_pycose_sign1`
does the outer CBOR decode and hands the four items to pycose's own
``Sign1Message.from_cose_obj``; everything else, including the signature
check, is pycose's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

import cbor2
import claim169
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from pycose.algorithms import EdDSA, Es256
from pycose.headers import KID, Algorithm
from pycose.keys.curves import P256, Ed25519
from pycose.keys.ec2 import EC2Key
from pycose.keys.okp import OKPKey
from pycose.messages.sign1message import Sign1Message

from carnet.credentials import claim169 as carnet169
from carnet.credentials.codec import decode_qr_text, encode_qr_text
from carnet.credentials.cose import PublicKey, parse_sign1, sign1, verify_sign1
from carnet.credentials.cwt import CwtClaims
from carnet.credentials.signing import Algorithm as CoseAlgorithm
from carnet.credentials.statuslist import StatusReference
from carnet.domain.errors import SignatureInvalidError

pytestmark = pytest.mark.integration

_P256_SCALAR = 0x5EC0_DE00_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0169_0169
_ED25519_SEED = bytes(range(100, 132))


@dataclass(frozen=True)
class _Signer:
    """A Carnet :class:`~carnet.credentials.signing.Signer` over an in-memory key."""

    private_key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

    @property
    def kid(self) -> bytes:
        der = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return hashlib.sha256(der).digest()[:8]

    @property
    def algorithm(self) -> CoseAlgorithm:
        if isinstance(self.private_key, ec.EllipticCurvePrivateKey):
            return CoseAlgorithm.ES256
        return CoseAlgorithm.EDDSA

    def sign(self, data: bytes) -> bytes:
        if isinstance(self.private_key, ec.EllipticCurvePrivateKey):
            r, s = decode_dss_signature(self.private_key.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return self.private_key.sign(data)

    @property
    def public_key(self) -> PublicKey:
        return self.private_key.public_key()


ES256 = _Signer(ec.derive_private_key(_P256_SCALAR, ec.SECP256R1()))
EDDSA = _Signer(ed25519.Ed25519PrivateKey.from_private_bytes(_ED25519_SEED))
SIGNERS = {"ES256": ES256, "EdDSA": EDDSA}


def _sec1(signer: _Signer) -> bytes:
    public_key = signer.private_key.public_key()
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _pycose_key(signer: _Signer, *, private: bool) -> EC2Key | OKPKey:
    """The signer's key as a pycose key; an empty ``d`` makes it public only."""
    key = signer.private_key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        numbers = key.private_numbers()
        return EC2Key(
            crv=P256,
            x=numbers.public_numbers.x.to_bytes(32, "big"),
            y=numbers.public_numbers.y.to_bytes(32, "big"),
            d=numbers.private_value.to_bytes(32, "big") if private else b"",
        )
    return OKPKey(
        crv=Ed25519,
        x=_sec1(signer),
        d=_private_bytes(signer) if private else b"",
    )


def _pycose_sign1(data: bytes) -> Sign1Message:
    message = cbor2.loads(data)
    assert message.tag == 18
    protected, unprotected, payload, signature = message.value
    return Sign1Message.from_cose_obj([protected, dict(unprotected), payload, signature], True)


def _identity(**overrides: object) -> carnet169.Identity169:
    values: dict[str, object] = {
        "uin": "840115203917",
        "full_name": "KIM MINJUN",
        "given_name": "MINJUN",
        "family_name": "KIM",
        "secondary_full_name": "김민준",
        "secondary_language": "kor",
        "date_of_birth": carnet169.BirthDate(1984, 1, 15),
        "gender": carnet169.Gender.MALE,
        "address": "12 Sejong-daero, Jongno-gu, Seoul 03154",
        "nationality": "KOR",
    }
    values.update(overrides)
    return carnet169.Identity169(**values)  # type: ignore[arg-type]


def _claims(**identity: object) -> CwtClaims:
    return CwtClaims(
        issuer="https://id.carnet.kr",
        issued_at=datetime(2025, 3, 1, tzinfo=UTC),
        not_before=datetime(2025, 3, 1, tzinfo=UTC),
        expires_at=datetime(2035, 2, 28, tzinfo=UTC),
        identity=_identity(**identity),
        status=StatusReference(uri="https://id.carnet.kr/sl/7", idx=131_071),
        document_type="ID",
        document_number="M84011520",
    )


# ------------------------------------------------------- Carnet -> claim169


def _claim169_decode(text: str, signer: _Signer) -> claim169.DecodeResult:
    if signer is ES256:
        return claim169.decode_with_ecdsa_p256(text, _sec1(signer), validate_timestamps=False)
    return claim169.decode_with_ed25519(text, _sec1(signer), validate_timestamps=False)


@pytest.mark.parametrize("alg", SIGNERS)
def test_claim169_verifies_and_reads_a_carnet_qr(alg: str) -> None:
    signer = SIGNERS[alg]
    text = encode_qr_text(sign1(_claims().to_cbor(), signer))
    result = _claim169_decode(text, signer)
    assert result.is_verified()
    assert result.detected_compression == "zlib"
    person = result.claim169
    assert person.id == "840115203917"
    assert person.full_name == "KIM MINJUN"
    assert person.first_name == "MINJUN"
    assert person.last_name == "KIM"
    assert person.secondary_full_name == "김민준"
    assert person.secondary_language == "kor"
    assert person.date_of_birth == "19840115"
    assert person.gender == claim169.Gender.MALE
    assert person.address == "12 Sejong-daero, Jongno-gu, Seoul 03154"
    assert person.nationality == "KOR"
    meta = result.cwt_meta
    assert meta.issuer == "https://id.carnet.kr"
    assert meta.expires_at == int(datetime(2035, 2, 28, tzinfo=UTC).timestamp())
    assert meta.not_before == int(datetime(2025, 3, 1, tzinfo=UTC).timestamp())
    assert meta.issued_at == meta.not_before
    inspected = claim169.inspect(text)
    assert inspected.key_id == signer.kid
    assert inspected.algorithm == alg
    assert inspected.cose_type == "Sign1"


def test_claim169_reads_the_photo_from_the_face_biometric() -> None:
    photo = b"\xff\xd8\xff\xe0 synthetic JPEG \xff\xd9"
    claims = _claims(photo=photo, photo_format=carnet169.PhotoFormat.JPEG)
    result = _claim169_decode(encode_qr_text(sign1(claims.to_cbor(), ES256)), ES256)
    faces = result.claim169.face
    assert faces is not None
    assert [(face.data, face.format, face.sub_format) for face in faces] == [(photo, 0, 1)]


def test_claim169_rejects_a_carnet_qr_signed_by_another_key() -> None:
    text = encode_qr_text(sign1(_claims().to_cbor(), ES256))
    other = _Signer(ec.derive_private_key(_P256_SCALAR + 1, ec.SECP256R1()))
    with pytest.raises(claim169.Claim169Exception):
        _claim169_decode(text, other)


# ------------------------------------------------------- claim169 -> Carnet


def _claim169_input() -> tuple[claim169.Claim169Input, claim169.CwtMetaInput]:
    person = claim169.Claim169Input(id="840115203917", full_name="KIM MINJUN")
    person.secondary_full_name = "김민준"
    person.secondary_language = "kor"
    person.date_of_birth = "1984-01-15"  # the library's own examples use ISO dates
    person.gender = claim169.Gender.FEMALE
    person.address = "12 Sejong-daero, Jongno-gu, Seoul 03154"
    person.nationality = "KOR"
    person.photo = b"\xff\xd8 photo"
    person.photo_format = claim169.PhotoFormat.JPEG
    meta = claim169.CwtMetaInput(issuer="https://issuer.example", expires_at=2_056_320_000)
    meta.not_before = 1_740_787_200
    return person, meta


def _check_claim169_claims(claims: CwtClaims) -> None:
    assert claims.issuer == "https://issuer.example"
    assert claims.expires_at == datetime.fromtimestamp(2_056_320_000, UTC)
    assert claims.not_before == datetime.fromtimestamp(1_740_787_200, UTC)
    assert claims.identity == carnet169.Identity169(
        uin="840115203917",
        full_name="KIM MINJUN",
        secondary_full_name="김민준",
        secondary_language="kor",
        date_of_birth=carnet169.BirthDate(1984, 1, 15),
        gender=carnet169.Gender.FEMALE,
        address="12 Sejong-daero, Jongno-gu, Seoul 03154",
        nationality="KOR",
        photo=b"\xff\xd8 photo",
        photo_format=carnet169.PhotoFormat.JPEG,  # read from the deprecated 16/17 pair
    )


def _private_bytes(signer: _Signer) -> bytes:
    key = signer.private_key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.private_numbers().private_value.to_bytes(32, "big")
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


@pytest.mark.parametrize("alg", SIGNERS)
def test_carnet_verifies_and_reads_a_claim169_qr(alg: str) -> None:
    signer = SIGNERS[alg]
    person, meta = _claim169_input()
    encode = claim169.encode_with_ecdsa_p256 if signer is ES256 else claim169.encode_with_ed25519
    text = encode(person, meta, _private_bytes(signer))
    msg = parse_sign1(decode_qr_text(text))
    assert msg.alg is signer.algorithm
    assert msg.kid is None  # the library writes no kid unless asked
    _check_claim169_claims(CwtClaims.from_cbor(verify_sign1(msg, signer.public_key)))
    with pytest.raises(SignatureInvalidError):
        verify_sign1(msg, (EDDSA if signer is ES256 else ES256).public_key)


@pytest.mark.parametrize("alg", SIGNERS)
def test_claim169_signs_through_a_carnet_signer(alg: str) -> None:
    # claim169's external-signer hook calls a Carnet Signer: same Sig_structure, same format.
    signer = SIGNERS[alg]
    person, meta = _claim169_input()
    text = claim169.encode_with_signer(
        person, meta, lambda _alg, _kid, data: signer.sign(data), alg, key_id=signer.kid
    )
    msg = parse_sign1(decode_qr_text(text))
    assert msg.kid == signer.kid
    _check_claim169_claims(CwtClaims.from_cbor(verify_sign1(msg, signer.public_key)))


# ---------------------------------------------------------- Carnet <-> pycose


@pytest.mark.parametrize("alg", SIGNERS)
def test_pycose_verifies_a_carnet_message(alg: str) -> None:
    signer = SIGNERS[alg]
    payload = _claims().to_cbor()
    message = _pycose_sign1(sign1(payload, signer))
    message.key = _pycose_key(signer, private=False)
    assert message.verify_signature()
    assert message.payload == payload
    assert message.get_attr(KID) == signer.kid
    assert message.get_attr(Algorithm) is (Es256 if signer is ES256 else EdDSA)


@pytest.mark.parametrize("alg", SIGNERS)
def test_pycose_rejects_a_tampered_carnet_message(alg: str) -> None:
    signer = SIGNERS[alg]
    message = _pycose_sign1(sign1(b"payload", signer))
    message.payload = b"Payload"
    message.key = _pycose_key(signer, private=False)
    assert not message.verify_signature()


@pytest.mark.parametrize("alg", SIGNERS)
@pytest.mark.parametrize("kid_protected", [False, True])
def test_carnet_verifies_a_pycose_message(alg: str, kid_protected: bool) -> None:
    signer = SIGNERS[alg]
    payload = _claims().to_cbor()
    headers = {Algorithm: Es256 if signer is ES256 else EdDSA}
    kid = {KID: signer.kid}
    message = Sign1Message(
        phdr={**headers, **(kid if kid_protected else {})},
        uhdr={} if kid_protected else kid,
        payload=payload,
    )
    message.key = _pycose_key(signer, private=True)
    msg = parse_sign1(message.encode())
    assert msg.alg is signer.algorithm
    assert msg.kid == signer.kid
    assert verify_sign1(msg, signer.public_key) == payload
    assert CwtClaims.from_cbor(payload) == _claims()
