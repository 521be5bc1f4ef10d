"""The document-signing PKI: a root authority, document-signer certificates, revocation.

Modelled on ICAO Doc 9303 Part 12 (CSCA / Document Signer): a self-signed root
(the Country Signing CA) certifies one **document-signer** (DS) certificate per
issuing authority and document type. Verifiers pin only the root; DS keys rotate by
issuing a new certificate, and the old one keeps verifying until it expires or is
revoked in the root's CRL (RFC 5280 §5).

Profile of a DS certificate (ICAO 9303-12 §7.1.1, RFC 5280 §4.2):

* subject ``C`` (copied from the root, if it has one), ``O`` = issuing authority,
  ``OU`` = document type, ``CN`` = :data:`DOCUMENT_SIGNER_CN`;
* ``keyUsage`` = digitalSignature (critical) and no ``basicConstraints``;
* ``extendedKeyUsage`` = :data:`ID_KP_DOCUMENT_SIGNER`, under our own arc
  :data:`CARNET_OID_ARC` = ``2.25.<UUID>`` (ITU-T X.667 §8: an OID derived from a
  UUID needs no registration), so a Carnet DS key is never taken for a TLS or
  code-signing key, nor the other way round;
* subject and authority key identifiers (RFC 5280 §4.2.1.1-2).

Keys stay behind a :class:`~carnet.credentials.signing.Signer`, so the root key may
live in an HSM. ``cryptography`` builds certificates only with a private key object,
so it builds and signs each one with a throwaway key of the same algorithm; the real
signer then signs the exact ``tbsCertificate`` (or ``tbsCertList``) bytes and its
signature is spliced into the outer DER SEQUENCE (RFC 5280 §4.1.1.3, §5.1.1.3). The
TBS holds no trace of the throwaway key: its ``signature`` AlgorithmIdentifier
depends on the algorithm only. Every result is verified under the root key before
it is returned, so a wrong or faulty signer cannot go unnoticed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias, TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID

from carnet.credentials.signing import Algorithm, Signer
from carnet.domain.errors import (
    CredentialError,
    DecodeError,
    InfrastructureError,
    SignatureInvalidError,
    SignerNotValidError,
    SignerRevokedError,
    UnknownSignerError,
    ValidationError,
)

if TYPE_CHECKING:
    from datetime import datetime

    from carnet.credentials.trustlist import TrustList

__all__ = [
    "CARNET_OID_ARC",
    "DOCUMENT_SIGNER_CN",
    "ID_KP_DOCUMENT_SIGNER",
    "RootAuthority",
    "SignerInfo",
    "SignerPublicKey",
    "algorithm_of",
    "key_id",
    "load_public_key",
    "validate_signer",
    "verify_signature",
]

CARNET_OID_ARC = "2.25.295248615652276251774384342395098806575"
"""Carnet's own OID arc: UUID ``de1ed0a3-56db-4df7-93d2-cfbccf34b92f`` (X.667 §8)."""

ID_KP_DOCUMENT_SIGNER = x509.ObjectIdentifier(f"{CARNET_OID_ARC}.1")
"""The extendedKeyUsage purpose of a Carnet document-signer certificate."""

DOCUMENT_SIGNER_CN = "Document Signer"

SignerPublicKey: TypeAlias = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
"""The public keys Carnet signs with: P-256 (ES256) and Ed25519 (EdDSA)."""

_E = TypeVar("_E", bound=x509.ExtensionType)

_KID_LENGTH = 8
_ES256_HALF = 32  # RFC 9053 §2.1: r and s are 32 bytes each for P-256
_MAX_SERIAL = 1 << 159  # RFC 5280 §4.1.2.2: positive, at most 20 octets
_MAX_NAME = 64  # RFC 5280 Appendix A: ub-organization-name, ub-organizational-unit-name
_DER_LONG_FORM = 0x80  # X.690 §8.1.3.5: high bit of the first length octet
_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_id(public_key_der: bytes) -> bytes:
    """Return the ``kid`` of a key: the first 8 bytes of SHA-256 over its DER SPKI."""
    return hashlib.sha256(public_key_der).digest()[:_KID_LENGTH]


def load_public_key(public_key_der: bytes) -> SignerPublicKey:
    """Load a DER SubjectPublicKeyInfo holding a P-256 or Ed25519 key.

    Raises:
        ValidationError: not a DER SPKI, or another kind of key.
    """
    try:
        loaded = serialization.load_der_public_key(public_key_der)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise ValidationError("not a DER SubjectPublicKeyInfo", field="public_key_der") from exc
    key = _supported(loaded)
    if key is None:
        raise ValidationError("key is not P-256 or Ed25519", field="public_key_der")
    return key


def algorithm_of(public_key: SignerPublicKey) -> Algorithm:
    """Return the COSE algorithm a key signs with (RFC 9053 §2.1, §2.2)."""
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return Algorithm.EDDSA
    return Algorithm.ES256


def verify_signature(
    public_key: SignerPublicKey, algorithm: Algorithm, data: bytes, signature: bytes
) -> None:
    """Check a COSE-format signature: ``r || s`` for ES256 (RFC 9053 §2.1), EdDSA (§2.2).

    Raises:
        SignatureInvalidError: the signature does not verify, has the wrong length,
            or ``algorithm`` does not fit the key.
    """
    try:
        if (
            algorithm is Algorithm.ES256
            and isinstance(public_key, ec.EllipticCurvePublicKey)
            and isinstance(public_key.curve, ec.SECP256R1)
            and len(signature) == 2 * _ES256_HALF
        ):
            public_key.verify(_dss(signature), data, ec.ECDSA(hashes.SHA256()))
            return
        if algorithm is Algorithm.EDDSA and isinstance(public_key, ed25519.Ed25519PublicKey):
            public_key.verify(signature, data)
            return
    except InvalidSignature as exc:
        raise SignatureInvalidError("signature does not verify") from exc
    raise SignatureInvalidError("signature does not fit the key or algorithm")


@dataclass(frozen=True)
class SignerInfo:
    """A document signer that checked out: its key, issuing authority and document type."""

    kid: bytes
    algorithm: Algorithm
    authority: str
    document_type: str
    serial_number: int
    not_before: datetime
    not_after: datetime
    public_key: SignerPublicKey = field(repr=False, compare=False)

    @property
    def public_key_der(self) -> bytes:
        """The DER SubjectPublicKeyInfo of the signer's key."""
        return self.public_key.public_bytes(*_SPKI)

    def verify(self, data: bytes, signature: bytes) -> None:
        """Check a COSE-format signature made by this signer.

        Raises:
            SignatureInvalidError: the signature does not verify.
        """
        verify_signature(self.public_key, self.algorithm, data, signature)


class RootAuthority:
    """The root (CSCA-like) authority: its self-signed certificate and its signer.

    Build it from an existing certificate and the signer holding its key, or make a
    new one with :meth:`create`.

    Raises:
        ValidationError: the certificate is not a self-signed CA certificate over a
            P-256 or Ed25519 key, or the signer does not hold that key.
    """

    def __init__(self, certificate: x509.Certificate, signer: Signer) -> None:
        public_key = _certificate_key(certificate)
        if public_key is None:
            raise ValidationError("root key is not P-256 or Ed25519")
        constraints = _extension(certificate, x509.BasicConstraints)
        if constraints is None or not constraints.ca:
            raise ValidationError("root certificate is not a CA certificate")
        try:
            certificate.verify_directly_issued_by(certificate)
        except (ValueError, InvalidSignature) as exc:
            raise ValidationError("root certificate is not self-signed") from exc
        _check_signer_holds(signer, public_key)
        self._certificate = certificate
        self._public_key = public_key
        self._signer = signer

    @classmethod
    def create(
        cls,
        signer: Signer,
        public_key_der: bytes,
        subject: x509.Name,
        not_before: datetime,
        not_after: datetime,
        *,
        serial_number: int,
    ) -> RootAuthority:
        """Make a new root: a self-signed CA certificate over ``public_key_der``.

        The profile is ICAO 9303-12 §7.1.1's for a CSCA: basicConstraints CA with
        pathLenConstraint 0, keyUsage keyCertSign and cRLSign, both critical.

        Raises:
            ValidationError: bad key, dates or serial, or ``signer`` does not hold
                the key ``public_key_der``.
            InfrastructureError: the signer failed or made a signature that does
                not verify.
        """
        public_key = load_public_key(public_key_der)
        _check_signer_holds(signer, public_key)
        _check_window(not_before, not_after)
        _check_serial(serial_number)
        ski = x509.SubjectKeyIdentifier.from_public_key(public_key)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(public_key)
            .serial_number(serial_number)
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(ca=True), critical=True)
            .add_extension(ski, critical=False)
        )
        return cls(_sign_certificate(builder, signer, issuer=None), signer)

    @property
    def certificate(self) -> x509.Certificate:
        """The root's self-signed certificate."""
        return self._certificate

    @property
    def kid(self) -> bytes:
        """The root key's ``kid``."""
        return self._signer.kid

    def __repr__(self) -> str:
        return f"RootAuthority(kid={self.kid.hex()!r})"

    def issue_signer_certificate(
        self,
        public_key_der: bytes,
        *,
        authority: str,
        document_type: str,
        not_before: datetime,
        not_after: datetime,
        serial_number: int,
    ) -> x509.Certificate:
        """Certify a document-signer key for one issuing authority and document type.

        The DS private key stays where it lives (file, HSM): only its DER
        SubjectPublicKeyInfo is needed. The validity window must lie inside the
        root's (ICAO 9303-12 §7.1.1). Certify a new key with the same authority and
        type to rotate: both certificates then coexist in the trust list.

        Raises:
            ValidationError: bad key, names, dates or serial.
            InfrastructureError: the root signer failed or made a bad signature.
        """
        public_key = load_public_key(public_key_der)
        _check_name(authority, "authority")
        _check_name(document_type, "document_type")
        _check_window(not_before, not_after)
        _check_serial(serial_number)
        root = self._certificate
        if not_before < root.not_valid_before_utc or not_after > root.not_valid_after_utc:
            raise ValidationError("validity lies outside the root's", field="not_after")
        subject = x509.Name(
            [
                *root.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, authority),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, document_type),
                x509.NameAttribute(NameOID.COMMON_NAME, DOCUMENT_SIGNER_CN),
            ]
        )
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(root.subject)
            .public_key(public_key)
            .serial_number(serial_number)
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(_key_usage(ca=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ID_KP_DOCUMENT_SIGNER]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(self._authority_key_identifier(), critical=False)
        )
        return _sign_certificate(builder, self._signer, issuer=root)

    def issue_crl(
        self,
        *,
        this_update: datetime,
        next_update: datetime,
        previous: x509.CertificateRevocationList | None = None,
    ) -> x509.CertificateRevocationList:
        """Issue a fresh CRL that carries over the entries of ``previous`` (RFC 5280 §5).

        Its cRLNumber is one more than ``previous``'s, or 1 for the first CRL.

        Raises:
            ValidationError: bad dates, or ``previous`` was not issued by this root.
            InfrastructureError: the root signer failed or made a bad signature.
        """
        return self._issue_crl(this_update, next_update, previous, None)

    def revoke(
        self,
        certificate: x509.Certificate,
        *,
        revoked_at: datetime,
        this_update: datetime,
        next_update: datetime,
        previous: x509.CertificateRevocationList | None = None,
        reason: x509.ReasonFlags | None = None,
    ) -> x509.CertificateRevocationList:
        """Revoke a document-signer certificate: a new CRL that lists its serial too.

        Revoking a certificate that ``previous`` already lists keeps the first entry.

        Raises:
            ValidationError: bad dates, or ``certificate`` or ``previous`` was not
                issued by this root.
            InfrastructureError: the root signer failed or made a bad signature.
        """
        _require_aware(revoked_at, "revoked_at")
        try:
            certificate.verify_directly_issued_by(self._certificate)
        except (ValueError, InvalidSignature) as exc:
            raise ValidationError("certificate was not issued by this root") from exc
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(certificate.serial_number)
            .revocation_date(revoked_at)
        )
        if reason is not None:
            entry = entry.add_extension(x509.CRLReason(reason), critical=False)
        return self._issue_crl(this_update, next_update, previous, entry.build())

    def _authority_key_identifier(self) -> x509.AuthorityKeyIdentifier:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(self._public_key)

    def _issue_crl(
        self,
        this_update: datetime,
        next_update: datetime,
        previous: x509.CertificateRevocationList | None,
        new_entry: x509.RevokedCertificate | None,
    ) -> x509.CertificateRevocationList:
        _check_window(this_update, next_update, name="next_update")
        root = self._certificate
        entries: list[x509.RevokedCertificate] = []
        number = 1
        if previous is not None:
            if previous.issuer != root.subject or not previous.is_signature_valid(self._public_key):
                raise ValidationError("previous CRL was not issued by this root")
            entries = list(previous)
            crl_number = _extension(previous, x509.CRLNumber)
            number = (crl_number.crl_number if crl_number is not None else 0) + 1
        if new_entry is not None and all(
            entry.serial_number != new_entry.serial_number for entry in entries
        ):
            entries.append(new_entry)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(root.subject)
            .last_update(this_update)
            .next_update(next_update)
            .add_extension(x509.CRLNumber(number), critical=False)
            .add_extension(self._authority_key_identifier(), critical=False)
        )
        for entry in entries:
            builder = builder.add_revoked_certificate(entry)
        throwaway, digest = _throwaway_key(self._signer.algorithm)
        draft = builder.sign(throwaway, digest)
        signature = _x509_signature(self._signer, draft.tbs_certlist_bytes)
        crl = x509.load_der_x509_crl(
            _splice_signature(draft.public_bytes(serialization.Encoding.DER), signature)
        )
        if not crl.is_signature_valid(self._public_key):
            raise InfrastructureError("root signer made a signature that does not verify")
        return crl


def validate_signer(kid: bytes, trust: TrustList, now: datetime) -> SignerInfo:
    """Find the document signer ``kid`` in ``trust`` and check it at ``now``.

    This is RFC 5280 §6.1 for a path of one certificate under the trust anchor (the
    root is an input: its self-signature is not checked again, §6.1.1 (d)). The DS
    certificate must be signed by and named under the root, have the DS profile and
    be inside its validity window; so must the root; the CRL must be the root's,
    current, and must not list the certificate (§6.3.3). Several certificates may
    certify one key (``kid``): if any of them is revoked the key is, otherwise the
    first that checks out wins. Rotation needs nothing more: an older DS certificate
    keeps validating while it is listed, in its window and not revoked.

    Raises:
        ValidationError: ``now`` is not timezone-aware.
        UnknownSignerError: no DS certificate in ``trust`` has ``kid``, or the one
            that does is not a DS certificate of this root.
        SignerRevokedError: the DS certificate is on the CRL ("signer revoked").
        SignerNotValidError: the DS or root certificate is outside its validity
            window, or the CRL is not current.
        SignatureInvalidError: the DS certificate or the CRL is not signed by the root.
        DecodeError: the DS certificate's extensions cannot be parsed.
    """
    _require_aware(now, "now")
    root = trust.root
    root_key = _certificate_key(root)
    if root_key is None:
        raise UnknownSignerError("root key is not P-256 or Ed25519")
    _check_in_window(root, now, "root")
    candidates = [
        (cert, key)
        for cert in trust.signers
        if (key := _certificate_key(cert)) is not None and _spki_kid(key) == kid
    ]
    if not candidates:
        raise UnknownSignerError("unknown signer")
    _check_crl(trust.crl, root, root_key, now)
    if any(
        trust.crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None
        for cert, _ in candidates
    ):
        raise SignerRevokedError("signer revoked")
    failures: list[CredentialError] = []
    for cert, key in candidates:
        try:
            return _validate_candidate(cert, key, root, now)
        except CredentialError as exc:
            failures.append(exc)
    raise failures[0]


def _validate_candidate(
    cert: x509.Certificate, public_key: SignerPublicKey, root: x509.Certificate, now: datetime
) -> SignerInfo:
    if cert.issuer != root.subject:
        raise UnknownSignerError("signer was not issued by the root")
    try:
        cert.verify_directly_issued_by(root)
    except (ValueError, InvalidSignature) as exc:
        raise SignatureInvalidError("signer certificate does not verify under the root") from exc
    authority, document_type = _document_signer_names(cert)
    _check_in_window(cert, now, "signer")
    return SignerInfo(
        kid=_spki_kid(public_key),
        algorithm=algorithm_of(public_key),
        authority=authority,
        document_type=document_type,
        serial_number=cert.serial_number,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        public_key=public_key,
    )


def _document_signer_names(cert: x509.Certificate) -> tuple[str, str]:
    """Return (authority, document type) if ``cert`` has the DS profile (module doc)."""
    try:
        usage = _extension(cert, x509.KeyUsage)
        purposes = _extension(cert, x509.ExtendedKeyUsage)
        constraints = _extension(cert, x509.BasicConstraints)
    except ValueError as exc:
        raise DecodeError("signer certificate extensions are malformed") from exc
    authorities = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    types = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    if (
        usage is None
        or not usage.digital_signature
        or usage.key_cert_sign
        or purposes is None
        or ID_KP_DOCUMENT_SIGNER not in purposes
        or (constraints is not None and constraints.ca)
        or len(authorities) != 1
        or len(types) != 1
    ):
        raise UnknownSignerError("not a document-signer certificate")
    return str(authorities[0].value), str(types[0].value)


def _check_crl(
    crl: x509.CertificateRevocationList,
    root: x509.Certificate,
    root_key: SignerPublicKey,
    now: datetime,
) -> None:
    if crl.issuer != root.subject or not crl.is_signature_valid(root_key):
        raise SignatureInvalidError("revocation list is not signed by the root")
    if now < crl.last_update_utc:
        raise SignerNotValidError("revocation list is not yet valid", field="this_update")
    next_update = crl.next_update_utc
    if next_update is None or now > next_update:
        raise SignerNotValidError("revocation list is out of date", field="next_update")


def _check_in_window(cert: x509.Certificate, now: datetime, which: str) -> None:
    if now < cert.not_valid_before_utc:
        raise SignerNotValidError(f"{which} certificate is not yet valid", field="not_before")
    if now > cert.not_valid_after_utc:
        raise SignerNotValidError(f"{which} certificate has expired", field="not_after")


def _extension(
    item: x509.Certificate | x509.CertificateRevocationList, kind: type[_E]
) -> _E | None:
    """Return the extension ``kind`` of ``item`` (raises ValueError if malformed)."""
    try:
        return item.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _supported(public_key: object) -> SignerPublicKey | None:
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return public_key
    if isinstance(public_key, ec.EllipticCurvePublicKey) and isinstance(
        public_key.curve, ec.SECP256R1
    ):
        return public_key
    return None


def _certificate_key(cert: x509.Certificate) -> SignerPublicKey | None:
    """Return the certificate's key if it is one we sign with and it parses."""
    try:
        return _supported(cert.public_key())
    except (ValueError, UnsupportedAlgorithm):
        return None


def _spki_kid(public_key: SignerPublicKey) -> bytes:
    return key_id(public_key.public_bytes(*_SPKI))


def _check_signer_holds(signer: Signer, public_key: SignerPublicKey) -> None:
    if signer.kid != _spki_kid(public_key) or (signer.algorithm is not algorithm_of(public_key)):
        raise ValidationError("signer does not hold the key", field="signer")


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _require_aware(moment: datetime, name: str) -> None:
    if moment.utcoffset() is None:
        raise ValidationError("datetime must be timezone-aware", field=name)


def _check_window(start: datetime, end: datetime, *, name: str = "not_after") -> None:
    _require_aware(start, name)
    _require_aware(end, name)
    if start >= end:
        raise ValidationError("validity window is empty", field=name)


def _check_serial(serial_number: int) -> None:
    if not 0 < serial_number < _MAX_SERIAL:
        raise ValidationError("serial number out of range", field="serial_number")


def _check_name(value: str, name: str) -> None:
    if not 0 < len(value) <= _MAX_NAME or not value.isprintable() or value != value.strip():
        raise ValidationError("must be 1-64 printable characters", field=name)


# --------------------------------------------------------- X.509 signatures from a Signer


def _throwaway_key(
    algorithm: Algorithm,
) -> tuple[ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey, hashes.SHA256 | None]:
    if algorithm is Algorithm.EDDSA:
        return ed25519.Ed25519PrivateKey.generate(), None
    return ec.generate_private_key(ec.SECP256R1()), hashes.SHA256()


def _dss(raw: bytes) -> bytes:
    """Turn an ES256 ``r || s`` into a DER Ecdsa-Sig-Value (RFC 5758 §3.2)."""
    return encode_dss_signature(
        int.from_bytes(raw[:_ES256_HALF], "big"), int.from_bytes(raw[_ES256_HALF:], "big")
    )


def _x509_signature(signer: Signer, tbs: bytes) -> bytes:
    raw = signer.sign(tbs)
    if signer.algorithm is Algorithm.EDDSA:
        return raw  # RFC 8410 §6: the 64-byte signature, as is
    if len(raw) != 2 * _ES256_HALF:
        raise InfrastructureError("signer returned a malformed ES256 signature")
    return _dss(raw)


def _sign_certificate(
    builder: x509.CertificateBuilder, signer: Signer, *, issuer: x509.Certificate | None
) -> x509.Certificate:
    throwaway, digest = _throwaway_key(signer.algorithm)
    draft = builder.sign(throwaway, digest)
    signature = _x509_signature(signer, draft.tbs_certificate_bytes)
    certificate = x509.load_der_x509_certificate(
        _splice_signature(draft.public_bytes(serialization.Encoding.DER), signature)
    )
    try:
        certificate.verify_directly_issued_by(issuer or certificate)
    except InvalidSignature as exc:
        raise InfrastructureError("root signer made a signature that does not verify") from exc
    return certificate


def _splice_signature(signed_der: bytes, signature: bytes) -> bytes:
    """Replace the signatureValue of a DER Certificate or CertificateList.

    Both are ``SEQUENCE { tbs, signatureAlgorithm, signatureValue BIT STRING }``
    (RFC 5280 §4.1, §5.1); the first two elements are kept byte for byte.
    """
    body, _ = _der_element(signed_der, 0)
    _, tbs_end = _der_element(signed_der, body)
    _, algorithm_end = _der_element(signed_der, tbs_end)
    bit_string = _der_header(0x03, len(signature) + 1) + b"\x00" + signature
    content = signed_der[body:algorithm_end] + bit_string
    return _der_header(0x30, len(content)) + content


def _der_element(der: bytes, offset: int) -> tuple[int, int]:
    """Return (content start, end) of the DER element at ``offset`` (X.690 §8.1.3)."""
    length = der[offset + 1]
    start = offset + 2
    if length & _DER_LONG_FORM:
        size = length & ~_DER_LONG_FORM
        length = int.from_bytes(der[start : start + size], "big")
        start += size
    return start, start + length


def _der_header(tag: int, length: int) -> bytes:
    if length < _DER_LONG_FORM:
        return bytes((tag, length))
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((tag, _DER_LONG_FORM | len(encoded))) + encoded
