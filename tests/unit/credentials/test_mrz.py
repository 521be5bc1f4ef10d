"""Unit tests for carnet.credentials.mrz: check digits, dates, values, TD1 and TD3."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from carnet.credentials.mrz import (
    MrzData,
    MrzDate,
    Sex,
    build_td1,
    build_td3,
    check_digit,
    parse_mrz,
    parse_td1,
    parse_td3,
)
from carnet.domain.errors import DecodeError, ValidationError

pytestmark = pytest.mark.unit

# The ICAO TD1 specimen (Doc 9303 Part 5, Appendix B); see tests/vectors/mrz.
TD1_SPECIMEN = (
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
)
TD3_SPECIMEN = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)


def card(**changes: Any) -> MrzData:
    """A synthetic TD1 value; keyword arguments replace its fields."""
    base = MrzData(
        document_code="ID",
        issuing_state="UTO",
        document_number="X12345678",
        primary_identifier="KIM",
        secondary_identifier="MIN JUN",
        nationality="UTO",
        date_of_birth=MrzDate(90, 1, 31),
        sex=Sex.MALE,
        date_of_expiry=MrzDate(35, 12, 31),
    )
    return replace(base, **changes)


def passport(**changes: Any) -> MrzData:
    """A synthetic TD3 value; keyword arguments replace its fields."""
    return replace(card(document_code="PP"), **changes)


def with_digit(data: str) -> str:
    return data + check_digit(data)


# --------------------------------------------------------------------------- check digit


@pytest.mark.parametrize(
    ("data", "digit"),
    [
        # Worked by hand with weights 7, 3, 1 (Doc 9303 Part 3 §4.9):
        # 5*7 + 2*3 + 0*1 + 7*7 + 2*3 + 7*1 = 103
        ("520727", "3"),
        # A=10, B=11, < = 0: 70 + 33 + 2 + 7 + 9 + 4 = 125
        ("AB2134<<<", "5"),
        # Published in the ICAO specimens.
        ("L898902C3", "6"),
        ("740812", "2"),
        ("120415", "9"),
        ("ZE184226B<<<<<", "1"),
        ("D23145890", "7"),
        ("D23145890734", "9"),
        ("", "0"),
        ("<<<<<<<<<<<<<<", "0"),
        ("Z", "5"),  # 35 * 7 = 245
    ],
)
def test_check_digit(data: str, digit: str) -> None:
    assert check_digit(data) == digit


@pytest.mark.parametrize("data", ["abc", "A B", "12-3", "٣"])
def test_check_digit_refuses_other_characters(data: str) -> None:
    with pytest.raises(ValidationError):
        check_digit(data)


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "expected", "complete"),
    [
        ("740812", MrzDate(74, 8, 12), True),
        ("000229", MrzDate(0, 2, 29), True),
        ("7408<<", MrzDate(74, 8), False),
        ("74<<<<", MrzDate(74), False),
        ("<<<<<<", MrzDate(None), False),
    ],
)
def test_mrz_date_round_trip(text: str, expected: MrzDate, complete: bool) -> None:
    parsed = MrzDate.from_mrz(text)

    assert parsed == expected
    assert parsed.to_mrz() == text
    assert parsed.is_complete is complete


@pytest.mark.parametrize(
    "text",
    [
        "741312",
        "740800",
        "740832",
        "740431",
        "010229",
        "74<<12",
        "<<0812",
        "7A0812",
        "74081",
        "٧٤٠٨١٢",
    ],
)
def test_mrz_date_refuses_impossible_dates(text: str) -> None:
    with pytest.raises(ValidationError):
        MrzDate.from_mrz(text)


@pytest.mark.parametrize(
    ("year", "month", "day"),
    [(None, 5, None), (74, None, 3), (100, 1, 1), (-1, 1, 1), (74, 0, None), (74, 13, None)],
)
def test_mrz_date_refuses_impossible_parts(
    year: int | None, month: int | None, day: int | None
) -> None:
    with pytest.raises(ValidationError):
        MrzDate(year, month, day)


def test_mrz_date_from_date() -> None:
    assert MrzDate.from_date(date(2008, 2, 29)).to_mrz() == "080229"


@pytest.mark.parametrize(
    ("text", "not_after", "expected"),
    [
        ("740812", date(2024, 1, 1), date(1974, 8, 12)),
        ("231231", date(2024, 1, 1), date(2023, 12, 31)),
        ("240102", date(2024, 1, 1), date(1924, 1, 2)),
        ("240101", date(2024, 1, 1), date(2024, 1, 1)),
        ("000229", date(2099, 12, 31), date(2000, 2, 29)),
        # 1900, 1800 and 1700 are not leap years.
        ("000229", date(1999, 12, 31), date(1600, 2, 29)),
    ],
)
def test_mrz_date_to_date_takes_the_latest_century(
    text: str, not_after: date, expected: date
) -> None:
    assert MrzDate.from_mrz(text).to_date(not_after=not_after) == expected


def test_partial_mrz_date_has_no_calendar_date() -> None:
    with pytest.raises(ValidationError):
        MrzDate(74, 8).to_date(not_after=date(2024, 1, 1))


@pytest.mark.parametrize(
    ("value", "not_after"),
    [(MrzDate(74, 8, 12), date(50, 1, 1)), (MrzDate(0, 2, 29), date(99, 12, 31))],
)
def test_mrz_date_before_year_one_has_no_calendar_date(value: MrzDate, not_after: date) -> None:
    with pytest.raises(ValidationError):
        value.to_date(not_after=not_after)


def test_mrz_date_repr_hides_the_date() -> None:
    assert "74" not in repr(MrzDate(74, 8, 12))


# --------------------------------------------------------------------------- values


def test_sex_mrz_characters() -> None:
    assert [sex.mrz for sex in Sex] == ["F", "M", "<"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("document_code", "P<"),
        ("document_code", "P1"),
        ("document_code", ""),
        ("document_code", "PPP"),
        ("issuing_state", "utopia"),
        ("issuing_state", "UT<"),
        ("nationality", ""),
        ("nationality", "U1O"),
        ("document_number", "AB-123"),
        ("document_number", ""),
        ("document_number", "AB<123"),
        ("optional_data", "AB<"),
        ("optional_data", "ab"),
        ("optional_data_2", "A B"),
    ],
)
def test_mrz_data_refuses_malformed_elements(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        card(**{field: value})

    assert caught.value.field == field


def test_mrz_data_refuses_a_partial_expiry() -> None:
    with pytest.raises(ValidationError) as caught:
        card(date_of_expiry=MrzDate(35, 12))

    assert caught.value.field == "date_of_expiry"


def test_mrz_data_repr_hides_personal_data() -> None:
    shown = repr(card(optional_data="SECRET1"))

    for secret in ("X12345678", "KIM", "MIN", "SECRET1", "90", "MALE"):
        assert secret not in shown
    assert "ID" in shown


# --------------------------------------------------------------------------- TD3


def test_td3_layout_of_a_synthetic_passport() -> None:
    line1, line2 = build_td3(passport(optional_data="K1234"))

    assert line1 == "PPUTOKIM<<MIN<JUN" + "<" * 27
    number = with_digit("X12345678")
    birth, expiry = with_digit("900131"), with_digit("351231")
    personal = with_digit("K1234<<<<<<<<<")
    body = number + "UTO" + birth + "M" + expiry + personal
    assert line2 == body + check_digit(number + birth + expiry + personal)


def test_td3_empty_personal_number_gets_check_digit_zero() -> None:
    _, line2 = build_td3(passport())

    assert line2[28:43] == "<" * 14 + "0"


def test_td3_empty_personal_number_may_have_filler_check_digit() -> None:
    # Part 4 §4.2.2.2: "the check digit may be zero or the filler character".
    line1, line2 = build_td3(passport())
    filler_variant = line2[:42] + "<" + line2[43]

    assert parse_td3(line1, filler_variant) == passport()


def test_td3_unspecified_sex_and_partial_birth_date() -> None:
    data = passport(sex=Sex.UNSPECIFIED, date_of_birth=MrzDate(90))
    _, line2 = build_td3(data)

    assert line2[13:21] == "90<<<<" + check_digit("90<<<<") + "<"
    assert parse_mrz("\n".join(build_td3(data))) == data


def test_td3_short_codes_are_padded() -> None:
    data = passport(document_code="P", issuing_state="D", nationality="D")
    line1, line2 = build_td3(data)

    assert line1.startswith("P<D<<KIM<<")
    assert line2[10:13] == "D<<"
    assert parse_td3(line1, line2) == data


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"document_code": "ID"}, "document_code"),
        ({"document_number": "X123456789"}, "document_number"),
        ({"optional_data_2": "A"}, "optional_data_2"),
        ({"optional_data": "A" * 15}, "optional_data"),
        ({"primary_identifier": "Kim 3"}, "primary_identifier"),
        ({"secondary_identifier": "\u5f20"}, "secondary_identifier"),
        ({"primary_identifier": "--"}, "primary_identifier"),
    ],
)
def test_td3_build_refuses(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        build_td3(passport(**changes))

    assert caught.value.field == field


def test_td3_parse_refuses_wrong_line_lengths() -> None:
    with pytest.raises(DecodeError) as caught:
        parse_td3(TD3_SPECIMEN[0], TD3_SPECIMEN[1][:-1])

    assert caught.value.field == "mrz"


def test_td3_parse_refuses_a_partial_expiry() -> None:
    expiry = with_digit("3512<<")
    line2 = TD3_SPECIMEN[1][:21] + expiry + TD3_SPECIMEN[1][28:43]
    line2 += check_digit(line2[0:10] + line2[13:20] + line2[21:43])

    with pytest.raises(DecodeError) as caught:
        parse_td3(TD3_SPECIMEN[0], line2)

    assert caught.value.field == "date_of_expiry"


def test_td3_parse_refuses_an_impossible_birth_date() -> None:
    birth = with_digit("741312")
    line2 = TD3_SPECIMEN[1][:13] + birth + TD3_SPECIMEN[1][20:43]
    line2 += check_digit(line2[0:10] + line2[13:20] + line2[21:43])

    with pytest.raises(DecodeError) as caught:
        parse_td3(TD3_SPECIMEN[0], line2)

    assert caught.value.field == "date_of_birth"


def test_td3_parse_refuses_an_inner_filler_in_the_number() -> None:
    number = with_digit("L898<02C3")
    line2 = number + TD3_SPECIMEN[1][10:43]
    line2 += check_digit(line2[0:10] + line2[13:20] + line2[21:43])

    with pytest.raises(DecodeError) as caught:
        parse_td3(TD3_SPECIMEN[0], line2)

    assert caught.value.field == "document_number"


def test_truncated_name_is_returned_as_printed() -> None:
    data = passport(
        primary_identifier="Nilavadhanananda",
        secondary_identifier="Arnpol Petch Charonguang",
    )

    parsed = parse_mrz("\n".join(build_td3(data)))

    assert parsed.secondary_identifier == "ARNPOL PETCH CHARONGU"


def test_names_are_transliterated_on_build() -> None:
    data = passport(primary_identifier="Müller-Lüdenscheidt", secondary_identifier="Zoë Ærin")

    parsed = parse_mrz("\n".join(build_td3(data)))

    assert parsed.primary_identifier == "MUELLER LUEDENSCHEIDT"
    assert parsed.secondary_identifier == "ZOE AERIN"


def test_primary_identifier_only() -> None:
    data = passport(primary_identifier="Arkfreith", secondary_identifier="")

    assert build_td3(data)[0] == "PPUTOARKFREITH" + "<" * 30
    assert parse_mrz("\n".join(build_td3(data))) == replace(data, primary_identifier="ARKFREITH")


# --------------------------------------------------------------------------- TD1


def test_td1_layout_of_a_synthetic_card() -> None:
    line1, line2, line3 = build_td1(card(optional_data="AB12", optional_data_2="Z9"))

    assert line1 == "IDUTO" + with_digit("X12345678") + "AB12" + "<" * 11
    upper = line1[5:30]
    birth, expiry = with_digit("900131"), with_digit("351231")
    middle = birth + "M" + expiry + "UTO" + "Z9" + "<" * 9
    assert line2 == middle + check_digit(upper + birth + expiry + "Z9" + "<" * 9)
    assert line3 == "KIM<<MIN<JUN" + "<" * 18


@pytest.mark.parametrize("length", range(10, 23))
def test_td1_overflow_round_trips(length: int) -> None:
    number = ("AB" + "0123456789" * 3)[:length]
    data = card(document_number=number)

    line1, line2, line3 = build_td1(data)

    assert line1[5:15] == number[:9] + "<"
    overflow = number[9:] + check_digit(number) + "<"
    assert line1[15:30].startswith(overflow)
    assert parse_td1(line1, line2, line3) == data


def test_td1_overflow_keeps_the_optional_data_after_it() -> None:
    data = card(document_number="D23145890734", optional_data="<ZONE6")

    line1, line2, line3 = build_td1(data)

    assert line1[15:30] == "7349<" + "<ZONE6" + "<" * 4
    assert parse_td1(line1, line2, line3) == data


def test_td1_overflow_leaves_the_filler_out_of_the_check_digit() -> None:
    # Part 5 §4.2.4: position 15 ("<") is excluded from the long-number check digit.
    number = "D23145890734"
    line1, *_ = build_td1(card(document_number=number))

    assert line1[18] == check_digit(number)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"document_code": "P"}, "document_code"),
        ({"document_number": "A" * 23}, "document_number"),
        ({"document_number": "A" * 22, "optional_data": "B"}, "optional_data"),
        ({"optional_data": "B" * 16}, "optional_data"),
        ({"optional_data_2": "C" * 12}, "optional_data_2"),
        ({"secondary_identifier": "Min 2"}, "secondary_identifier"),
    ],
)
def test_td1_build_refuses(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        build_td1(card(**changes))

    assert caught.value.field == field


def test_td1_longest_overflow_fills_the_optional_data() -> None:
    number = "A" * 22
    line1, line2, line3 = build_td1(card(document_number=number))

    assert line1[15:30] == "A" * 13 + check_digit(number) + "<"
    assert parse_td1(line1, line2, line3).document_number == number


def test_td1_parse_refuses_a_wrong_overflow_check_digit() -> None:
    line1 = "I<UTOD23145890<7341<<<<<<<<<<<"

    with pytest.raises(DecodeError) as caught:
        parse_td1(line1, *TD1_SPECIMEN[1:])

    assert caught.value.field == "document_number"


def test_td1_parse_refuses_wrong_line_lengths() -> None:
    with pytest.raises(DecodeError) as caught:
        parse_td1(TD1_SPECIMEN[0] + "<", *TD1_SPECIMEN[1:])

    assert caught.value.field == "mrz"


def test_td1_parse_refuses_characters_outside_the_set() -> None:
    with pytest.raises(DecodeError) as caught:
        parse_td1(TD1_SPECIMEN[0], TD1_SPECIMEN[1], TD1_SPECIMEN[2].replace("<", " "))

    assert caught.value.field == "mrz"


def test_td1_unspecified_sex_parses() -> None:
    data = card(sex=Sex.UNSPECIFIED, date_of_birth=MrzDate(None))

    lines = build_td1(data)

    assert lines[1][:8] == "<<<<<<0<"
    assert parse_mrz("".join(lines)) == data


def test_td1_parse_refuses_a_partial_expiry() -> None:
    line1, line2, line3 = build_td1(card())
    middle = line2[:8] + with_digit("35<<<<") + line2[15:29]
    middle += check_digit(line1[5:30] + middle[0:7] + middle[8:15] + middle[18:29])

    with pytest.raises(DecodeError) as caught:
        parse_td1(line1, middle, line3)

    assert caught.value.field == "date_of_expiry"


# --------------------------------------------------------------------------- shapes


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n  ",
        "\n".join(TD1_SPECIMEN[:2]),
        "".join(TD1_SPECIMEN)[:-1],
        "".join(TD3_SPECIMEN) + "<",
        "\n".join((*TD3_SPECIMEN, TD3_SPECIMEN[1])),
        "\n".join((TD3_SPECIMEN[0], *TD1_SPECIMEN[1:])),
    ],
)
def test_parse_mrz_refuses_other_shapes(text: str) -> None:
    with pytest.raises(DecodeError) as caught:
        parse_mrz(text)

    assert caught.value.field == "mrz"


def test_parse_errors_are_credential_errors_with_a_code() -> None:
    with pytest.raises(DecodeError) as caught:
        parse_mrz("nothing")

    assert caught.value.code == "decode_error"
    assert "nothing" not in str(caught.value)
