"""Issuing: identity + document facts + a signer → the text of a signed QR code.

:func:`issue_credential` builds the CWT claims set (RFC 8392) of a Carnet
credential, with the identity as MOSIP Claim 169 and the document facts as
Carnet's private claims (see :mod:`.cwt` for the keys), signs it as a
COSE_Sign1 (RFC 9052 §4.2) and returns ``base45(zlib(COSE_Sign1))``, the QR
text of Claim 169 §3.2.1. It is a pure function of its arguments: the caller
supplies the status-list entry (allocated at random, :mod:`.statusindex`), the
time and the :class:`~carnet.credentials.signing.Signer`.

:func:`identity_from_mapping` reads an identity from plain data (a JSON file),
for the command line and tests.
"""

from __future__ import annotations

import base64
import binascii
from enum import IntEnum
from typing import TYPE_CHECKING, Final, TypeVar

from carnet.credentials.claim169 import BirthDate, Gender, Identity169, PhotoFormat
from carnet.credentials.codec import DEFAULT_MAX_TEXT_LENGTH, encode_qr_text
from carnet.credentials.cose import sign1
from carnet.credentials.cwt import CwtClaims
from carnet.domain.errors import DecodeError, ValidationError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import datetime

    from carnet.credentials.signing import Signer
    from carnet.credentials.statuslist import StatusReference

__all__ = ["COMPACT_DOCUMENT_TYPES", "identity_from_mapping", "issue_credential"]

_E = TypeVar("_E", bound=IntEnum)

_MAX_TEXT: Final = 200
_TEXT_FIELDS: Final = (
    "uin",
    "language",
    "full_name",
    "given_name",
    "middle_name",
    "family_name",
    "address",
    "nationality",
    "secondary_full_name",
    "secondary_language",
)
_FIELDS: Final = frozenset({*_TEXT_FIELDS, "date_of_birth", "gender", "photo", "photo_format"})


# Document types whose QR must fit version 10-M: they carry the minimum
# (docs/adr/0008): no issuer and no document type (the signer's certificate names
# both: a document signer is certified for one authority and one document type),
# no iat and no nbf (a card is valid from issuance).
COMPACT_DOCUMENT_TYPES: Final = frozenset({"national_id_card"})


def issue_credential(
    identity: Identity169,
    *,
    document_type: str,
    document_number: str,
    status: StatusReference,
    valid_from: datetime,
    valid_until: datetime,
    zone: str | None = None,
    signer: Signer,
    now: datetime,
    issuer: str | None = None,
    purposes: Iterable[str] = (),
) -> str:
    """Return the QR text of a credential signed by ``signer``.

    ``valid_from`` and ``valid_until`` become ``nbf`` and ``exp`` (RFC 8392
    §3.1.5, §3.1.4; whole seconds), ``now`` becomes ``iat`` (none of ``iss``,
    ``iat`` and ``nbf`` for :data:`COMPACT_DOCUMENT_TYPES`), ``zone`` the permit
    zone, and ``purposes`` (optional) the only purposes the credential serves.
    The signer's certificate must be issued for ``document_type``, or verifiers
    refuse the credential (:mod:`.verifier`).

    Raises:
        ValidationError: a naive or empty validity window, an empty document
            type, number or zone, or a credential too large for a QR code.
        InfrastructureError: the signer (key file, HSM) failed.
    """
    for name, text in (("document_type", document_type), ("document_number", document_number)):
        if not text or len(text) > _MAX_TEXT:
            raise ValidationError(f"must be 1 to {_MAX_TEXT} characters", field=name)
    if zone is not None and not zone:
        raise ValidationError("zone must not be empty", field="zone")
    for name, moment in (("valid_from", valid_from), ("valid_until", valid_until), ("now", now)):
        if moment.utcoffset() is None:
            raise ValidationError("time must be timezone-aware", field=name)
    if valid_until <= valid_from:
        raise ValidationError("validity ends before it starts", field="valid_until")
    compact = document_type in COMPACT_DOCUMENT_TYPES
    claims = CwtClaims(
        issuer=None if compact else issuer,
        issued_at=None if compact else now,
        not_before=None if compact else valid_from,
        expires_at=valid_until,
        identity=identity,
        status=status,
        document_type=None if compact else document_type,
        document_number=document_number,
        permit_zone=zone,
        purposes=tuple(purposes),
    )
    text = encode_qr_text(sign1(claims.to_cbor(), signer))
    if len(text) > DEFAULT_MAX_TEXT_LENGTH:
        # Verifiers refuse longer text (.codec): never issue what cannot be verified.
        raise ValidationError("credential is too large for a QR code", field="identity")
    return text


def identity_from_mapping(data: Mapping[str, object]) -> Identity169:
    """Read an identity from plain data, e.g. a parsed JSON file.

    Keys are :class:`~.claim169.Identity169`'s attribute names; all are optional.
    ``date_of_birth`` is ``YYYY-MM-DD`` or ``YYYYMMDD`` (zeros for unknown parts),
    ``gender`` is ``male``, ``female`` or ``other``, ``photo`` is base64 and
    ``photo_format`` a :class:`~.claim169.PhotoFormat` name (``jpeg``, ...).

    Raises:
        ValidationError: an unknown key, a value of the wrong type, or a date,
            gender, photo or photo format that does not parse.
    """
    unknown = set(data) - _FIELDS
    if unknown:
        raise ValidationError(f"unknown identity attribute {min(unknown)!r}", field="identity")
    texts = {name: _text(data[name], name) for name in _TEXT_FIELDS if name in data}
    birth = None
    if "date_of_birth" in data:
        try:
            birth = BirthDate.from_claim_text(_text(data["date_of_birth"], "date_of_birth"))
        except DecodeError as exc:
            raise ValidationError(exc.message, field="date_of_birth") from exc
    photo = None
    if "photo" in data:
        try:
            photo = base64.b64decode(_text(data["photo"], "photo"), validate=True)
        except binascii.Error as exc:
            raise ValidationError("photo is not base64", field="photo") from exc
    gender = _member(Gender, data["gender"], "gender") if "gender" in data else None
    photo_format = (
        _member(PhotoFormat, data["photo_format"], "photo_format")
        if "photo_format" in data
        else None
    )
    return Identity169(
        **texts, date_of_birth=birth, gender=gender, photo=photo, photo_format=photo_format
    )


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValidationError("must be non-empty text", field=name)
    return value


def _member(kind: type[_E], value: object, name: str) -> _E:
    text = _text(value, name)
    try:
        return kind[text.upper()]
    except KeyError as exc:
        choices = ", ".join(member.name.lower() for member in kind)
        raise ValidationError(f"must be one of {choices}", field=name) from exc
