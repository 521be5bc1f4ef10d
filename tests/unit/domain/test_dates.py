"""Partial dates of birth: parsing, formatting, impossible and future dates, bounds."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carnet.domain.dates import PartialDate
from carnet.domain.errors import ValidationError

pytestmark = pytest.mark.unit

TODAY = date(2026, 3, 2)


@st.composite
def partial_dates(draw: st.DrawFn) -> PartialDate:
    day = draw(st.dates(min_value=date(1880, 1, 1), max_value=date(9999, 12, 31)))
    precision = draw(st.sampled_from(["year", "month", "day"]))
    if precision == "year":
        return PartialDate(day.year)
    if precision == "month":
        return PartialDate(day.year, day.month)
    return PartialDate(day.year, day.month, day.day)


# --------------------------------------------------------------------------- parse / format


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1968", PartialDate(1968)),
        ("1968-04", PartialDate(1968, 4)),
        ("1968-04-21", PartialDate(1968, 4, 21)),
        ("  1968-04-21\n", PartialDate(1968, 4, 21)),
        ("1880", PartialDate(1880)),
        ("9999-12-31", PartialDate(9999, 12, 31)),
    ],
)
def test_parse_keeps_exactly_what_is_known(text: str, expected: PartialDate) -> None:
    assert PartialDate.parse(text) == expected


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (PartialDate(1968), "1968"),
        (PartialDate(1968, 4), "1968-04"),
        (PartialDate(1968, 4, 1), "1968-04-01"),
        (PartialDate(2024, 12, 31), "2024-12-31"),
    ],
)
def test_str_writes_iso_8601_with_two_digit_month_and_day(value: PartialDate, text: str) -> None:
    assert str(value) == text


@given(partial_dates())
def test_format_then_parse_round_trips(value: PartialDate) -> None:
    assert PartialDate.parse(str(value)) == value


@given(st.dates(min_value=date(1880, 1, 1), max_value=date(9999, 12, 31)))
def test_a_complete_date_formats_like_date_isoformat(day: date) -> None:
    assert str(PartialDate(day.year, day.month, day.day)) == day.isoformat()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "68",
        "19680",
        "1968-4",
        "1968-04-2",
        "1968/04/21",
        "21-04-1968",
        "1968-04-21T00:00",
        "1968-",
        "1968--21",
        "year",
    ],
)
def test_other_shapes_are_refused(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        PartialDate.parse(text)
    assert info.value.field == "date_of_birth"


@pytest.mark.parametrize(
    "text",
    [
        "2023-02-29",  # 2023 is not a leap year
        "2023-02-30",
        "1900-02-29",  # divisible by 100, not by 400
        "2023-04-31",
        "2023-01-32",
        "2023-01-00",
        "2023-13",
        "2023-00",
        "2023-13-01",
        "1879",
        "1879-12-31",
    ],
)
def test_impossible_dates_are_refused(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        PartialDate.parse(text)
    assert info.value.field == "date_of_birth"


@pytest.mark.parametrize("text", ["2024-02-29", "2000-02-29", "2023-02-28", "2023-12-31"])
def test_real_edge_days_are_accepted(text: str) -> None:
    assert str(PartialDate.parse(text)) == text


def test_a_day_needs_a_month() -> None:
    with pytest.raises(ValidationError) as info:
        PartialDate(1968, None, 21)
    assert info.value.field == "date_of_birth"


@pytest.mark.parametrize(("year", "month", "day"), [(10_000, None, None), (1968, 0, None)])
def test_the_constructor_checks_ranges_too(year: int, month: int | None, day: int | None) -> None:
    with pytest.raises(ValidationError):
        PartialDate(year, month, day)


def test_is_complete_only_with_a_day() -> None:
    assert PartialDate(1968, 4, 21).is_complete
    assert not PartialDate(1968, 4).is_complete
    assert not PartialDate(1968).is_complete


# --------------------------------------------------------------------------- bounds


@pytest.mark.parametrize(
    ("value", "earliest", "latest"),
    [
        (PartialDate(1968), date(1968, 1, 1), date(1968, 12, 31)),
        (PartialDate(1968, 4), date(1968, 4, 1), date(1968, 4, 30)),
        (PartialDate(2024, 2), date(2024, 2, 1), date(2024, 2, 29)),
        (PartialDate(2023, 2), date(2023, 2, 1), date(2023, 2, 28)),
        (PartialDate(1968, 4, 21), date(1968, 4, 21), date(1968, 4, 21)),
    ],
)
def test_earliest_and_latest_bound_what_the_date_stands_for(
    value: PartialDate, earliest: date, latest: date
) -> None:
    assert value.earliest() == earliest
    assert value.latest() == latest


@given(partial_dates())
def test_a_partial_date_spans_whole_months_or_years(value: PartialDate) -> None:
    first, last = value.earliest(), value.latest()
    assert first <= last
    assert first.year == last.year == value.year
    if value.month is not None:
        assert first.month == last.month == value.month
    if value.day is not None:
        assert first == last


# --------------------------------------------------------------------------- future dates


@pytest.mark.parametrize(
    "value",
    [
        PartialDate(2026),  # "born this year" is not in the future
        PartialDate(2026, 3),  # nor "this month"
        PartialDate(2026, 3, 2),  # today
        PartialDate(2026, 3, 1),
        PartialDate(2025, 12, 31),
    ],
)
def test_dates_that_may_be_today_or_earlier_are_kept(value: PartialDate) -> None:
    assert value.ensure_not_after(TODAY) is value


@pytest.mark.parametrize(
    "value",
    [PartialDate(2026, 3, 3), PartialDate(2026, 4), PartialDate(2027), PartialDate(2027, 1, 1)],
)
def test_dates_wholly_in_the_future_are_refused(value: PartialDate) -> None:
    with pytest.raises(ValidationError) as info:
        value.ensure_not_after(TODAY)
    assert info.value.field == "date_of_birth"


# --------------------------------------------------------------------------- ordering


def test_dates_of_equal_precision_order_chronologically() -> None:
    days = [PartialDate(1990, 1, 2), PartialDate(1968, 4, 21), PartialDate(1968, 12, 1)]
    assert sorted(days) == [
        PartialDate(1968, 4, 21),
        PartialDate(1968, 12, 1),
        PartialDate(1990, 1, 2),
    ]
    assert PartialDate(1968) < PartialDate(1969)
    assert PartialDate(1968, 11) > PartialDate(1968, 4)


def test_dates_of_different_years_order_by_year_whatever_their_precision() -> None:
    assert PartialDate(1968, 12, 31) < PartialDate(1969)
    assert PartialDate(1969) > PartialDate(1968, 4)


def test_dates_of_the_same_year_and_different_precision_can_be_sorted() -> None:
    values = [PartialDate(1968, 4, 21), PartialDate(1968), PartialDate(1968, 4)]
    assert sorted(values) == [PartialDate(1968), PartialDate(1968, 4), PartialDate(1968, 4, 21)]


def test_partial_dates_are_hashable_values() -> None:
    assert PartialDate(1968, 4) == PartialDate.parse("1968-04")
    assert len({PartialDate(1968, 4), PartialDate.parse("1968-04"), PartialDate(1968)}) == 2
