"""The region tree, stations and mobile teams."""

from __future__ import annotations

from typing import Any

import pytest

from carnet.domain.errors import ValidationError
from carnet.domain.regions import (
    WEEKDAYS,
    Region,
    RegionLevel,
    Settlement,
    Station,
    StationKind,
    parse_opening_days,
    validate_region_code,
)

pytestmark = pytest.mark.unit


def _region(code: str = "11", **overrides: Any) -> Region:
    values: dict[str, Any] = {
        "code": code,
        "name_native": "서울",
        "name_latin": "Seoul",
        "level": RegionLevel.PROVINCE,
        "settlement": Settlement.URBAN,
    }
    values.update(overrides)
    return Region(**values)


def _station(**overrides: Any) -> Station:
    values: dict[str, Any] = {"code": "ST-A", "name": "Office A", "region_code": "11010"}
    values.update(overrides)
    return Station(**values)


# --------------------------------------------------------------------------- levels and codes


@pytest.mark.parametrize(
    ("level", "depth"),
    [
        (RegionLevel.PROVINCE, 0),
        (RegionLevel.COUNTY, 1),
        (RegionLevel.TOWN, 2),
        (RegionLevel.VILLAGE, 2),
    ],
)
def test_level_depth_counts_from_the_province(level: RegionLevel, depth: int) -> None:
    assert level.depth == depth


def test_enumerations_have_their_stored_values() -> None:
    assert [level.value for level in RegionLevel] == ["province", "county", "town", "village"]
    assert {s.value for s in Settlement} == {"urban", "rural"}
    assert {k.value for k in StationKind} == {"office", "mobile"}
    assert WEEKDAYS == ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@pytest.mark.parametrize("code", ["11", "11010", "1101000123", "00"])
def test_region_codes_are_two_to_ten_digits(code: str) -> None:
    assert validate_region_code(code) == code


@pytest.mark.parametrize(
    "code", ["", "1", "11010001234", "1a", "11 010", "-11", "\u0661\u0661", "11.0", " 11"]
)
def test_other_region_codes_are_refused(code: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_region_code(code)
    assert info.value.field == "region_code"


def test_a_region_code_with_a_trailing_newline_is_refused() -> None:
    with pytest.raises(ValidationError):
        validate_region_code("11\n")


# --------------------------------------------------------------------------- opening days


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("Mon,Tue,Fri", {"Mon", "Tue", "Fri"}),
        (" mon , TUE ,fri ", {"Mon", "Tue", "Fri"}),
        ("Sun", {"Sun"}),
        ("Mon,,Mon,", {"Mon"}),
        (",".join(WEEKDAYS), set(WEEKDAYS)),
    ],
)
def test_opening_days_are_parsed_case_insensitively(text: str, days: set[str]) -> None:
    assert parse_opening_days(text) == frozenset(days)


@pytest.mark.parametrize("text", ["", " , ,", "Mon,Funday", "Monday", "Mo,Tu", "Mon;Tue"])
def test_unknown_or_missing_opening_days_are_refused(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_opening_days(text)
    assert info.value.field == "opening_days"


# --------------------------------------------------------------------------- regions


def test_a_province_has_no_parent_and_an_empty_path() -> None:
    province = _region()
    assert province.parent_code is None
    assert province.path == ()
    assert province.child_path() == ("11",)


def test_a_child_path_appends_its_own_code() -> None:
    county = _region(
        "11010", level=RegionLevel.COUNTY, parent_code="11", path=("11",), lat=37.5, lon=127.0
    )
    assert county.child_path() == ("11", "11010")
    assert (county.lat, county.lon) == (37.5, 127.0)


def test_a_province_cannot_have_a_parent() -> None:
    with pytest.raises(ValidationError) as info:
        _region(parent_code="10")
    assert info.value.field == "parent_code"


@pytest.mark.parametrize("level", [RegionLevel.COUNTY, RegionLevel.TOWN, RegionLevel.VILLAGE])
def test_every_other_level_needs_a_parent(level: RegionLevel) -> None:
    with pytest.raises(ValidationError) as info:
        _region("11010", level=level)
    assert info.value.field == "parent_code"


@pytest.mark.parametrize(
    ("native", "latin"), [("", "Seoul"), ("서울", ""), ("  ", "Seoul"), ("서울", " \t")]
)
def test_a_region_needs_both_names(native: str, latin: str) -> None:
    with pytest.raises(ValidationError) as info:
        _region(name_native=native, name_latin=latin)
    assert info.value.field == "name"


def test_a_region_code_is_validated() -> None:
    with pytest.raises(ValidationError) as info:
        _region("1")
    assert info.value.field == "region_code"


def test_contains_is_reflexive_and_follows_the_path() -> None:
    province = _region()
    county = _region("11010", level=RegionLevel.COUNTY, parent_code="11", path=("11",))
    town = _region("11010001", level=RegionLevel.TOWN, parent_code="11010", path=("11", "11010"))
    other = _region("11020", level=RegionLevel.COUNTY, parent_code="11", path=("11",))
    assert province.contains(province)
    assert province.contains(county)
    assert province.contains(town)
    assert county.contains(town)
    assert not county.contains(province)
    assert not town.contains(county)
    assert not other.contains(town)
    assert not county.contains(other)


def test_regions_are_immutable() -> None:
    region = _region()
    with pytest.raises(AttributeError):
        region.code = "12"  # type: ignore[misc]


# --------------------------------------------------------------------------- stations


def test_a_station_defaults_to_a_weekday_office() -> None:
    station = _station()
    assert station.kind is StationKind.OFFICE
    assert station.opening_days == frozenset({"Mon", "Tue", "Wed", "Thu", "Fri"})
    assert station.daily_capacity == 100


def test_a_mobile_team_is_a_station_of_kind_mobile() -> None:
    team = _station(code="MT-B", kind=StationKind.MOBILE, opening_days=frozenset({"Sat"}))
    assert team.kind is StationKind.MOBILE
    assert team.opening_days == frozenset({"Sat"})


@pytest.mark.parametrize("code", ["ST", "st-a-01", "A" * 32, "9-9"])
def test_station_codes_are_letters_digits_and_hyphens(code: str) -> None:
    assert _station(code=code).code == code


@pytest.mark.parametrize("code", ["S", "A" * 33, "ST A", "ST_A", "ST.A", "", "스테이션"])
def test_other_station_codes_are_refused(code: str) -> None:
    with pytest.raises(ValidationError) as info:
        _station(code=code)
    assert info.value.field == "code"


@pytest.mark.parametrize("capacity", [1, 100_000])
def test_capacity_bounds_are_inclusive(capacity: int) -> None:
    assert _station(daily_capacity=capacity).daily_capacity == capacity


@pytest.mark.parametrize("capacity", [0, -1, 100_001])
def test_capacity_out_of_bounds_is_refused(capacity: int) -> None:
    with pytest.raises(ValidationError) as info:
        _station(daily_capacity=capacity)
    assert info.value.field == "daily_capacity"


@pytest.mark.parametrize("days", [frozenset(), frozenset({"Mon", "Funday"}), frozenset({"mon"})])
def test_opening_days_must_be_known_weekdays(days: frozenset[str]) -> None:
    with pytest.raises(ValidationError) as info:
        _station(opening_days=days)
    assert info.value.field == "opening_days"


@pytest.mark.parametrize("name", ["", "   "])
def test_a_station_needs_a_name(name: str) -> None:
    with pytest.raises(ValidationError) as info:
        _station(name=name)
    assert info.value.field == "name"


def test_a_station_code_with_a_trailing_newline_is_refused() -> None:
    with pytest.raises(ValidationError):
        _station(code="ST-A\n")
