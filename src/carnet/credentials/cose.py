"""COSE_Sign1 (RFC 9052 §4.2) with ES256 and EdDSA, on cbor2 and cryptography.

Carnet signs every credential as a tagged ``COSE_Sign1``::

    18([ h'A10126',              / protected: {1 (alg): -7 (ES256)} /
         {4 (kid): h'…8 bytes…'}, / unprotected /
         h'…CWT claims…',         / payload /
         h'…64 bytes…' ])         / signature /

The signature covers ``Sig_structure = ["Signature1", protected, external_aad,
payload]`` (RFC 9052 §4.4). ES256 signatures are the raw ``r || s`` pair of
32-byte integers (RFC 9053 §2.1), converted to and from DER only at the
``cryptography`` boundary; EdDSA uses Ed25519 (RFC 9053 §2.2).

Where each failure lands:

* :func:`parse_sign1` raises :class:`DecodeError` for anything structurally
  wrong: not a tagged COSE_Sign1, header labels that are not ``int``/``tstr`` or
  that appear in both buckets (RFC 9052 §3), an ``alg`` that is missing, not in
  the protected bucket (§3.1 requires it to be authenticated), of the wrong
  type, or not one Carnet accepts (ES256, EdDSA; there is no "none"), a
  ``crit`` naming a header Carnet does not process, a ``kid`` that is not a
  byte string, a detached payload, or a signature of the wrong length.
* :func:`verify_sign1` raises :class:`SignatureInvalidError` when the signature
  does not verify, and also when the key offered does not fit the message's
  ``alg`` (an Ed25519 key for ES256, a P-384 key, ...): the message is
  well-formed, it just is not signed by that key.

No pycose: its ES256 is pure Python and far too slow for a checkpoint.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Final, TypeAlias, TypeVar

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from carnet.credentials.cbor import DEFAULT_MAX_SIZE, decode_cbor, encode_deterministic
from carnet.credentials.signing import Algorithm, Signer
from carnet.domain.errors import (
    DecodeError,
    InfrastructureError,
    SignatureInvalidError,
    ValidationError,
)

__all__ = [
    "COSE_SIGN1_TAG",
    "CWT_TAG",
    "HEADER_ALG",
    "HEADER_CRIT",
    "HEADER_KID",
    "HeaderMap",
    "PublicKey",
    "Sign1",
    "parse_sign1",
    "sign1",
    "verify_sign1",
]

#: CBOR tag of a COSE_Sign1 message (RFC 9052 §2).
COSE_SIGN1_TAG: Final = 18
#: CBOR tag of a CWT (RFC 8392 §6); accepted around the COSE_Sign1, never emitted.
CWT_TAG: Final = 61

#: Common header parameter labels (RFC 9052 §3.1).
HEADER_ALG: Final = 1
HEADER_CRIT: Final = 2
HEADER_KID: Final = 4

#: The public keys :func:`verify_sign1` accepts.
PublicKey: TypeAlias = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey

#: A COSE header bucket, read-only.
HeaderMap: TypeAlias = Mapping[int | str, Any]

_T = TypeVar("_T")
# Inside a tag cbor2 returns maps as its frozendict (exported below Python 3.15).
_FROZEN_MAP: Final = getattr(cbor2, "frozendict", dict)
_MAP_TYPES: Final = (dict, _FROZEN_MAP)
_SIGNATURE_SIZE: Final = 64  # ES256 r || s (RFC 9053 §2.1) and Ed25519 (RFC 8032 §5.1.6)
_ES256_COORDINATE_SIZE: Final = 32
_ECDSA_SHA256: Final = ec.ECDSA(hashes.SHA256())
_ALLOWED_TAGS: Final = frozenset({COSE_SIGN1_TAG, CWT_TAG})
_COSE_SIGN1_ITEMS: Final = 4
_UNDERSTOOD_HEADERS: Final = frozenset({HEADER_ALG, HEADER_CRIT, HEADER_KID})
_ALGORITHMS: Final = {int(alg): alg for alg in Algorithm}
_ES256: Final = Algorithm.ES256
# The protected headers Carnet itself writes, {1: alg}: signing skips a CBOR encode,
# verification a CBOR decode.
_ALG_ONLY_PROTECTED: Final = {
    alg: encode_deterministic({HEADER_ALG: int(alg)}) for alg in Algorithm
}
_KNOWN_PROTECTED: Final[dict[bytes, HeaderMap]] = {
    encoded: MappingProxyType({HEADER_ALG: int(alg)})
    for alg, encoded in _ALG_ONLY_PROTECTED.items()
}
# RFC 8949 §3: byte-string heads (major type 2) and their additional information.
_BSTR: Final = 0x40
_IMMEDIATE_LIMIT, _ONE_BYTE, _TWO_BYTES, _FOUR_BYTES = 24, 24, 25, 26
# RFC 9052 §4.4: the first two items of Sig_structure for COSE_Sign1.
_SIG_STRUCTURE_PREFIX: Final = b"\x84\x6aSignature1"
# RFC 9052 §4.2 as RFC 8949 bytes: tag 18 and an array of four; a 64-byte bstr head;
# the head and key of the unprotected map {4: kid}.
_SIGN1_PREFIX: Final = b"\xd2\x84"
_SIGNATURE_HEAD: Final = b"\x58\x40"
_KID_ONLY_MAP_PREFIX: Final = b"\xa1\x04"
# What sign1 writes before the kid's head, 18([h'A101xx', {4: ..., per algorithm
# (all of one length), with what parse_sign1 makes of its protected header.
_OWN_PREFIXES: Final[dict[bytes, tuple[Algorithm, bytes, HeaderMap]]] = {
    b"".join((_SIGN1_PREFIX, bytes((_BSTR + len(encoded),)), encoded, _KID_ONLY_MAP_PREFIX)): (
        alg,
        encoded,
        _KNOWN_PROTECTED[encoded],
    )
    for alg, encoded in _ALG_ONLY_PROTECTED.items()
}
_OWN_PREFIX_SIZE: Final = len(next(iter(_OWN_PREFIXES)))


@dataclass(frozen=True)
class Sign1:
    """A parsed, not yet verified, COSE_Sign1 message (RFC 9052 §4.2).

    Attributes:
        protected: the decoded protected header map.
        unprotected: the unprotected header map.
        alg: the signature algorithm from the protected ``alg`` header.
        kid: the key identifier from either bucket, or ``None``.
        payload: the signed payload; untrusted until :func:`verify_sign1`.
        signature: the raw COSE signature (``r || s`` for ES256).
        protected_bytes: the protected header exactly as signed.
    """

    protected: HeaderMap
    unprotected: HeaderMap
    alg: Algorithm
    kid: bytes | None
    payload: bytes = field(repr=False)
    signature: bytes = field(repr=False)
    protected_bytes: bytes = field(repr=False)


def _construct(cls: type[_T], values: dict[str, object]) -> _T:
    """Build frozen dataclass ``cls`` from values the caller has already checked.

    Decoders run on every verification, and a frozen dataclass's ``__init__``
    pays one ``object.__setattr__`` per field (microseconds for a dozen fields).
    Like pydantic's ``model_construct``, this fills ``__dict__`` directly; absent
    fields fall back to the class-level defaults, so ``cls`` must not use slots.
    """
    instance = object.__new__(cls)
    instance.__dict__.update(values)
    return instance


@lru_cache(maxsize=1024)
def _bstr_head(length: int) -> bytes:
    # RFC 8949 §3 major type 2 head in preferred form, for the Sig_structure;
    # cached because the same few lengths recur on every verification.
    if length < _IMMEDIATE_LIMIT:
        return bytes((_BSTR | length,))
    for info, size in ((_ONE_BYTE, 1), (_TWO_BYTES, 2)):
        if length < 1 << (8 * size):
            return bytes((_BSTR | info, *length.to_bytes(size, "big")))
    return bytes((_BSTR | _FOUR_BYTES, *length.to_bytes(4, "big")))


def _sig_structure(protected: bytes, external_aad: bytes, payload: bytes) -> bytes:
    """Return the ToBeSigned bytes: ``["Signature1", protected, aad, payload]`` (RFC 9052 §4.4)."""
    return b"".join(
        (
            _SIG_STRUCTURE_PREFIX,
            _bstr_head(len(protected)),
            protected,
            _bstr_head(len(external_aad)),
            external_aad,
            _bstr_head(len(payload)),
            payload,
        )
    )


def sign1(
    payload: bytes,
    signer: Signer,
    *,
    protected: Mapping[int, object] | None = None,
    kid_in_protected: bool = False,
    external_aad: bytes = b"",
) -> bytes:
    """Sign ``payload`` into a tagged COSE_Sign1 message (RFC 9052 §4.2, §4.4).

    The protected bucket holds ``alg`` plus any ``protected`` extras (e.g.
    ``typ``, label 16, RFC 9596); the ``kid`` goes unprotected, as in the EU DCC
    and Claim 169 examples where it only selects a key, unless
    ``kid_in_protected`` asks for it to be signed too.

    Raises:
        ValidationError: ``protected`` tries to set ``alg`` or ``kid``, or holds
            a value CBOR cannot carry.
        InfrastructureError: the signer failed, or returned a signature that
            is not the 64-byte COSE form its algorithm requires.
    """
    kid = bytes(signer.kid)
    # A dict look-up first: calling the enum costs more than the rest of the framing.
    algorithm = _ALGORITHMS.get(signer.algorithm) or Algorithm(signer.algorithm)
    if protected or kid_in_protected:
        protected_bytes, unprotected_bytes = _header_buckets(
            algorithm, kid, dict(protected or {}), kid_in_protected=kid_in_protected
        )
    else:  # what every credential uses: {1: alg} protected, {4: kid} unprotected
        protected_bytes = _ALG_ONLY_PROTECTED[algorithm]
        unprotected_bytes = b"".join((_KID_ONLY_MAP_PREFIX, _bstr_head(len(kid)), kid))
    signature = signer.sign(_sig_structure(protected_bytes, external_aad, payload))
    if len(signature) != _SIGNATURE_SIZE:
        raise InfrastructureError(
            f"signer returned {len(signature)} bytes, not a {_SIGNATURE_SIZE}-byte COSE signature"
        )
    # 18([protected, unprotected, payload, signature]) written piece by piece: the
    # same bytes encode_deterministic writes (the tests compare them), without
    # re-encoding the payload.
    return b"".join(
        (
            _SIGN1_PREFIX,
            _bstr_head(len(protected_bytes)),
            protected_bytes,
            unprotected_bytes,
            _bstr_head(len(payload)),
            payload,
            _SIGNATURE_HEAD,
            signature,
        )
    )


def _header_buckets(
    algorithm: Algorithm, kid: bytes, extra: dict[int, object], *, kid_in_protected: bool
) -> tuple[bytes, bytes]:
    """Encode the protected header (as its bstr content) and the unprotected map.

    Raises:
        ValidationError: ``extra`` tries to set ``alg`` or ``kid``, or holds a
            value CBOR cannot carry.
    """
    if HEADER_ALG in extra or HEADER_KID in extra:
        raise ValidationError("COSE: alg and kid come from the signer", field="protected")
    headers: dict[int, object] = {HEADER_ALG: int(algorithm), **extra}
    unprotected: dict[int, object] = {}
    (headers if kid_in_protected else unprotected)[HEADER_KID] = kid
    return encode_deterministic(headers), encode_deterministic(unprotected)


def _has_valid_labels(headers: Mapping[object, object]) -> bool:
    # RFC 9052 §3: label = int / tstr. Exact types: a CBOR bool is not an int.
    return all(type(label) is int or type(label) is str for label in headers)


def _decode_protected(encoded: bytes) -> HeaderMap:
    if not encoded:  # RFC 9052 §3: an empty protected bucket is a zero-length bstr
        return MappingProxyType({})
    headers = decode_cbor(encoded)
    if not isinstance(headers, dict) or not _has_valid_labels(headers):
        raise DecodeError("COSE: protected header is not a map of int or text labels")
    return MappingProxyType(headers)


def _check_crit(crit: object) -> None:
    # RFC 9052 §3.1: crit is a non-empty array of labels, and a recipient that
    # does not process one of them must reject the message.
    if not isinstance(crit, list) or not crit:
        raise DecodeError("COSE: crit is not a non-empty array")
    if not all(type(label) is int and label in _UNDERSTOOD_HEADERS for label in crit):
        raise DecodeError("COSE: crit names a header Carnet does not process")


def _unwrap(item: object) -> tuple[bytes, object, bytes, bytes]:
    """Return the four items of a (CWT-tagged) tagged COSE_Sign1 (RFC 9052 §4.2)."""
    if type(item) is cbor2.CBORTag and item.tag == CWT_TAG:
        item = item.value
    if type(item) is not cbor2.CBORTag or item.tag != COSE_SIGN1_TAG:
        raise DecodeError("COSE: not a tagged COSE_Sign1 message")
    body = item.value  # inside a tag, cbor2 returns arrays as tuples, maps as frozendict
    if type(body) is not tuple or len(body) != _COSE_SIGN1_ITEMS:
        raise DecodeError("COSE: COSE_Sign1 is not an array of four items")
    protected_bytes, unprotected, payload, signature = body
    if type(protected_bytes) is not bytes:
        raise DecodeError("COSE: protected header is not a byte string")
    if type(payload) is not bytes:
        raise DecodeError("COSE: payload is not an attached byte string")
    if type(signature) is not bytes or len(signature) != _SIGNATURE_SIZE:
        raise DecodeError("COSE: signature is not a 64-byte string")
    return protected_bytes, unprotected, payload, signature


def _bstr_at(data: bytes, offset: int) -> tuple[int, int]:
    """Return the span of the byte string whose head is at ``offset`` (RFC 8949 §3).

    Only the heads :func:`sign1` writes are read (lengths up to 65,535).

    Raises:
        IndexError: the head is not one of those, or lies past the end of ``data``.
            The span itself may run past the end: callers check the total length.
    """
    head = data[offset]
    if _BSTR <= head < _BSTR + _IMMEDIATE_LIMIT:
        return offset + 1, offset + 1 + head - _BSTR
    if head == _BSTR + _ONE_BYTE:
        return offset + 2, offset + 2 + data[offset + 1]
    if head == _BSTR + _TWO_BYTES:
        return offset + 3, offset + 3 + int.from_bytes(data[offset + 1 : offset + 3], "big")
    raise IndexError(offset)


def _parse_own_layout(data: bytes) -> Sign1 | None:
    """Read a COSE_Sign1 laid out exactly as :func:`sign1` writes it, or return ``None``.

    ``18([h'A101xx', {4: kid}, payload, signature])``: a fixed prefix, then three
    byte strings whose lengths must add up to the input's. Every such input is
    one well-formed item that :func:`parse_sign1`'s general path accepts with
    the same result (the tests compare them), so no check is skipped; reading it
    by slicing saves a CBOR decoder call on every verification. Anything else,
    including a CWT tag around it, returns ``None`` for the general path.
    """
    prefix = _OWN_PREFIXES.get(data[:_OWN_PREFIX_SIZE])
    if prefix is None:
        return None
    try:
        kid_start, kid_end = _bstr_at(data, _OWN_PREFIX_SIZE)
        payload_start, payload_end = _bstr_at(data, kid_end)
    except IndexError:
        return None
    signature_start = payload_end + len(_SIGNATURE_HEAD)
    if (
        len(data) != signature_start + _SIGNATURE_SIZE
        or data[payload_end:signature_start] != _SIGNATURE_HEAD
    ):
        return None
    algorithm, protected_bytes, protected = prefix
    kid = data[kid_start:kid_end]
    return _construct(
        Sign1,
        {
            "protected": protected,
            "unprotected": _FROZEN_MAP({HEADER_KID: kid}),
            "alg": algorithm,
            "kid": kid,
            "payload": data[payload_start:payload_end],
            "signature": data[signature_start:],
            "protected_bytes": protected_bytes,
        },
    )


def parse_sign1(data: bytes, *, max_size: int = DEFAULT_MAX_SIZE) -> Sign1:
    """Parse a tagged COSE_Sign1 message, optionally wrapped in the CWT tag.

    Nothing is verified here; the result only says what the message claims.

    Raises:
        DecodeError: see the module docstring for every case.
    """
    if type(data) is bytes and len(data) <= max_size:
        own = _parse_own_layout(data)
        if own is not None:
            return own
    # Runs on every verification: exact type checks and few helper calls.
    protected_bytes, unprotected, payload, signature = _unwrap(
        decode_cbor(data, max_size=max_size, allowed_tags=_ALLOWED_TAGS)
    )
    protected = _KNOWN_PROTECTED.get(protected_bytes) or _decode_protected(protected_bytes)
    if not isinstance(unprotected, _MAP_TYPES) or not _has_valid_labels(unprotected):
        raise DecodeError("COSE: unprotected header is not a map of int or text labels")
    if not protected.keys().isdisjoint(unprotected.keys()):
        raise DecodeError("COSE: a header label appears in both buckets (RFC 9052 §3)")
    if HEADER_ALG in unprotected or HEADER_CRIT in unprotected:
        raise DecodeError("COSE: alg and crit must be in the protected header (RFC 9052 §3.1)")
    alg = protected.get(HEADER_ALG)
    algorithm = _ALGORITHMS.get(alg) if type(alg) is int else None
    if algorithm is None:
        raise DecodeError("COSE: missing or unsupported alg")
    if HEADER_CRIT in protected:
        _check_crit(protected[HEADER_CRIT])
    kid = unprotected.get(HEADER_KID) if HEADER_KID in unprotected else protected.get(HEADER_KID)
    if kid is not None and type(kid) is not bytes:
        raise DecodeError("COSE: kid is not a byte string")
    # Built without __init__ (see _construct): every field was checked above.
    return _construct(
        Sign1,
        {
            "protected": protected,
            "unprotected": unprotected,
            "alg": algorithm,
            "kid": kid,
            "payload": payload,
            "signature": signature,
            "protected_bytes": protected_bytes,
        },
    )


def verify_sign1(msg: Sign1, public_key: PublicKey, *, external_aad: bytes = b"") -> bytes:
    """Verify ``msg`` under ``public_key`` and return its payload (RFC 9052 §4.4).

    Raises:
        SignatureInvalidError: the signature does not verify, or the key does
            not fit ``msg.alg`` (ES256 needs a P-256 key, EdDSA an Ed25519 key).
    """
    to_be_signed = _sig_structure(msg.protected_bytes, external_aad, msg.payload)
    try:
        if msg.alg is _ES256:
            if not isinstance(public_key, ec.EllipticCurvePublicKey) or not isinstance(
                public_key.curve, ec.SECP256R1
            ):
                raise SignatureInvalidError("COSE: ES256 needs a P-256 public key")
            size = _ES256_COORDINATE_SIZE
            der = encode_dss_signature(
                int.from_bytes(msg.signature[:size], "big"),
                int.from_bytes(msg.signature[size:], "big"),
            )
            public_key.verify(der, to_be_signed, _ECDSA_SHA256)
        else:
            if not isinstance(public_key, ed25519.Ed25519PublicKey):
                raise SignatureInvalidError("COSE: EdDSA needs an Ed25519 public key")
            public_key.verify(msg.signature, to_be_signed)
    except InvalidSignature as exc:
        raise SignatureInvalidError("COSE: signature does not verify") from exc
    return msg.payload
