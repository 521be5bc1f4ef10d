"""COSE_Sign1 (RFC 9052 §4.2, §4.4) with ES256 and EdDSA."""

from __future__ import annotations

import contextlib
import random
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st

from carnet.credentials.cbor import encode_deterministic
from carnet.credentials.codec import decode_qr_text, encode_qr_text
from carnet.credentials.cose import (
    COSE_SIGN1_TAG,
    CWT_TAG,
    Sign1,
    parse_sign1,
    sign1,
    verify_sign1,
)
from carnet.credentials.cwt import CwtClaims
from carnet.credentials.signing import Algorithm, Signer
from carnet.domain.errors import (
    CarnetError,
    DecodeError,
    InfrastructureError,
    SignatureInvalidError,
    ValidationError,
)

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = pytest.mark.unit

# RFC 8392 Appendix A.3: a signed CWT (ES256, kid "AsymmetricECDSA256") and the
# private key of Appendix A.2.3 that made it.
RFC8392_SIGNED_CWT = bytes.fromhex(
    "d28443a10126a104524173796d6d657472696345434453413235365850a70175636f61703a2f2f"
    "61732e6578616d706c652e636f6d02656572696b77037818636f61703a2f2f6c696768742e6578"
    "616d706c652e636f6d041a5612aeb0051a5610d9f0061a5610d9f007420b7158405427c1ff28d2"
    "3fbad1f29c4c7c6a555e601d6fa29f9179bc3d7438bacaca5acd08c8d4d4f96131680c429a01f8"
    "5951ecee743a52b9b63632c57209120e1c9e30"
)
RFC8392_CLAIMS = bytes.fromhex(
    "a70175636f61703a2f2f61732e6578616d706c652e636f6d02656572696b77037818636f61703a"
    "2f2f6c696768742e6578616d706c652e636f6d041a5612aeb0051a5610d9f0061a5610d9f00742"
    "0b71"
)
RFC8392_PRIVATE_KEY = 0x6C1382765AEC5358F117733D281C1C7BDC39884D04A45A1E6C67C858BC206C19


@pytest.fixture(scope="module")
def rfc8392_public_key() -> ec.EllipticCurvePublicKey:
    return ec.derive_private_key(RFC8392_PRIVATE_KEY, ec.SECP256R1()).public_key()


def _message(
    protected: bytes,
    unprotected: object,
    payload: object,
    signature: object,
    *,
    tag: int = COSE_SIGN1_TAG,
) -> bytes:
    return cbor2.dumps(cbor2.CBORTag(tag, [protected, unprotected, payload, signature]))


def _to_be_signed(protected: bytes, payload: bytes, aad: bytes = b"") -> bytes:
    # RFC 9052 §4.4, encoded by cbor2 rather than by the code under test.
    return cbor2.dumps(["Signature1", protected, aad, payload])


def _signed(signer: Signer, protected: bytes, unprotected: object, payload: bytes) -> bytes:
    signature = signer.sign(_to_be_signed(protected, payload))
    return _message(protected, unprotected, payload, signature)


# ------------------------------------------------------------ known answers


def test_parses_and_verifies_the_rfc_8392_signed_cwt(
    rfc8392_public_key: ec.EllipticCurvePublicKey,
) -> None:
    msg = parse_sign1(RFC8392_SIGNED_CWT)
    assert msg.alg is Algorithm.ES256
    assert msg.kid == b"AsymmetricECDSA256"
    assert msg.protected == {1: -7}
    assert msg.unprotected == {4: b"AsymmetricECDSA256"}
    assert msg.protected_bytes == bytes.fromhex("a10126")
    assert verify_sign1(msg, rfc8392_public_key) == RFC8392_CLAIMS


def test_the_rfc_8392_signature_fails_with_external_aad(
    rfc8392_public_key: ec.EllipticCurvePublicKey,
) -> None:
    with pytest.raises(SignatureInvalidError):
        verify_sign1(parse_sign1(RFC8392_SIGNED_CWT), rfc8392_public_key, external_aad=b"x")


def test_accepts_the_cwt_tag_around_the_message(
    rfc8392_public_key: ec.EllipticCurvePublicKey,
) -> None:
    # RFC 8392 §6: 61(18([...])).
    tagged = bytes([0xD8, CWT_TAG]) + RFC8392_SIGNED_CWT
    assert verify_sign1(parse_sign1(tagged), rfc8392_public_key) == RFC8392_CLAIMS


# ------------------------------------------------------------------ signing


def test_sign1_writes_alg_protected_and_kid_unprotected(es256_signer: Signer) -> None:
    message = sign1(b"payload", es256_signer)
    decoded = cbor2.loads(message)
    assert decoded.tag == COSE_SIGN1_TAG
    protected, unprotected, payload, signature = decoded.value
    assert protected == bytes.fromhex("a10126")  # {1: -7}
    assert unprotected == {4: es256_signer.kid}
    assert len(es256_signer.kid) == 8
    assert payload == b"payload"
    assert len(signature) == 64
    # The whole message is deterministic CBOR apart from the signature.
    assert message.startswith(bytes.fromhex("d28443a10126a10448") + es256_signer.kid)


@pytest.mark.parametrize("name", ["es256", "eddsa"])
@pytest.mark.parametrize("size", [0, 23, 24, 255, 256, 65535, 65536])  # every bstr head form
def test_signature_covers_the_rfc_9052_sig_structure(
    name: str, size: int, request: pytest.FixtureRequest
) -> None:
    signer: Signer = request.getfixturevalue(f"{name}_signer")
    public_key = request.getfixturevalue(f"{name}_public_key")
    message = sign1(b"c" * size, signer)
    protected, _, payload, signature = cbor2.loads(message).value
    assert payload == b"c" * size
    assert verify_sign1(parse_sign1(message, max_size=len(message)), public_key) == payload
    to_be_signed = _to_be_signed(protected, payload)
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        public_key.verify(encode_dss_signature(r, s), to_be_signed, ec.ECDSA(hashes.SHA256()))
        assert protected == bytes.fromhex("a10126")
    else:
        public_key.verify(signature, to_be_signed)
        assert protected == bytes.fromhex("a10127")  # {1: -8}


@pytest.mark.parametrize("name", ["es256", "eddsa"])
def test_round_trip(name: str, request: pytest.FixtureRequest) -> None:
    signer: Signer = request.getfixturevalue(f"{name}_signer")
    public_key = request.getfixturevalue(f"{name}_public_key")
    msg = parse_sign1(sign1(b"\x00" * 300, signer, external_aad=b"context"))
    assert msg.alg is signer.algorithm
    assert msg.kid == signer.kid
    assert verify_sign1(msg, public_key, external_aad=b"context") == b"\x00" * 300
    with pytest.raises(SignatureInvalidError):
        verify_sign1(msg, public_key)


def test_kid_and_extra_headers_can_be_protected(es256_signer: Signer) -> None:
    message = sign1(
        b"list", es256_signer, protected={16: "application/statuslist+cwt"}, kid_in_protected=True
    )
    msg = parse_sign1(message)
    assert msg.protected == {1: -7, 4: es256_signer.kid, 16: "application/statuslist+cwt"}
    assert msg.unprotected == {}
    assert msg.kid == es256_signer.kid
    assert cbor2.loads(msg.protected_bytes) == msg.protected


@pytest.mark.parametrize("label", [1, 4])
def test_sign1_refuses_extras_that_would_override_alg_or_kid(
    label: int, es256_signer: Signer
) -> None:
    with pytest.raises(ValidationError):
        sign1(b"x", es256_signer, protected={label: b"x"})


@dataclass(frozen=True)
class _ShortSigner:
    kid: bytes = b"12345678"
    algorithm: Algorithm = Algorithm.ES256

    def sign(self, data: bytes) -> bytes:  # noqa: ARG002 - the Signer protocol's signature
        return b"\x30" * 70  # a DER signature where the raw COSE form is required


def test_sign1_refuses_a_signature_of_the_wrong_size() -> None:
    with pytest.raises(InfrastructureError):
        sign1(b"x", _ShortSigner())


def test_repr_leaves_out_payload_and_signature(es256_signer: Signer) -> None:
    msg = parse_sign1(sign1(b"KIM MINJUN 840115203917", es256_signer))
    assert "MINJUN" not in repr(msg)
    assert "840115" not in repr(msg)


@pytest.mark.parametrize("name", ["es256", "eddsa"])
@pytest.mark.parametrize(
    ("protected", "kid_in_protected"),
    [(None, False), (None, True), ({16: "application/statuslist+cwt"}, False)],
)
@pytest.mark.parametrize("size", [0, 23, 24, 255, 256, 65535, 65536])
def test_sign1_writes_the_deterministic_encoding_of_the_message(
    *,
    name: str,
    protected: dict[int, object] | None,
    kid_in_protected: bool,
    size: int,
    request: pytest.FixtureRequest,
) -> None:
    # sign1 frames the message by concatenation; it must be what the encoder writes.
    signer: Signer = request.getfixturevalue(f"{name}_signer")
    message = sign1(b"c" * size, signer, protected=protected, kid_in_protected=kid_in_protected)
    item = cbor2.loads(message)
    assert encode_deterministic(cbor2.CBORTag(item.tag, list(item.value))) == message


# ------------------------------------------- parsing the layout sign1 writes


def _through_the_general_path(data: bytes) -> Sign1:
    # The CWT tag around a message sends it past the fast path (which reads only
    # what sign1 writes) through the general one, with the same checks.
    return parse_sign1(bytes([0xD8, CWT_TAG]) + data, max_size=len(data) + 2)


@pytest.mark.parametrize("name", ["es256", "eddsa"])
@pytest.mark.parametrize("size", [0, 1, 23, 24, 255, 256, 65535])
def test_the_layout_sign1_writes_parses_as_the_general_path_does(
    name: str, size: int, request: pytest.FixtureRequest
) -> None:
    signer: Signer = request.getfixturevalue(f"{name}_signer")
    message = sign1(bytes(range(256)) * (size // 256) + bytes(size % 256), signer)
    fast = parse_sign1(message, max_size=len(message))
    assert fast == _through_the_general_path(message)
    assert type(fast.unprotected) is type(_through_the_general_path(message).unprotected)
    assert fast.payload == bytes(range(256)) * (size // 256) + bytes(size % 256)
    assert fast.kid == signer.kid


@pytest.mark.parametrize(
    "kid_head",
    [
        "40",  # an empty kid
        "4101",
        "57" + "01" * 23,
        "5818" + "01" * 24,
        "580801" + "01" * 7,  # a one-byte length where none is needed: still well-formed
        "59000801" + "01" * 7,  # a two-byte one
        "5a0000000801" + "01" * 7,  # a four-byte one, which only the general path reads
    ],
)
def test_every_kid_and_payload_head_parses_as_the_general_path_does(kid_head: str) -> None:
    for payload_head in ("43", "5803", "590003"):
        message = bytes.fromhex("d28443a10126a104" + kid_head + payload_head) + b"abc"
        message += b"\x58\x40" + bytes(64)
        assert parse_sign1(message) == _through_the_general_path(message)


def _outcome(parse: Callable[[bytes], Sign1], data: bytes) -> object:
    try:
        return parse(data)
    except DecodeError:
        return DecodeError


@pytest.mark.parametrize(
    "data",
    [
        "d28443a10126a104",  # the prefix alone
        "d28443a10126a10448" + "01" * 8,  # no payload head
        "d28443a10126a10458",  # a length byte missing
        "d28443a10126a104480101010101010101435841",  # payload shorter than its head says
        "d28443a10126a10448010101010101010143616263",  # no signature
        "d28443a10126a10448010101010101010143616263583f" + "00" * 63,  # a short one
        "d28443a10126a1044801010101010101014361626358400000",  # a truncated one
    ],
)
def test_truncated_layouts_are_decode_errors(data: str) -> None:
    with pytest.raises(DecodeError):
        parse_sign1(bytes.fromhex(data))


@given(st.data())
def test_mutations_of_the_layout_get_the_general_paths_verdict(data: st.DataObject) -> None:
    kid = data.draw(st.binary(max_size=30))
    payload = data.draw(st.binary(max_size=300))
    message = bytearray(sign1(payload, _FixedSigner(kid)))
    for _ in range(data.draw(st.integers(0, 3))):
        position = data.draw(st.integers(0, len(message)))
        action = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if action == "flip" and position < len(message):
            message[position] ^= 1 << data.draw(st.integers(0, 7))
        elif action == "insert":
            message.insert(position, data.draw(st.integers(0, 255)))
        elif action == "delete" and position < len(message):
            del message[position]
        else:
            del message[position:]
    mutant = bytes(message)
    assert _outcome(parse_sign1, mutant) == _outcome(_through_the_general_path, mutant)


@dataclass(frozen=True)
class _FixedSigner:
    kid: bytes
    algorithm: Algorithm = Algorithm.EDDSA

    def sign(self, data: bytes) -> bytes:  # noqa: ARG002 - the Signer protocol's signature
        return b"\x5a" * 64


# -------------------------------------------------------------- verifying


def test_verification_uses_the_exact_protected_bytes(
    es256_signer: Signer, es256_public_key: ec.EllipticCurvePublicKey
) -> None:
    # {1: -7} with -7 in a non-preferred one-byte form: valid CBOR, signed as is.
    protected = bytes.fromhex("a1013806")
    msg = parse_sign1(_signed(es256_signer, protected, {}, b"payload"))
    assert msg.protected == {1: -7}
    assert verify_sign1(msg, es256_public_key) == b"payload"


def test_tampered_payload_or_signature_does_not_verify(
    es256_signer: Signer, es256_public_key: ec.EllipticCurvePublicKey
) -> None:
    protected, unprotected, payload, signature = cbor2.loads(sign1(b"payload", es256_signer)).value
    for tampered in (
        _message(protected, unprotected, b"Payload", signature),
        _message(protected, unprotected, payload, signature[:-1] + bytes([signature[-1] ^ 1])),
        _message(protected, unprotected, payload, bytes(64)),  # r = s = 0
        _message(protected, unprotected, payload, b"\xff" * 64),  # r, s >= n
    ):
        with pytest.raises(SignatureInvalidError):
            verify_sign1(parse_sign1(tampered), es256_public_key)


def test_changing_the_alg_breaks_the_signature(
    es256_signer: Signer,
    es256_public_key: ec.EllipticCurvePublicKey,
    eddsa_public_key: ed25519.Ed25519PublicKey,
) -> None:
    _, unprotected, payload, signature = cbor2.loads(sign1(b"payload", es256_signer)).value
    swapped = parse_sign1(_message(bytes.fromhex("a10127"), unprotected, payload, signature))
    assert swapped.alg is Algorithm.EDDSA
    for key in (es256_public_key, eddsa_public_key):
        with pytest.raises(SignatureInvalidError):
            verify_sign1(swapped, key)


def test_a_key_that_does_not_fit_the_alg_is_a_signature_failure(
    es256_signer: Signer,
    eddsa_signer: Signer,
    es256_public_key: ec.EllipticCurvePublicKey,
    eddsa_public_key: ed25519.Ed25519PublicKey,
) -> None:
    es256 = parse_sign1(sign1(b"x", es256_signer))
    eddsa = parse_sign1(sign1(b"x", eddsa_signer))
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key()
    other_p256 = ec.generate_private_key(ec.SECP256R1()).public_key()
    for msg, key in (
        (es256, eddsa_public_key),
        (es256, p384),
        (es256, other_p256),
        (eddsa, es256_public_key),
        (eddsa, ed25519.Ed25519PrivateKey.generate().public_key()),
    ):
        with pytest.raises(SignatureInvalidError):
            verify_sign1(msg, key)


# ------------------------------------------------------------ malformed input

_ES256 = bytes.fromhex("a10126")
_SIG = bytes(64)


def _protected(headers: dict[object, object]) -> bytes:
    return cbor2.dumps(headers)


MALFORMED: list[tuple[str, bytes]] = [
    ("untagged array", cbor2.dumps([_ES256, {}, b"p", _SIG])),
    ("COSE_Mac0 tag", _message(_ES256, {}, b"p", _SIG, tag=17)),
    ("COSE_Sign tag", _message(_ES256, {}, b"p", _SIG, tag=98)),
    ("CWT tag around a non-COSE item", cbor2.dumps(cbor2.CBORTag(CWT_TAG, 1))),
    (
        "two CWT tags",
        cbor2.dumps(
            cbor2.CBORTag(
                CWT_TAG,
                cbor2.CBORTag(CWT_TAG, cbor2.CBORTag(COSE_SIGN1_TAG, [_ES256, {}, b"p", _SIG])),
            )
        ),
    ),
    ("tag around a map", cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, {1: 2}))),
    ("three items", cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [_ES256, {}, b"p"]))),
    ("five items", cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [_ES256, {}, b"p", _SIG, b""]))),
    ("protected as a map", _message({1: -7}, {}, b"p", _SIG)),  # type: ignore[arg-type]
    ("protected not CBOR", _message(b"\xff", {}, b"p", _SIG)),
    ("protected an array", _message(_protected([1, -7]), {}, b"p", _SIG)),  # type: ignore[arg-type]
    ("protected with trailing bytes", _message(_ES256 + b"\x00", {}, b"p", _SIG)),
    ("protected with a tag", _message(_protected({1: cbor2.CBORTag(1, 0)}), {}, b"p", _SIG)),
    ("protected float label", _message(_protected({1.5: 1, 1: -7}), {}, b"p", _SIG)),
    ("protected empty", _message(b"", {}, b"p", _SIG)),
    ("protected empty map", _message(b"\xa0", {}, b"p", _SIG)),
    ("unprotected as bytes", _message(_ES256, b"\xa0", b"p", _SIG)),
    ("unprotected bool label", _message(_ES256, {True: 1}, b"p", _SIG)),
    ("unprotected array label", _message(_ES256, {(1,): 1}, b"p", _SIG)),
    ("detached payload", _message(_ES256, {}, None, _SIG)),
    ("text payload", _message(_ES256, {}, "p", _SIG)),
    ("short signature", _message(_ES256, {}, b"p", bytes(63))),
    ("long signature", _message(_ES256, {}, b"p", bytes(65))),
    ("DER signature", _message(_ES256, {}, b"p", bytes(70))),
    ("text signature", _message(_ES256, {}, b"p", "s" * 64)),
    ("no alg", _message(_protected({4: b"k"}), {}, b"p", _SIG)),
    ("alg only unprotected", _message(b"", {1: -7}, b"p", _SIG)),
    ("alg in both buckets", _message(_ES256, {1: -7}, b"p", _SIG)),
    ("alg none as text", _message(_protected({1: "none"}), {}, b"p", _SIG)),
    ("alg ES256 as text", _message(_protected({1: "ES256"}), {}, b"p", _SIG)),
    ("alg ES384", _message(_protected({1: -35}), {}, b"p", _SIG)),
    ("alg RS256", _message(_protected({1: -257}), {}, b"p", _SIG)),
    ("alg HMAC 256/256", _message(_protected({1: 5}), {}, b"p", _SIG)),
    ("alg 0", _message(_protected({1: 0}), {}, b"p", _SIG)),
    ("alg as float", _message(_protected({1: -7.0}), {}, b"p", _SIG)),
    ("alg as bool", _message(_protected({1: True}), {}, b"p", _SIG)),
    ("alg as null", _message(_protected({1: None}), {}, b"p", _SIG)),
    ("alg as array", _message(_protected({1: [-7]}), {}, b"p", _SIG)),
    ("kid in both buckets", _message(_protected({1: -7, 4: b"a"}), {4: b"b"}, b"p", _SIG)),
    ("kid as text", _message(_ES256, {4: "kid"}, b"p", _SIG)),
    ("kid as int", _message(_protected({1: -7, 4: 7}), {}, b"p", _SIG)),
    ("crit unprotected", _message(_ES256, {2: [4]}, b"p", _SIG)),
    ("crit empty", _message(_protected({1: -7, 2: []}), {}, b"p", _SIG)),
    ("crit not an array", _message(_protected({1: -7, 2: 4}), {}, b"p", _SIG)),
    ("crit names typ", _message(_protected({1: -7, 2: [16], 16: "x"}), {}, b"p", _SIG)),
    ("crit names a text label", _message(_protected({1: -7, 2: ["x"], "x": 1}), {}, b"p", _SIG)),
    ("crit names a bool", _message(_protected({1: -7, 2: [True]}), {}, b"p", _SIG)),
    ("trailing bytes", _message(_ES256, {}, b"p", _SIG) + b"\x00"),
    (
        "duplicate unprotected label",
        bytes.fromhex("d28443a10126a2044101044102") + b"\x41p\x58\x40" + _SIG,
    ),
    ("indefinite array", bytes.fromhex("d29f43a10126a0") + b"\x41p\x58\x40" + _SIG + b"\xff"),
]


@pytest.mark.parametrize(("case", "data"), MALFORMED, ids=[case for case, _ in MALFORMED])
def test_malformed_messages_are_decode_errors(case: str, data: bytes) -> None:
    with pytest.raises(DecodeError):
        parse_sign1(data)


def test_crit_naming_headers_carnet_processes_is_accepted(
    es256_signer: Signer, es256_public_key: ec.EllipticCurvePublicKey
) -> None:
    protected = _protected({1: -7, 2: [1, 4], 4: es256_signer.kid})
    msg = parse_sign1(_signed(es256_signer, protected, {}, b"p"))
    assert verify_sign1(msg, es256_public_key) == b"p"


def test_size_limit_applies_before_decoding(es256_signer: Signer) -> None:
    message = sign1(b"x" * 100, es256_signer)
    with pytest.raises(DecodeError, match="limit"):
        parse_sign1(message, max_size=len(message) - 1)


# ------------------------------------------------------------------ fuzzing

_labels = st.integers(-300, 300) | st.text(max_size=3) | st.booleans() | st.floats(allow_nan=False)
_header_values = (
    st.integers(-300, 300)
    | st.binary(max_size=10)
    | st.text(max_size=5)
    | st.none()
    | st.booleans()
    | st.lists(st.integers(-5, 20) | st.text(max_size=2), max_size=3)
)
_headers = st.dictionaries(_labels, _header_values, max_size=4)


@settings(deadline=None)  # two signature checks per example; no timing under CI load
@given(
    protected=_headers,
    unprotected=_headers,
    alg=st.sampled_from([-7, -8, -35, -257, 0, 1, "none", "ES256", None]),
    signature=st.binary(min_size=62, max_size=66),
)
def test_arbitrary_headers_raise_only_typed_errors(
    *,
    protected: dict[object, object],
    unprotected: dict[object, object],
    alg: object,
    signature: bytes,
    es256_public_key: ec.EllipticCurvePublicKey,
    eddsa_public_key: ed25519.Ed25519PublicKey,
) -> None:
    if alg is not None:
        protected = {**protected, 1: alg}
    try:
        msg = parse_sign1(_message(cbor2.dumps(protected), unprotected, b"p", signature))
    except DecodeError:
        return
    assert isinstance(msg.alg, Algorithm)
    assert msg.kid is None or isinstance(msg.kid, bytes)
    for key in (es256_public_key, eddsa_public_key):
        with pytest.raises(SignatureInvalidError):
            verify_sign1(msg, key)


@given(st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_decode_errors(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        parse_sign1(data)


@given(st.binary(max_size=120))
def test_arbitrary_bytes_in_a_cose_shell_raise_only_decode_errors(body: bytes) -> None:
    # Prefix a COSE_Sign1 head so the fuzzing gets past the first byte.
    with contextlib.suppress(DecodeError):
        parse_sign1(bytes.fromhex("d284") + body)


# ------------------------------------------------------------------ mutations

_QR_CHARACTERS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def _mutate_text(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        operation = rng.randrange(5)
        position = rng.randrange(len(chars) + (operation == 1))
        if operation == 0 and chars:  # flip one bit of a character
            chars[position] = chr(ord(chars[position]) ^ (1 << rng.randrange(7)))
        elif operation == 1:  # insert a character
            chars.insert(position, rng.choice(_QR_CHARACTERS))
        elif operation == 2 and len(chars) > 1:  # delete a character
            del chars[position]
        elif operation == 3:  # truncate
            del chars[position:]
        else:  # replace a character with another alphabet character
            chars[position % len(chars)] = rng.choice(_QR_CHARACTERS)
        if not chars:
            break
    return "".join(chars)


def _mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        operation = rng.randrange(4)
        position = rng.randrange(len(out) + (operation == 1))
        if operation == 0 and out:
            out[position] ^= 1 << rng.randrange(8)
        elif operation == 1:
            out.insert(position, rng.randrange(256))
        elif operation == 2 and len(out) > 1:
            del out[position]
        else:
            del out[position:]
        if not out:
            break
    return bytes(out)


def _run_mutations(
    count: int,
    mutate: Callable[[random.Random], object],
    decode: Callable[[object], tuple[bytes, CwtClaims]],
    original: tuple[bytes, CwtClaims],
) -> Counter[str]:
    rng = random.Random(169)
    outcomes: Counter[str] = Counter()
    for _ in range(count):
        mutant = mutate(rng)
        try:
            result = decode(mutant)
        except CarnetError as exc:
            outcomes[type(exc).__name__] += 1
            continue
        assert result == original, f"mutant {mutant!r} verified to different content"
        outcomes["verified unchanged"] += 1
    return outcomes


@pytest.mark.slow
def test_mutated_qr_text_never_verifies_to_different_claims(
    es256_signer: Signer,
    es256_public_key: ec.EllipticCurvePublicKey,
    make_claims: Callable[..., CwtClaims],
) -> None:
    claims = make_claims()
    payload = claims.to_cbor()
    cose = sign1(payload, es256_signer)
    text = encode_qr_text(cose)

    def decode_text(mutant: object) -> tuple[bytes, CwtClaims]:
        assert isinstance(mutant, str)
        verified = verify_sign1(parse_sign1(decode_qr_text(mutant)), es256_public_key)
        return verified, CwtClaims.from_cbor(verified)

    def decode_cose(mutant: object) -> tuple[bytes, CwtClaims]:
        assert isinstance(mutant, bytes)
        verified = verify_sign1(parse_sign1(mutant), es256_public_key)
        return verified, CwtClaims.from_cbor(verified)

    # The QR text as scanned: Base45 and Adler-32 stop almost every mutant early.
    text_outcomes = _run_mutations(
        100_000, lambda rng: _mutate_text(rng, text), decode_text, (payload, claims)
    )
    # The COSE bytes behind it, so that the CBOR, COSE and signature layers see
    # mutants too (as a mutant that survived Base45 and zlib would reach them).
    cose_outcomes = _run_mutations(
        100_000, lambda rng: _mutate_bytes(rng, cose), decode_cose, (payload, claims)
    )
    assert sum(text_outcomes.values()) == 100_000
    assert cose_outcomes["SignatureInvalidError"] > 0
    assert cose_outcomes["DecodeError"] > 0


def test_sign1_type_is_a_frozen_value() -> None:
    msg = parse_sign1(RFC8392_SIGNED_CWT)
    assert isinstance(msg, Sign1)
    with pytest.raises(AttributeError):
        msg.kid = b"other"  # type: ignore[misc]


def test_a_message_in_a_bytearray_parses_as_bytes(es256_signer: Signer) -> None:
    message = sign1(b"payload", es256_signer)
    assert parse_sign1(bytearray(message)) == parse_sign1(message)  # type: ignore[arg-type]
