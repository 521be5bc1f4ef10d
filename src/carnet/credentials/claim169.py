"""The MOSIP Claim 169 identity-data claim ⇄ a typed Carnet identity.

Claim 169 (CWT claim key 169, "identity-data") is a CBOR map with small integer
keys, specified by the MOSIP "169 - QR Code Specifications" v1.2.2 §3.1. Carnet
writes these keys (all optional, all per §3.1):

====  ======================  ==========================================
key   attribute               value on the wire
====  ======================  ==========================================
1     ID                      tstr: the UIN
3     Language                tstr: ISO 639-3 code of attributes 4-10
4     Full Name               tstr
5     First Name              tstr: the given name(s)
6     Middle Name             tstr
7     Last Name               tstr: the family name
8     Date of Birth           tstr: ``YYYYMMDD``
9     Gender                  int: 1 male, 2 female, 3 other
10    Address                 tstr: lines separated by line feeds
13    Nationality             tstr: ISO 3166 alpha-2 or alpha-3
19    Full Name (secondary)   tstr: the full name in the secondary language
20    Secondary Language      tstr: ISO 639-3 code of attribute 19
62    Face                    [Biometrics]: ``{0: bstr, 1: 0 (image), 2: sub format}``
====  ======================  ==========================================

Carnet convention: attributes 4-7 and 10 hold the Latin-script form (the one
the MRZ prints), and attribute 19 holds the name in the native script, with its
language (e.g. ``kor``) in 20.

Reading is lenient where other issuers differ: the deprecated photo attributes
16/17 (v1.2.2 §3.1, superseded by 62) are read when 62 carries no image, a
single Biometrics map under 62 (as in the specification's own §3.2.1 sample,
where §3.1 says an array) is read as an array of one, a date
of birth written ``YYYY-MM-DD`` (as in the specification's own JSON sample and
the ``claim169`` library on PyPI) is accepted, and keys Carnet does not map
(e-mail, phone, biometrics other than the face, ...) are ignored.

Partial dates of birth: civil registries record people whose day, or day and
month, of birth are unknown. Claim 169 only defines ``YYYYMMDD``, so Carnet
keeps the eight-digit shape and writes each unknown part as zeros
(``19840000``, ``19840500``). Any verifier's format check still passes, and a
verifier that parses the value as a calendar date fails loudly instead of
showing an invented date. :class:`BirthDate` reads the same convention back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum
from typing import Final, TypeGuard, TypeVar

from carnet.domain.errors import DecodeError, ValidationError

__all__ = [
    "CLAIM_169_KEY",
    "BiometricFormat",
    "BirthDate",
    "Claim169Key",
    "Gender",
    "Identity169",
    "PhotoFormat",
]

#: CWT claim key of the identity-data claim (IANA CWT registry).
CLAIM_169_KEY: Final = 169


class Claim169Key(IntEnum):
    """Integer keys of the identity-data map (Claim 169 v1.2.2 §3.1)."""

    ID = 1
    VERSION = 2
    LANGUAGE = 3
    FULL_NAME = 4
    FIRST_NAME = 5
    MIDDLE_NAME = 6
    LAST_NAME = 7
    DATE_OF_BIRTH = 8
    GENDER = 9
    ADDRESS = 10
    EMAIL = 11
    PHONE = 12
    NATIONALITY = 13
    MARITAL_STATUS = 14
    GUARDIAN = 15
    BINARY_IMAGE = 16  # deprecated in v1.2.2 in favour of FACE
    BINARY_IMAGE_FORMAT = 17  # deprecated in v1.2.2 in favour of FACE
    BEST_QUALITY_FINGERS = 18
    SECONDARY_FULL_NAME = 19
    SECONDARY_LANGUAGE = 20
    LOCATION_CODE = 21
    LEGAL_STATUS = 22
    COUNTRY_OF_ISSUANCE = 23
    FACE = 62


class Gender(IntEnum):
    """Attribute 9 values (Claim 169 v1.2.2 §3.1)."""

    MALE = 1
    FEMALE = 2
    OTHER = 3


class BiometricFormat(IntEnum):
    """Biometrics data formats, key 1 of a Biometrics map (Claim 169 v1.2.2 §3.1)."""

    IMAGE = 0
    TEMPLATE = 1
    SOUND = 2
    BIO_HASH = 3


class PhotoFormat(IntEnum):
    """Image sub formats, key 2 of a Biometrics map of format IMAGE (v1.2.2 §3.1)."""

    PNG = 0
    JPEG = 1
    JPEG2000 = 2
    AVIF = 3
    WEBP = 4
    TIFF = 5
    WSQ = 6


# Attribute 17 used its own numbering (v1.2.2 §3.1: 1 JPEG, 2 JPEG2, 3 AVIF, 4 WEBP).
_LEGACY_PHOTO_FORMATS: Final = {
    1: PhotoFormat.JPEG,
    2: PhotoFormat.JPEG2000,
    3: PhotoFormat.AVIF,
    4: PhotoFormat.WEBP,
}
# Plain ints for the hot path (IntEnum member access is slow on Python 3.11).
_BIOMETRIC_DATA, _BIOMETRIC_FORMAT, _BIOMETRIC_SUB_FORMAT = 0, 1, 2
_IMAGE: Final = int(BiometricFormat.IMAGE)
_DATE_OF_BIRTH: Final = int(Claim169Key.DATE_OF_BIRTH)
_GENDER: Final = int(Claim169Key.GENDER)
_FACE: Final = int(Claim169Key.FACE)
_BINARY_IMAGE: Final = int(Claim169Key.BINARY_IMAGE)
_BINARY_IMAGE_FORMAT: Final = int(Claim169Key.BINARY_IMAGE_FORMAT)
_GENDERS: Final = {int(gender): gender for gender in Gender}
_PHOTO_FORMATS: Final = {int(kind): kind for kind in PhotoFormat}
# Identity169 attribute name -> Claim 169 key, for the text attributes, in key order
# and split around date of birth (8) and gender (9): to_claim writes every key in
# ascending order, the RFC 8949 §4.2.1 order that the deterministic encoder expects.
_TEXT_BEFORE_BIRTH: Final = (
    ("uin", int(Claim169Key.ID)),
    ("language", int(Claim169Key.LANGUAGE)),
    ("full_name", int(Claim169Key.FULL_NAME)),
    ("given_name", int(Claim169Key.FIRST_NAME)),
    ("middle_name", int(Claim169Key.MIDDLE_NAME)),
    ("family_name", int(Claim169Key.LAST_NAME)),
)
_TEXT_AFTER_GENDER: Final = (
    ("address", int(Claim169Key.ADDRESS)),
    ("nationality", int(Claim169Key.NATIONALITY)),
    ("secondary_full_name", int(Claim169Key.SECONDARY_FULL_NAME)),
    ("secondary_language", int(Claim169Key.SECONDARY_LANGUAGE)),
)
_TEXT_ATTRIBUTES: Final = _TEXT_BEFORE_BIRTH + _TEXT_AFTER_GENDER
_COMPACT_LENGTH: Final = 8
_ISO_DATE: Final = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_MONTHS: Final = 12
_T = TypeVar("_T")
_set: Final = object.__setattr__  # how a frozen dataclass's own __init__ sets its fields


@dataclass(frozen=True, slots=True, repr=False)
class BirthDate:
    """A date of birth whose day, or day and month, may be unknown.

    Raises:
        ValidationError: on construction, for a year outside 1-9999, a month
            outside 1-12, a day without a month, or a day the month lacks.
    """

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.year <= date.max.year:
            raise ValidationError("date of birth: year out of range", field="date_of_birth")
        if self.month is None:
            if self.day is not None:
                raise ValidationError("date of birth: day without month", field="date_of_birth")
            return
        if not 1 <= self.month <= _MONTHS:
            raise ValidationError("date of birth: month out of range", field="date_of_birth")
        if self.day is not None:
            try:
                date(self.year, self.month, self.day)
            except ValueError as exc:
                raise ValidationError("date of birth: no such day", field="date_of_birth") from exc

    def __repr__(self) -> str:
        return "BirthDate(<redacted>)"

    @classmethod
    def from_date(cls, value: date) -> BirthDate:
        """Return the complete date of birth ``value``."""
        return cls(value.year, value.month, value.day)

    @property
    def is_complete(self) -> bool:
        """Whether year, month and day are all known."""
        return self.day is not None

    def to_date(self) -> date | None:
        """Return the calendar date, or ``None`` when the date is partial."""
        if self.month is None or self.day is None:
            return None
        return date(self.year, self.month, self.day)

    def to_claim_text(self) -> str:
        """Return ``YYYYMMDD`` with zeros for unknown parts (Claim 169 attribute 8)."""
        return f"{self.year:04d}{self.month or 0:02d}{self.day or 0:02d}"

    @classmethod
    def from_claim_text(cls, text: str) -> BirthDate:
        """Parse ``YYYYMMDD`` (zeros for unknown parts) or ``YYYY-MM-DD``.

        Raises:
            DecodeError: any other shape, or a date that does not exist.
        """
        if len(text) == _COMPACT_LENGTH and text.isascii() and text.isdigit():
            year, month, day = int(text[:4]), int(text[4:6]), int(text[6:])
            if month and day:  # a complete date, the usual case: one check, no __post_init__
                try:
                    date(year, month, day)
                except ValueError as exc:
                    raise DecodeError(
                        "Claim 169: date of birth does not exist", field="date_of_birth"
                    ) from exc
                birth = object.__new__(cls)
                _set(birth, "year", year)
                _set(birth, "month", month)
                _set(birth, "day", day)
                return birth
        else:
            match = _ISO_DATE.fullmatch(text)
            if match is None:
                raise DecodeError("Claim 169: date of birth is not YYYYMMDD", field="date_of_birth")
            year, month, day = int(match[1]), int(match[2]), int(match[3])
        try:
            return cls(year, month or None, day or None)
        except ValidationError as exc:
            raise DecodeError(
                "Claim 169: date of birth does not exist", field="date_of_birth"
            ) from exc


@dataclass(frozen=True, kw_only=True)
class Identity169:
    """The identity attributes Carnet puts in a Claim 169 map (see the module table).

    Every attribute is optional, as in the specification. Personal data stays
    out of ``repr``.

    Raises:
        ValidationError: on construction, for a photo format without a photo.
    """

    uin: str | None = field(default=None, repr=False)
    language: str | None = None
    full_name: str | None = field(default=None, repr=False)
    given_name: str | None = field(default=None, repr=False)
    middle_name: str | None = field(default=None, repr=False)
    family_name: str | None = field(default=None, repr=False)
    date_of_birth: BirthDate | None = field(default=None, repr=False)
    gender: Gender | None = field(default=None, repr=False)
    address: str | None = field(default=None, repr=False)
    nationality: str | None = field(default=None, repr=False)
    secondary_full_name: str | None = field(default=None, repr=False)
    secondary_language: str | None = None
    photo: bytes | None = field(default=None, repr=False)
    photo_format: PhotoFormat | None = None

    def __post_init__(self) -> None:
        if self.photo_format is not None and self.photo is None:
            raise ValidationError("photo format given without a photo", field="photo_format")

    def to_claim(self) -> dict[int, object]:
        """Return the identity-data map (Claim 169 v1.2.2 §3.1), absent attributes left out."""
        claim: dict[int, object] = {}
        for name, key in _TEXT_BEFORE_BIRTH:
            text = getattr(self, name)
            if text is not None:
                claim[key] = text
        if self.date_of_birth is not None:
            claim[_DATE_OF_BIRTH] = self.date_of_birth.to_claim_text()
        if self.gender is not None:
            claim[_GENDER] = int(self.gender)
        for name, key in _TEXT_AFTER_GENDER:
            text = getattr(self, name)
            if text is not None:
                claim[key] = text
        if self.photo is not None:
            face: dict[int, object] = {_BIOMETRIC_DATA: self.photo, _BIOMETRIC_FORMAT: _IMAGE}
            if self.photo_format is not None:
                face[_BIOMETRIC_SUB_FORMAT] = int(self.photo_format)
            claim[_FACE] = [face]
        return claim

    @classmethod
    def from_claim(cls, claim: object) -> Identity169:
        """Read an identity-data map, as decoded by :func:`.decode_cbor`.

        Raises:
            DecodeError: not a map, or a Carnet-mapped attribute of the wrong
                type or out of range.
        """
        # Runs on every verification: plain dict look-ups, no per-key helpers.
        if not isinstance(claim, dict):
            raise DecodeError("Claim 169: identity data is not a map")
        values: dict[str, object] = {}
        get = claim.get
        for name, key in _TEXT_ATTRIBUTES:
            text = get(key)
            if text is not None:
                if type(text) is not str and not isinstance(text, str):
                    raise DecodeError(f"Claim 169: attribute {key} is not a text string")
                values[name] = text
        birth = get(_DATE_OF_BIRTH)
        if birth is not None:
            if not isinstance(birth, str):
                raise DecodeError("Claim 169: date of birth is not a text string")
            values["date_of_birth"] = BirthDate.from_claim_text(birth)
        gender = get(_GENDER)
        if gender is not None:
            if not _is_int(gender) or gender not in _GENDERS:
                raise DecodeError("Claim 169: gender is not 1, 2 or 3")
            values["gender"] = _GENDERS[gender]
        if _FACE in claim or _BINARY_IMAGE in claim:
            values["photo"], values["photo_format"] = _photo(claim)
        # Every value was type-checked above; the photo format only comes with a photo.
        return _construct(cls, values)


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


def _photo(claim: dict[object, object]) -> tuple[bytes | None, PhotoFormat | None]:
    """Return the face image from attribute 62, else from deprecated 16/17."""
    faces = claim.get(_FACE)
    if isinstance(faces, dict):  # the v1.2.2 §3.2.1 sample writes one map, not an array
        faces = [faces]
    if faces is not None:
        if not isinstance(faces, list):
            raise DecodeError("Claim 169: face biometrics are not an array")
        for entry in faces:
            image = _face_image(entry)
            if image is not None:
                return image
    legacy = claim.get(_BINARY_IMAGE)
    if legacy is None:
        return None, None
    if not isinstance(legacy, bytes):
        raise DecodeError("Claim 169: binary image is not a byte string")
    code = claim.get(_BINARY_IMAGE_FORMAT)
    if code is not None and not _is_int(code):
        raise DecodeError("Claim 169: binary image format is not an integer")
    return legacy, None if code is None else _LEGACY_PHOTO_FORMATS.get(code)


def _face_image(entry: object) -> tuple[bytes, PhotoFormat | None] | None:
    if not isinstance(entry, dict):
        raise DecodeError("Claim 169: a face biometric is not a map")
    data = entry.get(_BIOMETRIC_DATA)
    kind = entry.get(_BIOMETRIC_FORMAT)
    sub_format = entry.get(_BIOMETRIC_SUB_FORMAT)
    if not isinstance(data, bytes):
        raise DecodeError("Claim 169: a face biometric has no byte-string data")
    if kind is not None and not _is_int(kind):
        raise DecodeError("Claim 169: a face biometric format is not an integer")
    if sub_format is not None and not _is_int(sub_format):
        raise DecodeError("Claim 169: a face biometric sub format is not an integer")
    if kind is not None and kind != _IMAGE:
        return None
    return data, None if sub_format is None else _PHOTO_FORMATS.get(sub_format)
