from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from carnet.domain.errors import CheckpointError
from carnet.ledger.keys import (
    Ed25519NoteSigner,
    Ed25519NoteVerifier,
    NoteSigner,
    NoteVerifier,
    decode_base64,
    ed25519_key_id,
    is_valid_key_name,
)

pytestmark = pytest.mark.unit

NAME = "carnet.example/log"
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUB = KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

# The verifier key published with golang.org/x/mod/sumdb/note (package doc).
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"


def _hand_vkey(name: str, pub: bytes) -> str:
    key_id = hashlib.sha256(name.encode() + b"\n" + b"\x01" + pub).digest()[:4]
    material = base64.b64encode(b"\x01" + pub).decode()
    return f"{name}+{key_id.hex()}+{material}"


def test_key_id_follows_the_spec_formula() -> None:
    expected = hashlib.sha256(NAME.encode() + b"\x0a\x01" + PUB).digest()[:4]
    assert ed25519_key_id(NAME, PUB) == expected
    assert Ed25519NoteSigner.from_private_key(NAME, KEY).key_id == expected


def test_verifier_key_text_round_trips() -> None:
    vkey = _hand_vkey(NAME, PUB)
    verifier = Ed25519NoteVerifier.from_vkey(vkey)
    assert verifier.vkey == vkey
    assert Ed25519NoteSigner.from_private_key(NAME, KEY).verifier().vkey == vkey
    assert (verifier.name, verifier.key_id) == (NAME, ed25519_key_id(NAME, PUB))
    assert isinstance(verifier, NoteVerifier)
    assert isinstance(Ed25519NoteSigner.from_private_key(NAME, KEY), NoteSigner)


def test_go_reference_verifier_key_parses() -> None:
    verifier = Ed25519NoteVerifier.from_vkey(GO_VKEY)
    assert verifier.name == "PeterNeumann"
    assert verifier.key_id == bytes.fromhex("c74f20a3")
    assert verifier.vkey == GO_VKEY


def test_every_truncation_of_a_verifier_key_is_rejected() -> None:
    for i in range(len(GO_VKEY)):
        for j in range(i + 1, len(GO_VKEY) + 1):
            if (i, j) != (0, len(GO_VKEY)):
                with pytest.raises(CheckpointError):
                    Ed25519NoteVerifier.from_vkey(GO_VKEY[i:j])


@pytest.mark.parametrize(
    "vkey",
    [
        GO_VKEY.replace("c74f20a3", "C74F20A3"),
        GO_VKEY.replace("c74f20a3", "c74f20a4"),
        GO_VKEY.replace("PeterNeumann", "Peter Neumann"),
        GO_VKEY.replace("+ARpc", "+AhpC"),
        "PeterNeumann+c74f20a3+" + base64.b64encode(b"\x01" + b"k" * 31).decode(),
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TX",
        "PeterNeumann+c74f20a3+!Rpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\u00e9",
    ],
)
def test_mangled_verifier_keys_are_rejected(vkey: str) -> None:
    with pytest.raises(CheckpointError):
        Ed25519NoteVerifier.from_vkey(vkey)


def test_small_order_and_non_canonical_keys_are_refused() -> None:
    # Why: OpenSSL accepts the all-zero key, under which this forgery verifies
    # for any message.
    Ed25519PublicKey.from_public_bytes(bytes(32)).verify(bytes(64), b"any message")
    with pytest.raises(CheckpointError, match="weak"):
        Ed25519NoteVerifier(NAME, bytes(32))
    non_canonical = (2**255 - 19 + 1).to_bytes(32, "little")  # y = p + 1
    with pytest.raises(CheckpointError, match="weak"):
        Ed25519NoteVerifier(NAME, non_canonical)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "tab\there", "nb\u00a0sp"])
def test_key_names_without_spaces_or_plus(name: str) -> None:
    assert not is_valid_key_name(name)
    with pytest.raises(CheckpointError, match="key name"):
        Ed25519NoteVerifier(name, PUB)
    with pytest.raises(CheckpointError, match="key name"):
        Ed25519NoteSigner(name, PUB, KEY.sign)


def test_public_key_must_be_32_bytes() -> None:
    with pytest.raises(CheckpointError, match="32 bytes"):
        Ed25519NoteVerifier(NAME, PUB[:31])


def test_signer_signs_and_verifier_checks() -> None:
    signer = Ed25519NoteSigner.from_private_key(NAME, KEY)
    signature = signer.sign(b"text\n")
    assert signature == KEY.sign(b"text\n")
    verifier = signer.verifier()
    verifier.verify(b"text\n", signature)
    with pytest.raises(CheckpointError, match="does not verify"):
        verifier.verify(b"text!\n", signature)
    with pytest.raises(CheckpointError, match="wrong length"):
        verifier.verify(b"text\n", signature[:-1])


def test_signer_can_wrap_an_external_sign_function() -> None:
    calls: list[bytes] = []

    def hsm_sign(message: bytes) -> bytes:
        calls.append(message)
        return KEY.sign(message)

    signer = Ed25519NoteSigner(NAME, PUB, hsm_sign)
    signer.verifier().verify(b"m\n", signer.sign(b"m\n"))
    assert calls == [b"m\n"]
    broken = Ed25519NoteSigner(NAME, PUB, lambda _m: b"\x00" * 10)
    with pytest.raises(CheckpointError, match="malformed signature"):
        broken.sign(b"m\n")


def test_reprs_name_the_key_but_hold_no_key_material() -> None:
    signer = Ed25519NoteSigner.from_private_key(NAME, KEY)
    key_id = ed25519_key_id(NAME, PUB).hex()
    assert repr(signer) == f"Ed25519NoteSigner('{NAME}', key_id={key_id})"
    assert repr(signer.verifier()) == f"Ed25519NoteVerifier('{NAME}', key_id={key_id})"


@pytest.mark.parametrize("text", ["AAA", "AA==\n", "AB==", "A\u00e9A="])
def test_base64_must_be_canonical(text: str) -> None:
    with pytest.raises(CheckpointError, match="base64"):
        decode_base64(text, "value")
