"""Document types: parsing and validating the catalogue, and cleaning application attributes."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Final

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carnet.credentials.policy import load_strict_yaml
from carnet.domain.doctypes import (
    AttributeKind,
    AttributeSpec,
    Catalogue,
    DocumentType,
    Escalation,
    Fee,
    MrzFormat,
    Validity,
    parse_catalogue,
)
from carnet.domain.errors import ValidationError
from carnet.domain.printing import Layout
from carnet.services.catalogue import default_catalogue_text

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = pytest.mark.unit

_DELETE: Final = object()
"""Marks a key to remove rather than set in :func:`_variant`."""

ZONE: Final = "11010001"


def _default_data() -> dict[str, Any]:
    data = load_strict_yaml(default_catalogue_text(), "catalogue")
    assert isinstance(data, dict)
    return data


_DEFAULT_DATA: Final = _default_data()


def _variant(path: str, value: object) -> dict[str, Any]:
    """The default catalogue mapping with the entry at ``path`` (dotted) set or removed."""
    data = copy.deepcopy(_DEFAULT_DATA)
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[key]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = copy.deepcopy(value)
    return data


def _catalogue() -> Catalogue:
    return parse_catalogue(copy.deepcopy(_DEFAULT_DATA))


def _zone_permit() -> DocumentType:
    return _catalogue().get("zone_permit")


def _passport() -> DocumentType:
    return _catalogue().get("passport")


def _permit_input(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "zone": ZONE,
        "entry_from": "2026-04-01",
        "entry_until": "2026-04-10",
        "purpose": "Family visit",
    }
    data.update(overrides)
    return data


# --------------------------------------------------------------------------- the built-in catalogue


def test_the_built_in_catalogue_parses_with_its_four_types() -> None:
    catalogue = _catalogue()
    assert catalogue.version == 1
    assert catalogue.issuing_state == "UTO"
    assert catalogue.authority == "Carnet Civil Registration Authority"
    assert set(catalogue.types) == {
        "national_id_card",
        "residence_certificate",
        "zone_permit",
        "passport",
    }
    assert all(code == t.code for code, t in catalogue.types.items())


def test_the_national_id_card_is_a_td1_card_with_one_approval() -> None:
    card = _catalogue().get("national_id_card")
    assert card.layout is Layout.ID1_CARD
    assert (card.mrz_format, card.mrz_code) == (MrzFormat.TD1, "ID")
    assert card.number_prefix == "M"
    assert card.approvals == 1
    assert card.validity == Validity(years=10)
    assert not card.validity.from_attributes
    assert card.min_age_years == 17
    assert card.single_valid
    assert card.fee is None
    assert card.attributes == ()
    assert card.purposes == frozenset({"age_check", "boarding", "identity_check"})


def test_the_residence_certificate_is_bound_to_its_zone() -> None:
    certificate = _catalogue().get("residence_certificate")
    assert (certificate.mrz_format, certificate.mrz_code) == (MrzFormat.TD1, "IR")
    assert certificate.approvals == 1
    assert certificate.validity == Validity(years=1)
    assert certificate.zone_attribute == "zone"
    assert certificate.residence_bound
    assert certificate.collection_days == 60
    zone = certificate.attribute("zone")
    assert zone is not None
    assert zone.kind is AttributeKind.REGION
    assert zone.required
    assert certificate.printed == ("zone",)


def test_the_zone_permit_needs_two_approvals_and_takes_its_window_from_dates() -> None:
    permit = _zone_permit()
    assert permit.approvals == 2
    assert permit.validity == Validity(
        from_attribute="entry_from", until_attribute="entry_until", max_days=92
    )
    assert permit.validity.from_attributes
    assert permit.residents_may_apply
    assert not permit.residence_bound
    assert permit.zone_attribute == "zone"
    assert [a.name for a in permit.attributes] == [
        "zone",
        "entry_from",
        "entry_until",
        "purpose",
        "travel",
        "sponsor",
        "party",
        "group_size",
    ]
    travel = permit.attribute("travel")
    assert travel is not None
    assert travel.choices == ("personal", "official")
    assert travel.default == "personal"
    sponsor = permit.attribute("sponsor")
    assert sponsor is not None
    assert sponsor.required_when == (("travel", "official"),)
    group_size = permit.attribute("group_size")
    assert group_size is not None
    assert (group_size.kind, group_size.max_value) == (AttributeKind.COUNT, 200)
    # The last day is the date of expiry, and a sponsor means official travel.
    assert permit.printed == ("zone", "entry_from", "sponsor", "group_size")


def test_the_zone_permit_escalates_official_travel_after_a_day() -> None:
    escalation = _zone_permit().escalation
    assert escalation == Escalation(after=timedelta(hours=24), when=(("travel", "official"),))
    assert escalation.applies({"travel": "official"})
    assert not escalation.applies({"travel": "personal"})
    assert not escalation.applies({})


def test_an_escalation_without_conditions_applies_to_every_application() -> None:
    assert Escalation(after=timedelta(hours=1)).applies({})


def test_the_passport_is_a_td3_data_page_with_a_fee_and_nationality() -> None:
    passport = _passport()
    assert passport.layout is Layout.PASSPORT_DATA_PAGE
    assert (passport.mrz_format, passport.mrz_code) == (MrzFormat.TD3, "PP")
    assert passport.approvals == 2
    assert passport.fee == Fee(amount=53000, currency="KRW")
    assert passport.printed == ()
    nationality = passport.attribute("nationality")
    dual = passport.attribute("dual_nationality")
    other = passport.attribute("other_nationality")
    assert nationality is not None
    assert dual is not None
    assert other is not None
    assert (nationality.kind, nationality.default) == (AttributeKind.COUNTRY, "UTO")
    assert (dual.kind, dual.default) == (AttributeKind.BOOLEAN, "false")
    assert other.kind is AttributeKind.COUNTRY
    assert other.required_when == (("dual_nationality", "true"),)
    assert not other.required


def test_an_unknown_type_is_refused_by_the_catalogue() -> None:
    with pytest.raises(ValidationError) as info:
        _catalogue().get("driving_licence")
    assert info.value.field == "document_type"


def test_an_unknown_attribute_name_is_none() -> None:
    assert _passport().attribute("eye_colour") is None


def test_omitted_optional_entries_take_their_defaults() -> None:
    data: dict[str, Any] = {
        "version": 3,
        "issuing_state": "UTO",
        "authority": "Test authority",
        "document_types": {
            "plain_card": {
                "title": {"native": "카드", "latin": "Card"},
                "layout": "id1_card",
                "mrz": {"format": "td1", "code": "I"},
                "number_prefix": "C",
                "approvals": 0,
                "validity": {"days": 30},
            }
        },
    }
    card = parse_catalogue(data).get("plain_card")
    assert card.validity == Validity(days=30)
    assert card.approvals == 0
    assert card.attributes == ()
    assert card.purposes == frozenset()
    assert card.fee is None
    assert card.escalation is None
    assert card.zone_attribute is None
    assert not card.single_valid
    assert not card.residence_bound
    assert not card.residents_may_apply
    assert card.min_age_years == 0
    assert card.collection_days == 90
    assert card.printed == ()


def test_a_date_window_without_max_days_is_capped_at_a_year() -> None:
    data = _variant(
        "document_types.zone_permit.validity", {"from": "entry_from", "until": "entry_until"}
    )
    assert parse_catalogue(data).get("zone_permit").validity.max_days == 366


def test_text_entries_are_stripped() -> None:
    data = _variant("authority", "  Spaced authority  ")
    assert parse_catalogue(data).authority == "Spaced authority"


# --------------------------------------------------------------------------- invalid catalogues

_P = "document_types.passport"
_Z = "document_types.zone_permit"
_N = "document_types.national_id_card"
_R = "document_types.residence_certificate"

INVALID: Final = [
    # top level
    pytest.param("colour", "blue", "colour", id="unknown-top-level-key"),
    pytest.param("version", _DELETE, "version", id="version-missing"),
    pytest.param("version", 0, "version", id="version-zero"),
    pytest.param("version", "1", "version", id="version-text"),
    pytest.param("version", True, "version", id="version-boolean"),
    pytest.param("issuing_state", "uto", "issuing_state", id="state-lower-case"),
    pytest.param("issuing_state", "UT", "issuing_state", id="state-two-letters"),
    pytest.param("issuing_state", 7, "issuing_state", id="state-not-text"),
    pytest.param("authority", "   ", "authority", id="authority-blank"),
    pytest.param("authority", _DELETE, "authority", id="authority-missing"),
    pytest.param("document_types", {}, "document_types", id="no-types"),
    pytest.param("document_types", ["passport"], "document_types", id="types-not-mapping"),
    # a type
    pytest.param("document_types.Passport", {}, "document_types.Passport", id="code-upper-case"),
    pytest.param("document_types.x", {}, "document_types.x", id="code-too-short"),
    pytest.param("document_types.9lives", {}, "document_types.9lives", id="code-digit-first"),
    pytest.param(_P, "a passport", _P, id="type-not-mapping"),
    pytest.param(f"{_P}.colour", "blue", f"{_P}.colour", id="unknown-type-key"),
    pytest.param(f"{_P}.title", "Passport", f"{_P}.title", id="title-not-mapping"),
    pytest.param(f"{_P}.title", _DELETE, f"{_P}.title", id="title-missing"),
    pytest.param(f"{_P}.title.native", "", f"{_P}.title.native", id="native-title-empty"),
    pytest.param(f"{_P}.title.latin", _DELETE, f"{_P}.title.latin", id="latin-title-missing"),
    pytest.param(
        f"{_P}.title.extra",
        "x",
        f"{_P}.title.extra",
        id="title-unknown-key",
    ),
    # MRZ and layout
    pytest.param(f"{_P}.mrz", "td3", f"{_P}.mrz", id="mrz-not-mapping"),
    pytest.param(f"{_P}.mrz", _DELETE, f"{_P}.mrz", id="mrz-missing"),
    pytest.param(f"{_P}.mrz.check", 1, f"{_P}.mrz.check", id="mrz-unknown-key"),
    pytest.param(f"{_P}.mrz.format", "td2", f"{_P}.mrz.format", id="mrz-format-unknown"),
    pytest.param(f"{_P}.mrz.code", _DELETE, f"{_P}.mrz.code", id="mrz-code-missing"),
    pytest.param(f"{_P}.mrz.code", "ID", f"{_P}.mrz.code", id="td1-code-in-td3"),
    pytest.param(f"{_P}.mrz.code", "pp", f"{_P}.mrz.code", id="td3-code-lower-case"),
    pytest.param(f"{_P}.mrz.code", "PPP", f"{_P}.mrz.code", id="td3-code-too-long"),
    pytest.param(f"{_N}.mrz.code", "PP", f"{_N}.mrz.code", id="td3-code-in-td1"),
    pytest.param(f"{_N}.mrz.code", "I1", f"{_N}.mrz.code", id="td1-code-digit"),
    pytest.param(f"{_N}.mrz.code", "BD", f"{_N}.mrz.code", id="td1-code-bad-letter"),
    pytest.param(
        f"{_N}.mrz", {"format": "td3", "code": "PP"}, f"{_N}.layout", id="td3-on-id1-layout"
    ),
    pytest.param(f"{_P}.layout", "id1_card", f"{_P}.layout", id="passport-on-id1-layout"),
    pytest.param(f"{_N}.layout", "passport_data_page", f"{_N}.layout", id="td1-on-passport-layout"),
    pytest.param(f"{_P}.layout", "a4_sheet", f"{_P}.layout", id="layout-unknown"),
    pytest.param(f"{_P}.layout", _DELETE, f"{_P}.layout", id="layout-missing"),
    # number prefix
    pytest.param(f"{_P}.number_prefix", "p", f"{_P}.number_prefix", id="prefix-lower-case"),
    pytest.param(f"{_P}.number_prefix", "PPP", f"{_P}.number_prefix", id="prefix-too-long"),
    pytest.param(f"{_P}.number_prefix", "P1", f"{_P}.number_prefix", id="prefix-digit"),
    pytest.param(f"{_P}.number_prefix", _DELETE, f"{_P}.number_prefix", id="prefix-missing"),
    pytest.param(f"{_Z}.number_prefix", "P", "document_types", id="duplicate-prefix"),
    # approvals
    pytest.param(f"{_P}.approvals", 3, f"{_P}.approvals", id="approvals-three"),
    pytest.param(f"{_P}.approvals", -1, f"{_P}.approvals", id="approvals-negative"),
    pytest.param(f"{_P}.approvals", "2", f"{_P}.approvals", id="approvals-text"),
    pytest.param(f"{_P}.approvals", True, f"{_P}.approvals", id="approvals-boolean"),
    pytest.param(f"{_P}.approvals", _DELETE, f"{_P}.approvals", id="approvals-missing"),
    # attributes
    pytest.param(f"{_Z}.attributes", ["zone"], f"{_Z}.attributes", id="attributes-not-mapping"),
    pytest.param(f"{_Z}.attributes.Zone", {}, f"{_Z}.attributes.Zone", id="attribute-name-bad"),
    pytest.param(f"{_Z}.attributes.zone", "region", f"{_Z}.attributes.zone", id="attr-not-map"),
    pytest.param(
        f"{_Z}.attributes.zone.pattern", "[0-9]+", f"{_Z}.attributes.zone.pattern", id="attr-key"
    ),
    pytest.param(
        f"{_Z}.attributes.zone.kind", "postcode", f"{_Z}.attributes.zone.kind", id="kind-unknown"
    ),
    pytest.param(
        f"{_Z}.attributes.zone.kind", _DELETE, f"{_Z}.attributes.zone.kind", id="kind-missing"
    ),
    pytest.param(
        f"{_Z}.attributes.zone.label", _DELETE, f"{_Z}.attributes.zone.label", id="label-missing"
    ),
    pytest.param(
        f"{_Z}.attributes.zone.required",
        "yes",
        f"{_Z}.attributes.zone.required",
        id="required-not-boolean",
    ),
    pytest.param(
        f"{_Z}.attributes.zone.choices",
        ["north"],
        f"{_Z}.attributes.zone.choices",
        id="choices-on-region",
    ),
    pytest.param(
        f"{_Z}.attributes.travel.choices",
        _DELETE,
        f"{_Z}.attributes.travel.choices",
        id="choice-without-choices",
    ),
    pytest.param(
        f"{_Z}.attributes.travel.choices",
        5,
        f"{_Z}.attributes.travel.choices",
        id="choices-not-a-list",
    ),
    pytest.param(
        f"{_Z}.attributes.travel.default",
        "business",
        f"{_Z}.attributes.travel.default",
        id="default-not-a-choice",
    ),
    pytest.param(
        f"{_P}.attributes.nationality.default",
        "U1O",
        f"{_P}.attributes.nationality.default",
        id="default-not-a-state",
    ),
    pytest.param(
        f"{_P}.attributes.dual_nationality.default",
        "maybe",
        f"{_P}.attributes.dual_nationality.default",
        id="default-not-a-boolean",
    ),
    pytest.param(
        f"{_Z}.attributes.entry_from.default",
        "tomorrow",
        f"{_Z}.attributes.entry_from.default",
        id="default-not-a-date",
    ),
    pytest.param(
        f"{_Z}.attributes.sponsor.required_when",
        ["travel"],
        f"{_Z}.attributes.sponsor.required_when",
        id="required-when-not-mapping",
    ),
    pytest.param(
        f"{_Z}.attributes.sponsor.required_when",
        {"mode": "official"},
        f"{_Z}.attributes.sponsor",
        id="required-when-unknown-attribute",
    ),
    pytest.param(
        f"{_Z}.attributes.group_size.max",
        "200",
        f"{_Z}.attributes.group_size.max",
        id="max-not-a-number",
    ),
    pytest.param(
        f"{_Z}.attributes.group_size.max",
        0,
        f"{_Z}.attributes.group_size.max",
        id="max-below-one",
    ),
    # validity
    pytest.param(f"{_P}.validity", _DELETE, f"{_P}.validity", id="validity-missing"),
    pytest.param(f"{_P}.validity", "10 years", f"{_P}.validity", id="validity-not-mapping"),
    pytest.param(f"{_P}.validity", {}, f"{_P}.validity", id="validity-empty-term"),
    pytest.param(f"{_P}.validity.months", 6, f"{_P}.validity.months", id="validity-unknown-key"),
    pytest.param(f"{_P}.validity.years", 21, f"{_P}.validity.years", id="years-over-twenty"),
    pytest.param(f"{_P}.validity.years", -1, f"{_P}.validity.years", id="years-negative"),
    pytest.param(f"{_P}.validity.years", "10", f"{_P}.validity.years", id="years-text"),
    pytest.param(f"{_P}.validity.days", -1, f"{_P}.validity.days", id="days-negative"),
    pytest.param(f"{_P}.validity", {"years": 0, "days": 0}, f"{_P}.validity", id="zero-term"),
    pytest.param(f"{_P}.validity", {"years": 20, "days": 1}, f"{_P}.validity", id="term-too-long"),
    pytest.param(f"{_P}.validity", {"days": 7321}, f"{_P}.validity.days", id="days-too-many"),
    pytest.param(f"{_Z}.validity.from", "zone", f"{_Z}.validity.from", id="from-a-region"),
    pytest.param(f"{_Z}.validity.until", "purpose", f"{_Z}.validity.until", id="until-a-text"),
    pytest.param(f"{_Z}.validity.from", "start", f"{_Z}.validity.from", id="from-unknown"),
    pytest.param(f"{_Z}.validity.until", _DELETE, f"{_Z}.validity.until", id="from-alone"),
    pytest.param(f"{_Z}.validity.from", _DELETE, f"{_Z}.validity.from", id="until-alone"),
    pytest.param(
        f"{_Z}.attributes.entry_from.required",
        False,
        f"{_Z}.validity.from",
        id="from-not-required",
    ),
    pytest.param(
        f"{_Z}.attributes.entry_until.required",
        False,
        f"{_Z}.validity.until",
        id="until-not-required",
    ),
    pytest.param(f"{_Z}.validity.max_days", 0, f"{_Z}.validity.max_days", id="max-days-zero"),
    pytest.param(f"{_Z}.validity.max_days", 3661, f"{_Z}.validity.max_days", id="max-days-high"),
    pytest.param(f"{_Z}.validity.max_days", "92", f"{_Z}.validity.max_days", id="max-days-text"),
    # zone, residence, printing, purposes
    pytest.param(f"{_Z}.zone_attribute", "purpose", f"{_Z}.zone_attribute", id="zone-a-text"),
    pytest.param(f"{_Z}.zone_attribute", "area", f"{_Z}.zone_attribute", id="zone-unknown"),
    pytest.param(
        f"{_R}.zone_attribute", _DELETE, f"{_R}.residence_bound", id="residence-bound-no-zone"
    ),
    pytest.param(
        f"{_R}.residence_bound", "yes", f"{_R}.residence_bound", id="residence-bound-text"
    ),
    pytest.param(f"{_Z}.printed", ["zone", "colour"], f"{_Z}.printed", id="printed-unknown"),
    pytest.param(f"{_P}.printed", ["nationality", "x"], f"{_P}.printed", id="printed-unknown-2"),
    pytest.param(
        f"{_Z}.printed",
        5,
        f"{_Z}.printed",
        id="printed-not-a-list",
    ),
    pytest.param(f"{_P}.purposes", "boarding", f"{_P}.purposes", id="purposes-not-list"),
    pytest.param(f"{_P}.purposes", ["boarding", 7], f"{_P}.purposes", id="purposes-not-text"),
    # fee
    pytest.param(f"{_P}.fee", "53000 KRW", f"{_P}.fee", id="fee-not-mapping"),
    pytest.param(f"{_P}.fee.tax", 10, f"{_P}.fee.tax", id="fee-unknown-key"),
    pytest.param(f"{_P}.fee.currency", "krw", f"{_P}.fee.currency", id="currency-lower-case"),
    pytest.param(f"{_P}.fee.currency", "KRWX", f"{_P}.fee.currency", id="currency-four-letters"),
    pytest.param(f"{_P}.fee.currency", _DELETE, f"{_P}.fee.currency", id="currency-missing"),
    pytest.param(f"{_P}.fee.amount", 0, f"{_P}.fee.amount", id="amount-zero"),
    pytest.param(f"{_P}.fee.amount", 530.5, f"{_P}.fee.amount", id="amount-fraction"),
    pytest.param(f"{_P}.fee.amount", "53000", f"{_P}.fee.amount", id="amount-text"),
    pytest.param(f"{_P}.fee.amount", _DELETE, f"{_P}.fee.amount", id="amount-missing"),
    # lifecycle flags and numbers
    pytest.param(f"{_P}.single_valid", "yes", f"{_P}.single_valid", id="single-valid-text"),
    pytest.param(f"{_P}.residents_may_apply", 1, f"{_P}.residents_may_apply", id="may-apply-int"),
    pytest.param(f"{_N}.min_age_years", 121, f"{_N}.min_age_years", id="min-age-too-high"),
    pytest.param(f"{_N}.min_age_years", -1, f"{_N}.min_age_years", id="min-age-negative"),
    pytest.param(f"{_N}.collection_days", 0, f"{_N}.collection_days", id="collection-days-zero"),
    pytest.param(
        f"{_N}.collection_days", 3651, f"{_N}.collection_days", id="collection-days-too-many"
    ),
    # escalation
    pytest.param(f"{_Z}.escalate", 24, f"{_Z}.escalate", id="escalate-not-mapping"),
    pytest.param(f"{_Z}.escalate.before", 1, f"{_Z}.escalate.before", id="escalate-unknown-key"),
    pytest.param(
        f"{_Z}.escalate.after_hours", _DELETE, f"{_Z}.escalate.after_hours", id="hours-missing"
    ),
    pytest.param(f"{_Z}.escalate.after_hours", 0, f"{_Z}.escalate.after_hours", id="hours-zero"),
    pytest.param(
        f"{_Z}.escalate.after_hours", 24 * 90 + 1, f"{_Z}.escalate.after_hours", id="hours-high"
    ),
    pytest.param(
        f"{_Z}.escalate.when", {"mode": "official"}, f"{_Z}.escalate.when", id="when-unknown"
    ),
    pytest.param(f"{_Z}.escalate.when", ["travel"], f"{_Z}.escalate.when", id="when-not-mapping"),
]


@pytest.mark.parametrize(("path", "value", "field"), INVALID)
def test_an_invalid_catalogue_is_refused_naming_the_entry(
    path: str, value: object, field: str
) -> None:
    data = _variant(path, value)
    with pytest.raises(ValidationError) as info:
        parse_catalogue(data)
    assert info.value.field == field
    assert info.value.message


VALID_VARIANTS: Final = [
    pytest.param(f"{_P}.approvals", 0, id="no-approvals"),
    pytest.param(f"{_P}.approvals", 2, id="two-approvals"),
    pytest.param(f"{_P}.validity", {"years": 20}, id="twenty-years"),
    pytest.param(f"{_P}.validity", {"days": 1}, id="one-day"),
    pytest.param(f"{_P}.validity", {"years": 1, "days": 30}, id="years-and-days"),
    pytest.param(f"{_P}.fee", _DELETE, id="no-fee"),
    pytest.param(f"{_N}.mrz.code", "I", id="one-letter-td1-code"),
    pytest.param(f"{_N}.mrz.code", "C<", id="td1-code-with-filler"),
    pytest.param(f"{_P}.mrz.code", "P", id="one-letter-td3-code"),
    pytest.param(f"{_P}.number_prefix", "PA", id="two-letter-prefix"),
    pytest.param(f"{_Z}.validity.max_days", 3660, id="max-days-at-limit"),
    pytest.param(f"{_Z}.escalate", _DELETE, id="no-escalation"),
    pytest.param(f"{_Z}.escalate.when", {}, id="escalate-always"),
    pytest.param(f"{_N}.min_age_years", 120, id="min-age-at-limit"),
]


@pytest.mark.parametrize(("path", "value"), VALID_VARIANTS)
def test_a_valid_variant_parses(path: str, value: object) -> None:
    catalogue = parse_catalogue(_variant(path, value))
    assert len(catalogue.types) == 4


# --------------------------------------------------------------------------- zone permit attributes


def test_a_minimal_permit_fills_in_the_defaults() -> None:
    cleaned = _zone_permit().clean_attributes(_permit_input())
    assert cleaned == {
        "zone": ZONE,
        "entry_from": "2026-04-01",
        "entry_until": "2026-04-10",
        "purpose": "Family visit",
        "travel": "personal",
        "party": "single",
    }


@pytest.mark.parametrize("blank", [None, ""], ids=["none", "empty"])
def test_a_blank_value_takes_the_default(blank: object) -> None:
    cleaned = _zone_permit().clean_attributes(_permit_input(travel=blank, party=blank))
    assert (cleaned["travel"], cleaned["party"]) == ("personal", "single")


def test_official_travel_needs_a_sponsor() -> None:
    with pytest.raises(ValidationError) as info:
        _zone_permit().clean_attributes(_permit_input(travel="official"))
    assert info.value.field == "attributes.sponsor"
    assert info.value.message == "this attribute is required"


def test_official_travel_with_a_sponsor_is_accepted() -> None:
    cleaned = _zone_permit().clean_attributes(
        _permit_input(travel="official", sponsor="  Ministry   of Transport ")
    )
    assert cleaned["travel"] == "official"
    assert cleaned["sponsor"] == "Ministry of Transport"


def test_a_sponsor_may_be_given_for_personal_travel() -> None:
    cleaned = _zone_permit().clean_attributes(_permit_input(sponsor="Host family"))
    assert cleaned["sponsor"] == "Host family"
    assert cleaned["travel"] == "personal"


def test_a_group_needs_its_size() -> None:
    with pytest.raises(ValidationError) as info:
        _zone_permit().clean_attributes(_permit_input(party="group"))
    assert info.value.field == "attributes.group_size"


@pytest.mark.parametrize(
    ("size", "expected"),
    [(1, "1"), (200, "200"), ("200", "200"), ("007", "7"), (" 12 ", "12")],
    ids=["one", "at-max", "text-at-max", "leading-zeros", "padded"],
)
def test_a_group_size_up_to_200_is_accepted(size: object, expected: str) -> None:
    cleaned = _zone_permit().clean_attributes(_permit_input(party="group", group_size=size))
    assert cleaned["group_size"] == expected


@pytest.mark.parametrize(
    ("size", "message"),
    [
        (201, "must be at most 200"),
        ("201", "must be at most 200"),
        (0, "must be a whole number of at least 1"),
        ("-3", "must be a whole number of at least 1"),
        ("2.5", "must be a whole number of at least 1"),
        ("twelve", "must be a whole number of at least 1"),
        (True, "must be text"),
        (2.0, "must be text"),
    ],
    ids=["over-max", "text-over-max", "zero", "negative", "fraction", "words", "boolean", "float"],
)
def test_a_bad_group_size_is_refused(size: object, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        _zone_permit().clean_attributes(_permit_input(party="group", group_size=size))
    assert info.value.field == "attributes.group_size"
    assert info.value.message == message


def test_a_superscript_group_size_is_a_validation_error() -> None:
    with pytest.raises(ValidationError) as info:
        _zone_permit().clean_attributes(_permit_input(party="group", group_size="²"))
    assert info.value.field == "attributes.group_size"


def test_a_window_of_exactly_92_days_is_accepted() -> None:
    # 1 March to 31 May is 31 + 30 + 31 = 92 days, both ends included.
    cleaned = _zone_permit().clean_attributes(
        _permit_input(entry_from="2026-03-01", entry_until="2026-05-31")
    )
    assert (cleaned["entry_from"], cleaned["entry_until"]) == ("2026-03-01", "2026-05-31")


def test_a_window_of_93_days_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        _zone_permit().clean_attributes(
            _permit_input(entry_from="2026-03-01", entry_until="2026-06-01")
        )
    assert info.value.field == "attributes.entry_until"
    assert "92 days" in info.value.message


def test_a_one_day_window_is_accepted() -> None:
    cleaned = _zone_permit().clean_attributes(
        _permit_input(entry_from="2026-04-01", entry_until="2026-04-01")
    )
    assert cleaned["entry_until"] == "2026-04-01"


def test_an_end_before_the_start_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        _zone_permit().clean_attributes(
            _permit_input(entry_from="2026-04-10", entry_until="2026-04-09")
        )
    assert info.value.field == "attributes.entry_until"
    assert info.value.message == "the end date is before the start"


def test_an_unknown_attribute_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        _zone_permit().clean_attributes(_permit_input(vehicle="bus"))
    assert info.value.field == "attributes.vehicle"
    assert info.value.message == "unknown attribute"


def test_the_first_unknown_attribute_in_name_order_is_named() -> None:
    with pytest.raises(ValidationError) as info:
        _zone_permit().clean_attributes(_permit_input(zebra="1", apple="2"))
    assert info.value.field == "attributes.apple"


@pytest.mark.parametrize("name", ["zone", "entry_from", "entry_until", "purpose"])
def test_a_missing_required_attribute_is_refused(name: str) -> None:
    data = _permit_input()
    del data[name]
    with pytest.raises(ValidationError) as info:
        _zone_permit().clean_attributes(data)
    assert info.value.field == f"attributes.{name}"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("zone", "north"),
        ("zone", "11-01"),
        ("entry_from", "2026-02-30"),
        ("entry_from", "01/04/2026"),
        ("travel", "business"),
        ("travel", "Official"),
        ("party", "crowd"),
        ("purpose", "x" * 201),
        ("purpose", "visit\x00"),
        ("zone", 11010001),
        ("purpose", ["visit"]),
    ],
    ids=[
        "region-letters",
        "region-hyphen",
        "impossible-date",
        "date-format",
        "unknown-choice",
        "choice-case",
        "unknown-party",
        "text-too-long",
        "control-character",
        "region-as-int",
        "text-as-list",
    ],
)
def test_a_malformed_value_is_refused_naming_its_attribute(name: str, value: object) -> None:
    with pytest.raises(ValidationError) as info:
        _zone_permit().clean_attributes(_permit_input(**{name: value}))
    assert info.value.field == f"attributes.{name}"


def test_dates_are_written_in_iso_form() -> None:
    cleaned = _zone_permit().clean_attributes(
        _permit_input(entry_from="20260401", entry_until=" 2026-04-10 ")
    )
    assert (cleaned["entry_from"], cleaned["entry_until"]) == ("2026-04-01", "2026-04-10")


# --------------------------------------------------------------------------- passport attributes


def test_a_passport_with_no_attributes_gets_the_defaults() -> None:
    assert _passport().clean_attributes({}) == {"nationality": "UTO", "dual_nationality": "false"}


@pytest.mark.parametrize("dual", ["true", "TRUE", True], ids=["text", "upper-case", "boolean"])
def test_dual_nationality_requires_the_other_nationality(dual: object) -> None:
    with pytest.raises(ValidationError) as info:
        _passport().clean_attributes({"dual_nationality": dual})
    assert info.value.field == "attributes.other_nationality"


def test_dual_nationality_with_the_other_nationality_is_accepted() -> None:
    cleaned = _passport().clean_attributes(
        {"nationality": "uto", "dual_nationality": True, "other_nationality": " kor "}
    )
    assert cleaned == {
        "nationality": "UTO",
        "dual_nationality": "true",
        "other_nationality": "KOR",
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", "true"), ("True", "true"), ("FALSE", "false"), (False, "false"), (True, "true")],
    ids=["true", "title-case", "upper-case-false", "bool-false", "bool-true"],
)
def test_booleans_are_parsed(raw: object, expected: str) -> None:
    cleaned = _passport().clean_attributes({"dual_nationality": raw, "other_nationality": "KOR"})
    assert cleaned["dual_nationality"] == expected


@pytest.mark.parametrize(
    "raw", ["yes", "1", "t", 1, 0], ids=["yes", "one-text", "t", "int-one", "int-zero"]
)
def test_other_boolean_spellings_are_refused(raw: object) -> None:
    with pytest.raises(ValidationError) as info:
        _passport().clean_attributes({"dual_nationality": raw})
    assert info.value.field == "attributes.dual_nationality"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("kor", "KOR"), ("Jpn", "JPN"), ("D<<", None), ("KO", None), ("K0R", None), ("KORE", None)],
    ids=["lower", "mixed", "filler", "two-letters", "digit", "four-letters"],
)
def test_country_codes_are_upper_cased_three_letter_codes(raw: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(ValidationError) as info:
            _passport().clean_attributes({"nationality": raw})
        assert info.value.field == "attributes.nationality"
    else:
        assert _passport().clean_attributes({"nationality": raw})["nationality"] == expected


def test_an_unquoted_yaml_boolean_in_required_when_still_applies() -> None:
    data = _variant(f"{_P}.attributes.other_nationality.required_when", {"dual_nationality": True})
    # Either refusing the catalogue or enforcing the condition is fine.
    with pytest.raises(ValidationError):
        parse_catalogue(data).get("passport").clean_attributes({"dual_nationality": "true"})


# --------------------------------------------------------------------------- single attributes


def test_an_attribute_is_required_when_any_condition_holds() -> None:
    spec = AttributeSpec(
        name="escort",
        kind=AttributeKind.TEXT,
        label="Escort",
        required_when=(("party", "group"), ("travel", "official")),
    )
    assert spec.is_required({"travel": "official"})
    assert spec.is_required({"party": "group"})
    assert not spec.is_required({"party": "single", "travel": "personal"})
    assert AttributeSpec(name="a", kind=AttributeKind.TEXT, label="A", required=True).is_required(
        {}
    )


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        (AttributeKind.TEXT, "  two   words ", "two words"),
        (AttributeKind.DATE, "2024-02-29", "2024-02-29"),
        (AttributeKind.BOOLEAN, False, "false"),
        (AttributeKind.REGION, "11", "11"),
        (AttributeKind.COUNTRY, "uto", "UTO"),
        (AttributeKind.COUNT, 3, "3"),
    ],
    ids=["text", "date", "boolean", "region", "country", "count"],
)
def test_each_kind_has_a_canonical_text(kind: AttributeKind, raw: object, expected: str) -> None:
    spec = AttributeSpec(name="value", kind=kind, label="Value")
    assert spec.clean(raw) == expected


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        (AttributeKind.TEXT, True),
        (AttributeKind.TEXT, 5),
        (AttributeKind.DATE, "2023-02-29"),
        (AttributeKind.REGION, 11),
        (AttributeKind.COUNTRY, "U T"),
        (AttributeKind.BOOLEAN, "1"),
    ],
    ids=["bool-as-text", "int-as-text", "not-a-leap-year", "int-region", "spaced", "bool-digit"],
)
def test_a_value_of_the_wrong_kind_is_refused(kind: AttributeKind, raw: object) -> None:
    spec = AttributeSpec(name="value", kind=kind, label="Value")
    with pytest.raises(ValidationError) as info:
        spec.clean(raw)
    assert info.value.field == "attributes.value"


# --------------------------------------------------------------------------- idempotence

_PERMIT: Final = _zone_permit()
_PASSPORT: Final = _passport()
_DIGITS: Final = "0123456789"
_LETTERS: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

_free_text = st.text(
    st.characters(categories=("L", "N", "P", "Zs")),
    min_size=1,
    max_size=60,
).filter(lambda text: text.strip() != "")


def _basic_date(day: date) -> str:
    return day.strftime("%Y%m%d")


_DATE_WRITERS: Final[tuple[Callable[[date], str], ...]] = (date.isoformat, _basic_date)


def _optional(strategy: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.one_of(st.none(), st.just(""), strategy)


@st.composite
def permit_inputs(draw: st.DrawFn) -> dict[str, object]:
    start = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 1, 1)))
    end = start + timedelta(days=draw(st.integers(min_value=0, max_value=91)))
    date_text = draw(st.sampled_from(_DATE_WRITERS))
    travel = draw(st.sampled_from([None, "", "personal", "official"]))
    party = draw(st.sampled_from([None, "", "single", "group"]))
    data: dict[str, object] = {
        "zone": draw(st.text(_DIGITS, min_size=1, max_size=10)),
        "entry_from": date_text(start),
        "entry_until": date_text(end),
        "purpose": draw(_free_text),
        "travel": travel,
        "party": party,
    }
    if travel == "official" or draw(st.booleans()):
        data["sponsor"] = draw(_free_text)
    if party == "group" or draw(st.booleans()):
        size = draw(st.integers(min_value=1, max_value=200))
        data["group_size"] = draw(st.sampled_from([size, str(size), f"00{size}"]))
    return data


_country = st.text(_LETTERS, min_size=3, max_size=3)
_boolean = st.sampled_from([True, False, "true", "false", "TRUE", "False"])


@st.composite
def passport_inputs(draw: st.DrawFn) -> dict[str, object]:
    dual = draw(_optional(_boolean))
    data: dict[str, object] = {
        "nationality": draw(_optional(_country)),
        "dual_nationality": dual,
    }
    if dual in {True, "true", "TRUE"} or draw(st.booleans()):
        data["other_nationality"] = draw(_country)
    return data


@settings(max_examples=200, deadline=None)
@given(permit_inputs())
def test_cleaning_permit_attributes_is_idempotent(raw: dict[str, object]) -> None:
    permit = _PERMIT
    once = permit.clean_attributes(raw)
    assert permit.clean_attributes(once) == once
    assert set(once) <= {a.name for a in permit.attributes}
    assert all(isinstance(v, str) and v for v in once.values())


@settings(max_examples=200, deadline=None)
@given(passport_inputs())
def test_cleaning_passport_attributes_is_idempotent(raw: dict[str, object]) -> None:
    passport = _PASSPORT
    once = passport.clean_attributes(raw)
    assert passport.clean_attributes(once) == once
    assert once["nationality"].isupper()
    assert once["dual_nationality"] in {"true", "false"}
