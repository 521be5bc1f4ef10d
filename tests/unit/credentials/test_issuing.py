"""Issuing: the claims a credential carries, its QR text, and identities from JSON."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta
from typing import Any

import pytest

from carnet.credentials.claim169 import BirthDate, Gender, Identity169, PhotoFormat
from carnet.credentials.codec import DEFAULT_MAX_TEXT_LENGTH, decode_qr_text
from carnet.credentials.cose import parse_sign1, verify_sign1
from carnet.credentials.cwt import CwtClaims
from carnet.credentials.issuing import identity_from_mapping, issue_credential
from carnet.credentials.signing import Algorithm
from carnet.credentials.statuslist import StatusReference
from carnet.domain.errors import ValidationError
from tests.unit.credentials.test_bundle import NOW, STATUS_URI, KeySigner, person

pytestmark = pytest.mark.unit

START = NOW - timedelta(days=10)
END = NOW + timedelta(days=365)


def issue(signer: KeySigner | None = None, **changes: Any) -> str:
    arguments: dict[str, Any] = {
        "document_type": "zone_permit",
        "document_number": "ZP-000123",
        "status": StatusReference(STATUS_URI, 99),
        "valid_from": START,
        "valid_until": END,
        "zone": "ZONE-A",
        "signer": signer or KeySigner(),
        "now": NOW,
    }
    arguments.update(changes)
    identity = arguments.pop("identity", person())
    return issue_credential(identity, **arguments)


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_the_qr_text_carries_a_signed_cwt_with_every_claim(algorithm: Algorithm) -> None:
    signer = KeySigner(algorithm)
    text = issue(signer, issuer="Zone Office", purposes=["zone_entry"])
    message = parse_sign1(decode_qr_text(text))
    assert message.kid == signer.kid
    assert message.alg is algorithm
    claims = CwtClaims.from_cbor(verify_sign1(message, signer.key.public_key()))
    assert claims.identity == person()
    assert claims.document_type == "zone_permit"
    assert claims.document_number == "ZP-000123"
    assert claims.status == StatusReference(STATUS_URI, 99)
    assert claims.not_before == START
    assert claims.expires_at == END
    assert claims.issued_at == NOW
    assert claims.permit_zone == "ZONE-A"
    assert claims.issuer == "Zone Office"
    assert claims.purposes == ("zone_entry",)


def test_optional_claims_stay_out_when_not_given() -> None:
    signer = KeySigner()
    text = issue(signer, zone=None)
    claims = CwtClaims.from_cbor(parse_sign1(decode_qr_text(text)).payload)
    assert claims.permit_zone is None
    assert claims.issuer is None
    assert claims.purposes == ()


def test_the_text_uses_only_the_qr_alphanumeric_alphabet() -> None:
    alphabet = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    assert set(issue()) <= alphabet


@pytest.mark.parametrize(
    ("changes", "field_name"),
    [
        ({"document_type": ""}, "document_type"),
        ({"document_number": ""}, "document_number"),
        ({"document_number": "N" * 201}, "document_number"),
        ({"zone": ""}, "zone"),
        ({"valid_from": datetime(2026, 1, 1)}, "valid_from"),  # noqa: DTZ001
        ({"valid_until": datetime(2036, 1, 1)}, "valid_until"),  # noqa: DTZ001
        ({"now": datetime(2026, 1, 1)}, "now"),  # noqa: DTZ001
        ({"valid_until": START}, "valid_until"),
        ({"valid_until": START - timedelta(seconds=1)}, "valid_until"),
    ],
)
def test_bad_document_facts_are_refused(changes: dict[str, Any], field_name: str) -> None:
    with pytest.raises(ValidationError) as caught:
        issue(**changes)
    assert caught.value.field == field_name


def test_a_credential_too_large_for_a_qr_code_is_not_issued() -> None:
    noise = b"".join(hashlib.sha256(bytes([i])).digest() for i in range(100))  # incompressible
    big = person(photo=noise, photo_format=PhotoFormat.JPEG)
    with pytest.raises(ValidationError, match="too large") as caught:
        issue(identity=big)
    assert caught.value.field == "identity"
    assert len(issue(identity=person(photo=b"\x00" * 64))) <= DEFAULT_MAX_TEXT_LENGTH


# ------------------------------------------------------------------ identities


def test_an_identity_reads_from_plain_data() -> None:
    photo = b"\xff\xd8\xff\xe0 synthetic"
    identity = identity_from_mapping(
        {
            "uin": "840115203917",
            "full_name": "KIM MINJUN",
            "given_name": "MINJUN",
            "family_name": "KIM",
            "date_of_birth": "1984-01-15",
            "gender": "Male",
            "nationality": "KOR",
            "secondary_full_name": "김민준",
            "secondary_language": "kor",
            "photo": base64.b64encode(photo).decode(),
            "photo_format": "jpeg",
        }
    )
    assert identity.date_of_birth == BirthDate(1984, 1, 15)
    assert identity.gender is Gender.MALE
    assert identity.photo == photo
    assert identity.photo_format is PhotoFormat.JPEG
    assert identity.secondary_full_name == "김민준"


def test_an_empty_mapping_is_an_empty_identity() -> None:
    assert identity_from_mapping({}) == Identity169()


def test_partial_dates_of_birth_are_read() -> None:
    assert identity_from_mapping({"date_of_birth": "19840000"}).date_of_birth == BirthDate(1984)


@pytest.mark.parametrize(
    ("data", "field_name"),
    [
        ({"shoe_size": "42"}, "identity"),
        ({"full_name": 5}, "full_name"),
        ({"full_name": ""}, "full_name"),
        ({"date_of_birth": "15/01/1984"}, "date_of_birth"),
        ({"date_of_birth": "1984-02-30"}, "date_of_birth"),
        ({"gender": "unknown"}, "gender"),
        ({"gender": 1}, "gender"),
        ({"photo": "not base64!"}, "photo"),
        ({"photo_format": "gif"}, "photo_format"),
    ],
)
def test_bad_identity_data_is_refused(data: dict[str, object], field_name: str) -> None:
    with pytest.raises(ValidationError) as caught:
        identity_from_mapping(data)
    assert caught.value.field == field_name


@pytest.mark.parametrize("name", ["김민준", "남궁민준"])
@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_a_national_id_card_fits_qr_version_10_at_level_m(name: str, algorithm: Algorithm) -> None:
    # docs/adr/0008: the card's QR carries the minimum; the workspace's default status
    # URIs are short (https://s.example/N).
    card = Identity169(full_name=name, date_of_birth=BirthDate(1985, 3, 12), gender=Gender.MALE)
    for _ in range(10):
        text = issue(
            KeySigner(algorithm),
            identity=card,
            document_type="national_id_card",
            document_number="M12345678",
            status=StatusReference("https://s.example/12345", 131_071),
            zone=None,
        )
        assert len(text) <= 311  # the alphanumeric capacity of version 10-M
        claims = CwtClaims.from_cbor(parse_sign1(decode_qr_text(text)).payload)
        assert (claims.issuer, claims.issued_at, claims.not_before) == (None, None, None)
        assert claims.document_type is None
        assert claims.identity is not None
        assert claims.identity.uin is None
        assert claims.identity.address is None
