"""The purpose policy: Carnet's default, its three encodings, and its validation."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import cbor2
import pytest
import yaml

from carnet.credentials.policy import (
    ATTRIBUTES,
    MAX_POLICY_SIZE,
    NO_DOCUMENT_PURPOSES,
    Policy,
    Purpose,
    default_policy,
    default_policy_text,
    load_policy,
    over_age,
)
from carnet.domain.errors import DecodeError, ValidationError

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

pytestmark = pytest.mark.unit


def mapping() -> dict[str, Any]:
    return copy.deepcopy(default_policy().to_mapping())


# ---------------------------------------------------------------- the default


def test_the_default_policy_loads_with_the_purposes_of_the_issue() -> None:
    policy = default_policy()
    assert policy.version == 1
    assert {"zone_entry", "age_check", "boarding", "identity_check"} <= set(policy.purposes)
    assert set(policy.purposes) >= NO_DOCUMENT_PURPOSES
    assert policy.document_types == {
        "national_id_card",
        "passport",
        "residence_certificate",
        "zone_permit",
    }


def test_zone_entry_accepts_permits_and_residence_certificates_for_the_zone() -> None:
    rule = default_policy().purpose("zone_entry")
    assert rule.accepts == {"zone_permit", "residence_certificate"}
    assert rule.zone_bound
    assert set(rule.reveals) == {"name", "photo", "permit_zone", "valid_from", "valid_until"}


def test_age_check_reveals_only_the_derived_boolean() -> None:
    rule = default_policy().purpose("age_check")
    assert rule.accepts == {"national_id_card", "passport"}
    assert rule.reveals == ("over_18",)


def test_boarding_reveals_name_and_document_number() -> None:
    rule = default_policy().purpose("boarding")
    assert rule.accepts == {"passport", "national_id_card"}
    assert rule.reveals == ("name", "document_number")


def test_identity_check_reveals_the_full_identity() -> None:
    rule = default_policy().purpose("identity_check")
    assert {"name", "uin", "date_of_birth", "photo", "address"} <= set(rule.reveals)


@pytest.mark.parametrize("name", sorted(NO_DOCUMENT_PURPOSES))
def test_purposes_that_must_never_demand_a_document(name: str) -> None:
    policy = default_policy()
    rule = policy.purpose(name)
    assert rule.no_document_may_be_demanded
    assert not rule.accepts
    assert not rule.reveals
    assert policy.forbids_documents(name)


def test_protected_purposes_are_refused_even_when_a_policy_omits_them() -> None:
    data = mapping()
    del data["purposes"]["voting"]
    policy = Policy.from_mapping(data)
    assert "voting" not in policy.purposes
    assert policy.forbids_documents("voting")
    assert not policy.forbids_documents("boarding")
    assert not policy.forbids_documents("unknown_purpose")


def test_a_policy_may_add_its_own_no_document_purposes() -> None:
    data = mapping()
    data["purposes"]["library"] = {"no_document_may_be_demanded": True}
    policy = Policy.from_mapping(data)
    assert policy.forbids_documents("library")
    assert policy.purpose("library").description == ""


def test_an_unknown_purpose_is_a_validation_error() -> None:
    with pytest.raises(ValidationError) as caught:
        default_policy().purpose("shopping")
    assert caught.value.field == "purpose"


def test_the_default_text_keeps_its_comments() -> None:
    text = default_policy_text()
    assert text.startswith("# Carnet purpose policy")
    assert Policy.from_yaml(text) == default_policy()


def test_repr_is_short() -> None:
    assert repr(default_policy()) == "Policy(version=1, purposes=10)"


# ---------------------------------------------------------------- encodings


def test_mapping_yaml_and_cbor_round_trip() -> None:
    policy = default_policy()
    assert Policy.from_mapping(policy.to_mapping()) == policy
    assert Policy.from_yaml(policy.to_yaml()) == policy
    assert Policy.from_yaml(policy.to_yaml().encode()) == policy
    assert Policy.from_cbor(policy.to_cbor()) == policy


def test_the_cbor_form_is_deterministic() -> None:
    encoded = default_policy().to_cbor()
    assert encoded == Policy.from_cbor(encoded).to_cbor()
    assert cbor2.loads(encoded)["version"] == 1


def test_a_purpose_maps_back_to_its_entry() -> None:
    assert Purpose("x", accepts=frozenset({"b", "a"}), reveals=("name",)).to_mapping() == {
        "accepts": ["a", "b"],
        "reveals": ["name"],
    }
    assert Purpose("x", "d", no_document_may_be_demanded=True).to_mapping() == {
        "description": "d",
        "no_document_may_be_demanded": True,
    }


def test_load_policy_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(default_policy_text(), encoding="utf-8")
    assert load_policy(path) == default_policy()


def test_load_policy_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="cannot be read"):
        load_policy(tmp_path / "missing.yaml")


# --------------------------------------------------------------- over_<N>


@pytest.mark.parametrize(
    ("attribute", "years"),
    [("over_18", 18), ("over_1", 1), ("over_150", 150), ("over_21", 21)],
)
def test_over_age_reads_the_derived_attributes(attribute: str, years: int) -> None:
    assert over_age(attribute) == years


@pytest.mark.parametrize("attribute", ["over_0", "over_151", "over_018", "over_", "name", "over18"])
def test_over_age_refuses_everything_else(attribute: str) -> None:
    assert over_age(attribute) is None


def test_every_plain_attribute_is_a_valid_name() -> None:
    data = mapping()
    data["purposes"]["everything"] = {"accepts": ["passport"], "reveals": sorted(ATTRIBUTES)}
    assert set(Policy.from_mapping(data).purpose("everything").reveals) == ATTRIBUTES


# --------------------------------------------------------------- validation


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = data
        for key in parents:
            target = target[key]
        if value is KeyError:
            del target[last]
        else:
            target[last] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "field_name"),
    [
        (_set("version", KeyError), "policy"),
        (_set("version", 0), "version"),
        (_set("version", "1"), "version"),
        (_set("version", True), "version"),
        (_set("extra", 1), "policy"),
        (_set("document_types", "passport"), "document_types"),
        (_set("document_types", []), "document_types"),
        (_set("document_types", ["passport", "passport"]), "document_types"),
        (_set("document_types", ["Passport"]), "document_types"),
        (_set("document_types", [1]), "document_types"),
        (_set("purposes", []), "purposes"),
        (_set("purposes.Boarding", {"accepts": ["passport"], "reveals": ["name"]}), "purposes"),
        (_set("purposes.boarding", []), "purposes.boarding"),
        (_set("purposes.boarding.accepts", KeyError), "purposes.boarding"),
        (_set("purposes.boarding.reveals", KeyError), "purposes.boarding"),
        (_set("purposes.boarding.colour", "red"), "purposes.boarding"),
        (_set("purposes.boarding.accepts", []), "purposes.boarding.accepts"),
        (_set("purposes.boarding.accepts", ["visa"]), "purposes.boarding.accepts"),
        (_set("purposes.boarding.reveals", []), "purposes.boarding.reveals"),
        (_set("purposes.boarding.reveals", ["shoe_size"]), "purposes.boarding.reveals"),
        (_set("purposes.boarding.reveals", ["over_200"]), "purposes.boarding.reveals"),
        (_set("purposes.boarding.reveals", ["name", "name"]), "purposes.boarding.reveals"),
        (_set("purposes.boarding.zone_bound", "yes"), "purposes.boarding.zone_bound"),
        (_set("purposes.boarding.description", 5), "purposes.boarding.description"),
        (_set("purposes.boarding.description", "x" * 501), "purposes.boarding.description"),
        (
            _set("purposes.voting", {"accepts": ["passport"], "reveals": ["name"]}),
            "purposes.voting",
        ),
        (
            _set("purposes.voting.no_document_may_be_demanded", False),
            "purposes.voting.no_document_may_be_demanded",
        ),
        (_set("purposes.voting.accepts", ["passport"]), "purposes.voting"),
        (_set("purposes.age_check.no_document_may_be_demanded", "yes"), "purposes.age_check"),
        (_set("purposes.hospital_care", None), "purposes.hospital_care"),
    ],
)
def test_invalid_policies_name_the_offending_field(
    edit: Callable[[dict[str, Any]], None], field_name: str
) -> None:
    data = mapping()
    edit(data)
    with pytest.raises(ValidationError) as caught:
        Policy.from_mapping(data)
    assert caught.value.field == field_name


@pytest.mark.parametrize("data", [None, [], "policy", {1: 2}])
def test_a_policy_must_be_a_mapping_with_text_keys(data: object) -> None:
    with pytest.raises(ValidationError) as caught:
        Policy.from_mapping(data)
    assert caught.value.field == "policy"


def test_yaml_that_does_not_parse_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="not valid YAML") as caught:
        Policy.from_yaml("version: [1\n")
    assert "line" in caught.value.message


def test_yaml_errors_without_a_position_are_reported_too() -> None:
    with pytest.raises(ValidationError, match="not valid YAML"):
        Policy.from_yaml("version: !!python/object:os.system 1\n")


def test_yaml_aliases_are_refused() -> None:
    text = (
        "version: 1\ndocument_types: &t [passport]\npurposes: {x: {accepts: *t, reveals: [name]}}\n"
    )
    with pytest.raises(ValidationError, match="aliases are not allowed"):
        Policy.from_yaml(text)


def test_duplicate_yaml_keys_are_refused() -> None:
    text = default_policy_text() + "\nversion: 2\n"
    with pytest.raises(ValidationError, match="duplicate key"):
        Policy.from_yaml(text)


def test_unhashable_yaml_keys_are_left_to_pyyaml() -> None:
    with pytest.raises(ValidationError, match="not valid YAML"):
        Policy.from_yaml("? [a, b]\n: 1\n")


def test_oversized_policy_text_is_refused_before_parsing() -> None:
    with pytest.raises(ValidationError, match="too large"):
        Policy.from_yaml("#" * (MAX_POLICY_SIZE + 1))


def test_a_bad_cbor_policy_is_a_decode_error() -> None:
    with pytest.raises(DecodeError):
        Policy.from_cbor(b"\xff")
    with pytest.raises(DecodeError, match="policy is invalid") as caught:
        Policy.from_cbor(cbor2.dumps({"version": 0, "document_types": [], "purposes": {}}))
    assert caught.value.field == "version"


def test_safe_dump_output_is_plain_yaml() -> None:
    assert yaml.safe_load(default_policy().to_yaml())["version"] == 1
