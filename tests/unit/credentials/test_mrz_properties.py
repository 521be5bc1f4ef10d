"""Property tests for carnet.credentials.mrz: round trips and parser fuzzing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carnet.credentials.mrz import (
    MrzData,
    MrzDate,
    Sex,
    build_td1,
    build_td3,
    parse_mrz,
)
from carnet.domain.errors import DecodeError

pytestmark = pytest.mark.unit

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ALPHANUMERIC = LETTERS + "0123456789"
MRZ_CHARACTERS = ALPHANUMERIC + "<"

states = st.text(alphabet=LETTERS, min_size=1, max_size=3)
complete_dates = st.dates().map(MrzDate.from_date)
birth_dates = st.one_of(
    complete_dates,
    st.builds(MrzDate, st.integers(0, 99), st.integers(1, 12)),
    st.builds(MrzDate, st.integers(0, 99)),
    st.just(MrzDate(None)),
)
components = st.lists(st.text(alphabet=LETTERS, min_size=1, max_size=10), max_size=4)


def optional_data(size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=MRZ_CHARACTERS, max_size=size).filter(
        lambda value: not value.endswith("<")
    )


@st.composite
def names(draw: st.DrawFn, width: int) -> tuple[str, str]:
    """Primary and secondary identifiers in MRZ form that fit ``width`` untruncated."""
    primary = draw(components.filter(bool))
    secondary = draw(components)
    full = "<".join(primary) + ("<<" + "<".join(secondary) if secondary else "")
    if len(full) > width:
        secondary = []
        primary = primary[:1]
        primary[0] = primary[0][:width]
    return " ".join(primary), " ".join(secondary)


@st.composite
def td1_values(draw: st.DrawFn) -> MrzData:
    number = draw(st.text(alphabet=ALPHANUMERIC, min_size=1, max_size=22))
    overflow = len(number) - 9 + 2 if len(number) > 9 else 0
    primary, secondary = draw(names(30))
    return MrzData(
        document_code=draw(st.sampled_from("ACI")) + draw(st.sampled_from(["", *LETTERS])),
        issuing_state=draw(states),
        document_number=number,
        primary_identifier=primary,
        secondary_identifier=secondary,
        nationality=draw(states),
        date_of_birth=draw(birth_dates),
        sex=draw(st.sampled_from(Sex)),
        date_of_expiry=draw(complete_dates),
        optional_data=draw(optional_data(15 - overflow)),
        optional_data_2=draw(optional_data(11)),
    )


@st.composite
def td3_values(draw: st.DrawFn) -> MrzData:
    primary, secondary = draw(names(39))
    return MrzData(
        document_code="P" + draw(st.sampled_from(["", *LETTERS])),
        issuing_state=draw(states),
        document_number=draw(st.text(alphabet=ALPHANUMERIC, min_size=1, max_size=9)),
        primary_identifier=primary,
        secondary_identifier=secondary,
        nationality=draw(states),
        date_of_birth=draw(birth_dates),
        sex=draw(st.sampled_from(Sex)),
        date_of_expiry=draw(complete_dates),
        optional_data=draw(optional_data(14)),
    )


def _build(data: MrzData, lines: int) -> tuple[str, ...]:
    return build_td1(data) if lines == 3 else build_td3(data)


@given(td1_values())
def test_td1_build_then_parse_round_trips(data: MrzData) -> None:
    lines = build_td1(data)

    assert [len(line) for line in lines] == [30, 30, 30]
    assert all(set(line) <= set(MRZ_CHARACTERS) for line in lines)
    assert parse_mrz("\n".join(lines)) == data


@given(td3_values())
def test_td3_build_then_parse_round_trips(data: MrzData) -> None:
    lines = build_td3(data)

    assert [len(line) for line in lines] == [44, 44]
    assert all(set(line) <= set(MRZ_CHARACTERS) for line in lines)
    assert parse_mrz("\n".join(lines)) == data


@given(st.text())
def test_parser_returns_a_value_or_decode_error_on_any_text(text: str) -> None:
    try:
        parsed = parse_mrz(text)
    except DecodeError:
        return
    assert isinstance(parsed, MrzData)


@given(
    st.one_of(
        st.lists(
            st.text(alphabet=MRZ_CHARACTERS, min_size=30, max_size=30), min_size=3, max_size=3
        ),
        st.lists(
            st.text(alphabet=MRZ_CHARACTERS, min_size=44, max_size=44), min_size=2, max_size=2
        ),
    )
)
def test_parser_on_well_shaped_noise(lines: list[str]) -> None:
    try:
        parse_mrz("\n".join(lines))
    except DecodeError:
        return


@settings(max_examples=300)
@given(
    st.one_of(td1_values(), td3_values()),
    st.lists(st.tuples(st.integers(0, 131), st.sampled_from(MRZ_CHARACTERS)), max_size=3),
)
def test_corrupted_zones_decode_or_fail_cleanly(
    data: MrzData, edits: list[tuple[int, str]]
) -> None:
    lines = list(build_td1(data) if data.document_code[0] != "P" else build_td3(data))
    width = len(lines[0])
    for position, char in edits:
        row, column = divmod(position % (width * len(lines)), width)
        lines[row] = lines[row][:column] + char + lines[row][column + 1 :]

    try:
        parsed = parse_mrz("\n".join(lines))
    except DecodeError:
        return
    # Whatever the parser accepts, the builder writes back identically, except the
    # filler check digit Part 4 allows for an empty TD3 personal number.
    rebuilt = list(_build(parsed, len(lines)))
    if len(lines) == 2 and lines[1][42] == "<":
        rebuilt[1] = rebuilt[1][:42] + "<" + rebuilt[1][43]
    assert rebuilt == lines
