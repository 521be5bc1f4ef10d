"""Regions and stations: where residents live and where documents are handed out.

Regions form a tree: province → county → town or village. Each is urban or
rural, which campaigns use to phase their work. A region's ``path`` lists its
ancestors' codes from the root, so "is this region inside that one" is a prefix
test that a database index serves.

A station is an issuing office attached to a region, open on some weekdays with
a daily capacity. A mobile team is a station of kind ``mobile`` attached to a
county; it holds sessions in that county's villages.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from enum import StrEnum

from carnet.domain.errors import ValidationError

__all__ = [
    "WEEKDAYS",
    "Region",
    "RegionLevel",
    "Settlement",
    "Station",
    "StationKind",
    "parse_opening_days",
    "validate_region_code",
]

_CODE = re.compile(r"[0-9]{2,10}")
_STATION_CODE = re.compile(r"[A-Za-z0-9-]{2,32}")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MAX_CAPACITY = 100_000


class RegionLevel(StrEnum):
    """The tiers of the region tree, from the top."""

    PROVINCE = "province"
    COUNTY = "county"
    TOWN = "town"
    VILLAGE = "village"

    @property
    def depth(self) -> int:
        """0 for a province, 1 for a county, 2 for a town or village."""
        return {"province": 0, "county": 1, "town": 2, "village": 2}[self.value]


class Settlement(StrEnum):
    """Whether a region is urban or rural."""

    URBAN = "urban"
    RURAL = "rural"


class StationKind(StrEnum):
    """A fixed office, or a mobile team that travels to villages."""

    OFFICE = "office"
    MOBILE = "mobile"


def validate_region_code(code: str) -> str:
    """Return ``code`` if it is 2 to 10 ASCII digits.

    Raises:
        ValidationError: any other shape.
    """
    if not _CODE.fullmatch(code):
        raise ValidationError("a region code is 2 to 10 digits", field="region_code")
    return code


def parse_opening_days(text: str) -> frozenset[str]:
    """Parse ``"Mon,Tue,Fri"`` into a set of weekday names.

    Raises:
        ValidationError: an unknown day name, or no day at all.
    """
    days = frozenset(part.strip().capitalize() for part in text.split(",") if part.strip())
    unknown = days - set(WEEKDAYS)
    if unknown or not days:
        raise ValidationError("opening days are names like Mon,Tue,Wed", field="opening_days")
    return days


@dataclass(frozen=True, slots=True)
class Region:
    """A node of the region tree."""

    code: str
    name_native: str
    name_latin: str
    level: RegionLevel
    settlement: Settlement
    parent_code: str | None = None
    path: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None

    def __post_init__(self) -> None:
        validate_region_code(self.code)
        if (self.level is RegionLevel.PROVINCE) != (self.parent_code is None):
            raise ValidationError("only a province has no parent", field="parent_code")
        if not self.name_native.strip() or not self.name_latin.strip():
            raise ValidationError("a region needs a native and a Latin name", field="name")
        if self.lat is not None and not (math.isfinite(self.lat) and -90 <= self.lat <= 90):  # noqa: PLR2004
            raise ValidationError("latitude is between -90 and 90", field="lat")
        if self.lon is not None and not (math.isfinite(self.lon) and -180 <= self.lon <= 180):  # noqa: PLR2004
            raise ValidationError("longitude is between -180 and 180", field="lon")

    def child_path(self) -> tuple[str, ...]:
        """The ``path`` a child of this region gets."""
        return (*self.path, self.code)

    def contains(self, other: Region) -> bool:
        """Whether ``other`` is this region or lies inside it."""
        return other.code == self.code or self.code in other.path


@dataclass(frozen=True, slots=True)
class Station:
    """An issuing office or a mobile team."""

    code: str
    name: str
    region_code: str
    kind: StationKind = StationKind.OFFICE
    opening_days: frozenset[str] = field(default_factory=lambda: frozenset(WEEKDAYS[:5]))
    daily_capacity: int = 100

    def __post_init__(self) -> None:
        if not _STATION_CODE.fullmatch(self.code):
            raise ValidationError("a station code is 2-32 letters, digits or '-'", field="code")
        if not 0 < self.daily_capacity <= _MAX_CAPACITY:
            raise ValidationError("daily capacity must be positive", field="daily_capacity")
        if not self.opening_days or not self.opening_days <= set(WEEKDAYS):
            raise ValidationError("unknown opening days", field="opening_days")
        if not self.name.strip():
            raise ValidationError("a station needs a name", field="name")
