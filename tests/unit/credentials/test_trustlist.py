"""The signed trust list: deterministic CBOR body in a COSE_Sign1 envelope."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st
from pycose.algorithms import EdDSA, Es256
from pycose.headers import KID, ContentType
from pycose.headers import Algorithm as AlgorithmHeader
from pycose.keys.cosekey import CoseKey
from pycose.messages.sign1message import Sign1Message

from carnet.credentials.signing import Algorithm
from carnet.credentials.trustlist import (
    CONTENT_TYPE,
    FORMAT_VERSION,
    MAX_TRUST_LIST_SIZE,
    TrustList,
    parse_trust_list,
    sign_trust_list,
)
from carnet.domain.errors import (
    CredentialError,
    DecodeError,
    SignatureInvalidError,
    UnknownSignerError,
    ValidationError,
)
from tests.unit.credentials.test_pki import (
    DAY,
    ROOT_NAME,
    T0,
    KeySigner,
    issue_ds,
    make_root,
    new_signer,
    raw_certificate,
    trust_of,
)

pytestmark = pytest.mark.unit

DER = serialization.Encoding.DER


def sample(algorithm: Algorithm = Algorithm.ES256) -> tuple[TrustList, KeySigner]:
    root, root_signer = make_root(algorithm)
    first, _ = issue_ds(root, serial_number=1)
    second, _ = issue_ds(root, serial_number=2, algorithm=Algorithm.EDDSA, document_type="permit")
    crl = root.revoke(first, revoked_at=T0, this_update=T0, next_update=T0 + 30 * DAY)
    trust = TrustList(root.certificate, (first, second), crl, T0 + timedelta(hours=1))
    return trust, root_signer


def envelope(
    payload: bytes,
    signer: KeySigner,
    headers: Any = None,
    *,
    unprotected: Any = None,
    tag: int = 18,
) -> bytes:
    """Build a COSE_Sign1 by hand, with any protected header (RFC 9052 §4.2, §4.4)."""
    if headers is None:
        headers = {1: int(signer.algorithm), 3: CONTENT_TYPE, 4: signer.kid}
    protected = cbor2.dumps(headers)
    to_sign = cbor2.dumps(["Signature1", protected, b"", payload])
    message = [protected, {} if unprotected is None else unprotected, payload, signer.sign(to_sign)]
    return cbor2.dumps(cbor2.CBORTag(tag, message))


def body(trust: TrustList, **changes: Any) -> bytes:
    fields: dict[int, Any] = cbor2.loads(trust.to_cbor())
    for key, value in changes.items():
        index = {"version": 1, "root": 2, "signers": 3, "crl": 4, "issued_at": 5}[key]
        if value is KeyError:
            del fields[index]
        else:
            fields[index] = value
    return cbor2.dumps(fields)


# ---------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_a_signed_trust_list_parses_back_to_itself(algorithm: Algorithm) -> None:
    trust, root_signer = sample(algorithm)
    signed = sign_trust_list(trust, root_signer)
    parsed = parse_trust_list(signed, trust.root)
    assert parsed == trust
    assert parsed.signers == trust.signers
    assert parsed.crl == trust.crl
    assert parsed.issued_at == T0 + timedelta(hours=1)


def test_the_body_is_deterministic_cbor_with_integer_keys() -> None:
    trust, _ = sample()
    encoded = trust.to_cbor()
    assert encoded == trust.to_cbor()
    assert encoded == cbor2.dumps(cbor2.loads(encoded), canonical=True)
    fields = cbor2.loads(encoded)
    assert fields == {
        1: FORMAT_VERSION,
        2: trust.root.public_bytes(DER),
        3: [cert.public_bytes(DER) for cert in trust.signers],
        4: trust.crl.public_bytes(DER),
        5: int((T0 + timedelta(hours=1)).timestamp()),
    }
    assert TrustList.from_cbor(encoded) == trust


def test_the_envelope_is_a_cose_sign1_with_alg_content_type_and_kid() -> None:
    trust, root_signer = sample()
    message = cbor2.loads(sign_trust_list(trust, root_signer))
    assert message.tag == 18
    protected, unprotected, payload, signature = message.value
    assert cbor2.loads(protected) == {1: -7, 3: CONTENT_TYPE, 4: root_signer.kid}
    assert dict(unprotected) == {}
    assert payload == trust.to_cbor()
    assert len(signature) == 64


def _cose_key(signer: KeySigner) -> Any:
    pem = signer.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return CoseKey.from_pem_private_key(pem.decode())


def _pycose_sign1(trust: TrustList, signer: KeySigner) -> bytes:
    algorithm = EdDSA if signer.algorithm is Algorithm.EDDSA else Es256
    message = Sign1Message(
        phdr={AlgorithmHeader: algorithm, ContentType: CONTENT_TYPE, KID: signer.kid},
        uhdr={},
        payload=trust.to_cbor(),
        key=_cose_key(signer),
    )
    encoded: bytes = message.encode()
    return encoded


def test_our_envelope_is_byte_for_byte_what_pycose_makes() -> None:
    # Ed25519 signatures are deterministic, so both must produce the very same bytes.
    trust, root_signer = sample(Algorithm.EDDSA)
    assert sign_trust_list(trust, root_signer) == _pycose_sign1(trust, root_signer)


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_a_trust_list_signed_by_pycose_parses(algorithm: Algorithm) -> None:
    trust, root_signer = sample(algorithm)
    assert parse_trust_list(_pycose_sign1(trust, root_signer), trust.root) == trust


def test_repr_names_the_root_kid_and_count_only() -> None:
    trust, root_signer = sample()
    assert repr(trust) == (
        f"TrustList(root_kid={root_signer.kid.hex()!r}, signers=2, "
        "issued_at='2025-01-01T01:00:00+00:00')"
    )


def test_trust_list_takes_any_sequence_of_signers_and_needs_an_aware_time() -> None:
    trust, _ = sample()
    listed = TrustList(trust.root, list(trust.signers), trust.crl, trust.issued_at)  # type: ignore[arg-type]
    assert listed.signers == trust.signers
    with pytest.raises(ValidationError) as caught:
        TrustList(trust.root, trust.signers, trust.crl, datetime(2025, 1, 1))  # noqa: DTZ001
    assert caught.value.field == "issued_at"


def test_sign_refuses_a_signer_that_does_not_hold_the_root_key() -> None:
    trust, _ = sample()
    with pytest.raises(ValidationError, match="root key"):
        sign_trust_list(trust, new_signer())


# ----------------------------------------------------------------------- parsing: refusals


def test_parse_refuses_a_trust_list_signed_by_another_root() -> None:
    trust, _ = sample()
    other, other_signer = make_root()
    signed = sign_trust_list(trust_of(other, []), other_signer)
    with pytest.raises(UnknownSignerError, match="pinned root"):
        parse_trust_list(signed, trust.root)


def test_parse_refuses_a_trust_list_naming_another_root() -> None:
    trust, root_signer = sample()
    other, _ = make_root()
    lying = TrustList(other.certificate, trust.signers, trust.crl, trust.issued_at)
    with pytest.raises(UnknownSignerError, match="another root"):
        parse_trust_list(envelope(lying.to_cbor(), root_signer), trust.root)


def test_parse_refuses_another_key_claiming_the_root_kid() -> None:
    trust, root_signer = sample()
    impostor = new_signer()
    headers = {1: -7, 3: CONTENT_TYPE, 4: root_signer.kid}
    with pytest.raises(SignatureInvalidError):
        parse_trust_list(envelope(trust.to_cbor(), impostor, headers), trust.root)


def test_parse_refuses_a_tampered_payload_or_signature() -> None:
    trust, root_signer = sample()
    message = cbor2.loads(sign_trust_list(trust, root_signer))
    protected, unprotected, payload, signature = message.value
    other_payload = TrustList(trust.root, trust.signers[:1], trust.crl, trust.issued_at).to_cbor()
    for forged in (
        [protected, unprotected, other_payload, signature],
        [protected, unprotected, payload, bytes(64)],
        [protected, unprotected, payload, signature[:-1]],
    ):
        with pytest.raises(SignatureInvalidError):
            parse_trust_list(cbor2.dumps(cbor2.CBORTag(18, forged)), trust.root)


def test_parse_refuses_an_algorithm_that_does_not_fit_the_root_key() -> None:
    trust, root_signer = sample()
    headers = {1: -8, 3: CONTENT_TYPE, 4: root_signer.kid}
    with pytest.raises(SignatureInvalidError):
        parse_trust_list(envelope(trust.to_cbor(), root_signer, headers), trust.root)


def test_parse_refuses_oversized_input_before_parsing() -> None:
    trust, _ = sample()
    with pytest.raises(DecodeError, match="too large"):
        parse_trust_list(b"\x00" * (MAX_TRUST_LIST_SIZE + 1), trust.root)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff",
        b"\x9f" * 100,
        cbor2.dumps([]),
        cbor2.dumps([b"", {}, b"", b""]),
        cbor2.dumps(cbor2.CBORTag(98, [b"", {}, b"", b""])),
        cbor2.dumps(cbor2.CBORTag(18, [b"", {}, b""])),
        cbor2.dumps(cbor2.CBORTag(18, b"not an array")),
        cbor2.dumps(cbor2.CBORTag(18, ["text", {}, b"", b""])),
        cbor2.dumps(cbor2.CBORTag(18, [b"", [], b"", b""])),
        cbor2.dumps(cbor2.CBORTag(18, [b"", {}, None, b""])),
        cbor2.dumps(cbor2.CBORTag(18, [b"", {}, b"", 5])),
        b"\xa2\x01\x01\x01\x02",
    ],
    ids=[
        "empty",
        "break",
        "deep",
        "array",
        "untagged",
        "sign-tag",
        "three",
        "bytes",
        "protected-text",
        "unprotected-array",
        "payload-null",
        "signature-int",
        "duplicate-keys",
    ],
)
def test_parse_refuses_malformed_envelopes(data: bytes) -> None:
    trust, _ = sample()
    with pytest.raises(DecodeError):
        parse_trust_list(data, trust.root)


def test_parse_refuses_trailing_bytes() -> None:
    trust, root_signer = sample()
    with pytest.raises(DecodeError, match="trailing"):
        parse_trust_list(sign_trust_list(trust, root_signer) + b"\x00", trust.root)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ([1, -7], "protected header"),
        ({1: -7, 2: [99], 3: CONTENT_TYPE, 4: b"k"}, "critical"),
        ({1: -7, 4: b"k"}, "not a trust list"),
        ({1: -7, 3: "application/cwt", 4: b"k"}, "not a trust list"),
        ({1: -35, 3: CONTENT_TYPE, 4: b"k"}, "algorithm"),
        ({1: True, 3: CONTENT_TYPE, 4: b"k"}, "algorithm"),
        ({1: [-7], 3: CONTENT_TYPE, 4: b"k"}, "algorithm"),
        ({3: CONTENT_TYPE, 4: b"k"}, "algorithm"),
        ({1: -7, 3: CONTENT_TYPE}, "kid"),
        ({1: -7, 3: CONTENT_TYPE, 4: "text kid"}, "kid"),
    ],
    ids=[
        "array",
        "crit",
        "no-type",
        "other-type",
        "es384",
        "bool",
        "list-alg",
        "no-alg",
        "no-kid",
        "text-kid",
    ],
)
def test_parse_refuses_bad_protected_headers(headers: Any, message: str) -> None:
    trust, root_signer = sample()
    with pytest.raises(DecodeError, match=message):
        parse_trust_list(envelope(trust.to_cbor(), root_signer, headers), trust.root)


def test_parse_refuses_a_body_that_is_not_a_map() -> None:
    trust, root_signer = sample()
    with pytest.raises(DecodeError, match="body is malformed"):
        parse_trust_list(envelope(cbor2.dumps([1, 2]), root_signer), trust.root)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"version": 2}, "version"),
        ({"issued_at": KeyError}, "body is malformed"),
        ({"root": "text"}, "body is malformed"),
        ({"signers": b"bytes"}, "body is malformed"),
        ({"signers": [1]}, "body is malformed"),
        ({"crl": None}, "body is malformed"),
        ({"issued_at": 1.5}, "body is malformed"),
        ({"issued_at": True}, "body is malformed"),
        ({"root": b"not der"}, "malformed certificate"),
        ({"signers": [b"not der"]}, "malformed certificate"),
        ({"crl": b"not der"}, "malformed certificate"),
        ({"issued_at": 1 << 70}, "malformed certificate, CRL or time"),
        ({"issued_at": -(1 << 62)}, "malformed certificate, CRL or time"),
    ],
    ids=[
        "version",
        "missing",
        "root-type",
        "signers-type",
        "signer-type",
        "crl-type",
        "float-time",
        "bool-time",
        "root-der",
        "signer-der",
        "crl-der",
        "huge-time",
        "ancient-time",
    ],
)
def test_parse_refuses_malformed_bodies(changes: dict[str, Any], message: str) -> None:
    trust, root_signer = sample()
    with pytest.raises(DecodeError, match=message):
        parse_trust_list(envelope(body(trust, **changes), root_signer), trust.root)


def test_from_cbor_refuses_an_extra_key() -> None:
    trust, _ = sample()
    fields = cbor2.loads(trust.to_cbor())
    fields[6] = b"extra"
    with pytest.raises(DecodeError):
        TrustList.from_cbor(cbor2.dumps(fields))


def test_parse_refuses_a_root_pin_with_an_unsupported_key() -> None:
    trust, root_signer = sample()
    key = rsa.generate_private_key(65537, 2048)
    rsa_root = raw_certificate(key, ROOT_NAME, key.public_key())  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        parse_trust_list(sign_trust_list(trust, root_signer), rsa_root)


# ---------------------------------------------------------------------------- robustness


_SAMPLE_TRUST, _SAMPLE_SIGNER = sample()
_SAMPLE_SIGNED = sign_trust_list(_SAMPLE_TRUST, _SAMPLE_SIGNER)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=512))
def test_parse_of_arbitrary_bytes_raises_only_credential_errors(data: bytes) -> None:
    with pytest.raises(CredentialError):
        parse_trust_list(data, _SAMPLE_TRUST.root)


_CBOR_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.binary(max_size=8) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.integers(-5, 5), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([1, 2, 3, 4, 5, -1]), _CBOR_VALUES, max_size=5))
def test_any_protected_header_is_refused_or_accepted_but_never_crashes(headers: Any) -> None:
    with contextlib.suppress(CredentialError):
        parse_trust_list(
            envelope(_SAMPLE_TRUST.to_cbor(), _SAMPLE_SIGNER, headers), _SAMPLE_TRUST.root
        )


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.integers(0, 6), _CBOR_VALUES, max_size=6) | _CBOR_VALUES)
def test_any_signed_body_is_refused_without_crashing(fields: Any) -> None:
    signed = envelope(cbor2.dumps(fields), _SAMPLE_SIGNER)
    with pytest.raises(DecodeError):
        parse_trust_list(signed, _SAMPLE_TRUST.root)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=len(_SAMPLE_SIGNED) - 1), st.integers(1, 255))
def test_any_single_byte_change_is_refused(position: int, flip: int) -> None:
    forged = bytearray(_SAMPLE_SIGNED)
    forged[position] ^= flip
    with pytest.raises(CredentialError):
        parse_trust_list(bytes(forged), _SAMPLE_TRUST.root)
