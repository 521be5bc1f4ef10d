"""The MOSIP Claim 169 identity-data map (v1.2.2 §3.1)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carnet.credentials.claim169 import (
    CLAIM_169_KEY,
    BiometricFormat,
    BirthDate,
    Claim169Key,
    Gender,
    Identity169,
    PhotoFormat,
)
from carnet.domain.errors import DecodeError, ValidationError

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = pytest.mark.unit


def test_keys_match_the_specification_table() -> None:
    # Claim 169 v1.2.2 §3.1, attribute numbers.
    assert CLAIM_169_KEY == 169
    expected = {
        "ID": 1,
        "VERSION": 2,
        "LANGUAGE": 3,
        "FULL_NAME": 4,
        "FIRST_NAME": 5,
        "MIDDLE_NAME": 6,
        "LAST_NAME": 7,
        "DATE_OF_BIRTH": 8,
        "GENDER": 9,
        "ADDRESS": 10,
        "EMAIL": 11,
        "PHONE": 12,
        "NATIONALITY": 13,
        "MARITAL_STATUS": 14,
        "GUARDIAN": 15,
        "BINARY_IMAGE": 16,
        "BINARY_IMAGE_FORMAT": 17,
        "BEST_QUALITY_FINGERS": 18,
        "SECONDARY_FULL_NAME": 19,
        "SECONDARY_LANGUAGE": 20,
        "LOCATION_CODE": 21,
        "LEGAL_STATUS": 22,
        "COUNTRY_OF_ISSUANCE": 23,
        "FACE": 62,
    }
    assert {key.name: key.value for key in Claim169Key} == expected
    assert [int(g) for g in (Gender.MALE, Gender.FEMALE, Gender.OTHER)] == [1, 2, 3]
    assert [int(f) for f in BiometricFormat] == [0, 1, 2, 3]
    assert [f.name for f in PhotoFormat] == [
        "PNG",
        "JPEG",
        "JPEG2000",
        "AVIF",
        "WEBP",
        "TIFF",
        "WSQ",
    ]


def test_to_claim_writes_spec_keys_and_formats(make_identity: Callable[..., Identity169]) -> None:
    identity = make_identity(language="eng")
    assert identity.to_claim() == {
        1: "840115203917",
        3: "eng",
        4: "KIM MINJUN",
        5: "MINJUN",
        7: "KIM",
        8: "19840115",
        9: 1,
        10: "12 Sejong-daero, Jongno-gu, Seoul 03154",
        13: "KOR",
        19: "김민준",
        20: "kor",
    }


def test_to_claim_writes_keys_in_deterministic_order(
    make_identity: Callable[..., Identity169],
) -> None:
    # Ascending keys are the RFC 8949 §4.2.1 order, so the encoder sorts nothing.
    identity = make_identity(language="eng", middle_name="-", photo=b"\x89PNG")
    claim = identity.to_claim()
    assert list(claim) == sorted(claim)
    assert list(claim) == [1, 3, 4, 5, 6, 7, 8, 9, 10, 13, 19, 20, 62]


def test_absent_attributes_are_left_out() -> None:
    assert Identity169().to_claim() == {}
    assert Identity169(middle_name="A").to_claim() == {6: "A"}


def test_photo_goes_into_the_face_biometric() -> None:
    identity = Identity169(photo=b"RIFF....WEBP", photo_format=PhotoFormat.WEBP)
    assert identity.to_claim() == {62: [{0: b"RIFF....WEBP", 1: 0, 2: 4}]}
    assert Identity169(photo=b"\xff\xd8").to_claim() == {62: [{0: b"\xff\xd8", 1: 0}]}


def test_photo_format_needs_a_photo() -> None:
    with pytest.raises(ValidationError):
        Identity169(photo_format=PhotoFormat.JPEG)


def test_round_trip(make_identity: Callable[..., Identity169]) -> None:
    identity = make_identity(middle_name="-", photo=b"\x89PNG", photo_format=PhotoFormat.PNG)
    assert Identity169.from_claim(identity.to_claim()) == identity


def test_reads_the_specification_sample() -> None:
    # Claim 169 v1.2.2 §3.2.1, "Convert to Claim 169 Format" (face data shortened).
    sample = {
        1: "3918592438",
        4: "Janardhan BS",
        8: "1984-04-18",
        9: 1,
        10: "New House, Near Metro Line, Bengaluru, KA",
        11: "janardhan@example.com",
        12: "+919876543210",
        13: "IN",
        19: "جاناردان بنغالور سرينيفاس",
        20: "AR",
        21: "849VCWC8+R9",
        22: "Refugee",
        23: "IN",
        62: {0: bytes.fromhex("52494646dc010000"), 1: 0, 2: 4},
    }
    identity = Identity169.from_claim(sample)
    assert identity.uin == "3918592438"
    assert identity.full_name == "Janardhan BS"
    assert identity.date_of_birth == BirthDate(1984, 4, 18)
    assert identity.gender is Gender.MALE
    assert identity.address == "New House, Near Metro Line, Bengaluru, KA"
    assert identity.nationality == "IN"
    assert identity.secondary_full_name == "جاناردان بنغالور سرينيفاس"
    assert identity.secondary_language == "AR"
    assert identity.photo == bytes.fromhex("52494646dc010000")
    assert identity.photo_format is PhotoFormat.WEBP


def test_reads_the_deprecated_binary_image() -> None:
    # Attributes 16/17 (deprecated in v1.2.2), 17 numbered 1 JPEG ... 4 WEBP.
    identity = Identity169.from_claim({16: b"\xff\xd8", 17: 1})
    assert identity.photo == b"\xff\xd8"
    assert identity.photo_format is PhotoFormat.JPEG
    assert Identity169.from_claim({16: b"x", 17: 2}).photo_format is PhotoFormat.JPEG2000
    assert Identity169.from_claim({16: b"x"}).photo_format is None
    assert Identity169.from_claim({16: b"x", 17: 9}).photo_format is None


def test_face_image_is_preferred_and_other_biometrics_are_skipped() -> None:
    claim = {
        16: b"old",
        17: 1,
        62: [{0: b"template", 1: 1, 2: 100}, {0: b"new", 1: 0, 2: 1}],
    }
    identity = Identity169.from_claim(claim)
    assert identity.photo == b"new"
    assert identity.photo_format is PhotoFormat.JPEG


def test_face_without_an_image_falls_back_to_the_deprecated_attribute() -> None:
    identity = Identity169.from_claim({62: [{0: b"template", 1: 1}], 16: b"old"})
    assert identity.photo == b"old"
    assert Identity169.from_claim({62: [{0: b"template", 1: 1}]}).photo is None


def test_face_with_unknown_or_vendor_sub_format_keeps_the_image() -> None:
    identity = Identity169.from_claim({62: [{0: b"img", 2: 150}]})
    assert identity.photo == b"img"
    assert identity.photo_format is None


def test_unmapped_keys_are_ignored() -> None:
    identity = Identity169.from_claim({1: "X", 11: "a@b.c", 14: 2, 50: [], 99: "?", "x": 1})
    assert identity == Identity169(uin="X")


@pytest.mark.parametrize(
    "claim",
    [
        [],
        "identity",
        {1: 1234},
        {4: b"name"},
        {19: 7},
        {8: 19840115},
        {8: "1984-4-18"},
        {8: "19841318"},
        {8: "19840230"},
        {8: "00000000"},
        {8: "19840015"},
        {8: "١٩٨٤٠١١٥"},  # Arabic-Indic digits are digits, but not ASCII
        {9: 0},
        {9: 4},
        {9: "1"},
        {9: True},
        {9: [1]},
        {62: "face"},
        {62: ["face"]},
        {62: [{1: 0}]},
        {62: [{0: "data"}]},
        {62: [{0: b"x", 1: "image"}]},
        {62: [{0: b"x", 2: "jpeg"}]},
        {16: "image"},
        {16: b"x", 17: "jpeg"},
        {16: b"x", 17: True},
    ],
)
def test_malformed_attributes_are_decode_errors(claim: object) -> None:
    with pytest.raises(DecodeError):
        Identity169.from_claim(claim)


def test_repr_holds_no_personal_data(make_identity: Callable[..., Identity169]) -> None:
    text = repr(make_identity(photo=b"face"))
    for secret in ("840115", "KIM", "MINJUN", "김민준", "Sejong", "1984", "face", "MALE"):
        assert secret not in text
    assert repr(BirthDate(1984, 1, 15)) == "BirthDate(<redacted>)"


# ------------------------------------------------------------ dates of birth


@pytest.mark.parametrize(
    ("birth", "text"),
    [
        (BirthDate(1984, 1, 15), "19840115"),
        (BirthDate(1984, 5), "19840500"),
        (BirthDate(1984), "19840000"),
        (BirthDate(7, 1, 1), "00070101"),
        (BirthDate(2000, 2, 29), "20000229"),
    ],
)
def test_birth_dates_use_yyyymmdd_with_zeros_for_unknown_parts(birth: BirthDate, text: str) -> None:
    assert birth.to_claim_text() == text
    assert BirthDate.from_claim_text(text) == birth


@pytest.mark.parametrize(
    "text",
    [
        "19840230",
        "19830229",
        "00000101",
        "19841301",
        "19840132",
        "1984013",
        "\uff11\uff19\uff18\uff14\uff10\uff11\uff11\uff15",  # fullwidth digits: not ASCII
    ],
)
def test_compact_birth_dates_that_do_not_exist_are_decode_errors(text: str) -> None:
    with pytest.raises(DecodeError):
        BirthDate.from_claim_text(text)


def test_a_compact_complete_birth_date_is_an_ordinary_value() -> None:
    birth = BirthDate.from_claim_text("19840115")
    assert birth == BirthDate(1984, 1, 15)
    assert hash(birth) == hash(BirthDate(1984, 1, 15))
    assert (birth.year, birth.month, birth.day) == (1984, 1, 15)
    assert birth.is_complete
    assert repr(birth) == "BirthDate(<redacted>)"
    with pytest.raises(AttributeError):
        birth.year = 1985  # type: ignore[misc]


def test_iso_birth_dates_are_read() -> None:
    assert BirthDate.from_claim_text("1984-01-15") == BirthDate(1984, 1, 15)
    assert BirthDate.from_claim_text("1984-00-00") == BirthDate(1984)


def test_birth_date_completeness() -> None:
    assert BirthDate.from_date(date(1984, 1, 15)).to_date() == date(1984, 1, 15)
    assert BirthDate(1984, 1, 15).is_complete
    assert not BirthDate(1984, 1).is_complete
    assert BirthDate(1984, 1).to_date() is None
    assert BirthDate(1984).to_date() is None


@pytest.mark.parametrize(
    ("year", "month", "day"),
    [
        (0, None, None),
        (10_000, None, None),
        (1984, 13, None),
        (1984, 0, None),
        (1984, None, 5),
        (1984, 2, 30),
        (1983, 2, 29),
    ],
)
def test_impossible_birth_dates_are_refused(year: int, month: int | None, day: int | None) -> None:
    with pytest.raises(ValidationError):
        BirthDate(year, month, day)


@given(st.dates())
def test_every_calendar_date_round_trips(value: date) -> None:
    birth = BirthDate.from_date(value)
    assert BirthDate.from_claim_text(birth.to_claim_text()) == birth
    assert BirthDate.from_claim_text(value.isoformat()) == birth


# ---------------------------------------------------------------- fuzzing

_values = (
    st.none()
    | st.integers(-5, 300)
    | st.text(max_size=12)
    | st.binary(max_size=8)
    | st.booleans()
    | st.lists(st.dictionaries(st.integers(0, 3), st.integers(0, 5) | st.binary(max_size=3)))
    | st.dictionaries(st.integers(0, 3), st.integers(0, 5) | st.binary(max_size=3))
)


@given(st.dictionaries(st.integers(0, 70) | st.text(max_size=2), _values, max_size=10))
def test_arbitrary_maps_raise_only_decode_errors(claim: dict[object, object]) -> None:
    try:
        identity = Identity169.from_claim(claim)
    except DecodeError:
        return
    assert isinstance(identity, Identity169)


@given(
    st.builds(
        Identity169,
        uin=st.none() | st.text(max_size=20),
        full_name=st.none() | st.text(max_size=30),
        secondary_full_name=st.none() | st.text(max_size=30),
        date_of_birth=st.none() | st.dates().map(BirthDate.from_date),
        gender=st.none() | st.sampled_from(Gender),
        address=st.none() | st.text(max_size=60),
        photo=st.none() | st.binary(max_size=20),
    )
)
def test_built_identities_round_trip(identity: Identity169) -> None:
    assert Identity169.from_claim(identity.to_claim()) == identity
