"""Signed-note keys: names, key IDs, Ed25519 signers and verifiers (C2SP signed-note).

A note key is named (``carnet.example/log``) and identified by a 4-byte key ID,
``SHA-256(name || 0x0A || 0x01 || 32-byte Ed25519 public key)[:4]``
(c2sp.org/signed-note, "Ed25519 signatures"). Verifiers are configured from the
text form ``<name>+<hex key ID>+<base64(0x01 || public key)>``.

Signing goes through the small :class:`NoteSigner` protocol so that the private
key may live in an HSM: :class:`Ed25519NoteSigner` needs only the public key and
a ``sign`` callable. Private keys never appear in a ``repr`` or a message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from carnet.domain.errors import CheckpointError

if TYPE_CHECKING:
    from collections.abc import Callable

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = [
    "ED25519_SIGNATURE_TYPE",
    "Ed25519NoteSigner",
    "Ed25519NoteVerifier",
    "NoteSigner",
    "NoteVerifier",
    "decode_base64",
    "ed25519_key_id",
    "is_valid_key_name",
]

ED25519_SIGNATURE_TYPE = 0x01
"""The signature type byte of Ed25519 note signatures (c2sp.org/signed-note)."""

_PUBLIC_KEY_SIZE = 32
_SIGNATURE_SIZE = 64
_KEY_ID_HEX = re.compile(r"[0-9a-f]{8}")
_FIELD_PRIME = 2**255 - 19
# Encodings of the eight points of small order (canonical ones, plus the two
# "negative zero" x encodings). OpenSSL accepts them as public keys, and under
# such a key a forged signature can verify for every message; x/mod's note
# package refuses them too.
_SMALL_ORDER_KEYS = frozenset(
    bytes.fromhex(h)
    for h in (
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000080",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    )
)


def is_valid_key_name(name: str) -> bool:
    """Whether ``name`` is a valid key name: non-empty, no Unicode space, no ``+``."""
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def decode_base64(text: str, what: str) -> bytes:
    """Decode standard, padded, canonical base64 (RFC 4648 §4).

    Non-canonical encodings are refused so that a note or checkpoint has exactly
    one byte representation.

    Raises:
        CheckpointError: ``text`` is not canonical base64.
    """
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise CheckpointError(f"{what} is not valid base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise CheckpointError(f"{what} is not canonical base64")
    return raw


def ed25519_key_id(name: str, public_key: bytes) -> bytes:
    """Return the 4-byte key ID of an Ed25519 note key (c2sp.org/signed-note)."""
    material = name.encode() + b"\n" + bytes([ED25519_SIGNATURE_TYPE]) + public_key
    return hashlib.sha256(material).digest()[:4]


@runtime_checkable
class NoteSigner(Protocol):
    """A named key that signs note texts; the key itself may sit in an HSM."""

    @property
    def name(self) -> str:
        """The key name written on the signature line."""
        ...

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID written before the signature."""
        ...

    def sign(self, message: bytes) -> bytes:
        """Return the signature of ``message`` (the note text).

        Raises:
            InfrastructureError: the key store (file, HSM) could not be used.
        """
        ...


@runtime_checkable
class NoteVerifier(Protocol):
    """A trusted named key that checks note signatures."""

    @property
    def name(self) -> str:
        """The key name expected on the signature line."""
        ...

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID expected before the signature."""
        ...

    def verify(self, message: bytes, signature: bytes) -> None:
        """Return if ``signature`` signs ``message``.

        Raises:
            CheckpointError: the signature does not verify.
        """
        ...


def _check_key(name: str, public_key: bytes) -> None:
    if not is_valid_key_name(name):
        raise CheckpointError("invalid key name", field="name")
    if len(public_key) != _PUBLIC_KEY_SIZE:
        raise CheckpointError("an Ed25519 public key is 32 bytes", field="public_key")


def _is_weak_ed25519_key(public_key: bytes) -> bool:
    """Whether a key is a non-canonical encoding (y >= p) or a small-order point."""
    y = int.from_bytes(public_key, "little") & ((1 << 255) - 1)
    return y >= _FIELD_PRIME or public_key in _SMALL_ORDER_KEYS


class Ed25519NoteVerifier:
    """A :class:`NoteVerifier` for one Ed25519 public key (RFC 8032).

    Raises:
        CheckpointError: invalid key name, a public key that is not 32 bytes,
            or a weak key (non-canonical or of small order, RFC 8032 §5.1.3).
    """

    __slots__ = ("_key", "_key_id", "_name", "_public_key")

    def __init__(self, name: str, public_key: bytes) -> None:
        _check_key(name, public_key)
        if _is_weak_ed25519_key(public_key):
            raise CheckpointError("weak Ed25519 public key", field="public_key")
        self._name = name
        self._public_key = bytes(public_key)
        self._key_id = ed25519_key_id(name, public_key)
        self._key = Ed25519PublicKey.from_public_bytes(public_key)

    def __repr__(self) -> str:
        return f"Ed25519NoteVerifier({self._name!r}, key_id={self._key_id.hex()})"

    @classmethod
    def from_vkey(cls, vkey: str) -> Ed25519NoteVerifier:
        """Parse ``<name>+<hex key ID>+<base64(0x01 || public key)>``.

        Raises:
            CheckpointError: malformed text, an algorithm other than Ed25519, or
                a key ID that does not match the name and key.
        """
        parts = vkey.split("+", 2)
        if len(parts) != 3 or not _KEY_ID_HEX.fullmatch(parts[1]):  # noqa: PLR2004
            raise CheckpointError("malformed verifier key")
        name, key_id_hex, encoded = parts
        material = decode_base64(encoded, "verifier key")
        if material[:1] != bytes([ED25519_SIGNATURE_TYPE]):
            raise CheckpointError("verifier key is not an Ed25519 key")
        verifier = cls(name, material[1:])
        if verifier.key_id.hex() != key_id_hex:
            raise CheckpointError("verifier key ID does not match its key")
        return verifier

    @property
    def name(self) -> str:
        """The key name."""
        return self._name

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID."""
        return self._key_id

    @property
    def vkey(self) -> str:
        """The verifier key text ``<name>+<hex key ID>+<base64(0x01 || key)>``."""
        material = bytes([ED25519_SIGNATURE_TYPE]) + self._public_key
        return f"{self._name}+{self._key_id.hex()}+{base64.b64encode(material).decode()}"

    def verify(self, message: bytes, signature: bytes) -> None:
        """Return if ``signature`` is a valid Ed25519 signature of ``message``.

        Raises:
            CheckpointError: the signature is not 64 bytes or does not verify.
        """
        if len(signature) != _SIGNATURE_SIZE:
            raise CheckpointError("note signature does not verify: wrong length")
        try:
            self._key.verify(signature, message)
        except InvalidSignature as exc:
            raise CheckpointError("note signature does not verify") from exc


class Ed25519NoteSigner:
    """A :class:`NoteSigner` for an Ed25519 key held anywhere.

    Args:
        name: the key name.
        public_key: the 32-byte Ed25519 public key (to derive the key ID).
        sign: returns the 64-byte Ed25519 signature of its argument, e.g. an
            HSM session's sign operation.

    Raises:
        CheckpointError: invalid key name, or a public key that is not 32 bytes.
    """

    __slots__ = ("_key_id", "_name", "_public_key", "_sign")

    def __init__(self, name: str, public_key: bytes, sign: Callable[[bytes], bytes]) -> None:
        _check_key(name, public_key)
        self._name = name
        self._public_key = bytes(public_key)
        self._key_id = ed25519_key_id(name, public_key)
        self._sign = sign

    def __repr__(self) -> str:
        return f"Ed25519NoteSigner({self._name!r}, key_id={self._key_id.hex()})"

    @classmethod
    def from_private_key(cls, name: str, key: Ed25519PrivateKey) -> Ed25519NoteSigner:
        """Wrap an in-process ``cryptography`` Ed25519 private key."""
        public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return cls(name, public, key.sign)

    @property
    def name(self) -> str:
        """The key name."""
        return self._name

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID."""
        return self._key_id

    def verifier(self) -> Ed25519NoteVerifier:
        """Return the matching verifier (to publish as a verifier key)."""
        return Ed25519NoteVerifier(self._name, self._public_key)

    def sign(self, message: bytes) -> bytes:
        """Return the Ed25519 signature of ``message``.

        Raises:
            CheckpointError: the signing callable returned something other than
                a 64-byte signature.
        """
        signature = self._sign(message)
        if len(signature) != _SIGNATURE_SIZE:
            raise CheckpointError("the signing key returned a malformed signature")
        return signature
