"""The offline verifier: QR text + bundle + purpose + time → a :class:`Verdict`.

This is what a checkpoint runs for every document shown to it. It needs only a
:class:`~carnet.credentials.bundle.Bundle` and sends nothing anywhere (DESIGN.md
principle 1); it discloses only what the purpose reveals (principle 2).

The pipeline, in order, stopping at the first failure:

1. **purpose**: a purpose for which no document may be demanded is refused at
   once (``no_document_may_be_demanded``), before the QR is even decoded;
2. **transport**: Base45 (RFC 9285), bounded zlib inflate (RFC 1950)
   (:mod:`.codec`), then the COSE_Sign1 structure (RFC 9052 §4.2, :mod:`.cose`);
3. **signer**: the ``kid`` is looked up and validated against the bundle's
   trust list at ``now`` (:func:`.pki.validate_signer`, cached per kid);
4. **signature** (RFC 9052 §4.4);
5. **claims** (RFC 8392, :mod:`.cwt`): well-formed, with a document type that the
   signer's certificate is issued for and an expiry; then ``exp``/``nbf`` and the
   permit window;
6. **status** (draft-ietf-oauth-status-list §8.3) from the bundle's lists; a
   bundle past its maximum age, or a missing list, gives ``status_unknown``;
7. **policy**: the document type (and zone) must be acceptable for the purpose;
   then exactly the attributes the purpose reveals are disclosed.

Reason codes: ``valid``, ``malformed``, ``bad_signature``, ``unknown_signer``,
``signer_revoked``, ``signer_not_valid``, ``expired``, ``not_yet_valid``,
``revoked``, ``suspended``, ``status_unknown``, ``not_acceptable_for_purpose``,
``no_document_may_be_demanded``. ``signer_not_valid`` (a signer certificate, the
root or the CRL out of its validity) comes from :mod:`.pki` and has no closer
equivalent in the list of the issue.

Every QR input gets a verdict: typed errors map to reasons through their
``reason`` attribute. Only the caller's own mistakes raise (an unknown purpose,
a naive ``now``, no zone for a zone-bound purpose).
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Literal, TypeAlias

from carnet.credentials.codec import decode_qr_text
from carnet.credentials.cose import parse_sign1, verify_sign1
from carnet.credentials.cwt import CwtClaims
from carnet.credentials.policy import over_age
from carnet.credentials.statuslist import Status
from carnet.domain.errors import (
    CredentialError,
    CredentialRevokedError,
    CredentialSuspendedError,
    DecodeError,
    NoDocumentMayBeDemandedError,
    NotAcceptableForPurposeError,
    PurposeRefusedError,
    StatusUnknownError,
    UnknownSignerError,
    ValidationError,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from carnet.credentials.bundle import Bundle
    from carnet.credentials.claim169 import BirthDate
    from carnet.credentials.pki import SignerInfo
    from carnet.credentials.policy import Purpose

    _Reveal: TypeAlias = Callable[[CwtClaims, SignerInfo, datetime, dict[str, object]], None]

__all__ = ["REASONS", "Result", "Verdict", "verify"]

logger = logging.getLogger(__name__)

Result = Literal["valid", "invalid", "refused"]

#: Every reason code a verdict may carry.
REASONS: Final = (
    "valid",
    "malformed",
    "bad_signature",
    "unknown_signer",
    "signer_revoked",
    "signer_not_valid",
    "expired",
    "not_yet_valid",
    "revoked",
    "suspended",
    "status_unknown",
    "not_acceptable_for_purpose",
    "no_document_may_be_demanded",
)

_NOTHING: Final[Mapping[str, object]] = MappingProxyType({})
_VALID: Final = ("valid",)
_REVOKED: Final = Status.INVALID
_SUSPENDED: Final = Status.SUSPENDED
_STATUS_VALID: Final = Status.VALID


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a checkpoint learns about one QR code, for one purpose.

    Attributes:
        result: ``valid``; ``invalid`` (not genuine, not current, or revoked);
            or ``refused`` (the purpose does not allow it, whatever its validity).
        reasons: machine-readable reason codes (see :data:`REASONS`).
        disclosed: exactly the attributes the purpose reveals; empty unless valid.
        document_type: the credential's document type, once its signature checked out.
        purpose: the purpose verified for.
        authority: the issuing authority named by the signer's certificate.
        policy_version: the version of the policy applied.
        detail: a short explanation, with no personal data.
    """

    result: Result
    reasons: tuple[str, ...]
    disclosed: Mapping[str, object] = field(default_factory=lambda: _NOTHING, repr=False)
    document_type: str | None = None
    purpose: str = ""
    authority: str | None = None
    policy_version: int | None = None
    detail: str = ""

    @property
    def is_valid(self) -> bool:
        """Whether the result is ``valid``."""
        return self.result == "valid"

    def to_json(self) -> dict[str, object]:
        """Return the verdict as JSON-ready data (bytes in base64, times in ISO 8601)."""
        return {
            "result": self.result,
            "reasons": list(self.reasons),
            "disclosed": {key: _json_value(value) for key, value in self.disclosed.items()},
            "document_type": self.document_type,
            "purpose": self.purpose,
            "authority": self.authority,
            "policy_version": self.policy_version,
            "detail": self.detail,
        }


def verify(
    qr_text: str,
    bundle: Bundle,
    purpose: str,
    now: datetime,
    *,
    zone: str | None = None,
) -> Verdict:
    """Verify the credential in ``qr_text`` for ``purpose`` at ``now``, offline.

    ``zone`` is the zone the checkpoint guards; a zone-bound purpose (such as
    ``zone_entry``) accepts only credentials that name it. Never raises on bad
    QR input and never touches the network.

    Raises:
        ValidationError: ``purpose`` is not in the bundle's policy, ``now`` is
            naive, or ``zone`` is missing for a zone-bound purpose.
    """
    policy = bundle.policy
    if policy.forbids_documents(purpose):
        return Verdict(
            "refused",
            (NoDocumentMayBeDemandedError.reason,),
            purpose=purpose,
            policy_version=policy.version,
            detail="no identity document may be demanded for this purpose",
        )
    rule = policy.purpose(purpose)
    if now.utcoffset() is None:
        raise ValidationError("now must be timezone-aware", field="now")
    if rule.zone_bound and not zone:
        raise ValidationError("this purpose needs the checkpoint's zone", field="zone")
    claims: CwtClaims | None = None
    signer: SignerInfo | None = None
    try:
        claims, signer = _authenticate(qr_text, bundle, now)
        claims.check_validity(now)
        _check_status(claims, bundle, now)
        disclosed = _disclose(rule, claims, signer, zone, now)
    except CredentialError as exc:
        return _failure(exc, claims, signer, purpose, policy.version)
    except Exception as exc:  # noqa: BLE001 - the boundary for hostile input: never crash
        # A parser let through something other than a Carnet error: that is a bug to
        # fix, but the holder still gets an answer. Only the type is logged: the
        # message could quote the (personal) input.
        logger.error("unexpected %s while verifying a credential", type(exc).__name__)  # noqa: TRY400
        return _failure(DecodeError("unreadable credential"), None, None, purpose, policy.version)
    return Verdict(
        "valid",
        _VALID,
        disclosed,
        claims.document_type,
        purpose,
        signer.authority,
        policy.version,
    )


# ------------------------------------------------------------------ pipeline


def _authenticate(qr_text: str, bundle: Bundle, now: datetime) -> tuple[CwtClaims, SignerInfo]:
    """Steps 2-5a: decode, find and check the signer, verify, read the claims."""
    if type(qr_text) is not str:
        raise DecodeError("QR text is not text")
    message = parse_sign1(decode_qr_text(qr_text))
    kid = message.kid
    if kid is None:
        raise UnknownSignerError("credential names no signer (kid)")
    signer = bundle.signer_for(kid, now)
    claims = CwtClaims.from_cbor(verify_sign1(message, signer.public_key))
    if claims.expires_at is None:
        raise DecodeError("credential lacks its expiry")
    document_type = claims.document_type
    if document_type is None:
        # Compact credentials (docs/adr/0008) leave the type to the signer's
        # certificate, which is issued for exactly one document type.
        claims = claims.with_document_type(signer.document_type)
    elif document_type != signer.document_type:
        # A signer certified for zone permits must not be able to issue passports.
        raise UnknownSignerError("signer is not certified for this document type")
    return claims, signer


def _check_status(claims: CwtClaims, bundle: Bundle, now: datetime) -> None:
    """Step 6 (draft-ietf-oauth-status-list §8.3)."""
    reference = claims.status
    if reference is None:
        raise StatusUnknownError("credential has no status reference", field="uri")
    if now > bundle.stale_after:
        raise StatusUnknownError("bundle is older than its maximum age", field="iat")
    status = bundle.status.status_of(reference.uri, reference.idx, now)
    if status is _STATUS_VALID:
        return
    if status is _REVOKED:
        raise CredentialRevokedError("credential is revoked")
    if status is _SUSPENDED:
        raise CredentialSuspendedError("credential is suspended")
    raise StatusUnknownError("status value has no meaning in Carnet", field="status")


def _disclose(
    rule: Purpose, claims: CwtClaims, signer: SignerInfo, zone: str | None, now: datetime
) -> Mapping[str, object]:
    """Step 7: acceptability for the purpose, then exactly what it reveals."""
    if claims.document_type not in rule.accepts:
        raise NotAcceptableForPurposeError("document type not accepted for this purpose")
    if rule.zone_bound and claims.permit_zone != zone:
        raise NotAcceptableForPurposeError("credential is not valid for this zone")
    if claims.purposes and rule.name not in claims.purposes:
        raise NotAcceptableForPurposeError("credential is restricted to other purposes")
    disclosed: dict[str, object] = {}
    for reveal in _revealers(rule.reveals):
        reveal(claims, signer, now, disclosed)
    return MappingProxyType(disclosed)


def _failure(
    exc: CredentialError,
    claims: CwtClaims | None,
    signer: SignerInfo | None,
    purpose: str,
    policy_version: int,
) -> Verdict:
    # What the signature vouches for (document type, authority) is shown once it checked out.
    return Verdict(
        "refused" if isinstance(exc, PurposeRefusedError) else "invalid",
        (exc.reason,),
        document_type=None if claims is None else claims.document_type,
        authority=None if claims is None or signer is None else signer.authority,
        purpose=purpose,
        policy_version=policy_version,
        detail=exc.message,
    )


# ----------------------------------------------------------------- disclosure


def _put(out: dict[str, object], key: str, value: object) -> None:
    if value is not None:
        out[key] = value


def _name(claims: CwtClaims, _signer: SignerInfo, _now: datetime, out: dict[str, object]) -> None:
    identity = claims.identity
    if identity is not None:
        name = identity.full_name or " ".join(
            part for part in (identity.given_name, identity.family_name) if part
        )
        _put(out, "name", name or None)


def _identity_attribute(attribute: str, key: str) -> _Reveal:
    def reveal(
        claims: CwtClaims, _signer: SignerInfo, _now: datetime, out: dict[str, object]
    ) -> None:
        identity = claims.identity
        if identity is not None:
            _put(out, key, getattr(identity, attribute))

    return reveal


def _claim_attribute(attribute: str, key: str) -> _Reveal:
    def reveal(
        claims: CwtClaims, _signer: SignerInfo, _now: datetime, out: dict[str, object]
    ) -> None:
        _put(out, key, getattr(claims, attribute))

    return reveal


def _date_of_birth(
    claims: CwtClaims, _signer: SignerInfo, _now: datetime, out: dict[str, object]
) -> None:
    birth = None if claims.identity is None else claims.identity.date_of_birth
    if birth is not None:
        parts = [f"{birth.year:04d}"]
        if birth.month is not None:
            parts.append(f"{birth.month:02d}")
            if birth.day is not None:
                parts.append(f"{birth.day:02d}")
        out["date_of_birth"] = "-".join(parts)


def _gender(claims: CwtClaims, _signer: SignerInfo, _now: datetime, out: dict[str, object]) -> None:
    gender = None if claims.identity is None else claims.identity.gender
    if gender is not None:
        out["gender"] = gender.name.lower()


def _photo(claims: CwtClaims, _signer: SignerInfo, _now: datetime, out: dict[str, object]) -> None:
    identity = claims.identity
    if identity is not None and identity.photo is not None:
        out["photo"] = identity.photo
        if identity.photo_format is not None:
            out["photo_format"] = identity.photo_format.name.lower()


def _issuer(_claims: CwtClaims, signer: SignerInfo, _now: datetime, out: dict[str, object]) -> None:
    out["issuer"] = signer.authority


def _latest_birthday(birth: BirthDate) -> tuple[int, int, int]:
    """The latest (year, month, day) the holder can have been born on."""
    if birth.month is None:
        return birth.year, 12, 31
    if birth.day is None:
        following = date(birth.year + birth.month // 12, birth.month % 12 + 1, 1)
        return birth.year, birth.month, (following - date(birth.year, birth.month, 1)).days
    return birth.year, birth.month, birth.day


def _over(years: int) -> _Reveal:
    def reveal(
        claims: CwtClaims, _signer: SignerInfo, now: datetime, out: dict[str, object]
    ) -> None:
        birth = None if claims.identity is None else claims.identity.date_of_birth
        if birth is None:
            raise NotAcceptableForPurposeError("credential carries no date of birth")
        # The holder is N on the N-th anniversary of the latest possible birth date
        # (a 29 February birthday counts from 1 March in common years): an unknown
        # day or month never makes anyone older than they may be.
        today = now.date()
        out[f"over_{years}"] = (today.year - years, today.month, today.day) >= _latest_birthday(
            birth
        )

    return reveal


_REVEALERS: Final[dict[str, _Reveal]] = {
    "name": _name,
    "name_native": _identity_attribute("secondary_full_name", "name_native"),
    "uin": _identity_attribute("uin", "uin"),
    "date_of_birth": _date_of_birth,
    "gender": _gender,
    "nationality": _identity_attribute("nationality", "nationality"),
    "address": _identity_attribute("address", "address"),
    "photo": _photo,
    "document_number": _claim_attribute("document_number", "document_number"),
    "issuer": _issuer,
    "valid_from": _claim_attribute("not_before", "valid_from"),
    "valid_until": _claim_attribute("expires_at", "valid_until"),
    "permit_zone": _claim_attribute("permit_zone", "permit_zone"),
}


@lru_cache(maxsize=256)
def _revealers(reveals: tuple[str, ...]) -> tuple[_Reveal, ...]:
    """Compile a purpose's ``reveals`` once (the policy checked every name on load)."""
    compiled: list[_Reveal] = []
    for attribute in reveals:
        years = over_age(attribute)
        compiled.append(_REVEALERS[attribute] if years is None else _over(years))
    return tuple(compiled)


def _json_value(value: object) -> object:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime):
        return value.isoformat()
    return value
