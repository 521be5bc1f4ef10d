"""Partial dates: a date of birth may be known to the year or the month only.

Registries in the field hold many birth dates with an unknown day or month
(ICAO 9303 Part 3 §4.7 lets the MRZ show them as ``<<``). A :class:`PartialDate`
keeps exactly what is known and nothing invented: ``1968``, ``1968-04`` or
``1968-04-21``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import total_ordering

from carnet.domain.errors import ValidationError

__all__ = ["PartialDate"]

_PATTERN = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
_MIN_YEAR = 1880


@total_ordering
@dataclass(frozen=True, slots=True)
class PartialDate:
    """A calendar date whose month and day may be unknown.

    Dates order chronologically; within the same year (or month) the less
    precise date comes first: ``1968 < 1968-04 < 1968-04-21``.
    """

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if self.day is not None and self.month is None:
            raise ValidationError("a day needs a month", field="date_of_birth")
        if not _MIN_YEAR <= self.year <= 9999:  # noqa: PLR2004 - four-digit years
            raise ValidationError("the year is out of range", field="date_of_birth")
        if self.month is not None and not 1 <= self.month <= 12:  # noqa: PLR2004
            raise ValidationError("the month is out of range", field="date_of_birth")
        if self.day is not None and self.month is not None:
            last = calendar.monthrange(self.year, self.month)[1]
            if not 1 <= self.day <= last:
                raise ValidationError("no such day in that month", field="date_of_birth")

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Parse ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``.

        Raises:
            ValidationError: any other shape, or an impossible date.
        """
        match = _PATTERN.fullmatch(text.strip())
        if match is None:
            raise ValidationError("a date is YYYY, YYYY-MM or YYYY-MM-DD", field="date_of_birth")
        year, month, day = match.groups()
        return cls(int(year), int(month) if month else None, int(day) if day else None)

    def _key(self) -> tuple[int, int, int]:
        return (self.year, self.month or 0, self.day or 0)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, PartialDate):
            return NotImplemented
        return self._key() < other._key()

    @property
    def is_complete(self) -> bool:
        """Whether the day is known."""
        return self.day is not None

    def earliest(self) -> date:
        """Return the first day the partial date can stand for."""
        return date(self.year, self.month or 1, self.day or 1)

    def latest(self) -> date:
        """Return the last day the partial date can stand for."""
        month = self.month or 12
        return date(self.year, month, self.day or calendar.monthrange(self.year, month)[1])

    def ensure_not_after(self, today: date) -> PartialDate:
        """Return self, or raise if the date lies wholly after ``today``.

        Raises:
            ValidationError: the earliest day it can stand for is in the future.
        """
        if self.earliest() > today:
            raise ValidationError("the date is in the future", field="date_of_birth")
        return self

    def __str__(self) -> str:
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
        if self.day is not None:
            text += f"-{self.day:02d}"
        return text
