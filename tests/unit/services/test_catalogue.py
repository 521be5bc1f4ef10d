"""Loading the document-type catalogue and checking it against the purpose policy."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Final

import pytest

from carnet.credentials.policy import Policy, default_policy, load_strict_yaml
from carnet.domain.doctypes import Catalogue, parse_catalogue
from carnet.domain.errors import ValidationError
from carnet.services.catalogue import (
    check_against_policy,
    default_catalogue,
    default_catalogue_text,
    load_catalogue,
)

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.unit

MAX_SIZE: Final = 256 * 1024

EXPECTED_PURPOSES: Final = {
    "national_id_card": {"age_check", "boarding", "identity_check"},
    "residence_certificate": {"zone_entry", "identity_check"},
    "zone_permit": {"zone_entry", "identity_check"},
    "passport": {"age_check", "boarding", "identity_check"},
}


def _catalogue_data() -> dict[str, Any]:
    data = load_strict_yaml(default_catalogue_text(), "catalogue")
    assert isinstance(data, dict)
    return data


def _catalogue_with(code: str, purposes: list[str]) -> Catalogue:
    data = _catalogue_data()
    data["document_types"][code]["purposes"] = purposes
    return parse_catalogue(data)


def _policy_with(change: dict[str, list[str]]) -> Policy:
    """The default policy with the ``accepts`` list of some purposes replaced."""
    mapping: dict[str, Any] = copy.deepcopy(default_policy().to_mapping())
    for purpose, accepts in change.items():
        mapping["purposes"][purpose]["accepts"] = accepts
    return Policy.from_mapping(mapping)


def _write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "types.yaml"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


# --------------------------------------------------------------------------- the default catalogue


def test_the_default_catalogue_agrees_with_the_default_policy() -> None:
    catalogue = default_catalogue()
    check_against_policy(catalogue, default_policy())
    assert {code: set(t.purposes) for code, t in catalogue.types.items()} == EXPECTED_PURPOSES


def test_each_type_lists_exactly_the_policy_purposes_that_accept_it() -> None:
    policy = default_policy()
    for code, doc_type in default_catalogue().types.items():
        accepting = {name for name, p in policy.purposes.items() if code in p.accepts}
        assert doc_type.purposes == accepting, code


def test_the_default_catalogue_is_loaded_once() -> None:
    assert default_catalogue() is default_catalogue()


def test_loading_without_a_path_reads_the_built_in_catalogue() -> None:
    assert load_catalogue() == default_catalogue()


def test_the_built_in_text_is_the_packaged_yaml() -> None:
    text = default_catalogue_text()
    assert text.startswith("# Carnet document types.")
    assert "document_types:" in text


# --------------------------------------------------------------------------- purpose mismatches


@pytest.mark.parametrize(
    ("code", "purposes", "detail"),
    [
        ("passport", ["age_check", "identity_check"], "missing ['boarding']"),
        ("residence_certificate", [], "missing ['identity_check', 'zone_entry']"),
        (
            "zone_permit",
            ["zone_entry", "identity_check", "boarding"],
            "not in the policy ['boarding']",
        ),
        (
            "passport",
            ["age_check", "boarding", "identity_check", "hospital_care"],
            "not in the policy ['hospital_care']",
        ),
        (
            "national_id_card",
            ["age_check", "identity_check", "zone_entry"],
            "missing ['boarding']",
        ),
        (
            "national_id_card",
            ["age_check", "boarding", "identity_check", "picnic"],
            "not in the policy ['picnic']",
        ),
    ],
    ids=[
        "missing-one",
        "missing-all",
        "extra-one",
        "extra-no-document-purpose",
        "missing-and-extra-reports-missing",
        "extra-unknown-purpose",
    ],
)
def test_a_catalogue_whose_purposes_differ_is_refused(
    code: str, purposes: list[str], detail: str
) -> None:
    catalogue = _catalogue_with(code, purposes)
    with pytest.raises(ValidationError) as info:
        check_against_policy(catalogue, default_policy())
    assert info.value.field == f"document_types.{code}.purposes"
    assert info.value.message == f"purposes disagree with the policy: {detail}"


def test_a_type_the_policy_does_not_know_is_refused() -> None:
    data = _catalogue_data()
    visa = copy.deepcopy(data["document_types"]["passport"])
    visa["number_prefix"] = "V"
    visa["purposes"] = []
    data["document_types"]["visa"] = visa
    catalogue = parse_catalogue(data)
    with pytest.raises(ValidationError) as info:
        check_against_policy(catalogue, default_policy())
    assert info.value.field == "document_types.visa.purposes"
    assert info.value.message == "the purpose policy does not know this type"


def test_a_changed_policy_refuses_the_default_catalogue() -> None:
    policy = _policy_with({"boarding": ["passport"]})
    with pytest.raises(ValidationError) as info:
        check_against_policy(default_catalogue(), policy)
    assert info.value.field == "document_types.national_id_card.purposes"
    assert "not in the policy ['boarding']" in info.value.message


def test_load_catalogue_checks_against_the_given_policy() -> None:
    policy = _policy_with({"age_check": ["passport"]})
    with pytest.raises(ValidationError) as info:
        load_catalogue(policy=policy)
    assert info.value.field == "document_types.national_id_card.purposes"


def test_a_catalogue_matching_a_changed_policy_loads(tmp_path: Path) -> None:
    policy = _policy_with({"boarding": ["passport"]})
    data = _catalogue_data()
    data["document_types"]["national_id_card"]["purposes"] = ["age_check", "identity_check"]
    text = default_catalogue_text().replace(
        "purposes: [age_check, boarding, identity_check]\n\n  residence_certificate",
        "purposes: [age_check, identity_check]\n\n  residence_certificate",
    )
    catalogue = load_catalogue(_write(tmp_path, text), policy=policy)
    assert catalogue.get("national_id_card").purposes == {"age_check", "identity_check"}
    assert catalogue == parse_catalogue(data)


def test_a_policy_type_missing_from_the_catalogue_is_not_an_error() -> None:
    # The check runs from the catalogue's side: a policy may accept a type this
    # catalogue does not issue (e.g. one issued elsewhere).
    data = _catalogue_data()
    del data["document_types"]["zone_permit"]
    catalogue = parse_catalogue(data)
    check_against_policy(catalogue, default_policy())
    assert "zone_permit" not in catalogue.types


# --------------------------------------------------------------------------- reading files


def test_a_copy_of_the_built_in_file_loads_the_same(tmp_path: Path) -> None:
    assert load_catalogue(_write(tmp_path, default_catalogue_text())) == default_catalogue()


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        load_catalogue(tmp_path / "nowhere.yaml")
    assert info.value.field == "catalogue"
    assert info.value.message == "catalogue file cannot be read"
    assert isinstance(info.value.__cause__, FileNotFoundError)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        load_catalogue(tmp_path)
    assert info.value.message == "catalogue file cannot be read"
    assert isinstance(info.value.__cause__, OSError)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("version: [1\n", "catalogue is not valid YAML"),
        ("version: 1\nversion: 2\n", "duplicate key 'version'"),
        ("version: &v 1\nauthority: *v\n", "aliases are not allowed"),
        ("a: b: c\n", "catalogue is not valid YAML"),
    ],
    ids=["unclosed-list", "duplicate-key", "alias", "nested-colon"],
)
def test_text_that_is_not_strict_yaml_is_refused(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(ValidationError) as info:
        load_catalogue(_write(tmp_path, text))
    assert problem in info.value.message
    assert info.value.message.startswith("catalogue is not valid YAML")


def test_a_duplicate_type_is_refused(tmp_path: Path) -> None:
    text = default_catalogue_text() + "\n  passport:\n    layout: id1_card\n"
    with pytest.raises(ValidationError) as info:
        load_catalogue(_write(tmp_path, text))
    assert "duplicate key 'passport'" in info.value.message


@pytest.mark.parametrize(
    "text", ["- version\n- 1\n", "42\n", "", "just words\n"], ids=["list", "int", "empty", "str"]
)
def test_a_top_level_that_is_not_a_mapping_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(ValidationError) as info:
        load_catalogue(_write(tmp_path, text))
    assert info.value.field == "catalogue"
    assert info.value.message == "catalogue must be a mapping"


def _padded(size: int) -> bytes:
    """The built-in catalogue with a trailing comment making it exactly ``size`` bytes."""
    text = default_catalogue_text().encode("utf-8") + b"\n#"
    return text + b"x" * (size - len(text))


def test_a_file_at_the_size_limit_loads(tmp_path: Path) -> None:
    content = _padded(MAX_SIZE)
    assert len(content) == MAX_SIZE
    assert load_catalogue(_write(tmp_path, content)) == default_catalogue()


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        load_catalogue(_write(tmp_path, _padded(MAX_SIZE + 1)))
    assert info.value.field == "catalogue"
    assert info.value.message == "catalogue file is too large"


def test_an_invalid_catalogue_file_names_the_entry(tmp_path: Path) -> None:
    text = default_catalogue_text().replace("approvals: 1", "approvals: 3", 1)
    with pytest.raises(ValidationError) as info:
        load_catalogue(_write(tmp_path, text))
    assert info.value.field == "document_types.national_id_card.approvals"


def test_a_file_whose_purposes_disagree_is_refused(tmp_path: Path) -> None:
    text = default_catalogue_text().replace(
        "purposes: [zone_entry, identity_check]\n\n  zone_permit",
        "purposes: [identity_check]\n\n  zone_permit",
    )
    assert text != default_catalogue_text()
    with pytest.raises(ValidationError) as info:
        load_catalogue(_write(tmp_path, text))
    assert info.value.field == "document_types.residence_certificate.purposes"
    assert "missing ['zone_entry']" in info.value.message


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        load_catalogue(_write(tmp_path, b'version: 1\nauthority: "\xff"\n'))
    assert info.value.field == "catalogue"
