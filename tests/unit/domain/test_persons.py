"""Residents: validating input into drafts, and the change history of every edit."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime
from typing import Any

import pytest

from carnet.domain.dates import PartialDate
from carnet.domain.errors import IllegalTransitionError, UinInvalidError, ValidationError
from carnet.domain.persons import (
    EDITABLE_FIELDS,
    Resident,
    ResidentChange,
    ResidentDraft,
    ResidentStatus,
    Sex,
    apply_changes,
)

pytestmark = pytest.mark.unit

TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
UIN = "370473083690"
REQUIRED_TEXT = (
    "family_name_native",
    "given_name_native",
    "family_name_latin",
    "given_name_latin",
    "place_of_birth",
    "address",
    "region_code",
)


def _data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "family_name_native": "홍",
        "given_name_native": "길동",
        "family_name_latin": "Hong",
        "given_name_latin": "Gil-dong",
        "date_of_birth": "1968-04-21",
        "sex": "M",
        "place_of_birth": "가상시",
        "address": "가상로 12길 3",
        "region_code": "11010001",
        "household_ref": "HH-000123",
        "phone": "+82 10-0000-0001",
        "email": "gildong@example.org",
    }
    data.update(overrides)
    return data


def _resident(status: ResidentStatus = ResidentStatus.ACTIVE, **overrides: Any) -> Resident:
    draft = ResidentDraft.build(_data(**overrides), today=TODAY)
    return Resident(
        **{f.name: getattr(draft, f.name) for f in fields(ResidentDraft)},
        id="r-1",
        uin=UIN,
        status=status,
        version=3,
        external_ref="LEGACY-42",
        created_at=datetime(2020, 1, 1, tzinfo=UTC),
        updated_at=datetime(2025, 1, 1, tzinfo=UTC),
    )


def _edit(
    resident: Resident, updates: dict[str, Any], reason: str = "typo at enrolment"
) -> tuple[Resident, ResidentChange]:
    return apply_changes(
        resident, updates, reason=reason, official_id="official-7", now=NOW, today=TODAY
    )


# --------------------------------------------------------------------------- building a draft


def test_a_complete_input_builds_a_draft() -> None:
    draft = ResidentDraft.build(_data(), today=TODAY)
    assert draft.family_name_native == "홍"
    assert draft.given_name_latin == "Gil-dong"
    assert draft.date_of_birth == PartialDate(1968, 4, 21)
    assert draft.sex is Sex.MALE
    assert draft.region_code == "11010001"
    assert draft.household_ref == "HH-000123"
    assert draft.phone == "+82 10-0000-0001"
    assert draft.email == "gildong@example.org"


def test_text_is_cleaned_on_the_way_in() -> None:
    draft = ResidentDraft.build(
        _data(family_name_latin="  Hong ", address="가상로   12길\t3", region_code=" 11010001 "),
        today=TODAY,
    )
    assert draft.family_name_latin == "Hong"
    assert draft.address == "가상로 12길 3"
    assert draft.region_code == "11010001"


@pytest.mark.parametrize("name", ["household_ref", "phone", "email"])
@pytest.mark.parametrize("value", [None, "", "   "])
def test_optional_fields_may_be_absent(name: str, value: str | None) -> None:
    draft = ResidentDraft.build(_data(**{name: value}), today=TODAY)
    assert getattr(draft, name) is None


def test_optional_fields_may_be_missing_from_the_input() -> None:
    data = _data()
    for name in ("household_ref", "phone", "email"):
        del data[name]
    draft = ResidentDraft.build(data, today=TODAY)
    assert (draft.household_ref, draft.phone, draft.email) == (None, None, None)


@pytest.mark.parametrize(
    ("raw", "sex"), [("F", Sex.FEMALE), ("m", Sex.MALE), ("x", Sex.UNSPECIFIED)]
)
def test_sex_is_f_m_or_x_in_any_case(raw: str, sex: Sex) -> None:
    assert ResidentDraft.build(_data(sex=raw), today=TODAY).sex is sex


def test_a_partial_date_object_is_taken_as_is() -> None:
    draft = ResidentDraft.build(_data(date_of_birth=PartialDate(1968)), today=TODAY)
    assert draft.date_of_birth == PartialDate(1968)


@pytest.mark.parametrize("dob", ["1968", "1968-04", "2026", "2026-03", "2026-03-02"])
def test_partial_and_recent_birth_dates_are_accepted(dob: str) -> None:
    assert str(ResidentDraft.build(_data(date_of_birth=dob), today=TODAY).date_of_birth) == dob


@pytest.mark.parametrize("name", REQUIRED_TEXT)
@pytest.mark.parametrize("value", [None, "", "  \t "])
def test_every_required_text_field_is_required(name: str, value: str | None) -> None:
    with pytest.raises(ValidationError) as info:
        ResidentDraft.build(_data(**{name: value}), today=TODAY)
    assert info.value.field == name


@pytest.mark.parametrize("name", [*REQUIRED_TEXT, "household_ref", "phone", "email"])
def test_every_text_field_must_be_text(name: str) -> None:
    with pytest.raises(ValidationError) as info:
        ResidentDraft.build(_data(**{name: 12345}), today=TODAY)
    assert info.value.field == name


@pytest.mark.parametrize("name", REQUIRED_TEXT)
def test_control_characters_are_refused_in_every_field(name: str) -> None:
    with pytest.raises(ValidationError) as info:
        ResidentDraft.build(_data(**{name: "Ho\u202eng"}), today=TODAY)
    assert info.value.field == name


@pytest.mark.parametrize(
    "dob",
    [None, "", "21/04/1968", "1968-02-30", "2023-13", "1850", "2026-03-03", "2026-04", "2027"],
)
def test_a_missing_malformed_impossible_or_future_birth_date_is_refused(dob: str | None) -> None:
    with pytest.raises(ValidationError) as info:
        ResidentDraft.build(_data(date_of_birth=dob), today=TODAY)
    assert info.value.field == "date_of_birth"


@pytest.mark.parametrize("sex", [None, "", "Q", "female", "FM"])
def test_any_other_sex_is_refused(sex: str | None) -> None:
    with pytest.raises(ValidationError) as info:
        ResidentDraft.build(_data(sex=sex), today=TODAY)
    assert info.value.field == "sex"


@pytest.mark.parametrize("code", ["1", "11a", "12345678901"])
def test_a_malformed_region_code_is_refused(code: str) -> None:
    with pytest.raises(ValidationError) as info:
        ResidentDraft.build(_data(region_code=code), today=TODAY)
    assert info.value.field == "region_code"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("household_ref", "HH 1"),
        ("household_ref", "H" * 65),
        ("household_ref", "HH#1"),
        ("phone", "call me"),
        ("phone", "12345"),
        ("phone", "+-1234567"),
        ("phone", "1" * 23),
        ("email", "gildong"),
        ("email", "gildong@example"),
        ("email", "gil@dong@example.org"),
        ("email", "gil dong@example.org"),
        ("email", "@example.org"),
        ("email", "gildong@example.o"),
    ],
)
def test_malformed_optional_fields_are_refused(name: str, value: str) -> None:
    with pytest.raises(ValidationError) as info:
        ResidentDraft.build(_data(**{name: value}), today=TODAY)
    assert info.value.field == name


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("household_ref", "HH:2024/00-1.a_b"),
        ("household_ref", "H" * 64),
        ("phone", "010-0000-0000"),
        ("phone", "+821000000000"),
        ("phone", "123456"),
        ("email", "a.b+c@mail.example.co.kr"),
    ],
)
def test_well_formed_optional_fields_are_kept(name: str, value: str) -> None:
    assert getattr(ResidentDraft.build(_data(**{name: value}), today=TODAY), name) == value


@pytest.mark.parametrize("name", ["family_name_latin", "given_name_latin"])
@pytest.mark.parametrize("value", ["Sŏ", "Müller", "Dvořák", "O'Brien-Smith", "Łukasz", "Ærø"])
def test_latin_names_may_use_latin_letters_with_diacritics(name: str, value: str) -> None:
    assert getattr(ResidentDraft.build(_data(**{name: value}), today=TODAY), name) == value


@pytest.mark.parametrize("name", ["family_name_latin", "given_name_latin"])
@pytest.mark.parametrize("value", ["홍", "Иван", "Ελένη", "山田", "Kim김"])
def test_latin_names_refuse_other_scripts(name: str, value: str) -> None:
    with pytest.raises(ValidationError) as info:
        ResidentDraft.build(_data(**{name: value}), today=TODAY)
    assert info.value.field == name


# --------------------------------------------------------------------------- residents


@pytest.mark.parametrize("uin", ["370473083691", "081529809107", "3704730836", ""])
def test_a_resident_checks_its_uin(uin: str) -> None:
    draft = ResidentDraft.build(_data(), today=TODAY)
    with pytest.raises(UinInvalidError):
        Resident(**{f.name: getattr(draft, f.name) for f in fields(ResidentDraft)}, id="r", uin=uin)


def test_a_new_resident_is_active_at_version_one() -> None:
    draft = ResidentDraft.build(_data(), today=TODAY)
    resident = Resident(
        **{f.name: getattr(draft, f.name) for f in fields(ResidentDraft)}, id="r-9", uin=UIN
    )
    assert resident.status is ResidentStatus.ACTIVE
    assert resident.version == 1
    assert resident.merged_into is None


def test_name_keys_are_the_search_keys_of_the_four_names() -> None:
    resident = _resident(family_name_latin="HONG", given_name_latin="Gil-dong")
    assert resident.name_keys == ("홍", "길동", "hong", "gildong")


def test_reprs_hold_no_personal_data() -> None:
    resident = _resident()
    _, change = _edit(resident, {"address": "새주소로 99", "phone": "+82 10-9999-8888"})
    draft = ResidentDraft.build(_data(), today=TODAY)
    secrets = [
        "홍",
        "길동",
        "Hong",
        "Gil-dong",
        "1968",
        "가상시",
        "가상로",
        "새주소로",
        "HH-000123",
        "0000-0001",
        "9999-8888",
        "gildong@example.org",
        UIN,
        UIN[-4:],
        "LEGACY-42",
        "typo at enrolment",
    ]
    for obj in (resident, draft, change):
        text = repr(obj)
        for secret in secrets:
            assert secret not in text, (type(obj).__name__, secret)
    assert "r-1" in repr(resident)
    assert "r-1" in repr(change)


# --------------------------------------------------------------------------- apply_changes


def test_an_edit_records_old_and_new_values_and_bumps_the_version() -> None:
    resident = _resident()
    updated, change = _edit(resident, {"address": "새주소로 99", "phone": ""})
    assert updated.address == "새주소로 99"
    assert updated.phone is None
    assert updated.version == resident.version + 1 == 4
    assert updated.updated_at == NOW
    assert updated.created_at == resident.created_at
    assert updated.uin == resident.uin
    assert updated.id == resident.id
    assert updated.external_ref == "LEGACY-42"
    assert change.changes == {
        "address": ("가상로 12길 3", "새주소로 99"),
        "phone": ("+82 10-0000-0001", None),
    }
    assert change.resident_id == "r-1"
    assert change.version == 4
    assert change.changed_at == NOW
    assert change.changed_by == "official-7"
    assert change.reason == "typo at enrolment"


def test_the_original_resident_is_left_untouched() -> None:
    resident = _resident()
    _edit(resident, {"address": "새주소로 99"})
    assert resident.address == "가상로 12길 3"
    assert resident.version == 3


def test_dates_and_sex_are_recorded_as_text() -> None:
    updated, change = _edit(_resident(), {"date_of_birth": "1968-04", "sex": "f"})
    assert updated.date_of_birth == PartialDate(1968, 4)
    assert updated.sex is Sex.FEMALE
    assert change.changes == {"date_of_birth": ("1968-04-21", "1968-04"), "sex": ("M", "F")}


def test_adding_an_optional_value_records_none_as_the_old_value() -> None:
    _, change = _edit(_resident(email=None), {"email": "new@example.org"})
    assert change.changes == {"email": (None, "new@example.org")}


def test_an_operator_edit_has_no_official() -> None:
    _, change = apply_changes(
        _resident(),
        {"address": "새주소로 1"},
        reason="batch fix",
        official_id=None,
        now=NOW,
        today=TODAY,
    )
    assert change.changed_by is None


def test_edits_are_validated_like_enrolment() -> None:
    with pytest.raises(ValidationError) as info:
        _edit(_resident(), {"email": "not-an-email"})
    assert info.value.field == "email"
    with pytest.raises(ValidationError) as info:
        _edit(_resident(), {"date_of_birth": "2030"})
    assert info.value.field == "date_of_birth"
    with pytest.raises(ValidationError) as info:
        _edit(_resident(), {"family_name_latin": "홍"})
    assert info.value.field == "family_name_latin"


def test_an_edit_that_changes_nothing_is_refused() -> None:
    resident = _resident()
    for updates in (
        {},
        {"address": "가상로 12길 3"},
        {"address": "  가상로  12길 3 "},
        {"status": "active"},
    ):
        with pytest.raises(ValidationError):
            _edit(resident, updates)


@pytest.mark.parametrize(
    "field", ["uin", "id", "version", "external_ref", "merged_into", "nickname"]
)
def test_fields_outside_the_editable_list_are_refused(field: str) -> None:
    with pytest.raises(ValidationError) as info:
        _edit(_resident(), {field: "x", "address": "새주소로 1"})
    assert info.value.field == field


def test_the_first_unknown_field_is_named_deterministically() -> None:
    with pytest.raises(ValidationError) as info:
        _edit(_resident(), {"zzz": 1, "aaa": 2})
    assert info.value.field == "aaa"


def test_editable_fields_are_the_draft_fields_and_the_status() -> None:
    assert set(EDITABLE_FIELDS) == {f.name for f in fields(ResidentDraft)} | {"status"}


@pytest.mark.parametrize("reason", ["", "   ", "\n"])
def test_a_reason_is_required(reason: str) -> None:
    with pytest.raises(ValidationError) as info:
        _edit(_resident(), {"address": "새주소로 1"}, reason=reason)
    assert info.value.field == "reason"


def test_a_reason_is_cleaned_and_limited_to_500_characters() -> None:
    _, change = _edit(_resident(), {"address": "새주소로 1"}, reason="  court   order\n12 ")
    assert change.reason == "court order 12"
    _edit(_resident(), {"address": "새주소로 1"}, reason="r" * 500)
    with pytest.raises(ValidationError) as info:
        _edit(_resident(), {"address": "새주소로 1"}, reason="r" * 501)
    assert info.value.field == "reason"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (ResidentStatus.ACTIVE, ResidentStatus.DECEASED),
        (ResidentStatus.ACTIVE, ResidentStatus.EMIGRATED),
        (ResidentStatus.EMIGRATED, ResidentStatus.ACTIVE),
        (ResidentStatus.EMIGRATED, ResidentStatus.DECEASED),
    ],
)
def test_allowed_status_moves(before: ResidentStatus, after: ResidentStatus) -> None:
    updated, change = _edit(_resident(before), {"status": after.value})
    assert updated.status is after
    assert change.changes == {"status": (before.value, after.value)}
    assert updated.version == 4


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (ResidentStatus.DECEASED, ResidentStatus.ACTIVE),
        (ResidentStatus.DECEASED, ResidentStatus.EMIGRATED),
        (ResidentStatus.ACTIVE, ResidentStatus.MERGED),
        (ResidentStatus.EMIGRATED, ResidentStatus.MERGED),
        (ResidentStatus.DECEASED, ResidentStatus.MERGED),
        (ResidentStatus.MERGED, ResidentStatus.ACTIVE),
        (ResidentStatus.MERGED, ResidentStatus.DECEASED),
    ],
)
def test_forbidden_status_moves(before: ResidentStatus, after: ResidentStatus) -> None:
    with pytest.raises(IllegalTransitionError) as info:
        _edit(_resident(before), {"status": after.value, "address": "새주소로 1"})
    assert info.value.field == "status"


def test_a_status_can_be_given_as_the_enumeration() -> None:
    updated, _ = _edit(_resident(), {"status": ResidentStatus.DECEASED})
    assert updated.status is ResidentStatus.DECEASED


@pytest.mark.parametrize("status", ["dead", "ACTIVE", "", None])
def test_an_unknown_status_is_refused(status: str | None) -> None:
    with pytest.raises(ValidationError) as info:
        _edit(_resident(), {"status": status})
    assert info.value.field == "status"


def test_a_status_and_fields_change_together_in_one_record() -> None:
    updated, change = _edit(_resident(), {"status": "deceased", "address": "새주소로 1"})
    assert updated.status is ResidentStatus.DECEASED
    assert set(change.changes) == {"status", "address"}
    assert updated.version == 4
