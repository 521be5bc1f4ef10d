"""The document-signing PKI: root, DS certificates, CRLs and signer validation."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

from carnet.credentials import pki
from carnet.credentials.pki import (
    DOCUMENT_SIGNER_CN,
    ID_KP_DOCUMENT_SIGNER,
    RootAuthority,
    SignerInfo,
    algorithm_of,
    key_id,
    load_public_key,
    validate_signer,
    verify_signature,
)
from carnet.credentials.signing import Algorithm, Signer
from carnet.credentials.trustlist import TrustList
from carnet.domain.errors import (
    DecodeError,
    InfrastructureError,
    SignatureInvalidError,
    SignerNotValidError,
    SignerRevokedError,
    UnknownSignerError,
    ValidationError,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

pytestmark = pytest.mark.unit

T0 = datetime(2025, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)
ROOT_NAME = x509.Name(
    [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "ZZ"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Carnet Test Registry"),
        x509.NameAttribute(NameOID.COMMON_NAME, "Carnet Test Root"),
    ]
)
SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


class KeySigner:
    """A Signer over an in-memory private key (the test double for key stores)."""

    def __init__(self, key: PrivateKey, *, sign: Callable[[bytes], bytes] | None = None) -> None:
        self.key = key
        self.public_key_der = key.public_key().public_bytes(*SPKI)
        self._sign = sign

    @property
    def kid(self) -> bytes:
        return key_id(self.public_key_der)

    @property
    def algorithm(self) -> Algorithm:
        return (
            Algorithm.EDDSA if isinstance(self.key, ed25519.Ed25519PrivateKey) else Algorithm.ES256
        )

    def sign(self, data: bytes) -> bytes:
        if self._sign is not None:
            return self._sign(data)
        if isinstance(self.key, ed25519.Ed25519PrivateKey):
            return self.key.sign(data)
        r, s = decode_dss_signature(self.key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def new_signer(algorithm: Algorithm = Algorithm.ES256) -> KeySigner:
    if algorithm is Algorithm.EDDSA:
        return KeySigner(ed25519.Ed25519PrivateKey.generate())
    return KeySigner(ec.generate_private_key(ec.SECP256R1()))


def make_root(
    algorithm: Algorithm = Algorithm.ES256,
    *,
    name: x509.Name = ROOT_NAME,
    not_before: datetime = T0,
    not_after: datetime = T0 + timedelta(days=3650),
) -> tuple[RootAuthority, KeySigner]:
    signer = new_signer(algorithm)
    root = RootAuthority.create(
        signer, signer.public_key_der, name, not_before, not_after, serial_number=1
    )
    return root, signer


def issue_ds(
    root: RootAuthority,
    *,
    algorithm: Algorithm = Algorithm.ES256,
    authority: str = "Civil Registry North",
    document_type: str = "national_id",
    not_before: datetime = T0,
    not_after: datetime = T0 + timedelta(days=730),
    serial_number: int = 1000,
) -> tuple[x509.Certificate, KeySigner]:
    signer = new_signer(algorithm)
    cert = root.issue_signer_certificate(
        signer.public_key_der,
        authority=authority,
        document_type=document_type,
        not_before=not_before,
        not_after=not_after,
        serial_number=serial_number,
    )
    return cert, signer


def trust_of(
    root: RootAuthority,
    signers: Sequence[x509.Certificate],
    crl: x509.CertificateRevocationList | None = None,
) -> TrustList:
    if crl is None:
        crl = root.issue_crl(this_update=T0, next_update=T0 + timedelta(days=3650))
    return TrustList(root.certificate, tuple(signers), crl, T0)


def raw_certificate(
    issuer_key: PrivateKey,
    issuer_name: x509.Name,
    public_key: object,
    *,
    subject: x509.Name | None = None,
    extensions: Sequence[tuple[x509.ExtensionType, bool]] = (),
    serial_number: int = 77,
) -> x509.Certificate:
    """Build any certificate, bypassing RootAuthority's checks."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject or issuer_name)
        .issuer_name(issuer_name)
        .public_key(public_key)  # type: ignore[arg-type]
        .serial_number(serial_number)
        .not_valid_before(T0)
        .not_valid_after(T0 + timedelta(days=365))
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    digest = None if isinstance(issuer_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(issuer_key, digest)


def ds_extensions(
    *,
    usage: x509.KeyUsage | None = None,
    purposes: Sequence[x509.ObjectIdentifier] | None = (ID_KP_DOCUMENT_SIGNER,),
    ca: bool | None = None,
) -> list[tuple[x509.ExtensionType, bool]]:
    usage = usage or pki._key_usage(ca=False)
    extensions: list[tuple[x509.ExtensionType, bool]] = [(usage, True)]
    if purposes is not None:
        extensions.append((x509.ExtendedKeyUsage(list(purposes)), False))
    if ca is not None:
        extensions.append((x509.BasicConstraints(ca=ca, path_length=None), True))
    return extensions


def ds_subject(*, authorities: int = 1, types: int = 1) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"A{i}") for i in range(authorities)]
        + [x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"T{i}") for i in range(types)]
    )


# ------------------------------------------------------------------- keys and signatures


def test_key_id_is_the_first_8_bytes_of_sha256_over_the_spki() -> None:
    signer = new_signer()
    assert key_id(signer.public_key_der) == hashlib.sha256(signer.public_key_der).digest()[:8]
    assert len(signer.kid) == 8


def test_load_public_key_accepts_p256_and_ed25519() -> None:
    for algorithm in Algorithm:
        signer = new_signer(algorithm)
        assert algorithm_of(load_public_key(signer.public_key_der)) is algorithm


@pytest.mark.parametrize(
    "der",
    [
        b"not der",
        rsa.generate_private_key(65537, 2048).public_key().public_bytes(*SPKI),
        ec.generate_private_key(ec.SECP384R1()).public_key().public_bytes(*SPKI),
        x25519.X25519PrivateKey.generate().public_key().public_bytes(*SPKI),
    ],
    ids=["garbage", "rsa", "p384", "x25519"],
)
def test_load_public_key_refuses_other_keys(der: bytes) -> None:
    with pytest.raises(ValidationError) as caught:
        load_public_key(der)
    assert caught.value.field == "public_key_der"


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_verify_signature_accepts_a_cose_signature(algorithm: Algorithm) -> None:
    signer = new_signer(algorithm)
    signature = signer.sign(b"payload")
    assert len(signature) == 64
    verify_signature(load_public_key(signer.public_key_der), algorithm, b"payload", signature)


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_verify_signature_refuses_a_signature_over_other_data(algorithm: Algorithm) -> None:
    signer = new_signer(algorithm)
    with pytest.raises(SignatureInvalidError, match="does not verify"):
        verify_signature(
            load_public_key(signer.public_key_der), algorithm, b"other", signer.sign(b"payload")
        )


def test_verify_signature_refuses_a_der_ecdsa_signature() -> None:
    signer = new_signer()
    assert isinstance(signer.key, ec.EllipticCurvePrivateKey)
    der = signer.key.sign(b"payload", ec.ECDSA(hashes.SHA256()))
    with pytest.raises(SignatureInvalidError, match="does not fit"):
        verify_signature(signer.key.public_key(), Algorithm.ES256, b"payload", der)


def test_verify_signature_refuses_es256_over_another_curve() -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    r, s = decode_dss_signature(key.sign(b"payload", ec.ECDSA(hashes.SHA256())))
    raw = r.to_bytes(48, "big")[-32:] + s.to_bytes(48, "big")[-32:]
    with pytest.raises(SignatureInvalidError, match="does not fit"):
        verify_signature(key.public_key(), Algorithm.ES256, b"payload", raw)


@pytest.mark.parametrize(
    ("key_algorithm", "claimed"),
    [(Algorithm.ES256, Algorithm.EDDSA), (Algorithm.EDDSA, Algorithm.ES256)],
)
def test_verify_signature_refuses_an_algorithm_that_does_not_fit_the_key(
    key_algorithm: Algorithm, claimed: Algorithm
) -> None:
    signer = new_signer(key_algorithm)
    with pytest.raises(SignatureInvalidError, match="does not fit"):
        verify_signature(
            load_public_key(signer.public_key_der), claimed, b"payload", signer.sign(b"payload")
        )


# --------------------------------------------------------------------------------- root


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_create_makes_a_self_signed_csca_like_root(algorithm: Algorithm) -> None:
    root, signer = make_root(algorithm)
    cert = root.certificate
    assert cert.subject == cert.issuer == ROOT_NAME
    assert cert.serial_number == 1
    assert cert.not_valid_before_utc == T0
    cert.verify_directly_issued_by(cert)
    constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical
    assert constraints.value == x509.BasicConstraints(ca=True, path_length=0)
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.key_cert_sign
    assert usage.value.crl_sign
    assert not usage.value.digital_signature
    ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(signer.key.public_key())
    assert cert.public_key().public_bytes(*SPKI) == signer.public_key_der
    assert root.kid == signer.kid
    assert repr(root) == f"RootAuthority(kid={signer.kid.hex()!r})"


def test_create_refuses_a_signer_that_does_not_hold_the_key() -> None:
    signer, other = new_signer(), new_signer()
    with pytest.raises(ValidationError, match="does not hold"):
        RootAuthority.create(signer, other.public_key_der, ROOT_NAME, T0, T0 + DAY, serial_number=1)


@pytest.mark.parametrize(
    ("not_before", "not_after", "serial_number"),
    [
        (T0.replace(tzinfo=None), T0 + DAY, 1),
        (T0, (T0 + DAY).replace(tzinfo=None), 1),
        (T0, T0, 1),
        (T0 + DAY, T0, 1),
        (T0, T0 + DAY, 0),
        (T0, T0 + DAY, -5),
        (T0, T0 + DAY, 1 << 159),
    ],
    ids=["naive-start", "naive-end", "empty", "reversed", "serial-0", "serial-neg", "serial-big"],
)
def test_create_refuses_bad_dates_and_serials(
    not_before: datetime, not_after: datetime, serial_number: int
) -> None:
    signer = new_signer()
    with pytest.raises(ValidationError):
        RootAuthority.create(
            signer,
            signer.public_key_der,
            ROOT_NAME,
            not_before,
            not_after,
            serial_number=serial_number,
        )


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_create_notices_a_signer_whose_signatures_do_not_verify(algorithm: Algorithm) -> None:
    key = new_signer(algorithm).key
    liar = KeySigner(key, sign=lambda _data: bytes(range(64)))
    with pytest.raises(InfrastructureError, match="does not verify"):
        RootAuthority.create(liar, liar.public_key_der, ROOT_NAME, T0, T0 + DAY, serial_number=1)


def test_create_refuses_a_malformed_es256_signature() -> None:
    key = new_signer().key
    short = KeySigner(key, sign=lambda _data: b"\x01" * 10)
    with pytest.raises(InfrastructureError, match="malformed"):
        RootAuthority.create(short, short.public_key_der, ROOT_NAME, T0, T0 + DAY, serial_number=1)


def test_a_root_can_be_reopened_from_its_certificate_and_signer() -> None:
    root, signer = make_root()
    again = RootAuthority(root.certificate, signer)
    assert again.certificate == root.certificate
    cert, _ = issue_ds(again)
    cert.verify_directly_issued_by(root.certificate)


def test_reopening_refuses_another_signer() -> None:
    root, _ = make_root()
    with pytest.raises(ValidationError, match="does not hold"):
        RootAuthority(root.certificate, new_signer())


def test_reopening_refuses_a_signer_of_another_algorithm() -> None:
    root, signer = make_root()

    class WrongAlgorithm(KeySigner):
        @property
        def algorithm(self) -> Algorithm:
            return Algorithm.EDDSA

    with pytest.raises(ValidationError, match="does not hold"):
        RootAuthority(root.certificate, WrongAlgorithm(signer.key))


def test_reopening_refuses_a_root_without_a_supported_key() -> None:
    key = rsa.generate_private_key(65537, 2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(ROOT_NAME)
        .issuer_name(ROOT_NAME)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(T0)
        .not_valid_after(T0 + DAY)
        .sign(key, hashes.SHA256())
    )
    with pytest.raises(ValidationError, match="P-256 or Ed25519"):
        RootAuthority(cert, new_signer())


@pytest.mark.parametrize("ca", [None, False])
def test_reopening_refuses_a_certificate_that_is_not_a_ca(ca: bool | None) -> None:
    signer = new_signer()
    extensions = [] if ca is None else [(x509.BasicConstraints(ca=False, path_length=None), True)]
    cert = raw_certificate(signer.key, ROOT_NAME, signer.key.public_key(), extensions=extensions)
    with pytest.raises(ValidationError, match="not a CA"):
        RootAuthority(cert, signer)


def test_reopening_refuses_a_ca_certificate_that_is_not_self_signed() -> None:
    signer, other = new_signer(), new_signer()
    cert = raw_certificate(
        other.key,
        ROOT_NAME,
        signer.key.public_key(),
        extensions=[(x509.BasicConstraints(ca=True, path_length=0), True)],
    )
    with pytest.raises(ValidationError, match="not self-signed"):
        RootAuthority(cert, signer)


# ------------------------------------------------------------------ signer certificates


@pytest.mark.parametrize(
    ("root_algorithm", "ds_algorithm"),
    [(a, b) for a in Algorithm for b in Algorithm],
)
def test_signer_certificate_has_the_document_signer_profile(
    root_algorithm: Algorithm, ds_algorithm: Algorithm
) -> None:
    root, _ = make_root(root_algorithm)
    cert, signer = issue_ds(
        root,
        algorithm=ds_algorithm,
        authority="Civil Registry North",
        document_type="residence_certificate",
        not_before=T0 + DAY,
        not_after=T0 + 90 * DAY,
        serial_number=4242,
    )
    cert.verify_directly_issued_by(root.certificate)
    assert cert.issuer == ROOT_NAME
    assert cert.serial_number == 4242
    assert (cert.not_valid_before_utc, cert.not_valid_after_utc) == (T0 + DAY, T0 + 90 * DAY)
    assert cert.public_key().public_bytes(*SPKI) == signer.public_key_der
    assert [(a.oid, a.value) for a in cert.subject] == [
        (NameOID.COUNTRY_NAME, "ZZ"),
        (NameOID.ORGANIZATION_NAME, "Civil Registry North"),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, "residence_certificate"),
        (NameOID.COMMON_NAME, DOCUMENT_SIGNER_CN),
    ]
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature
    assert not usage.value.key_cert_sign
    purposes = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(purposes) == [ID_KP_DOCUMENT_SIGNER]
    assert ID_KP_DOCUMENT_SIGNER.dotted_string.startswith("2.25.")
    with pytest.raises(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_class(x509.BasicConstraints)
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    root_ski = root.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert aki.key_identifier == root_ski.value.digest


def test_signer_subject_has_no_country_when_the_root_has_none() -> None:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Root without country")])
    root, _ = make_root(name=name)
    cert, _ = issue_ds(root)
    assert not cert.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)


@pytest.mark.parametrize("field", ["authority", "document_type"])
@pytest.mark.parametrize("value", ["", "x" * 65, "line\nbreak", " padded", "padded "])
def test_signer_certificate_refuses_bad_names(field: str, value: str) -> None:
    root, _ = make_root()
    names = {"authority": "Civil Registry", "document_type": "passport", field: value}
    with pytest.raises(ValidationError) as caught:
        root.issue_signer_certificate(
            new_signer().public_key_der,
            not_before=T0,
            not_after=T0 + DAY,
            serial_number=5,
            **names,
        )
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("not_before", "not_after"),
    [(T0 - DAY, T0 + DAY), (T0, T0 + timedelta(days=3651))],
    ids=["before-root", "after-root"],
)
def test_signer_certificate_must_lie_inside_the_root_window(
    not_before: datetime, not_after: datetime
) -> None:
    root, _ = make_root()
    with pytest.raises(ValidationError, match="outside the root"):
        issue_ds(root, not_before=not_before, not_after=not_after)


def test_signer_certificate_refuses_an_unsupported_key() -> None:
    root, _ = make_root()
    rsa_der = rsa.generate_private_key(65537, 2048).public_key().public_bytes(*SPKI)
    with pytest.raises(ValidationError, match="P-256 or Ed25519"):
        root.issue_signer_certificate(
            rsa_der,
            authority="A",
            document_type="T",
            not_before=T0,
            not_after=T0 + DAY,
            serial_number=5,
        )


def test_signer_certificate_refuses_bad_dates() -> None:
    root, _ = make_root()
    with pytest.raises(ValidationError, match="empty"):
        issue_ds(root, not_before=T0 + DAY, not_after=T0 + DAY)
    with pytest.raises(ValidationError, match="serial"):
        issue_ds(root, serial_number=0)


# -------------------------------------------------------------------------------- CRLs


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_first_crl_is_empty_numbered_one_and_signed_by_the_root(algorithm: Algorithm) -> None:
    root, _ = make_root(algorithm)
    crl = root.issue_crl(this_update=T0, next_update=T0 + 30 * DAY)
    assert crl.issuer == ROOT_NAME
    assert len(crl) == 0
    assert crl.last_update_utc == T0
    assert crl.next_update_utc == T0 + 30 * DAY
    assert crl.is_signature_valid(root.certificate.public_key())  # type: ignore[arg-type]
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 1
    aki = crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier is not None


def test_revoke_adds_an_entry_and_carries_over_the_previous_ones() -> None:
    root, _ = make_root()
    first, _ = issue_ds(root, serial_number=10)
    second, _ = issue_ds(root, serial_number=11)
    crl1 = root.issue_crl(this_update=T0, next_update=T0 + 30 * DAY)
    crl2 = root.revoke(
        first,
        revoked_at=T0 + DAY,
        this_update=T0 + DAY,
        next_update=T0 + 31 * DAY,
        previous=crl1,
        reason=x509.ReasonFlags.key_compromise,
    )
    crl3 = root.revoke(
        second,
        revoked_at=T0 + 2 * DAY,
        this_update=T0 + 2 * DAY,
        next_update=T0 + 32 * DAY,
        previous=crl2,
    )
    assert crl3.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 3
    entry = crl3.get_revoked_certificate_by_serial_number(10)
    assert entry is not None
    assert entry.revocation_date_utc == T0 + DAY
    reason = entry.extensions.get_extension_for_class(x509.CRLReason).value
    assert reason.reason is x509.ReasonFlags.key_compromise
    later = crl3.get_revoked_certificate_by_serial_number(11)
    assert later is not None
    with pytest.raises(x509.ExtensionNotFound):
        later.extensions.get_extension_for_class(x509.CRLReason)


def test_revoking_twice_keeps_the_first_entry() -> None:
    root, _ = make_root()
    cert, _ = issue_ds(root)
    crl1 = root.revoke(cert, revoked_at=T0 + DAY, this_update=T0 + DAY, next_update=T0 + 9 * DAY)
    crl2 = root.revoke(
        cert,
        revoked_at=T0 + 5 * DAY,
        this_update=T0 + 5 * DAY,
        next_update=T0 + 9 * DAY,
        previous=crl1,
    )
    assert len(crl2) == 1
    entry = crl2.get_revoked_certificate_by_serial_number(cert.serial_number)
    assert entry is not None
    assert entry.revocation_date_utc == T0 + DAY


def test_issue_crl_refreshes_and_keeps_entries() -> None:
    root, _ = make_root()
    cert, _ = issue_ds(root)
    crl1 = root.revoke(cert, revoked_at=T0, this_update=T0, next_update=T0 + DAY)
    crl2 = root.issue_crl(this_update=T0 + DAY, next_update=T0 + 2 * DAY, previous=crl1)
    assert crl2.get_revoked_certificate_by_serial_number(cert.serial_number) is not None
    assert crl2.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 2


def test_a_previous_crl_without_a_number_counts_as_zero() -> None:
    root, signer = make_root()
    assert isinstance(signer.key, ec.EllipticCurvePrivateKey)
    bare = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ROOT_NAME)
        .last_update(T0)
        .next_update(T0 + DAY)
        .sign(signer.key, hashes.SHA256())
    )
    crl = root.issue_crl(this_update=T0, next_update=T0 + DAY, previous=bare)
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 1


def test_crl_refuses_a_previous_crl_of_another_root() -> None:
    root, _ = make_root()
    other, _ = make_root()
    foreign = other.issue_crl(this_update=T0, next_update=T0 + DAY)
    with pytest.raises(ValidationError, match="previous CRL"):
        root.issue_crl(this_update=T0, next_update=T0 + DAY, previous=foreign)


def test_crl_refuses_an_empty_window() -> None:
    root, _ = make_root()
    with pytest.raises(ValidationError) as caught:
        root.issue_crl(this_update=T0, next_update=T0)
    assert caught.value.field == "next_update"


def test_crl_notices_a_signer_whose_signatures_do_not_verify() -> None:
    root, signer = make_root()
    liar = KeySigner(signer.key, sign=lambda _data: bytes(range(64)))
    with pytest.raises(InfrastructureError, match="does not verify"):
        RootAuthority(root.certificate, liar).issue_crl(this_update=T0, next_update=T0 + DAY)


def test_revoke_refuses_a_certificate_of_another_root() -> None:
    root, _ = make_root()
    other, _ = make_root()
    foreign, _ = issue_ds(other)
    with pytest.raises(ValidationError, match="not issued by this root"):
        root.revoke(foreign, revoked_at=T0, this_update=T0, next_update=T0 + DAY)


def test_revoke_refuses_a_naive_revocation_time() -> None:
    root, _ = make_root()
    cert, _ = issue_ds(root)
    with pytest.raises(ValidationError) as caught:
        root.revoke(cert, revoked_at=datetime(2025, 1, 2), this_update=T0, next_update=T0 + DAY)  # noqa: DTZ001
    assert caught.value.field == "revoked_at"


# ------------------------------------------------------------------------ validate_signer


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_validate_signer_returns_key_authority_and_document_type(algorithm: Algorithm) -> None:
    root, _ = make_root()
    cert, signer = issue_ds(
        root, algorithm=algorithm, authority="Passport Office", document_type="passport"
    )
    info = validate_signer(signer.kid, trust_of(root, [cert]), T0 + DAY)
    assert info == SignerInfo(
        kid=signer.kid,
        algorithm=algorithm,
        authority="Passport Office",
        document_type="passport",
        serial_number=1000,
        not_before=T0,
        not_after=T0 + timedelta(days=730),
        public_key=load_public_key(signer.public_key_der),
    )
    assert info.public_key_der == signer.public_key_der
    info.verify(b"document", signer.sign(b"document"))
    with pytest.raises(SignatureInvalidError):
        info.verify(b"forged", signer.sign(b"document"))
    assert "public_key" not in repr(info)


def test_validate_signer_refuses_an_unknown_kid() -> None:
    root, _ = make_root()
    cert, _ = issue_ds(root)
    with pytest.raises(UnknownSignerError, match="unknown signer") as caught:
        validate_signer(b"\x00" * 8, trust_of(root, [cert]), T0 + DAY)
    assert caught.value.reason == "unknown_signer"


def test_validate_signer_refuses_a_naive_now() -> None:
    root, _ = make_root()
    cert, signer = issue_ds(root)
    with pytest.raises(ValidationError):
        validate_signer(signer.kid, trust_of(root, [cert]), datetime(2025, 2, 1))  # noqa: DTZ001


def test_a_revoked_signer_fails_with_signer_revoked() -> None:
    root, _ = make_root()
    cert, signer = issue_ds(root)
    crl = root.revoke(cert, revoked_at=T0 + DAY, this_update=T0 + DAY, next_update=T0 + 30 * DAY)
    with pytest.raises(SignerRevokedError, match="signer revoked") as caught:
        validate_signer(signer.kid, trust_of(root, [cert], crl), T0 + 2 * DAY)
    assert caught.value.reason == "signer_revoked"


def test_rotation_keeps_the_previous_signer_until_it_is_revoked() -> None:
    root, _ = make_root()
    old, old_signer = issue_ds(root, serial_number=1, not_after=T0 + 400 * DAY)
    new, new_signer_ = issue_ds(root, serial_number=2, not_before=T0 + 300 * DAY)
    now = T0 + 320 * DAY
    trust = trust_of(root, [old, new])
    for signer, serial in ((old_signer, 1), (new_signer_, 2)):
        info = validate_signer(signer.kid, trust, now)
        assert (info.authority, info.document_type, info.serial_number) == (
            "Civil Registry North",
            "national_id",
            serial,
        )
    crl = root.revoke(old, revoked_at=now, this_update=now, next_update=now + 30 * DAY)
    revoked = trust_of(root, [old, new], crl)
    with pytest.raises(SignerRevokedError):
        validate_signer(old_signer.kid, revoked, now + DAY)
    assert validate_signer(new_signer_.kid, revoked, now + DAY).serial_number == 2


@pytest.mark.parametrize(
    ("now", "field", "message"),
    [
        (T0 - DAY, "not_before", "root certificate is not yet valid"),
        (T0 + timedelta(days=3651), "not_after", "root certificate has expired"),
    ],
)
def test_validate_signer_refuses_a_root_outside_its_window(
    now: datetime, field: str, message: str
) -> None:
    root, _ = make_root()
    cert, signer = issue_ds(root)
    with pytest.raises(SignerNotValidError, match=message) as caught:
        validate_signer(signer.kid, trust_of(root, [cert]), now)
    assert caught.value.field == field
    assert caught.value.reason == "signer_not_valid"


@pytest.mark.parametrize(
    ("now", "field", "message"),
    [
        (T0 + DAY, "not_before", "signer certificate is not yet valid"),
        (T0 + 100 * DAY, "not_after", "signer certificate has expired"),
    ],
)
def test_validate_signer_refuses_a_signer_outside_its_window(
    now: datetime, field: str, message: str
) -> None:
    root, _ = make_root()
    cert, signer = issue_ds(root, not_before=T0 + 2 * DAY, not_after=T0 + 99 * DAY)
    with pytest.raises(SignerNotValidError, match=message) as caught:
        validate_signer(signer.kid, trust_of(root, [cert]), now)
    assert caught.value.field == field


def test_validate_signer_refuses_a_crl_that_is_out_of_date_or_early() -> None:
    root, _ = make_root()
    cert, signer = issue_ds(root)
    crl = root.issue_crl(this_update=T0 + 10 * DAY, next_update=T0 + 20 * DAY)
    trust = trust_of(root, [cert], crl)
    with pytest.raises(SignerNotValidError, match="out of date") as stale:
        validate_signer(signer.kid, trust, T0 + 21 * DAY)
    assert stale.value.field == "next_update"
    with pytest.raises(SignerNotValidError, match="not yet valid") as early:
        validate_signer(signer.kid, trust, T0 + 9 * DAY)
    assert early.value.field == "this_update"
    assert validate_signer(signer.kid, trust, T0 + 15 * DAY).kid == signer.kid


def test_validate_signer_refuses_a_crl_of_another_root() -> None:
    root, _ = make_root()
    other, _ = make_root()
    cert, signer = issue_ds(root)
    foreign = other.issue_crl(this_update=T0, next_update=T0 + 30 * DAY)
    with pytest.raises(SignatureInvalidError, match="revocation list"):
        validate_signer(signer.kid, trust_of(root, [cert], foreign), T0 + DAY)


def test_validate_signer_refuses_a_certificate_of_another_root_with_the_same_name() -> None:
    root, _ = make_root()
    impostor, _ = make_root()  # same subject name, another key
    cert, signer = issue_ds(impostor)
    with pytest.raises(SignatureInvalidError, match="does not verify under the root"):
        validate_signer(signer.kid, trust_of(root, [cert]), T0 + DAY)


def test_validate_signer_refuses_a_certificate_issued_under_another_name() -> None:
    root, root_signer = make_root()
    ds = new_signer()
    other_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Someone else")])
    cert = raw_certificate(
        root_signer.key,
        other_name,
        ds.key.public_key(),
        subject=ds_subject(),
        extensions=ds_extensions(),
    )
    with pytest.raises(UnknownSignerError, match="not issued by the root"):
        validate_signer(ds.kid, trust_of(root, [cert]), T0 + DAY)


def _usage(**flags: bool) -> x509.KeyUsage:
    base = dict.fromkeys(
        (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    return x509.KeyUsage(**(base | flags))


@pytest.mark.parametrize(
    ("extensions", "subject"),
    [
        ([], ds_subject()),
        (ds_extensions(purposes=None), ds_subject()),
        (ds_extensions(purposes=[ExtendedKeyUsageOID.SERVER_AUTH]), ds_subject()),
        (ds_extensions(usage=_usage(key_agreement=True)), ds_subject()),
        (ds_extensions(usage=_usage(digital_signature=True, key_cert_sign=True)), ds_subject()),
        (ds_extensions(ca=True), ds_subject()),
        (ds_extensions(), ds_subject(authorities=0)),
        (ds_extensions(), ds_subject(types=2)),
    ],
    ids=[
        "no-extensions",
        "no-eku",
        "tls-eku",
        "no-digital-signature",
        "cert-sign",
        "ca",
        "no-authority",
        "two-types",
    ],
)
def test_validate_signer_refuses_certificates_without_the_ds_profile(
    extensions: list[tuple[x509.ExtensionType, bool]], subject: x509.Name
) -> None:
    root, root_signer = make_root()
    ds = new_signer()
    cert = raw_certificate(
        root_signer.key, ROOT_NAME, ds.key.public_key(), subject=subject, extensions=extensions
    )
    with pytest.raises(UnknownSignerError, match="not a document-signer"):
        validate_signer(ds.kid, trust_of(root, [cert]), T0 + DAY)


def test_validate_signer_accepts_a_non_ca_basic_constraints() -> None:
    root, root_signer = make_root()
    ds = new_signer()
    cert = raw_certificate(
        root_signer.key,
        ROOT_NAME,
        ds.key.public_key(),
        subject=ds_subject(),
        extensions=ds_extensions(ca=False),
    )
    info = validate_signer(ds.kid, trust_of(root, [cert]), T0 + DAY)
    assert (info.authority, info.document_type) == ("A0", "T0")


def test_validate_signer_reports_malformed_extensions_as_decode_errors() -> None:
    root, root_signer = make_root()
    ds = new_signer()
    garbage = x509.UnrecognizedExtension(ExtensionOID.KEY_USAGE, b"\xff\xff")
    cert = raw_certificate(
        root_signer.key,
        ROOT_NAME,
        ds.key.public_key(),
        subject=ds_subject(),
        extensions=[(garbage, True)],
    )
    with pytest.raises(DecodeError, match="extensions"):
        validate_signer(ds.kid, trust_of(root, [cert]), T0 + DAY)


def test_the_same_key_certified_twice_validates_through_the_valid_certificate() -> None:
    root, _ = make_root()
    ds = new_signer()

    def certify(serial: int, start: datetime, end: datetime) -> x509.Certificate:
        return root.issue_signer_certificate(
            ds.public_key_der,
            authority="Civil Registry",
            document_type="permit",
            not_before=start,
            not_after=end,
            serial_number=serial,
        )

    expired = certify(1, T0, T0 + 10 * DAY)
    current = certify(2, T0 + 5 * DAY, T0 + 100 * DAY)
    info = validate_signer(ds.kid, trust_of(root, [expired, current]), T0 + 20 * DAY)
    assert info.serial_number == 2
    with pytest.raises(SignerNotValidError, match="expired"):
        validate_signer(ds.kid, trust_of(root, [expired, current]), T0 + 200 * DAY)
    crl = root.revoke(expired, revoked_at=T0, this_update=T0, next_update=T0 + 300 * DAY)
    with pytest.raises(SignerRevokedError):
        validate_signer(ds.kid, trust_of(root, [expired, current], crl), T0 + 20 * DAY)


def test_validate_signer_skips_certificates_with_unsupported_or_unparsable_keys() -> None:
    root, root_signer = make_root()
    ds_key = rsa.generate_private_key(65537, 2048)
    rsa_cert = raw_certificate(
        root_signer.key,
        ROOT_NAME,
        ds_key.public_key(),
        subject=ds_subject(),
        extensions=ds_extensions(),
    )
    good, signer = issue_ds(root)
    p256_oid = bytes.fromhex("06082a8648ce3d030107")
    broken_der = good.public_bytes(serialization.Encoding.DER).replace(
        p256_oid, bytes.fromhex("06082a8648ce3d030108")
    )
    broken = x509.load_der_x509_certificate(broken_der)
    trust = trust_of(root, [rsa_cert, broken, good])
    assert validate_signer(signer.kid, trust, T0 + DAY).serial_number == good.serial_number
    with pytest.raises(UnknownSignerError):
        validate_signer(key_id(ds_key.public_key().public_bytes(*SPKI)), trust, T0 + DAY)


def test_validate_signer_refuses_a_root_without_a_supported_key() -> None:
    root, _ = make_root()
    cert, signer = issue_ds(root)
    key = rsa.generate_private_key(65537, 2048)
    rsa_root = raw_certificate(key, ROOT_NAME, key.public_key())  # type: ignore[arg-type]
    trust = replace(trust_of(root, [cert]), root=rsa_root)
    with pytest.raises(UnknownSignerError, match="root key"):
        validate_signer(signer.kid, trust, T0 + DAY)


# -------------------------------------------------------------------- DER signature splice


def test_splice_handles_short_and_long_lengths() -> None:
    assert pki._der_header(0x03, 5) == b"\x03\x05"
    assert pki._der_header(0x30, 200) == b"\x30\x81\xc8"
    assert pki._der_header(0x30, 70000) == b"\x30\x83\x01\x11\x70"
    assert pki._der_element(b"\x30\x81\xc8" + bytes(200), 0) == (3, 203)
    assert pki._der_element(b"\x02\x01\x05", 0) == (2, 3)


def test_signer_protocol_is_satisfied_by_the_test_double() -> None:
    assert isinstance(new_signer(), Signer)
