"""The checkpoint bundle: everything a checkpoint needs to verify offline, in one signed file.

A bundle holds the signed trust list (root, document-signer certificates, CRL),
the current Status List Tokens (each a COSE_Sign1, keyed by its URI), the purpose
policy, the time it was issued and how long its status information may be
relied on. DESIGN.md principle 1: a checkpoint needs nothing else, and verifying
sends nothing anywhere.

Who signs what. The root stays offline: it signs only certificates, CRLs and the
trust list. Two kinds of document signer, certified by the root like any other
(ICAO 9303-12 DS profile, see :mod:`.pki`), sign what is refreshed daily:

* a **bundle signer**, a DS certificate whose document type (OU) is
  :data:`BUNDLE_SIGNER_TYPE`, signs the bundle;
* a **status-list signer**, document type :data:`STATUS_LIST_SIGNER_TYPE`, signs
  each Status List Token (draft-ietf-oauth-status-list §5.2), which may also be
  served on its own from a CDN.

Each is checked with :func:`.pki.validate_signer` against the trust list in the
bundle, itself checked against the pinned root; a signer of one kind cannot
stand in for the other, nor for a credential signer (the verifier matches the
credential's document type against its signer's).

Wire format. A tagged COSE_Sign1 (RFC 9052 §4.2) with protected headers ``alg``,
``content type`` (3) = :data:`CONTENT_TYPE` and ``kid``, whose payload is a
deterministically encoded CBOR map (RFC 8949 §4.2.1)::

    { 1: 1                  format version
      2: bstr               signed trust list (COSE_Sign1 by the root, .trustlist)
      3: {tstr: bstr}       Status List Tokens (COSE_Sign1) by URI
      4: bstr               policy, deterministic CBOR (.policy)
      5: uint               issued at, seconds since the epoch (UTC)
      6: uint               maximum age in seconds }

Parsing is defensive: every size and count is bounded, every failure is a typed
:class:`~carnet.domain.errors.CredentialError`, and status lists are inflated
only once the bundle's signature has been verified. A bundle past its maximum
age still loads; the verifier then answers ``status_unknown`` for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final, cast

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from carnet.credentials.cbor import decode_cbor, encode_deterministic
from carnet.credentials.cose import parse_sign1, sign1, verify_sign1
from carnet.credentials.pki import key_id, validate_signer
from carnet.credentials.policy import MAX_POLICY_SIZE, Policy
from carnet.credentials.statuslist import (
    DEFAULT_MAX_LIST_BYTES,
    StatusListToken,
    StatusSnapshot,
    check_status_list_token_header,
    status_list_token_header,
)
from carnet.credentials.trustlist import MAX_TRUST_LIST_SIZE, parse_trust_list
from carnet.domain.errors import (
    DecodeError,
    UnknownSignerError,
    ValidationError,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cryptography import x509

    from carnet.credentials.pki import SignerInfo
    from carnet.credentials.signing import Signer
    from carnet.credentials.trustlist import TrustList

__all__ = [
    "BUNDLE_SIGNER_TYPE",
    "CONTENT_TYPE",
    "FORMAT_VERSION",
    "MAX_AGE_LIMIT",
    "MAX_BUNDLE_SIZE",
    "MAX_STATUS_LISTS",
    "STATUS_LIST_SIGNER_TYPE",
    "Bundle",
    "parse_bundle",
    "parse_status_list_token",
    "sign_bundle",
    "sign_status_list_token",
]

#: The document type (certificate OU) of the key that signs bundles.
BUNDLE_SIGNER_TYPE: Final = "checkpoint_bundle"
#: The document type (certificate OU) of the key that signs Status List Tokens.
STATUS_LIST_SIGNER_TYPE: Final = "status_list"
#: COSE ``content type`` (RFC 9052 §3.1, label 3) of a bundle.
CONTENT_TYPE: Final = "application/vnd.carnet.checkpoint-bundle+cbor"
FORMAT_VERSION: Final = 1
#: Largest bundle accepted, before anything is parsed.
MAX_BUNDLE_SIZE: Final = 32 * 1024 * 1024
#: Most status lists in one bundle.
MAX_STATUS_LISTS: Final = 1024
#: Most status bytes inflated for one bundle, all lists together.
MAX_STATUS_BYTES: Final = 64 * 1024 * 1024
#: Longest maximum age a bundle may declare.
MAX_AGE_LIMIT: Final = timedelta(days=31)

_HEADER_CONTENT_TYPE: Final = 3
_VERSION, _TRUST, _STATUS, _POLICY, _ISSUED_AT, _MAX_AGE = 1, 2, 3, 4, 5, 6
_BODY_KEYS: Final = frozenset({_VERSION, _TRUST, _STATUS, _POLICY, _ISSUED_AT, _MAX_AGE})
_BODY_DEPTH: Final = 4  # envelope map, status map, and room for nothing else
_MAX_URI: Final = 2048
_MAX_TOKEN_SIZE: Final = DEFAULT_MAX_LIST_BYTES + 1024 * 1024
_SPKI: Final = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True, eq=False)
class Bundle:
    """A verified checkpoint bundle, ready for :func:`.verifier.verify`.

    Build it with :func:`parse_bundle`. It is immutable; the only state it keeps
    is a cache of signers already validated, which makes it safe to share.

    Attributes:
        trust_list: the root, document-signer certificates and CRL.
        status: the status lists, by URI.
        policy: the purpose policy.
        issued_at: when the bundle was made.
        max_age: how long after ``issued_at`` its status lists may be relied on.
        signer: the bundle signer that signed it.
        stale_after: ``issued_at + max_age``; later, status information is unknown.
    """

    trust_list: TrustList = field(repr=False)
    status: StatusSnapshot = field(repr=False)
    policy: Policy
    issued_at: datetime
    max_age: timedelta
    signer: SignerInfo = field(repr=False)
    stale_after: datetime = field(init=False)
    _kid_certificates: Mapping[bytes, int] = field(init=False, repr=False)
    _signers: dict[bytes, tuple[datetime, datetime, SignerInfo]] = field(
        init=False, repr=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        """Derive :attr:`stale_after` and count the certificates of each key."""
        object.__setattr__(self, "stale_after", self.issued_at + self.max_age)
        object.__setattr__(self, "_kid_certificates", _kid_certificates(self.trust_list))

    def is_stale(self, now: datetime) -> bool:
        """Whether ``now`` lies past :attr:`stale_after`: status information is unknown."""
        return now > self.stale_after

    def signer_for(self, kid: bytes, now: datetime) -> SignerInfo:
        """Return the document signer ``kid``, validated against the trust list at ``now``.

        This is :func:`.pki.validate_signer`, remembered: a success is kept with
        the interval in which nothing it depends on changes (the root's, the
        signer's and the CRL's validity windows), so the next call in that
        interval costs a dictionary look-up. Keys certified more than once are
        not cached, since which certificate wins may change with time.

        Raises:
            ValidationError: ``now`` is not timezone-aware.
            CredentialError: as :func:`.pki.validate_signer`.
        """
        if now.utcoffset() is None:
            raise ValidationError("now must be timezone-aware", field="now")
        cached = self._signers.get(kid)
        if cached is not None and cached[0] <= now <= cached[1]:
            return cached[2]
        info = validate_signer(kid, self.trust_list, now)
        if self._kid_certificates.get(kid) == 1:
            self._signers[kid] = (*_stable_interval(self.trust_list, info), info)
        return info


def sign_status_list_token(token: StatusListToken, signer: Signer) -> bytes:
    """Sign a Status List Token as a COSE_Sign1 (draft-ietf-oauth-status-list §5.2).

    The protected header carries ``alg``, ``typ`` = ``application/statuslist+cwt``
    and the signer's ``kid``.

    Raises:
        InfrastructureError: the signer failed.
    """
    return sign1(
        token.to_payload(), signer, protected=status_list_token_header(), kid_in_protected=True
    )


def parse_status_list_token(
    data: bytes,
    trust_list: TrustList,
    now: datetime,
    *,
    max_list_bytes: int = DEFAULT_MAX_LIST_BYTES,
) -> StatusListToken:
    """Verify a signed Status List Token against ``trust_list`` and return its claims.

    The signer must be a valid status-list signer (:data:`STATUS_LIST_SIGNER_TYPE`)
    at ``now``; the token's own freshness (``exp``, ``ttl``) is checked when a
    status is read, not here.

    Raises:
        DecodeError: not a COSE_Sign1 Status List Token (§5.2), or a malformed list.
        UnknownSignerError: no ``kid``, or not a status-list signer of the trust list.
        SignerRevokedError, SignerNotValidError, SignatureInvalidError: as
            :func:`.pki.validate_signer`, or the signature does not verify.
    """
    message = parse_sign1(data, max_size=_MAX_TOKEN_SIZE)
    check_status_list_token_header(cast("Mapping[object, object]", message.protected))
    info = _signer_of(message.kid, trust_list, now, STATUS_LIST_SIGNER_TYPE)
    payload = verify_sign1(message, info.public_key)
    return StatusListToken.from_payload(payload, max_list_bytes=max_list_bytes)


def sign_bundle(
    *,
    trust_list: bytes,
    status_lists: Mapping[str, bytes],
    policy: Policy,
    issued_at: datetime,
    max_age: timedelta,
    signer: Signer,
) -> bytes:
    """Make a signed checkpoint bundle (see the module docstring for the format).

    ``trust_list`` is the root-signed trust list (:func:`.trustlist.sign_trust_list`)
    and ``status_lists`` maps each URI to its signed token
    (:func:`sign_status_list_token`). ``signer`` should hold a bundle-signer key
    (:data:`BUNDLE_SIGNER_TYPE`); :func:`parse_bundle` refuses any other.

    Raises:
        ValidationError: ``issued_at`` is naive, ``max_age`` is not between one
            second and :data:`MAX_AGE_LIMIT`, or there are too many status lists.
        InfrastructureError: the signer failed.
    """
    if issued_at.utcoffset() is None:
        raise ValidationError("issued_at must be timezone-aware", field="issued_at")
    if not timedelta(seconds=1) <= max_age <= MAX_AGE_LIMIT:
        raise ValidationError("max_age must be between 1 s and 31 days", field="max_age")
    if len(status_lists) > MAX_STATUS_LISTS:
        raise ValidationError("too many status lists for one bundle", field="status_lists")
    body = {
        _VERSION: FORMAT_VERSION,
        _TRUST: bytes(trust_list),
        _STATUS: {str(uri): bytes(token) for uri, token in status_lists.items()},
        _POLICY: policy.to_cbor(),
        _ISSUED_AT: int(issued_at.timestamp()),
        _MAX_AGE: int(max_age.total_seconds()),
    }
    return sign1(
        encode_deterministic(body),
        signer,
        protected={_HEADER_CONTENT_TYPE: CONTENT_TYPE},
        kid_in_protected=True,
    )


def parse_bundle(
    data: bytes | bytearray | memoryview, root: x509.Certificate, now: datetime
) -> Bundle:
    """Verify a checkpoint bundle against the pinned ``root`` at ``now``.

    Checked, in order: the envelope and body shape; the trust list's signature
    by ``root`` (:func:`.trustlist.parse_trust_list`); the bundle signer
    (a valid :data:`BUNDLE_SIGNER_TYPE` signer at ``now``) and its signature;
    the policy; and then each Status List Token (its signer, signature, URI).

    Raises:
        ValidationError: ``now`` is naive, or ``root`` is not a P-256 or Ed25519
            certificate.
        DecodeError: too large, malformed, not a bundle, an unknown format
            version, an invalid policy, or a token whose URI differs from its key.
        UnknownSignerError: the trust list is not the root's, or a signer is not
            of the right kind or not in the trust list.
        SignerRevokedError, SignerNotValidError: a signer is revoked or outside
            its validity (or the CRL is out of date) at ``now``.
        SignatureInvalidError: a signature does not verify.
    """
    if now.utcoffset() is None:
        raise ValidationError("now must be timezone-aware", field="now")
    if not isinstance(data, bytes | bytearray | memoryview):
        raise DecodeError("bundle must be bytes")
    data = bytes(data)
    if len(data) > MAX_BUNDLE_SIZE:
        raise DecodeError("bundle is too large")
    message = parse_sign1(data, max_size=MAX_BUNDLE_SIZE)
    if message.protected.get(_HEADER_CONTENT_TYPE) != CONTENT_TYPE:
        raise DecodeError("not a checkpoint bundle (content type)")
    body = _Body.read(message.payload)
    trust = parse_trust_list(body.trust_list, root)
    signer = _signer_of(message.kid, trust, now, BUNDLE_SIGNER_TYPE)
    verify_sign1(message, signer.public_key)
    policy = Policy.from_cbor(body.policy)
    budget = MAX_STATUS_BYTES
    tokens: list[StatusListToken] = []
    for uri, signed in body.status_lists.items():
        token = parse_status_list_token(
            signed, trust, now, max_list_bytes=min(DEFAULT_MAX_LIST_BYTES, budget)
        )
        if token.sub != uri:
            raise DecodeError("a status list's URI differs from its key", field="sub")
        budget -= token.status_list.size * token.status_list.bits // 8
        tokens.append(token)
    return Bundle(
        trust_list=trust,
        status=StatusSnapshot(tokens, max_age=body.max_age),
        policy=policy,
        issued_at=body.issued_at,
        max_age=body.max_age,
        signer=signer,
    )


# ------------------------------------------------------------------ helpers


@dataclass(frozen=True)
class _Body:
    """The bundle's payload, checked for shape only (its signature comes next)."""

    trust_list: bytes
    status_lists: dict[str, bytes]
    policy: bytes
    issued_at: datetime
    max_age: timedelta

    @classmethod
    def read(cls, payload: bytes) -> _Body:
        fields = decode_cbor(payload, max_size=MAX_BUNDLE_SIZE, max_depth=_BODY_DEPTH)
        if not isinstance(fields, dict) or set(fields) != _BODY_KEYS:
            raise DecodeError("bundle body is malformed")
        if fields[_VERSION] != FORMAT_VERSION or type(fields[_VERSION]) is not int:
            raise DecodeError("unsupported bundle format version", field="version")
        trust, status, policy = fields[_TRUST], fields[_STATUS], fields[_POLICY]
        issued, max_age = fields[_ISSUED_AT], fields[_MAX_AGE]
        if type(trust) is not bytes or len(trust) > MAX_TRUST_LIST_SIZE:
            raise DecodeError("bundle trust list is malformed", field="trust_list")
        if type(policy) is not bytes or len(policy) > MAX_POLICY_SIZE:
            raise DecodeError("bundle policy is malformed", field="policy")
        if (
            not isinstance(status, dict)
            or len(status) > MAX_STATUS_LISTS
            or not all(
                type(uri) is str and 0 < len(uri) <= _MAX_URI and type(token) is bytes
                for uri, token in status.items()
            )
        ):
            raise DecodeError("bundle status lists are malformed", field="status_lists")
        if type(issued) is not int or issued < 0:
            raise DecodeError("bundle issue time is malformed", field="issued_at")
        limit = int(MAX_AGE_LIMIT.total_seconds())
        if type(max_age) is not int or not 0 < max_age <= limit:
            raise DecodeError("bundle maximum age is malformed", field="max_age")
        try:
            issued_at = datetime.fromtimestamp(issued, tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise DecodeError("bundle issue time is out of range", field="issued_at") from exc
        return cls(trust, status, policy, issued_at, timedelta(seconds=max_age))


def _signer_of(kid: bytes | None, trust: TrustList, now: datetime, kind: str) -> SignerInfo:
    if kid is None:
        raise UnknownSignerError("message names no signer (kid)")
    info = validate_signer(kid, trust, now)
    if info.document_type != kind:
        raise UnknownSignerError(f"signer is not a {kind} signer")
    return info


def _kid_certificates(trust: TrustList) -> dict[bytes, int]:
    """Count the certificates of each key in the trust list."""
    counts: dict[bytes, int] = {}
    for certificate in trust.signers:
        try:
            kid = key_id(certificate.public_key().public_bytes(*_SPKI))
        except (ValueError, UnsupportedAlgorithm):
            continue  # a key Carnet cannot use; validate_signer never returns it
        counts[kid] = counts.get(kid, 0) + 1
    return counts


def _stable_interval(trust: TrustList, info: SignerInfo) -> tuple[datetime, datetime]:
    """Return the interval in which :func:`.pki.validate_signer`'s answer for ``info`` holds.

    Its checks depend on time only through the root's and the signer's validity
    windows and the CRL's ``thisUpdate``/``nextUpdate`` (RFC 5280 §6.1.3, §6.3.3).
    """
    root, crl = trust.root, trust.crl
    # validate_signer refuses a CRL without nextUpdate, so the fallback never counts.
    next_update = crl.next_update_utc or crl.last_update_utc
    start = max(root.not_valid_before_utc, info.not_before, crl.last_update_utc)
    end = min(root.not_valid_after_utc, info.not_after, next_update)
    return start, end
