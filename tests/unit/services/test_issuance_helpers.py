"""Issuance helpers: validity windows, the MRZ of each document type, status-list URIs."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Final

import pytest

from carnet.credentials.mrz import MrzDate, Sex, parse_mrz
from carnet.domain.dates import PartialDate
from carnet.domain.doctypes import Validity
from carnet.domain.documents import Application
from carnet.domain.errors import ValidationError
from carnet.domain.persons import Resident, ResidentDraft
from carnet.services.catalogue import default_catalogue
from carnet.services.issuance import build_mrz, status_uri, validity_window
from tests.factories import fresh_uin, resident_data

if TYPE_CHECKING:
    from carnet.domain.doctypes import DocumentType

pytestmark = pytest.mark.unit

TODAY: Final = date(2026, 3, 2)
NOW: Final = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
KST: Final = timezone(timedelta(hours=9))


def _midnight(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def _type(code: str) -> DocumentType:
    return default_catalogue().get(code)


def _resident(**overrides: Any) -> Resident:
    """A synthetic resident, 김민준 / KIM MINJUN unless overridden."""
    data = resident_data(
        family_name_native="김",
        given_name_native="민준",
        family_name_latin="Kim",
        given_name_latin="Minjun",
        date_of_birth="1968-04-21",
        sex="M",
    )
    data.update(overrides)
    draft = ResidentDraft.build(data, today=TODAY)
    return Resident(
        **{f.name: getattr(draft, f.name) for f in fields(ResidentDraft)},
        id="resident-1",
        uin=fresh_uin(),
    )


def _application(document_type: str, attributes: dict[str, str] | None = None) -> Application:
    doc_type = _type(document_type)
    return Application(
        id="app-1",
        resident_id="resident-1",
        document_type=document_type,
        catalogue_version=1,
        attributes=doc_type.clean_attributes(attributes or {}),
        station_code="ST-A",
        submitted_at=NOW,
        required_approvals=doc_type.approvals,
    )


_PERMIT: Final = {
    "zone": "11010001",
    "entry_from": "2026-04-01",
    "entry_until": "2026-04-10",
    "purpose": "Family visit",
}


# --------------------------------------------------------------------------- fixed terms


@pytest.mark.parametrize(
    ("code", "until"),
    [
        ("national_id_card", _midnight(2036, 3, 3)),
        ("passport", _midnight(2036, 3, 3)),
        ("residence_certificate", _midnight(2027, 3, 3)),
    ],
    ids=["id-card-10y", "passport-10y", "residence-1y"],
)
def test_a_fixed_term_ends_with_the_same_day_years_later(code: str, until: datetime) -> None:
    valid_from, valid_until = validity_window(_type(code), {}, NOW)
    assert valid_from == NOW
    assert valid_until == until
    assert valid_until.tzinfo is UTC


@pytest.mark.parametrize(
    ("validity", "issued", "until"),
    [
        (Validity(years=1), date(2028, 2, 29), _midnight(2029, 3, 1)),
        (Validity(years=10), date(2028, 2, 29), _midnight(2038, 3, 1)),
        (Validity(years=4), date(2024, 2, 29), _midnight(2028, 3, 1)),
        (Validity(years=1, days=1), date(2028, 2, 29), _midnight(2029, 3, 2)),
        (Validity(days=30), date(2026, 3, 2), _midnight(2026, 4, 2)),
        (Validity(days=1), date(2026, 12, 31), _midnight(2027, 1, 2)),
        (Validity(years=1), date(2027, 2, 28), _midnight(2028, 2, 29)),
    ],
    ids=[
        "leap-day-plus-one-year",
        "leap-day-plus-ten-years",
        "leap-day-to-leap-day",
        "leap-day-plus-a-year-and-a-day",
        "thirty-days",
        "one-day-over-new-year",
        "into-a-leap-year",
    ],
)
def test_a_fixed_term_counts_calendar_days(
    validity: Validity, issued: date, until: datetime
) -> None:
    doc_type = replace(_type("national_id_card"), validity=validity)
    now = datetime.combine(issued, datetime.min.time(), tzinfo=UTC) + timedelta(hours=15)
    valid_from, valid_until = validity_window(doc_type, {}, now)
    assert valid_from == now
    assert valid_until == until


def test_a_fixed_term_counts_the_utc_day() -> None:
    # 02:00 on 2 March in Seoul is still 1 March in UTC.
    now = datetime(2026, 3, 2, 2, 0, tzinfo=KST)
    valid_from, valid_until = validity_window(_type("national_id_card"), {}, now)
    assert valid_from == now
    assert valid_until == _midnight(2036, 3, 2)


def test_a_fixed_term_ignores_the_attributes() -> None:
    window = validity_window(_type("passport"), {"nationality": "KOR"}, NOW)
    assert window == validity_window(_type("passport"), {}, NOW)


# --------------------------------------------------------------------------- windows from dates


def test_a_permit_runs_from_the_start_of_its_first_day_to_the_end_of_its_last() -> None:
    valid_from, valid_until = validity_window(_type("zone_permit"), dict(_PERMIT), NOW)
    assert valid_from == _midnight(2026, 4, 1)
    assert valid_until == _midnight(2026, 4, 11)


def test_a_permit_that_already_started_keeps_its_start() -> None:
    attributes = dict(_PERMIT, entry_from="2026-02-20", entry_until="2026-03-05")
    valid_from, valid_until = validity_window(_type("zone_permit"), attributes, NOW)
    assert valid_from == _midnight(2026, 2, 20)
    assert valid_until == _midnight(2026, 3, 6)


def test_a_permit_ending_today_is_still_issued() -> None:
    attributes = dict(_PERMIT, entry_from="2026-03-02", entry_until="2026-03-02")
    valid_from, valid_until = validity_window(_type("zone_permit"), attributes, NOW)
    assert (valid_from, valid_until) == (_midnight(2026, 3, 2), _midnight(2026, 3, 3))


@pytest.mark.parametrize(
    ("until", "now"),
    [
        ("2026-03-01", NOW),
        ("2026-03-02", _midnight(2026, 3, 3)),
        ("2026-02-01", NOW),
    ],
    ids=["ended-yesterday", "ends-at-this-instant", "ended-last-month"],
)
def test_a_window_already_over_is_refused(until: str, now: datetime) -> None:
    attributes = dict(_PERMIT, entry_from="2026-01-20", entry_until=until)
    with pytest.raises(ValidationError) as info:
        validity_window(_type("zone_permit"), attributes, now)
    assert info.value.field == "attributes.entry_until"


# --------------------------------------------------------------------------- MRZ

NUMBER: Final = "M12345678"


def _mrz(
    code: str,
    resident: Resident,
    *,
    number: str = NUMBER,
    attributes: dict[str, str] | None = None,
) -> tuple[tuple[str, ...], datetime]:
    doc_type = _type(code)
    application = _application(code, attributes)
    _from, until = validity_window(doc_type, application.attributes, NOW)
    lines = build_mrz(
        default_catalogue(),
        doc_type,
        resident=resident,
        number=number,
        valid_until=until,
        application=application,
    )
    return lines, until


def test_an_id_card_carries_a_td1_zone_that_parses_back() -> None:
    lines, until = _mrz("national_id_card", _resident())
    assert [len(line) for line in lines] == [30, 30, 30]
    assert lines[0].startswith("IDUTO" + NUMBER)
    assert lines[2].startswith("KIM<<MINJUN<")
    parsed = parse_mrz("\n".join(lines))
    assert parsed.document_code == "ID"
    assert parsed.issuing_state == "UTO"
    assert parsed.document_number == NUMBER
    assert parsed.primary_identifier == "KIM"
    assert parsed.secondary_identifier == "MINJUN"
    assert parsed.nationality == "UTO"
    assert parsed.date_of_birth == MrzDate(68, 4, 21)
    assert parsed.sex is Sex.MALE
    assert until == _midnight(2036, 3, 3)
    assert parsed.date_of_expiry == MrzDate(36, 3, 2)


def test_a_nine_character_number_does_not_overflow_in_td1() -> None:
    lines, _until = _mrz("national_id_card", _resident())
    assert lines[0][5:14] == NUMBER
    assert lines[0][14].isdigit()


def test_a_passport_carries_a_td3_zone_with_its_nationality() -> None:
    lines, _until = _mrz(
        "passport",
        _resident(sex="F"),
        number="P1234567A",
        attributes={"nationality": "kor"},
    )
    assert [len(line) for line in lines] == [44, 44]
    assert lines[0].startswith("PPUTOKIM<<MINJUN<")
    parsed = parse_mrz("\n".join(lines))
    assert parsed.document_code == "PP"
    assert parsed.document_number == "P1234567A"
    assert parsed.nationality == "KOR"
    assert parsed.sex is Sex.FEMALE
    assert parsed.date_of_expiry == MrzDate(36, 3, 2)


def test_a_passport_nationality_defaults_to_the_issuing_state() -> None:
    lines, _until = _mrz("passport", _resident())
    assert parse_mrz("\n".join(lines)).nationality == "UTO"


@pytest.mark.parametrize(
    ("code", "document_code"),
    [("residence_certificate", "IR"), ("zone_permit", "AP")],
    ids=["residence", "permit"],
)
def test_each_card_type_uses_its_document_code(code: str, document_code: str) -> None:
    attributes = dict(_PERMIT) if code == "zone_permit" else {"zone": "11010001"}
    lines, _until = _mrz(code, _resident(), number="Z98765432", attributes=attributes)
    parsed = parse_mrz("\n".join(lines))
    assert len(lines) == 3
    assert parsed.document_code == document_code
    assert parsed.document_number == "Z98765432"


def test_a_permit_expires_on_its_last_day() -> None:
    lines, until = _mrz("zone_permit", _resident(), attributes=dict(_PERMIT))
    assert until == _midnight(2026, 4, 11)
    expiry = parse_mrz("\n".join(lines)).date_of_expiry
    assert expiry == MrzDate.from_date(date(2026, 4, 10))


@pytest.mark.parametrize(
    ("birth", "mrz"),
    [("1968-04-21", "680421"), ("1968-04", "6804<<"), ("1968", "68<<<<"), ("2004-02-29", "040229")],
    ids=["complete", "unknown-day", "unknown-month", "leap-day"],
)
@pytest.mark.parametrize("code", ["national_id_card", "passport"])
def test_a_date_of_birth_keeps_unknown_parts_as_fillers(code: str, birth: str, mrz: str) -> None:
    resident = _resident(date_of_birth=birth)
    assert str(resident.date_of_birth) == birth
    lines, _until = _mrz(code, resident)
    parsed = parse_mrz("\n".join(lines))
    assert parsed.date_of_birth.to_mrz() == mrz
    assert mrz in lines[1]


def test_a_partial_date_of_birth_object_is_written_the_same() -> None:
    resident = _resident(date_of_birth=PartialDate(1968, 4))
    lines, _until = _mrz("national_id_card", resident)
    assert lines[1].startswith("6804<<")


def test_an_unspecified_sex_is_a_filler() -> None:
    lines, _until = _mrz("national_id_card", _resident(sex="X"))
    assert lines[1][7] == "<"
    assert parse_mrz("\n".join(lines)).sex is Sex.UNSPECIFIED


@pytest.mark.parametrize(
    ("family", "given", "primary", "secondary"),
    [
        ("Kim", "Minjun", "KIM", "MINJUN"),
        ("Kim", "Min-jun", "KIM", "MIN JUN"),
        ("Park", "Seo-yeon", "PARK", "SEO YEON"),
        ("Jeong", "Ha Eun", "JEONG", "HA EUN"),
    ],
    ids=["joined", "hyphenated", "park", "spaced"],
)
def test_names_are_written_in_mrz_form(
    family: str, given: str, primary: str, secondary: str
) -> None:
    resident = _resident(family_name_latin=family, given_name_latin=given)
    for code in ("national_id_card", "passport"):
        lines, _until = _mrz(code, resident)
        parsed = parse_mrz("\n".join(lines))
        assert (parsed.primary_identifier, parsed.secondary_identifier) == (primary, secondary)


# --------------------------------------------------------------------------- status URIs


@pytest.mark.parametrize(
    ("base", "list_id", "uri"),
    [
        ("https://status.example/l", 7, "https://status.example/l/7"),
        ("https://status.example/l/", 7, "https://status.example/l/7"),
        ("https://status.example/l//", 12, "https://status.example/l/12"),
        ("https://status.example", 0, "https://status.example/0"),
    ],
    ids=["plain", "trailing-slash", "two-trailing-slashes", "list-zero"],
)
def test_a_status_uri_joins_base_and_list_id(base: str, list_id: int, uri: str) -> None:
    assert status_uri(base, list_id) == uri
