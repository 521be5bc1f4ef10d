"""The trust list: what a checkpoint needs to trust document signers offline.

A trust list holds the root certificate, the document-signer (DS) certificates and
the root's current CRL, all in DER, plus the time it was issued. Verifiers pin the
root certificate and accept a trust list only if the root signed it.

Wire format. The body is a deterministically encoded CBOR map (RFC 8949 §4.2.1)::

    { 1: 1 (format version), 2: root DER, 3: [DS DER, ...], 4: CRL DER,
      5: issued_at (seconds since the epoch, UTC) }

It travels as the payload of a COSE_Sign1 message (RFC 9052 §4.2, tag 18) signed by
the root key, with protected headers ``alg`` (1), ``content type`` (3) =
:data:`CONTENT_TYPE` and ``kid`` (4) = the root's kid. The few lines of COSE_Sign1
needed here are written locally, so this module does not depend on the credential
COSE module; because the bytes already are standard COSE_Sign1 (tested against
pycose), moving to the shared implementation later changes no byte on the wire.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from carnet.credentials.pki import algorithm_of, key_id, load_public_key, verify_signature
from carnet.credentials.signing import Algorithm
from carnet.domain.errors import DecodeError, UnknownSignerError, ValidationError

if TYPE_CHECKING:
    from carnet.credentials.signing import Signer

__all__ = [
    "CONTENT_TYPE",
    "FORMAT_VERSION",
    "MAX_TRUST_LIST_SIZE",
    "TrustList",
    "parse_trust_list",
    "sign_trust_list",
]

CONTENT_TYPE = "application/vnd.carnet.trust-list+cbor"
FORMAT_VERSION = 1
MAX_TRUST_LIST_SIZE = 4 * 1024 * 1024
"""Larger inputs are refused before any parsing."""

_COSE_SIGN1_TAG = 18  # RFC 9052 §4.2
_HEADER_ALG, _HEADER_CRIT, _HEADER_CONTENT_TYPE, _HEADER_KID = 1, 2, 3, 4  # RFC 9052 §3.1
_VERSION, _ROOT, _SIGNERS, _CRL, _ISSUED_AT = 1, 2, 3, 4, 5
_BODY_KEYS = {_VERSION, _ROOT, _SIGNERS, _CRL, _ISSUED_AT}
_MAX_DEPTH = 8  # the deepest legitimate nesting is 3 (envelope, body, signer list)
_DER = serialization.Encoding.DER


@dataclass(frozen=True)
class TrustList:
    """The root certificate, its document-signer certificates and its current CRL.

    ``issued_at`` is carried at one-second resolution.

    Raises:
        ValidationError: ``issued_at`` is not timezone-aware.
    """

    root: x509.Certificate = field(repr=False)
    signers: tuple[x509.Certificate, ...] = field(repr=False)
    crl: x509.CertificateRevocationList = field(repr=False)
    issued_at: datetime

    def __post_init__(self) -> None:
        if self.issued_at.utcoffset() is None:
            raise ValidationError("datetime must be timezone-aware", field="issued_at")
        object.__setattr__(self, "signers", tuple(self.signers))

    def __repr__(self) -> str:
        root_kid = key_id(_spki(self.root)).hex()
        return (
            f"TrustList(root_kid={root_kid!r}, signers={len(self.signers)}, "
            f"issued_at={self.issued_at.isoformat()!r})"
        )

    def to_cbor(self) -> bytes:
        """Return the body as deterministic CBOR (RFC 8949 §4.2.1), unsigned."""
        body = {
            _VERSION: FORMAT_VERSION,
            _ROOT: self.root.public_bytes(_DER),
            _SIGNERS: [cert.public_bytes(_DER) for cert in self.signers],
            _CRL: self.crl.public_bytes(_DER),
            _ISSUED_AT: int(self.issued_at.timestamp()),
        }
        return cbor2.dumps(body, canonical=True)

    @classmethod
    def from_cbor(cls, body: bytes) -> TrustList:
        """Parse a body made by :meth:`to_cbor`. It checks no signature.

        Raises:
            DecodeError: not a well-formed trust list body of a known version.
        """
        fields = _decode(body)
        if not isinstance(fields, Mapping) or set(fields) != _BODY_KEYS:
            raise DecodeError("trust list body is malformed")
        if fields[_VERSION] != FORMAT_VERSION:
            raise DecodeError("unsupported trust list version")
        root, signers, crl, issued = (fields[k] for k in (_ROOT, _SIGNERS, _CRL, _ISSUED_AT))
        if (
            not isinstance(root, bytes)
            or not isinstance(signers, list | tuple)
            or not all(isinstance(der, bytes) for der in signers)
            or not isinstance(crl, bytes)
            or type(issued) is not int
        ):
            raise DecodeError("trust list body is malformed")
        try:
            return cls(
                root=x509.load_der_x509_certificate(root),
                signers=tuple(x509.load_der_x509_certificate(der) for der in signers),
                crl=x509.load_der_x509_crl(crl),
                issued_at=datetime.fromtimestamp(issued, tz=UTC),
            )
        except (ValueError, OverflowError, OSError) as exc:
            raise DecodeError("trust list holds a malformed certificate, CRL or time") from exc


def sign_trust_list(trust_list: TrustList, signer: Signer) -> bytes:
    """Sign ``trust_list`` with the root key as a COSE_Sign1 message (RFC 9052 §4.2).

    Raises:
        ValidationError: ``signer`` does not hold the trust list's root key.
        InfrastructureError: the signer (key file, HSM) failed.
    """
    root_der = _spki(trust_list.root)
    root_key = load_public_key(root_der)
    if signer.kid != key_id(root_der) or signer.algorithm is not algorithm_of(root_key):
        raise ValidationError("signer does not hold the root key", field="signer")
    protected = cbor2.dumps(
        {
            _HEADER_ALG: int(signer.algorithm),
            _HEADER_CONTENT_TYPE: CONTENT_TYPE,
            _HEADER_KID: signer.kid,
        },
        canonical=True,
    )
    payload = trust_list.to_cbor()
    signature = signer.sign(_sig_structure(protected, payload))
    message = cbor2.CBORTag(_COSE_SIGN1_TAG, [protected, {}, payload, signature])
    return cbor2.dumps(message, canonical=True)


def parse_trust_list(data: bytes, root: x509.Certificate) -> TrustList:
    """Check that the pinned ``root`` signed ``data`` and return the trust list in it.

    Raises:
        DecodeError: ``data`` is not a well-formed signed trust list.
        UnknownSignerError: it was signed by, or names, another root.
        SignatureInvalidError: the signature does not verify under ``root``.
        ValidationError: ``root`` holds neither a P-256 nor an Ed25519 key.
    """
    root_der = _spki(root)
    root_key = load_public_key(root_der)
    if len(data) > MAX_TRUST_LIST_SIZE:
        raise DecodeError("trust list is too large")
    message = _decode(data)
    if (
        not isinstance(message, cbor2.CBORTag)
        or message.tag != _COSE_SIGN1_TAG
        or not isinstance(message.value, list | tuple)
        or len(message.value) != 4  # noqa: PLR2004 - RFC 9052 §4.2: four elements
    ):
        raise DecodeError("not a COSE_Sign1 message")
    protected, unprotected, payload, signature = message.value
    if not (
        isinstance(protected, bytes)
        and isinstance(unprotected, Mapping)
        and isinstance(payload, bytes)
        and isinstance(signature, bytes)
    ):
        raise DecodeError("not a COSE_Sign1 message")
    algorithm, kid = _read_protected(protected)
    if kid != key_id(root_der):
        raise UnknownSignerError("trust list is not signed by the pinned root")
    verify_signature(root_key, algorithm, _sig_structure(protected, payload), signature)
    trust_list = TrustList.from_cbor(payload)
    if trust_list.root != root:
        raise UnknownSignerError("trust list names another root")
    return trust_list


def _read_protected(protected: bytes) -> tuple[Algorithm, bytes]:
    headers = _decode(protected)
    if not isinstance(headers, Mapping):
        raise DecodeError("COSE protected header is malformed")
    if _HEADER_CRIT in headers:
        raise DecodeError("COSE critical headers are not supported")
    if headers.get(_HEADER_CONTENT_TYPE) != CONTENT_TYPE:
        raise DecodeError("not a trust list")
    algorithm = headers.get(_HEADER_ALG)
    if type(algorithm) is not int or algorithm not in {int(alg) for alg in Algorithm}:
        raise DecodeError("unsupported COSE algorithm")
    kid = headers.get(_HEADER_KID)
    if not isinstance(kid, bytes):
        raise DecodeError("COSE kid is missing")
    return Algorithm(algorithm), kid


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    """Return the COSE Sig_structure for COSE_Sign1 with no external AAD (RFC 9052 §4.4)."""
    return cbor2.dumps(["Signature1", protected, b"", payload])


def _decode(data: bytes) -> Any:  # noqa: ANN401 - untrusted CBOR: callers check the type
    """Decode one CBOR item: no trailing bytes, no duplicate map keys, bounded depth."""
    stream = io.BytesIO(data)
    try:
        value = cbor2.CBORDecoder(stream, max_depth=_MAX_DEPTH, allow_duplicate_keys=False).decode()
    except (cbor2.CBORDecodeError, ValueError, TypeError, OverflowError) as exc:
        raise DecodeError("malformed CBOR") from exc
    if stream.tell() != len(data):
        raise DecodeError("trailing bytes after CBOR item")
    return value


def _spki(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(_DER, serialization.PublicFormat.SubjectPublicKeyInfo)
