"""The checkpoint bundle: signing, defensive parsing, and the signer cache.

This module also holds :class:`World`, the in-memory issuer (root, signers, CRL,
status lists, policy) that the verifier tests, the vectors and the integration
tests build their credentials and bundles with. Identities are synthetic.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carnet.credentials import bundle as bundle_module
from carnet.credentials.bundle import (
    BUNDLE_SIGNER_TYPE,
    CONTENT_TYPE,
    MAX_AGE_LIMIT,
    MAX_BUNDLE_SIZE,
    MAX_STATUS_LISTS,
    STATUS_LIST_SIGNER_TYPE,
    Bundle,
    parse_bundle,
    parse_status_list_token,
    sign_bundle,
    sign_status_list_token,
)
from carnet.credentials.cbor import encode_deterministic
from carnet.credentials.claim169 import BirthDate, Gender, Identity169
from carnet.credentials.cose import sign1
from carnet.credentials.issuing import issue_credential
from carnet.credentials.pki import RootAuthority, key_id
from carnet.credentials.policy import Policy, default_policy
from carnet.credentials.signing import Algorithm
from carnet.credentials.statuslist import Status, StatusList, StatusListToken, StatusReference
from carnet.credentials.trustlist import TrustList, sign_trust_list
from carnet.domain.errors import (
    CredentialError,
    DecodeError,
    SignatureInvalidError,
    SignerNotValidError,
    SignerRevokedError,
    UnknownSignerError,
    ValidationError,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

pytestmark = pytest.mark.unit

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
STATUS_URI = "https://status.carnet.example/lists/1"
LIST_SIZE = 131_072
SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
ROOT_NAME = x509.Name(
    [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "ZZ"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Carnet Test Authority"),
        x509.NameAttribute(NameOID.COMMON_NAME, "Carnet Test Root"),
    ]
)


class KeySigner:
    """A :class:`~carnet.credentials.signing.Signer` over an in-memory key (tests only)."""

    def __init__(self, algorithm: Algorithm = Algorithm.ES256) -> None:
        self.key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey = (
            ed25519.Ed25519PrivateKey.generate()
            if algorithm is Algorithm.EDDSA
            else ec.generate_private_key(ec.SECP256R1())
        )
        self.algorithm = algorithm
        self.public_key_der = self.key.public_key().public_bytes(*SPKI)
        self.kid = key_id(self.public_key_der)

    def sign(self, data: bytes) -> bytes:
        if isinstance(self.key, ed25519.Ed25519PrivateKey):
            return self.key.sign(data)
        r, s = decode_dss_signature(self.key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def person(**overrides: Any) -> Identity169:
    """A synthetic resident."""
    values: dict[str, Any] = {
        "uin": "840115203917",
        "full_name": "KIM MINJUN",
        "given_name": "MINJUN",
        "family_name": "KIM",
        "secondary_full_name": "김민준",
        "secondary_language": "kor",
        "date_of_birth": BirthDate(1984, 1, 15),
        "gender": Gender.MALE,
        "address": "12 Sejong-daero, Jongno-gu, Seoul 03154",
        "nationality": "KOR",
    }
    values.update(overrides)
    return Identity169(**values)


@dataclass
class World:
    """An issuer in memory: root, signers, CRL, status lists and policy."""

    algorithm: Algorithm = Algorithm.ES256
    policy: Policy = field(default_factory=default_policy)
    root_signer: KeySigner = field(init=False)
    root: RootAuthority = field(init=False)
    signers: dict[str, KeySigner] = field(init=False, default_factory=dict)
    certificates: dict[str, x509.Certificate] = field(init=False, default_factory=dict)
    crl: x509.CertificateRevocationList = field(init=False)
    lists: dict[str, StatusList] = field(init=False, default_factory=dict)
    serial: int = field(init=False, default=100)

    def __post_init__(self) -> None:
        self.root_signer = KeySigner(self.algorithm)
        self.root = RootAuthority.create(
            self.root_signer,
            self.root_signer.public_key_der,
            ROOT_NAME,
            T0,
            T0 + 3650 * DAY,
            serial_number=1,
        )
        self.crl = self.root.issue_crl(this_update=T0, next_update=T0 + 365 * DAY)
        self.add_signer("bundle", document_type=BUNDLE_SIGNER_TYPE)
        self.add_signer("status", document_type=STATUS_LIST_SIGNER_TYPE)
        for kind in sorted(self.policy.document_types):
            self.add_signer(kind)
        self.lists[STATUS_URI] = StatusList(LIST_SIZE)

    def add_signer(
        self,
        name: str,
        *,
        document_type: str | None = None,
        algorithm: Algorithm | None = None,
        authority: str = "Civil Registry",
        not_before: datetime = T0,
        not_after: datetime = T0 + 1825 * DAY,
        signer: KeySigner | None = None,
    ) -> KeySigner:
        """Certify a new key (or ``signer``'s) under ``name``; the last one of a name signs."""
        key = signer or KeySigner(algorithm or self.algorithm)
        self.serial += 1
        self.certificates[f"{name}#{self.serial}"] = self.root.issue_signer_certificate(
            key.public_key_der,
            authority=authority,
            document_type=document_type or name,
            not_before=not_before,
            not_after=not_after,
            serial_number=self.serial,
        )
        self.signers[name] = key
        return key

    def revoke(self, name: str) -> None:
        """Revoke every certificate of the signer ``name`` holds now."""
        kid = self.signers[name].kid
        for cert in self.certificates.values():
            if key_id(cert.public_key().public_bytes(*SPKI)) == kid:
                self.crl = self.root.revoke(
                    cert,
                    revoked_at=T0 + DAY,
                    this_update=T0 + DAY,
                    next_update=T0 + 365 * DAY,
                    previous=self.crl,
                )

    def set_status(self, idx: int, status: int, uri: str = STATUS_URI) -> None:
        self.lists[uri].set(idx, status)

    def trust_list(self, issued_at: datetime = NOW) -> TrustList:
        return TrustList(
            self.root.certificate, tuple(self.certificates.values()), self.crl, issued_at
        )

    def status_tokens(
        self, *, iat: datetime = NOW, exp: datetime | None = None, signer: str = "status"
    ) -> dict[str, bytes]:
        return {
            uri: sign_status_list_token(
                StatusListToken(
                    sub=uri,
                    iat=int(iat.timestamp()),
                    status_list=status_list,
                    exp=None if exp is None else int(exp.timestamp()),
                ),
                self.signers[signer],
            )
            for uri, status_list in self.lists.items()
        }

    def bundle_bytes(
        self,
        *,
        issued_at: datetime = NOW,
        max_age: timedelta = DAY,
        signer: str = "bundle",
        status_lists: dict[str, bytes] | None = None,
    ) -> bytes:
        return sign_bundle(
            trust_list=sign_trust_list(self.trust_list(issued_at), self.root_signer),
            status_lists=self.status_tokens(iat=issued_at)
            if status_lists is None
            else status_lists,
            policy=self.policy,
            issued_at=issued_at,
            max_age=max_age,
            signer=self.signers[signer],
        )

    def bundle(self, *, now: datetime = NOW, **kwargs: Any) -> Bundle:
        return parse_bundle(self.bundle_bytes(**kwargs), self.root.certificate, now)

    def issue(
        self,
        document_type: str = "national_id_card",
        *,
        signer: str | None = None,
        identity: Identity169 | None = None,
        idx: int = 4242,
        uri: str = STATUS_URI,
        valid_from: datetime = T0,
        valid_until: datetime = T0 + 3650 * DAY,
        zone: str | None = None,
        purposes: Iterable[str] = (),
        document_number: str = "M84011520",
    ) -> str:
        return issue_credential(
            identity or person(),
            document_type=document_type,
            document_number=document_number,
            status=StatusReference(uri, idx),
            valid_from=valid_from,
            valid_until=valid_until,
            zone=zone,
            signer=self.signers[signer or document_type],
            now=valid_from,
            purposes=purposes,
        )


@pytest.fixture(scope="module")
def world() -> World:
    return World()


@pytest.fixture(scope="module")
def signed(world: World) -> bytes:
    return world.bundle_bytes()


def _body(data: bytes) -> dict[int, Any]:
    message = cbor2.loads(data)
    return dict(cbor2.loads(message.value[2]))


def _resign(world: World, body: Any, *, protected: dict[int, object] | None = None) -> bytes:
    """Sign any body as a bundle, with the world's bundle signer."""
    payload = body if isinstance(body, bytes) else cbor2.dumps(body)
    return sign1(
        payload,
        world.signers["bundle"],
        protected={3: CONTENT_TYPE} if protected is None else protected,
        kid_in_protected=True,
    )


# ------------------------------------------------------------------ round trip


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_a_bundle_parses_back_with_everything_in_it(algorithm: Algorithm) -> None:
    world = World(algorithm)
    world.set_status(7, Status.SUSPENDED)
    loaded = world.bundle()
    assert loaded.policy == world.policy
    assert loaded.issued_at == NOW
    assert loaded.max_age == DAY
    assert loaded.stale_after == NOW + DAY
    assert loaded.trust_list.root == world.root.certificate
    assert loaded.trust_list.crl == world.crl
    assert loaded.signer.document_type == BUNDLE_SIGNER_TYPE
    assert loaded.signer.kid == world.signers["bundle"].kid
    assert loaded.status.uris == {STATUS_URI}
    assert loaded.status.status_of(STATUS_URI, 7, NOW) is Status.SUSPENDED
    assert loaded.status.status_of(STATUS_URI, 8, NOW) is Status.VALID
    assert "Bundle(" in repr(loaded)
    assert "status" not in repr(loaded).split("policy=")[0]


def test_the_bundle_is_deterministic_cbor_in_a_cose_sign1(world: World, signed: bytes) -> None:
    message = cbor2.loads(signed)
    assert message.tag == 18
    protected = cbor2.loads(message.value[0])
    assert protected == {1: -7, 3: CONTENT_TYPE, 4: world.signers["bundle"].kid}
    payload = message.value[2]
    assert encode_deterministic(cbor2.loads(payload)) == payload
    body = cbor2.loads(payload)
    assert sorted(body) == [1, 2, 3, 4, 5, 6]
    assert body[1] == 1
    assert body[5] == int(NOW.timestamp())
    assert body[6] == 86_400
    assert Policy.from_cbor(body[4]) == world.policy
    assert set(body[3]) == {STATUS_URI}


def test_staleness_is_measured_from_the_issue_time(world: World) -> None:
    loaded = world.bundle(max_age=timedelta(hours=24))
    assert not loaded.is_stale(NOW + timedelta(hours=24))
    assert loaded.is_stale(NOW + timedelta(hours=24, seconds=1))


def test_a_bundle_past_its_max_age_still_loads(world: World) -> None:
    loaded = world.bundle(now=NOW + 30 * DAY)
    assert loaded.is_stale(NOW + 30 * DAY)


# --------------------------------------------------------------- signer cache


def test_a_validated_signer_is_remembered_per_kid(world: World) -> None:
    loaded = world.bundle()
    kid = world.signers["passport"].kid
    first = loaded.signer_for(kid, NOW)
    assert loaded.signer_for(kid, NOW + DAY) is first
    assert first.document_type == "passport"


def test_the_cache_holds_only_while_nothing_it_depends_on_changes() -> None:
    world = World()
    short = world.add_signer("short", document_type="passport", not_after=NOW + DAY)
    loaded = world.bundle()
    assert loaded.signer_for(short.kid, NOW).kid == short.kid
    with pytest.raises(SignerNotValidError):
        loaded.signer_for(short.kid, NOW + 2 * DAY)
    with pytest.raises(SignerNotValidError):  # the CRL's nextUpdate bounds the cache too
        loaded.signer_for(world.signers["passport"].kid, T0 + 400 * DAY)


def test_a_key_certified_twice_is_validated_every_time() -> None:
    world = World()
    key = world.signers["passport"]
    world.add_signer("passport", signer=key, authority="Other Registry")
    loaded = world.bundle()
    assert loaded.signer_for(key.kid, NOW).kid == key.kid
    assert key.kid not in loaded._signers
    assert loaded._kid_certificates[key.kid] == 2


def test_unknown_and_revoked_signers_are_not_cached() -> None:
    world = World()
    world.revoke("passport")
    loaded = world.bundle()
    for _ in range(2):
        with pytest.raises(SignerRevokedError):
            loaded.signer_for(world.signers["passport"].kid, NOW)
        with pytest.raises(UnknownSignerError):
            loaded.signer_for(b"\x00" * 8, NOW)
    assert not loaded._signers


def test_signer_for_refuses_a_naive_time(world: World) -> None:
    with pytest.raises(ValidationError):
        world.bundle().signer_for(world.signers["passport"].kid, datetime(2026, 6, 1))  # noqa: DTZ001


def test_certificates_with_keys_cryptography_cannot_load_are_not_counted() -> None:
    world = World()
    key = KeySigner(Algorithm.EDDSA)
    cert = world.root.issue_signer_certificate(
        key.public_key_der,
        authority="Civil Registry",
        document_type="passport",
        not_before=T0,
        not_after=T0 + 365 * DAY,
        serial_number=9999,
    )
    # Turn the Ed25519 OID (1.3.101.112) of the SPKI into an unknown one (1.3.101.99).
    der = cert.public_bytes(serialization.Encoding.DER)
    assert der.count(bytes.fromhex("06032b6570")) == 1
    world.certificates["odd"] = x509.load_der_x509_certificate(
        der.replace(bytes.fromhex("06032b6570"), bytes.fromhex("06032b6563"))
    )
    loaded = world.bundle()
    assert len(loaded._kid_certificates) == len(world.certificates) - 1
    assert loaded.signer_for(world.signers["passport"].kid, NOW).document_type == "passport"


# ---------------------------------------------------------------- status tokens


def test_status_list_tokens_carry_the_statuslist_typ_and_a_protected_kid(world: World) -> None:
    token = world.status_tokens()[STATUS_URI]
    protected = cbor2.loads(cbor2.loads(token).value[0])
    assert protected[16] == "application/statuslist+cwt"
    assert protected[4] == world.signers["status"].kid
    parsed = parse_status_list_token(token, world.trust_list(), NOW)
    assert parsed.sub == STATUS_URI
    assert parsed.status_list == world.lists[STATUS_URI]


def test_a_status_list_token_needs_a_status_list_signer(world: World) -> None:
    token = world.status_tokens(signer="passport")[STATUS_URI]
    with pytest.raises(UnknownSignerError, match="status_list signer"):
        parse_status_list_token(token, world.trust_list(), NOW)


def test_a_status_list_token_needs_its_typ(world: World) -> None:
    payload = StatusListToken(sub=STATUS_URI, iat=1, status_list=StatusList(8)).to_payload()
    token = sign1(payload, world.signers["status"], kid_in_protected=True)
    with pytest.raises(DecodeError, match="typ"):
        parse_status_list_token(token, world.trust_list(), NOW)


def test_a_message_without_kid_names_no_signer(world: World) -> None:
    payload = StatusListToken(sub=STATUS_URI, iat=1, status_list=StatusList(8)).to_payload()
    signer = world.signers["status"]

    class NoKid:
        kid = b""
        algorithm = signer.algorithm
        sign = signer.sign

    token = sign1(payload, NoKid(), protected={16: "application/statuslist+cwt"})
    body = list(cbor2.loads(token).value)
    body[1] = {}
    with pytest.raises(UnknownSignerError, match="kid"):
        parse_status_list_token(cbor2.dumps(cbor2.CBORTag(18, body)), world.trust_list(), NOW)


# ------------------------------------------------------------------- sign_bundle


@pytest.mark.parametrize(
    ("changes", "field_name"),
    [
        ({"issued_at": datetime(2026, 6, 1)}, "issued_at"),  # noqa: DTZ001
        ({"max_age": timedelta(0)}, "max_age"),
        ({"max_age": MAX_AGE_LIMIT + timedelta(seconds=1)}, "max_age"),
        (
            {"status_lists": {f"https://s.example/{i}": b"" for i in range(MAX_STATUS_LISTS + 1)}},
            "status_lists",
        ),
    ],
)
def test_sign_bundle_refuses_bad_arguments(
    world: World, changes: dict[str, Any], field_name: str
) -> None:
    arguments: dict[str, Any] = {
        "trust_list": b"",
        "status_lists": {},
        "policy": world.policy,
        "issued_at": NOW,
        "max_age": DAY,
        "signer": world.signers["bundle"],
    }
    arguments.update(changes)
    with pytest.raises(ValidationError) as caught:
        sign_bundle(**arguments)
    assert caught.value.field == field_name


# -------------------------------------------------------------------- parsing


def test_parse_bundle_refuses_a_naive_time(world: World, signed: bytes) -> None:
    with pytest.raises(ValidationError):
        parse_bundle(signed, world.root.certificate, datetime(2026, 6, 1))  # noqa: DTZ001


def test_parse_bundle_accepts_bytes_like_input(world: World, signed: bytes) -> None:
    assert parse_bundle(bytearray(signed), world.root.certificate, NOW).issued_at == NOW
    assert parse_bundle(memoryview(signed), world.root.certificate, NOW).issued_at == NOW


@pytest.mark.parametrize("data", ["text", None, 12])
def test_parse_bundle_refuses_what_is_not_bytes(world: World, data: Any) -> None:
    with pytest.raises(DecodeError):
        parse_bundle(data, world.root.certificate, NOW)


def test_parse_bundle_refuses_an_oversized_input_before_parsing(world: World) -> None:
    with pytest.raises(DecodeError, match="too large"):
        parse_bundle(b"\x00" * (MAX_BUNDLE_SIZE + 1), world.root.certificate, NOW)


def test_parse_bundle_refuses_another_content_type(world: World, signed: bytes) -> None:
    other = _resign(world, _body(signed), protected={3: "application/cbor"})
    with pytest.raises(DecodeError, match="content type"):
        parse_bundle(other, world.root.certificate, NOW)


def test_parse_bundle_refuses_a_trust_list_description(world: World) -> None:
    trust = sign_trust_list(world.trust_list(), world.root_signer)
    with pytest.raises(DecodeError):
        parse_bundle(trust, world.root.certificate, NOW)


def _without(body: dict[int, Any], key: int) -> dict[int, Any]:
    return {k: v for k, v in body.items() if k != key}


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda _: [1, 2], "malformed"),
        (lambda b: _without(b, 6), "malformed"),
        (lambda b: {**b, 7: 0}, "malformed"),
        (lambda b: {**b, 1: 2}, "version"),
        (lambda b: {**b, 1: True}, "version"),
        (lambda b: {**b, 2: "text"}, "trust list"),
        (lambda b: {**b, 4: "text"}, "policy"),
        (lambda b: {**b, 4: b"\x00" * (64 * 1024 + 1)}, "policy"),
        (lambda b: {**b, 3: [1]}, "status lists"),
        (lambda b: {**b, 3: {1: b""}}, "status lists"),
        (lambda b: {**b, 3: {"": b""}}, "status lists"),
        (lambda b: {**b, 3: {"https://x": "t"}}, "status lists"),
        (
            lambda b: {**b, 3: {f"https://x/{i}": b"" for i in range(MAX_STATUS_LISTS + 1)}},
            "status lists",
        ),
        (lambda b: {**b, 5: -1}, "issue time"),
        (lambda b: {**b, 5: 1.5}, "issue time"),
        (lambda b: {**b, 5: 2**62}, "out of range"),
        (lambda b: {**b, 6: 0}, "maximum age"),
        (lambda b: {**b, 6: "1d"}, "maximum age"),
        (lambda b: {**b, 6: int(MAX_AGE_LIMIT.total_seconds()) + 1}, "maximum age"),
    ],
)
def test_parse_bundle_refuses_a_malformed_body(
    world: World, signed: bytes, edit: Any, match: str
) -> None:
    tampered = _resign(world, edit(_body(signed)))
    with pytest.raises(DecodeError, match=match):
        parse_bundle(tampered, world.root.certificate, NOW)


def test_parse_bundle_refuses_an_invalid_policy(world: World, signed: bytes) -> None:
    body = _body(signed)
    body[4] = cbor2.dumps({"version": 0})
    with pytest.raises(DecodeError, match="policy is invalid"):
        parse_bundle(_resign(world, body), world.root.certificate, NOW)


def test_parse_bundle_checks_the_trust_list_against_the_pinned_root(signed: bytes) -> None:
    stranger = World()
    with pytest.raises(UnknownSignerError):
        parse_bundle(signed, stranger.root.certificate, NOW)


def test_only_a_bundle_signer_may_sign_a_bundle(world: World) -> None:
    with pytest.raises(UnknownSignerError, match="checkpoint_bundle signer"):
        world.bundle(signer="passport")


def test_a_revoked_bundle_signer_is_refused() -> None:
    world = World()
    world.revoke("bundle")
    with pytest.raises(SignerRevokedError):
        world.bundle()


def test_a_bundle_signer_outside_its_validity_is_refused(world: World, signed: bytes) -> None:
    with pytest.raises(SignerNotValidError):
        parse_bundle(signed, world.root.certificate, T0 + 2000 * DAY)


def test_a_tampered_bundle_fails_its_signature(world: World, signed: bytes) -> None:
    message = cbor2.loads(signed)
    items = list(message.value)
    body = cbor2.loads(items[2])
    body[6] = 7 * 86_400  # stretch the maximum age, keep the old signature
    items[2] = encode_deterministic(body)
    with pytest.raises(SignatureInvalidError):
        parse_bundle(cbor2.dumps(cbor2.CBORTag(18, items)), world.root.certificate, NOW)


def test_every_status_list_token_is_verified() -> None:
    world = World()
    tokens = world.status_tokens()
    forged = World().status_tokens()  # signed by a stranger's status signer
    with pytest.raises(UnknownSignerError):
        world.bundle(status_lists={**tokens, **forged})
    with pytest.raises(UnknownSignerError):
        world.bundle(status_lists=world.status_tokens(signer="bundle"))


def test_a_status_list_filed_under_another_uri_is_refused(world: World) -> None:
    token = world.status_tokens()[STATUS_URI]
    with pytest.raises(DecodeError, match="URI"):
        world.bundle(status_lists={"https://status.carnet.example/lists/2": token})


def test_a_bundle_may_carry_no_status_list(world: World) -> None:
    assert world.bundle(status_lists={}).status.uris == frozenset()


# --------------------------------------------------------------------- fuzzing


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=512))
def test_random_bytes_raise_only_credential_errors(world: World, data: bytes) -> None:
    with pytest.raises(CredentialError):
        parse_bundle(data, world.root.certificate, NOW)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_any_bit_flip_raises_only_credential_errors(
    world: World, signed: bytes, position: int, bit: int
) -> None:
    tampered = bytearray(signed)
    tampered[position % len(tampered)] ^= 1 << bit
    try:
        loaded = parse_bundle(bytes(tampered), world.root.certificate, NOW)
    except CredentialError:
        return
    # A flip that still parses can only sit in bytes no signature covers: the
    # unprotected bucket or a byte of a DER element cryptography normalises.
    assert loaded.policy == world.policy


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cut=st.integers(min_value=0))
def test_truncations_raise_decode_errors(world: World, signed: bytes, cut: int) -> None:
    with pytest.raises(DecodeError):
        parse_bundle(signed[: cut % len(signed)], world.root.certificate, NOW)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.dictionaries(
        st.integers(-2, 9),
        st.one_of(st.integers(), st.binary(max_size=8), st.text(max_size=8)),
        max_size=8,
    )
)
def test_signed_garbage_bodies_raise_only_credential_errors(
    world: World, body: dict[int, object]
) -> None:
    with pytest.raises(CredentialError):
        parse_bundle(_resign(world, body), world.root.certificate, NOW)


def test_the_module_exports_what_it_documents() -> None:
    assert set(bundle_module.__all__) <= set(dir(bundle_module))
    assert replace(World().policy) == default_policy()
