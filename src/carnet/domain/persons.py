"""Residents of the registry and the history of every change to them.

A resident is identified by a UIN for life. Their record holds names in the
native script with a Latin transliteration, a possibly partial date of birth,
sex, place of birth, address, region and household, contact details for
one-time codes and notices, and a status. Every change produces a
:class:`ResidentChange` that keeps the old and new values, who made it, when,
and why; the record itself carries a version number for optimistic concurrency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from carnet.domain.dates import PartialDate
from carnet.domain.errors import IllegalTransitionError, ValidationError
from carnet.domain.identifiers import validate_uin
from carnet.domain.regions import validate_region_code
from carnet.domain.text import clean_text, search_key

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import date, datetime

__all__ = [
    "EDITABLE_FIELDS",
    "Resident",
    "ResidentChange",
    "ResidentDraft",
    "ResidentStatus",
    "Sex",
    "apply_changes",
    "validate_fields",
]

_PHONE = re.compile(r"\+?[0-9][0-9 -]{5,20}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[A-Za-z]{2,24}")
_REF = re.compile(r"[A-Za-z0-9._:/-]{1,64}")


class Sex(StrEnum):
    """Sex as ICAO 9303 records it: female, male, or unspecified."""

    FEMALE = "F"
    MALE = "M"
    UNSPECIFIED = "X"


class ResidentStatus(StrEnum):
    """Where a record stands. Only ``active`` records may apply for documents."""

    ACTIVE = "active"
    DECEASED = "deceased"
    EMIGRATED = "emigrated"
    MERGED = "merged"


# Allowed status changes by ordinary edit. ``merged`` is reached only through the
# merge use case (issue #7), never by an edit; an emigrant may come back.
_STATUS_MOVES: dict[ResidentStatus, frozenset[ResidentStatus]] = {
    ResidentStatus.ACTIVE: frozenset({ResidentStatus.DECEASED, ResidentStatus.EMIGRATED}),
    ResidentStatus.EMIGRATED: frozenset({ResidentStatus.ACTIVE, ResidentStatus.DECEASED}),
    ResidentStatus.DECEASED: frozenset(),
    ResidentStatus.MERGED: frozenset(),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ResidentDraft:
    """The validated fields of a resident, before a UIN is attached."""

    family_name_native: str = field(repr=False)
    given_name_native: str = field(repr=False)
    family_name_latin: str = field(repr=False)
    given_name_latin: str = field(repr=False)
    date_of_birth: PartialDate = field(repr=False)
    sex: Sex = field(repr=False)
    place_of_birth: str = field(repr=False)
    address: str = field(repr=False)
    region_code: str
    household_ref: str | None = field(default=None, repr=False)
    phone: str | None = field(default=None, repr=False)
    email: str | None = field(default=None, repr=False)

    @classmethod
    def build(cls, data: Mapping[str, Any], *, today: date) -> ResidentDraft:
        """Validate raw input (strings) into a draft.

        Raises:
            ValidationError: the first field that is missing or malformed.
        """
        return cls(**validate_fields(data, today=today))


def _text(data: Mapping[str, Any], name: str, *, required: bool = True) -> str:
    raw = data.get(name)
    if raw is None:
        raw = ""
    elif not isinstance(raw, str):
        raise ValidationError("must be text", field=name)
    return clean_text(raw, name, required=required)


def validate_fields(data: Mapping[str, Any], *, today: date) -> dict[str, Any]:
    """Validate raw input into the keyword arguments of :class:`ResidentDraft`.

    Bulk imports call this directly to build residents without an intermediate
    draft; :meth:`ResidentDraft.build` is the same check.

    Raises:
        ValidationError: the first field that is missing or malformed.
    """
    dob = data.get("date_of_birth")
    birth = dob if isinstance(dob, PartialDate) else PartialDate.parse(_text(data, "date_of_birth"))
    birth.ensure_not_after(today)
    try:
        sex = Sex(str(data.get("sex")).upper())
    except ValueError as exc:
        raise ValidationError("sex is F, M or X", field="sex") from exc
    family_latin = _text(data, "family_name_latin")
    given_latin = _text(data, "given_name_latin")
    _check_latin(family_latin, "family_name_latin")
    _check_latin(given_latin, "given_name_latin")
    return {
        "family_name_native": _text(data, "family_name_native"),
        "given_name_native": _text(data, "given_name_native"),
        "family_name_latin": family_latin,
        "given_name_latin": given_latin,
        "date_of_birth": birth,
        "sex": sex,
        "place_of_birth": _text(data, "place_of_birth"),
        "address": _text(data, "address"),
        "region_code": validate_region_code(_text(data, "region_code")),
        "household_ref": _optional(
            _text(data, "household_ref", required=False), _REF, "household_ref"
        ),
        "phone": _optional(_text(data, "phone", required=False), _PHONE, "phone"),
        "email": _optional(_text(data, "email", required=False), _EMAIL, "email"),
    }


def _optional(value: str, pattern: re.Pattern[str], name: str) -> str | None:
    if not value:
        return None
    if not pattern.fullmatch(value):
        raise ValidationError("malformed value", field=name)
    return value


def _is_latin(cp: int) -> bool:
    """Latin-1 Supplement to Latin Extended-B, or Latin Extended Additional (Vietnamese)."""
    return cp < 0x250 or 0x1E00 <= cp <= 0x1EFF  # noqa: PLR2004 - Unicode block bounds


def _check_latin(value: str, name: str) -> None:
    if value.isascii():
        return
    if not all(ch.isascii() or (ch.isalpha() and _is_latin(ord(ch))) for ch in value):
        raise ValidationError("Latin letters only", field=name)


EDITABLE_FIELDS: tuple[str, ...] = (
    "family_name_native",
    "given_name_native",
    "family_name_latin",
    "given_name_latin",
    "date_of_birth",
    "sex",
    "place_of_birth",
    "address",
    "region_code",
    "household_ref",
    "phone",
    "email",
    "status",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Resident(ResidentDraft):
    """A resident of the registry. Personal fields are kept out of ``repr``."""

    id: str
    uin: str = field(repr=False)
    status: ResidentStatus = ResidentStatus.ACTIVE
    version: int = 1
    external_ref: str | None = field(default=None, repr=False)
    merged_into: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        validate_uin(self.uin)

    def __reduce__(self) -> tuple[Callable[..., Resident], tuple[object, ...]]:
        """Pickle as primitive values: bulk imports ship residents between processes."""
        dob = self.date_of_birth
        return (
            _restore_resident,
            (
                tuple(getattr(self, name) for name in _PLAIN_FIELDS),
                dob.year,
                dob.month,
                dob.day,
                self.sex.value,
                self.status.value,
            ),
        )

    @property
    def name_keys(self) -> tuple[str, str, str, str]:
        """Search keys of the four names (family/given, native/Latin)."""
        return (
            search_key(self.family_name_native),
            search_key(self.given_name_native),
            search_key(self.family_name_latin),
            search_key(self.given_name_latin),
        )


_PLAIN_FIELDS = tuple(
    f.name for f in fields(Resident) if f.name not in {"date_of_birth", "sex", "status"}
)
_SEXES = {s.value: s for s in Sex}
_STATUSES = {s.value: s for s in ResidentStatus}


def _restore_resident(  # noqa: PLR0917 - the pickled form, see Resident.__reduce__
    plain: tuple[object, ...],
    year: int,
    month: int | None,
    day: int | None,
    sex: str,
    status: str,
) -> Resident:
    """Rebuild a pickled resident without re-validating what was validated before."""
    resident = object.__new__(Resident)
    setter = object.__setattr__
    for name, value in zip(_PLAIN_FIELDS, plain, strict=True):
        setter(resident, name, value)
    date_of_birth = object.__new__(PartialDate)
    setter(date_of_birth, "year", year)
    setter(date_of_birth, "month", month)
    setter(date_of_birth, "day", day)
    setter(resident, "date_of_birth", date_of_birth)
    setter(resident, "sex", _SEXES[sex])
    setter(resident, "status", _STATUSES[status])
    return resident


@dataclass(frozen=True, slots=True)
class ResidentChange:
    """One change to a resident: the fields' old and new values and its context."""

    resident_id: str
    version: int
    changed_at: datetime
    changed_by: str | None
    reason: str = field(repr=False)
    changes: dict[str, tuple[str | None, str | None]] = field(repr=False)


def _as_text(value: object) -> str | None:
    return None if value is None else str(value)


def apply_changes(
    resident: Resident,
    updates: Mapping[str, Any],
    *,
    reason: str,
    official_id: str | None,
    now: datetime,
    today: date,
) -> tuple[Resident, ResidentChange]:
    """Return the updated resident and the change record, validating every field.

    Raises:
        ValidationError: an unknown or malformed field, no change at all, or no reason.
        IllegalTransitionError: a status change the lifecycle forbids.
    """
    reason = clean_text(reason, "reason", max_length=500)
    unknown = set(updates) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError("these fields cannot be edited", field=min(unknown))
    current = {f.name: getattr(resident, f.name) for f in fields(ResidentDraft)}
    merged: dict[str, Any] = {k: _as_text(v) for k, v in current.items()}
    merged.update({k: v for k, v in updates.items() if k != "status"})
    draft = ResidentDraft.build(merged, today=today)
    new_status = resident.status
    if "status" in updates:
        try:
            new_status = ResidentStatus(updates["status"])
        except ValueError as exc:
            raise ValidationError("unknown status", field="status") from exc
        if new_status != resident.status and new_status not in _STATUS_MOVES[resident.status]:
            raise IllegalTransitionError(
                f"a {resident.status.value} record cannot become {new_status.value}",
                field="status",
            )
    changes: dict[str, tuple[str | None, str | None]] = {}
    for f in fields(ResidentDraft):
        old, new = getattr(resident, f.name), getattr(draft, f.name)
        if old != new:
            changes[f.name] = (_as_text(old), _as_text(new))
    if new_status != resident.status:
        changes["status"] = (resident.status.value, new_status.value)
    if not changes:
        raise ValidationError("the update changes nothing")
    updated = replace(
        resident,
        **{f.name: getattr(draft, f.name) for f in fields(ResidentDraft)},
        status=new_status,
        version=resident.version + 1,
        updated_at=now,
    )
    change = ResidentChange(
        resident_id=resident.id,
        version=updated.version,
        changed_at=now,
        changed_by=official_id,
        reason=reason,
        changes=changes,
    )
    return updated, change
