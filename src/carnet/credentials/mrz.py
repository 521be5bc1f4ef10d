"""ICAO Doc 9303 machine-readable zones: TD1 identity cards and TD3 passports.

This module builds the MRZ of a document from an :class:`MrzData` value and parses
an MRZ back into one, checking every check digit. It implements:

- the check digit, 7-3-1 weighting modulo 10 (Part 3 §4.9);
- TD3, two lines of 44 characters, and its five check digits (Part 4 §4.2.2,
  §4.2.4);
- TD1, three lines of 30 characters, and its four check digits (Part 5 §4.2.2,
  §4.2.4), with the document-number overflow of Part 5 §4.2.2.3 note j: a number
  longer than 9 characters puts its first 9 characters in the number field and ``<``
  in the check-digit position, and starts the optional data with the remaining
  characters, the check digit of the whole number (the ``<`` excluded, §4.2.4) and a
  filler. Part 4 defines no such overflow for TD3 (its passport number has 9
  positions), so a longer TD3 document number is refused;
- dates as ``YYMMDD`` with fillers for the unknown parts of a date of birth (Part 3
  §3.8); sex as ``F``, ``M`` or ``<`` for unspecified (Part 4 note p, Part 5 note f).

Names are written by :mod:`carnet.credentials.transliteration`.

Errors never carry personal data: a parse failure is a ``DecodeError`` whose
``field`` names the element that failed (``"document_number"``, ``"composite"``,
...), and :class:`MrzData` keeps personal fields out of its ``repr``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Final

from carnet.credentials.transliteration import MRZ_FILLER, format_name, transliterate_name
from carnet.domain.errors import DecodeError, ValidationError

__all__ = [
    "TD1_LINE_LENGTH",
    "TD1_NAME_WIDTH",
    "TD3_LINE_LENGTH",
    "TD3_NAME_WIDTH",
    "MrzData",
    "MrzDate",
    "Sex",
    "build_td1",
    "build_td3",
    "check_digit",
    "format_name",
    "parse_mrz",
    "parse_td1",
    "parse_td3",
    "transliterate_name",
]

TD1_LINE_LENGTH: Final = 30
TD3_LINE_LENGTH: Final = 44
TD1_NAME_WIDTH: Final = 30
TD3_NAME_WIDTH: Final = 39

_NUMBER_WIDTH: Final = 9
_STATE_WIDTH: Final = 3
_TD1_OPTIONAL_WIDTH: Final = 15
_TD1_OPTIONAL_2_WIDTH: Final = 11
_TD3_OPTIONAL_WIDTH: Final = 14
_TD1_CODES: Final = frozenset("ACI")  # Part 5 §4.2.2.3 note k
_TD3_CODES: Final = frozenset("P")  # Part 4 §4.2.2.1, §4.4
_WEIGHTS: Final = (7, 3, 1)
_MIN_OVERFLOW: Final = 2
_TWO_DIGITS: Final = 100
_MONTHS: Final = 12
_LEAP_CYCLE: Final = 4
_LEAP_YEAR: Final = 2000
_COMMON_YEAR: Final = 2001

_CHARSET_RE: Final = re.compile(r"[A-Z0-9<]*")
_CODE_RE: Final = re.compile(r"[A-Z][A-Z]?")
_STATE_RE: Final = re.compile(r"[A-Z]{1,3}")
_NUMBER_RE: Final = re.compile(r"[A-Z0-9]+")
_OPTIONAL_RE: Final = re.compile(r"([A-Z0-9<]*[A-Z0-9])?")
_NAME_RE: Final = re.compile(r"[A-Z]+(<[A-Z]+)*(<<([A-Z]+(<[A-Z]+)*)?)?<*")
_DATE_RE: Final = re.compile(r"([0-9]{2}|<<)([0-9]{2}|<<)([0-9]{2}|<<)")


class Sex(StrEnum):
    """The holder's sex; the MRZ writes ``<`` where the VIZ shows X (Part 4 note p)."""

    FEMALE = "F"
    MALE = "M"
    UNSPECIFIED = "X"

    @property
    def mrz(self) -> str:
        """The MRZ character: ``F``, ``M``, or ``<`` for unspecified."""
        return MRZ_FILLER if self is Sex.UNSPECIFIED else self.value


@dataclass(frozen=True, slots=True)
class MrzDate:
    """A date as the MRZ writes it: ``YYMMDD``, two-digit year, parts may be unknown.

    Only a date of birth may be partial (Doc 9303 Part 3 §3.8): an unknown day, an
    unknown day and month, or a wholly unknown date, written with fillers
    (``7408<<``, ``74<<<<``, ``<<<<<<``). The century is not in the MRZ; use
    :meth:`to_date` with a reference date to recover it.

    Raises:
        ValidationError: a part is out of range, the day does not exist in the
            month, or a known part follows an unknown one.
    """

    year: int | None = field(repr=False)
    month: int | None = field(default=None, repr=False)
    day: int | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.year is None and self.month is not None:
            raise ValidationError("a date with an unknown year must be wholly unknown")
        if self.month is None and self.day is not None:
            raise ValidationError("a date with an unknown month must have no day")
        if self.year is not None and not 0 <= self.year < _TWO_DIGITS:
            raise ValidationError("an MRZ year has two digits")
        if self.month is not None and not 1 <= self.month <= _MONTHS:
            raise ValidationError("an MRZ month is 01 to 12")
        if self.day is not None and self.month is not None:
            # Any year ending in a multiple of 4 may be a leap year in some century.
            leap = (self.year or 0) % _LEAP_CYCLE == 0
            last = calendar.monthrange(_LEAP_YEAR if leap else _COMMON_YEAR, self.month)[1]
            if not 1 <= self.day <= last:
                raise ValidationError("an MRZ day does not exist in its month")

    @classmethod
    def from_date(cls, value: date) -> MrzDate:
        """Return the complete MRZ date of ``value``."""
        return cls(value.year % _TWO_DIGITS, value.month, value.day)

    @classmethod
    def from_mrz(cls, text: str) -> MrzDate:
        """Parse six MRZ characters such as ``740812`` or ``7408<<``.

        Raises:
            ValidationError: not six digits or fillers, or not a valid date.
        """
        match = _DATE_RE.fullmatch(text)
        if match is None:
            raise ValidationError("an MRZ date is six digits or fillers")
        year, month, day = (None if part == "<<" else int(part) for part in match.groups())
        return cls(year, month, day)

    @property
    def is_complete(self) -> bool:
        """Whether year, month and day are all known."""
        return self.day is not None

    def to_mrz(self) -> str:
        """Return the six MRZ characters, with ``<<`` for each unknown part."""
        return "".join(
            MRZ_FILLER * 2 if part is None else f"{part:02d}"
            for part in (self.year, self.month, self.day)
        )

    def to_date(self, *, not_after: date) -> date:
        """Return the latest calendar date with these ``YYMMDD`` not after ``not_after``.

        For a date of birth pass the verification date; for an expiry date pass a
        bound such as the issue date plus the longest validity.

        Raises:
            ValidationError: the date is partial, or no such date exists from year 1
                to ``not_after``.
        """
        if self.year is None or self.month is None or self.day is None:
            raise ValidationError("a partial MRZ date has no calendar date")
        year = not_after.year - (not_after.year - self.year) % _TWO_DIGITS
        while True:
            if year < 1:
                raise ValidationError("no calendar date matches this MRZ date")
            if calendar.isleap(year) or (self.month, self.day) != (2, 29):
                candidate = date(year, self.month, self.day)
                if candidate <= not_after:
                    return candidate
            year -= _TWO_DIGITS


@dataclass(frozen=True, slots=True, kw_only=True)
class MrzData:
    """The data elements of a TD1 or TD3 machine-readable zone.

    Values are stored without their filler padding: ``issuing_state="D"`` for
    ``D<<``, ``document_code="P"`` for ``P<``. Names are the identifiers as
    registered; building transliterates them, and parsing returns their MRZ form
    with spaces between components (``secondary_identifier="ANNA MARIA"``).

    ``optional_data`` is the TD1 optional data of line 1 (after any document-number
    overflow) or the TD3 personal number; ``optional_data_2`` is the TD1 optional
    data of line 2 and is always empty for TD3.

    The document code is the caller's choice: ``P`` plus a type letter for TD3 (Part 4
    §4.4 as amended in 2026 harmonises the second letter, e.g. ``PP`` for an ordinary
    passport), ``A``, ``C`` or ``I`` plus a letter for TD1 (Part 5 note k).

    Raises:
        ValidationError: a code, number or optional data uses characters or a shape
            the MRZ does not allow; ``field`` names the element.
    """

    document_code: str
    issuing_state: str
    document_number: str = field(repr=False)
    primary_identifier: str = field(repr=False)
    secondary_identifier: str = field(default="", repr=False)
    nationality: str = field(repr=False)
    date_of_birth: MrzDate = field(repr=False)
    sex: Sex = field(repr=False)
    date_of_expiry: MrzDate = field(repr=False)
    optional_data: str = field(default="", repr=False)
    optional_data_2: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        checks = (
            ("document_code", _CODE_RE, "one or two letters"),
            ("issuing_state", _STATE_RE, "one to three letters"),
            ("nationality", _STATE_RE, "one to three letters"),
            ("document_number", _NUMBER_RE, "letters and digits"),
            ("optional_data", _OPTIONAL_RE, "letters, digits and inner fillers"),
            ("optional_data_2", _OPTIONAL_RE, "letters, digits and inner fillers"),
        )
        for name, pattern, shape in checks:
            if pattern.fullmatch(getattr(self, name)) is None:
                raise ValidationError(f"the {name} must be {shape}", field=name)
        if not self.date_of_expiry.is_complete:
            raise ValidationError("the expiry date must be complete", field="date_of_expiry")


def check_digit(data: str) -> str:
    """Return the check digit of ``data`` (Doc 9303 Part 3 §4.9).

    Each character takes its value (``0``-``9`` as is, ``A``-``Z`` as 10-35, ``<`` as
    0), is multiplied by 7, 3, 1, 7, 3, 1, ... and the sum is taken modulo 10.

    Raises:
        ValidationError: ``data`` contains a character outside ``0-9 A-Z <``.
    """
    if _CHARSET_RE.fullmatch(data) is None:
        raise ValidationError("check digits cover MRZ characters only")
    total = sum(
        _char_value(char) * _WEIGHTS[index % len(_WEIGHTS)] for index, char in enumerate(data)
    )
    return str(total % 10)


def _char_value(char: str) -> int:
    """Return the Part 3 §4.9 value of one MRZ character."""
    if char == MRZ_FILLER:
        return 0
    return int(char, 36)


def build_td3(data: MrzData) -> tuple[str, str]:
    """Return the two 44-character lines of a TD3 (passport) MRZ (Part 4 §4.2.2).

    An empty personal number gets check digit ``0`` (Part 4 allows ``0`` or ``<``).

    Raises:
        ValidationError: the document code does not start with ``P``, the number is
            longer than 9 characters, the personal number longer than 14, the second
            optional data is set, or a name cannot be transliterated; ``field``
            names the element.
    """
    _require_code(data, _TD3_CODES)
    if len(data.document_number) > _NUMBER_WIDTH:
        raise ValidationError(
            "TD3 has no document-number overflow; the number must fit 9 characters",
            field="document_number",
        )
    if data.optional_data_2:
        raise ValidationError("TD3 has no second optional data", field="optional_data_2")
    personal = _pad(data.optional_data, _TD3_OPTIONAL_WIDTH, "optional_data")
    name = format_name(data.primary_identifier, data.secondary_identifier, TD3_NAME_WIDTH)
    line1 = _pad(data.document_code, 2, "document_code") + _state(data.issuing_state) + name
    number = _with_check(data.document_number.ljust(_NUMBER_WIDTH, MRZ_FILLER))
    birth = _with_check(data.date_of_birth.to_mrz())
    expiry = _with_check(data.date_of_expiry.to_mrz())
    body = number + _state(data.nationality) + birth + data.sex.mrz + expiry
    body += _with_check(personal)
    return line1, body + check_digit(body[:10] + body[13:20] + body[21:43])


def build_td1(data: MrzData) -> tuple[str, str, str]:
    """Return the three 30-character lines of a TD1 (ID card) MRZ (Part 5 §4.2.2).

    A document number longer than 9 characters overflows into the optional data of
    line 1 (Part 5 §4.2.2.3 note j); see the module docstring.

    Raises:
        ValidationError: the document code does not start with ``A``, ``C`` or
            ``I``, the number and optional data do not fit line 1, the second
            optional data is longer than 11, or a name cannot be transliterated;
            ``field`` names the element.
    """
    _require_code(data, _TD1_CODES)
    number = data.document_number
    if len(number) > _NUMBER_WIDTH:
        number_field = number[:_NUMBER_WIDTH] + MRZ_FILLER
        overflow = number[_NUMBER_WIDTH:] + check_digit(number) + MRZ_FILLER
        if len(overflow) > _TD1_OPTIONAL_WIDTH:
            raise ValidationError(
                "the document number is too long for a TD1", field="document_number"
            )
        optional = overflow + data.optional_data
    else:
        number_field = _with_check(number.ljust(_NUMBER_WIDTH, MRZ_FILLER))
        optional = data.optional_data
    line1 = (
        _pad(data.document_code, 2, "document_code")
        + _state(data.issuing_state)
        + number_field
        + _pad(optional, _TD1_OPTIONAL_WIDTH, "optional_data")
    )
    line2 = (
        _with_check(data.date_of_birth.to_mrz())
        + data.sex.mrz
        + _with_check(data.date_of_expiry.to_mrz())
        + _state(data.nationality)
        + _pad(data.optional_data_2, _TD1_OPTIONAL_2_WIDTH, "optional_data_2")
    )
    line2 += check_digit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    line3 = format_name(data.primary_identifier, data.secondary_identifier, TD1_NAME_WIDTH)
    return line1, line2, line3


def _require_code(data: MrzData, allowed: frozenset[str]) -> None:
    """Refuse a document code whose first letter the format does not allow."""
    if data.document_code[0] not in allowed:
        raise ValidationError(
            "the document code does not belong to this MRZ format", field="document_code"
        )


def _pad(value: str, width: int, name: str) -> str:
    """Fill ``value`` to ``width`` with fillers, refusing a longer value."""
    if len(value) > width:
        raise ValidationError(f"the {name} is longer than {width} characters", field=name)
    return value.ljust(width, MRZ_FILLER)


def _state(code: str) -> str:
    """Return a three-letter state or nationality code, filler-padded (Part 3 codes)."""
    return code.ljust(_STATE_WIDTH, MRZ_FILLER)


def _with_check(value: str) -> str:
    """Return ``value`` followed by its check digit."""
    return value + check_digit(value)


def parse_mrz(text: str) -> MrzData:
    """Parse a TD1 or TD3 MRZ, telling them apart by shape, and check every digit.

    ``text`` holds the lines separated by line breaks (surrounding whitespace is
    ignored), or the lines run together: three lines of 30 characters (or 90 in
    one) are TD1, two lines of 44 (or 88 in one) are TD3.

    Raises:
        DecodeError: the shape is neither, a character is outside ``A-Z 0-9 <``, an
            element is malformed, or a check digit does not match. ``field`` names
            the element (``"mrz"`` for the shape or the character set).
    """
    lines = text.split()
    lengths = [len(line) for line in lines]
    if lengths == [TD1_LINE_LENGTH] * 3:
        return parse_td1(*lines)
    if lengths == [TD1_LINE_LENGTH * 3]:
        return parse_td1(*_split(lines[0], TD1_LINE_LENGTH))
    if lengths == [TD3_LINE_LENGTH] * 2:
        return parse_td3(*lines)
    if lengths == [TD3_LINE_LENGTH * 2]:
        return parse_td3(*_split(lines[0], TD3_LINE_LENGTH))
    raise DecodeError("the MRZ is neither TD1 (3 x 30) nor TD3 (2 x 44)", field="mrz")


def _split(run: str, size: int) -> list[str]:
    """Cut lines that were run together back apart."""
    return [run[start : start + size] for start in range(0, len(run), size)]


def parse_td3(line1: str, line2: str) -> MrzData:
    """Parse the two lines of a TD3 (passport) MRZ (Doc 9303 Part 4 §4.2.2).

    Raises:
        DecodeError: see :func:`parse_mrz`.
    """
    _require_lines((line1, line2), TD3_LINE_LENGTH)
    _verify(line2[0:9], line2[9], "document_number")
    _verify(line2[13:19], line2[19], "date_of_birth")
    _verify(line2[21:27], line2[27], "date_of_expiry")
    personal = line2[28:42]
    if not (line2[42] == MRZ_FILLER and personal == MRZ_FILLER * _TD3_OPTIONAL_WIDTH):
        _verify(personal, line2[42], "optional_data")
    _verify(line2[0:10] + line2[13:20] + line2[21:43], line2[43], "composite")
    primary, secondary = _name(line1[5:44])
    return _data(
        _TD3_CODES,
        document_code=line1[0:2],
        issuing_state=line1[2:5],
        document_number=_number(line2[0:9]),
        primary_identifier=primary,
        secondary_identifier=secondary,
        nationality=line2[10:13],
        date_of_birth=line2[13:19],
        sex=line2[20],
        date_of_expiry=line2[21:27],
        optional_data=personal,
        optional_data_2="",
    )


def parse_td1(line1: str, line2: str, line3: str) -> MrzData:
    """Parse the three lines of a TD1 (ID card) MRZ (Doc 9303 Part 5 §4.2.2).

    A ``<`` in the document-number check-digit position announces the overflow of
    Part 5 §4.2.2.3 note j; the full number is reassembled and checked.

    Raises:
        DecodeError: see :func:`parse_mrz`.
    """
    _require_lines((line1, line2, line3), TD1_LINE_LENGTH)
    if line1[14] == MRZ_FILLER:
        number, optional = _overflow(line1[5:14], line1[15:30])
    else:
        _verify(line1[5:14], line1[14], "document_number")
        number, optional = _number(line1[5:14]), line1[15:30]
    _verify(line2[0:6], line2[6], "date_of_birth")
    _verify(line2[8:14], line2[14], "date_of_expiry")
    composite = line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29]
    _verify(composite, line2[29], "composite")
    primary, secondary = _name(line3)
    return _data(
        _TD1_CODES,
        document_code=line1[0:2],
        issuing_state=line1[2:5],
        document_number=number,
        primary_identifier=primary,
        secondary_identifier=secondary,
        nationality=line2[15:18],
        date_of_birth=line2[0:6],
        sex=line2[7],
        date_of_expiry=line2[8:14],
        optional_data=optional,
        optional_data_2=line2[18:29],
    )


def _require_lines(lines: tuple[str, ...], length: int) -> None:
    """Refuse lines of the wrong length or with characters outside the MRZ set."""
    if any(len(line) != length for line in lines):
        raise DecodeError(f"every line of this MRZ has {length} characters", field="mrz")
    if any(_CHARSET_RE.fullmatch(line) is None for line in lines):
        raise DecodeError("the MRZ contains a character outside A-Z, 0-9 and <", field="mrz")


def _verify(data: str, digit: str, name: str) -> None:
    """Raise ``DecodeError`` naming ``name`` unless ``digit`` is the check digit."""
    if check_digit(data) != digit:
        raise DecodeError("an MRZ check digit does not match", field=name)


def _number(value: str) -> str:
    """Return a document number without its filler padding."""
    number = value.rstrip(MRZ_FILLER)
    if _NUMBER_RE.fullmatch(number) is None:
        raise DecodeError("the document number is malformed", field="document_number")
    return number


def _overflow(head: str, optional: str) -> tuple[str, str]:
    """Reassemble an overflowing TD1 document number (Part 5 §4.2.2.3 note j, §4.2.4).

    Returns the full number and the optional data that follows it.
    """
    tail, filler, rest = optional.partition(MRZ_FILLER)
    # The tail holds at least one more character of the number and its check digit.
    if _NUMBER_RE.fullmatch(head) is None or not filler or len(tail) < _MIN_OVERFLOW:
        raise DecodeError("the document-number overflow is malformed", field="document_number")
    number = head + tail[:-1]
    _verify(number, tail[-1], "document_number")
    return number, rest


def _name(field_text: str) -> tuple[str, str]:
    """Split a name field into primary and secondary identifiers (Part 3 §4.6)."""
    if _NAME_RE.fullmatch(field_text) is None:
        raise DecodeError("the name field is malformed", field="name")
    primary, _, secondary = field_text.rstrip(MRZ_FILLER).partition("<<")
    return primary.replace(MRZ_FILLER, " "), secondary.replace(MRZ_FILLER, " ")


def _data(codes: frozenset[str], **elements: str) -> MrzData:
    """Build the parsed value, turning any refusal into a ``DecodeError``."""
    code = elements["document_code"].rstrip(MRZ_FILLER)
    if code[:1] not in codes:
        raise DecodeError("the document code does not belong to this format", field="document_code")
    try:
        return MrzData(
            document_code=code,
            issuing_state=elements["issuing_state"].rstrip(MRZ_FILLER),
            document_number=elements["document_number"],
            primary_identifier=elements["primary_identifier"],
            secondary_identifier=elements["secondary_identifier"],
            nationality=elements["nationality"].rstrip(MRZ_FILLER),
            date_of_birth=_date(elements["date_of_birth"], "date_of_birth"),
            sex=_sex(elements["sex"]),
            date_of_expiry=_date(elements["date_of_expiry"], "date_of_expiry"),
            optional_data=elements["optional_data"].rstrip(MRZ_FILLER),
            optional_data_2=elements["optional_data_2"].rstrip(MRZ_FILLER),
        )
    except ValidationError as exc:
        raise DecodeError(exc.message, field=exc.field) from exc


def _date(text: str, name: str) -> MrzDate:
    """Parse an MRZ date, naming ``name`` in any error."""
    try:
        return MrzDate.from_mrz(text)
    except ValidationError as exc:
        raise ValidationError(exc.message, field=name) from exc


def _sex(char: str) -> Sex:
    """Return the sex an MRZ character records (``<`` is unspecified)."""
    if char == MRZ_FILLER:
        return Sex.UNSPECIFIED
    if char not in {Sex.FEMALE.value, Sex.MALE.value}:
        raise ValidationError("the sex is F, M or <", field="sex")
    return Sex(char)
