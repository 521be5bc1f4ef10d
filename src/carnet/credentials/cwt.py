"""CWT claims (RFC 8392) of a Carnet credential, typed, and their time checks.

The claims set is a CBOR map keyed by integers. Carnet uses these keys, and
this table is the one place where its private claims are defined:

=======  ================  ==================================================
key      claim             value on the wire
=======  ================  ==================================================
1        iss               tstr (RFC 8392 §3.1.1)
2        sub               tstr (§3.1.2)
3        aud               tstr (§3.1.3)
4        exp               NumericDate: int seconds since the epoch (§3.1.4)
5        nbf               NumericDate (§3.1.5)
6        iat               NumericDate (§3.1.6)
7        cti               bstr (§3.1.7)
169      identity-data     map: MOSIP Claim 169, see :mod:`.claim169`
65535    status            ``{"status_list": {"idx": uint, "uri": tstr}}``
                           (draft-ietf-oauth-status-list §6.3; 65535 is the
                           requested assignment), see :mod:`.statuslist`
-65537   carnet            map of Carnet's private claims, keyed by
                           :class:`CarnetClaim`:
                           1 document type (tstr, e.g. the ICAO code ``ID``),
                           2 document number (tstr),
                           3 permit zone (tstr),
                           4 permit valid from (NumericDate),
                           5 permit valid until (NumericDate),
                           6 purposes (array of tstr)
=======  ================  ==================================================

The private claims share one key from the Private Use range (integers below
-65536, RFC 8392 §9.1 and the IANA CWT registry) instead of taking one key
each: a key in that range costs five bytes, and QR space is scarce.

Unknown claims are ignored when reading (RFC 7519 §4, which RFC 8392 §3
follows). Times are aware :class:`datetime` values; NumericDates are written as
whole seconds (rounded down) and may be read as integers or finite floats.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Final, TypeGuard, TypeVar

from carnet.credentials.cbor import DEFAULT_MAX_SIZE, decode_cbor, encode_deterministic
from carnet.credentials.claim169 import CLAIM_169_KEY, Identity169
from carnet.credentials.statuslist import StatusReference
from carnet.domain.errors import (
    CredentialExpiredError,
    CredentialNotYetValidError,
    DecodeError,
    ValidationError,
)

__all__ = [
    "CARNET_CLAIMS_KEY",
    "STATUS_CLAIM_KEY",
    "CarnetClaim",
    "CwtClaim",
    "CwtClaims",
]

#: The ``status`` claim key (draft-ietf-oauth-status-list, requested assignment).
STATUS_CLAIM_KEY: Final = 65535
#: The key of Carnet's private claims map (Private Use range, RFC 8392 §9.1).
CARNET_CLAIMS_KEY: Final = -65537

_CLAIMS_MAX_DEPTH: Final = 8
_NO_LEEWAY: Final = timedelta(0)
_T = TypeVar("_T")


class CwtClaim(IntEnum):
    """Claim keys of the CWT claims set that Carnet reads and writes."""

    ISS = 1
    SUB = 2
    AUD = 3
    EXP = 4
    NBF = 5
    IAT = 6
    CTI = 7
    IDENTITY = CLAIM_169_KEY
    STATUS = STATUS_CLAIM_KEY
    CARNET = CARNET_CLAIMS_KEY


class CarnetClaim(IntEnum):
    """Keys inside Carnet's private claims map (claim :data:`CARNET_CLAIMS_KEY`)."""

    DOCUMENT_TYPE = 1
    DOCUMENT_NUMBER = 2
    PERMIT_ZONE = 3
    PERMIT_VALID_FROM = 4
    PERMIT_VALID_UNTIL = 5
    PURPOSES = 6


@dataclass(frozen=True, kw_only=True)
class CwtClaims:
    """The claims set of a Carnet credential (see the module table for the keys).

    Raises:
        ValidationError: on construction, for a naive datetime or a permit
            window that ends before it starts.
    """

    issuer: str | None = None
    subject: str | None = field(default=None, repr=False)
    audience: str | None = None
    expires_at: datetime | None = None
    not_before: datetime | None = None
    issued_at: datetime | None = None
    cwt_id: bytes | None = field(default=None, repr=False)
    identity: Identity169 | None = field(default=None, repr=False)
    status: StatusReference | None = None
    document_type: str | None = None
    document_number: str | None = field(default=None, repr=False)
    permit_zone: str | None = None
    permit_valid_from: datetime | None = None
    permit_valid_until: datetime | None = None
    purposes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in (
            "expires_at",
            "not_before",
            "issued_at",
            "permit_valid_from",
            "permit_valid_until",
        ):
            moment = getattr(self, name)
            if moment is not None and moment.utcoffset() is None:
                raise ValidationError("time must be timezone-aware", field=name)
        if (
            self.permit_valid_from is not None
            and self.permit_valid_until is not None
            and self.permit_valid_until < self.permit_valid_from
        ):
            raise ValidationError("permit ends before it starts", field="permit_valid_until")

    # ------------------------------------------------------------------ checks

    def check_validity(self, now: datetime, *, leeway: timedelta = timedelta(0)) -> None:
        """Check ``exp``, ``nbf`` and the permit window against ``now``.

        A credential has expired when ``now`` is at or after ``exp`` (RFC 8392
        §3.1.4, RFC 7519 §4.1.4) and is not yet valid before ``nbf`` (§3.1.5,
        RFC 7519 §4.1.5). The permit window, when present, is checked the same
        way: a credential outside it is treated as expired or not yet valid.
        ``leeway`` widens every bound, for clock skew. Absent claims impose no
        limit.

        Raises:
            ValidationError: ``now`` is naive, or ``leeway`` is negative.
            CredentialExpiredError: ``now`` is at or after ``exp`` or the end of
                the permit window.
            CredentialNotYetValidError: ``now`` is before ``nbf`` or the start of
                the permit window.
        """
        if now.utcoffset() is None:
            raise ValidationError("now must be timezone-aware", field="now")
        if leeway < _NO_LEEWAY:
            raise ValidationError("leeway must not be negative", field="leeway")
        for end in (self.expires_at, self.permit_valid_until):
            if end is not None and now - leeway >= end:
                raise CredentialExpiredError("credential has expired")
        for start in (self.not_before, self.permit_valid_from):
            if start is not None and now + leeway < start:
                raise CredentialNotYetValidError("credential is not valid yet")

    def with_document_type(self, document_type: str) -> CwtClaims:
        """Return a copy of these claims with ``document_type`` set.

        What ``dataclasses.replace`` does, without running ``__init__`` and
        ``__post_init__`` again on fields already checked: the verifier calls it
        for every compact credential (docs/adr/0008), whose document type comes
        from the signer's certificate.
        """
        return _construct(CwtClaims, {**self.__dict__, "document_type": document_type})

    # ---------------------------------------------------------------- encoding

    def to_map(self) -> dict[int, object]:
        """Return the claims set as a CBOR-ready map (absent claims left out)."""
        claims: dict[int, object] = {}
        _fill(self, claims, _CLAIM_FIELDS)
        if self.identity is not None:
            claims[CLAIM_169_KEY] = self.identity.to_claim()
        if self.status is not None:
            claims[STATUS_CLAIM_KEY] = self.status.to_claim()
        private: dict[int, object] = {}
        _fill(self, private, _PRIVATE_FIELDS)
        if self.purposes:
            private[_PURPOSES] = list(self.purposes)
        if private:
            claims[CARNET_CLAIMS_KEY] = private
        return claims

    def to_cbor(self) -> bytes:
        """Encode the claims set deterministically (RFC 8949 §4.2.1), ready to sign.

        Raises:
            ValidationError: a value CBOR cannot carry (e.g. a date too far out).
        """
        return encode_deterministic(self.to_map())

    @classmethod
    def from_map(cls, claims: object) -> CwtClaims:
        """Read a claims set as decoded by :func:`.decode_cbor`, ignoring unknown claims.

        Raises:
            DecodeError: not a map, or a known claim of the wrong type or range.
        """
        # Runs on every verification: plain dict look-ups driven by tables.
        if not isinstance(claims, dict):
            raise DecodeError("CWT: claims set is not a map")
        values: dict[str, object] = {}
        _read(claims, values, _CLAIM_FIELDS)
        identity = claims.get(CLAIM_169_KEY)
        if identity is not None:
            values["identity"] = Identity169.from_claim(identity)
        status = claims.get(STATUS_CLAIM_KEY)
        if status is not None:
            values["status"] = StatusReference.from_claim(status)
        private = claims.get(CARNET_CLAIMS_KEY)
        if private is not None:
            if not isinstance(private, dict):
                raise DecodeError("CWT: Carnet claims are not a map")
            _read(private, values, _PRIVATE_FIELDS)
            purposes = private.get(_PURPOSES)
            if purposes is not None:
                values["purposes"] = _purposes(purposes)
        # Every value was type-checked above and every time is aware (UTC); what
        # __post_init__ would still check is the permit window.
        start, end = values.get("permit_valid_from"), values.get("permit_valid_until")
        if isinstance(start, datetime) and isinstance(end, datetime) and end < start:
            raise DecodeError("CWT: permit ends before it starts")
        return _construct(cls, values)

    @classmethod
    def from_cbor(cls, data: bytes, *, max_size: int = DEFAULT_MAX_SIZE) -> CwtClaims:
        """Decode a claims set from a COSE payload.

        Raises:
            DecodeError: malformed CBOR (see :func:`.decode_cbor`) or claims.
        """
        return cls.from_map(decode_cbor(data, max_size=max_size, max_depth=_CLAIMS_MAX_DEPTH))


# ------------------------------------------------------------------ helpers

_TEXT, _BYTES, _DATE = "text", "bytes", "date"
# (CwtClaims field, claim key, wire type), for the top-level and private claims.
_CLAIM_FIELDS: Final = (
    ("issuer", int(CwtClaim.ISS), _TEXT),
    ("subject", int(CwtClaim.SUB), _TEXT),
    ("audience", int(CwtClaim.AUD), _TEXT),
    ("expires_at", int(CwtClaim.EXP), _DATE),
    ("not_before", int(CwtClaim.NBF), _DATE),
    ("issued_at", int(CwtClaim.IAT), _DATE),
    ("cwt_id", int(CwtClaim.CTI), _BYTES),
)
_PRIVATE_FIELDS: Final = (
    ("document_type", int(CarnetClaim.DOCUMENT_TYPE), _TEXT),
    ("document_number", int(CarnetClaim.DOCUMENT_NUMBER), _TEXT),
    ("permit_zone", int(CarnetClaim.PERMIT_ZONE), _TEXT),
    ("permit_valid_from", int(CarnetClaim.PERMIT_VALID_FROM), _DATE),
    ("permit_valid_until", int(CarnetClaim.PERMIT_VALID_UNTIL), _DATE),
)
_PURPOSES: Final = int(CarnetClaim.PURPOSES)
_WIRE_TYPES: Final[dict[str, type]] = {_TEXT: str, _BYTES: bytes}


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


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


def _fill(
    claims_set: CwtClaims, target: dict[int, object], fields: tuple[tuple[str, int, str], ...]
) -> None:
    for name, key, kind in fields:
        value = getattr(claims_set, name)
        if value is not None:
            # RFC 8392 §2 NumericDate, without the tag 1 it forbids; whole seconds.
            target[key] = math.floor(value.timestamp()) if kind == _DATE else value


def _read(
    source: dict[object, object],
    values: dict[str, object],
    fields: tuple[tuple[str, int, str], ...],
) -> None:
    get = source.get
    for name, key, kind in fields:
        value = get(key)
        if value is None:
            continue
        if kind is _DATE:
            values[name] = _numeric_date(value, key)
        elif isinstance(value, _WIRE_TYPES[kind]):
            values[name] = value
        else:
            raise DecodeError(f"CWT: claim {key} is not a {kind} string")


def _numeric_date(value: object, key: int) -> datetime:
    # An exact int is what decode_cbor gives for what Carnet writes: checked first.
    if not (type(value) is int or _is_int(value) or isinstance(value, float)):
        raise DecodeError(f"CWT: claim {key} is not a NumericDate")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise DecodeError(f"CWT: claim {key} is out of range") from exc


def _purposes(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise DecodeError("CWT: purposes are not an array of text strings")
    return tuple(value)
