"""ICAO Doc 9303 vectors: the specimens, malformed zones and name fields.

The cases live in ``tests/vectors/mrz/*.yaml``; each file has a ``kind`` and is
collected by ``pytest_generate_tests`` into the ``specimen``, ``malformed`` or
``name_case`` parameter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

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
from carnet.credentials.transliteration import format_name
from carnet.domain.errors import DecodeError

pytestmark = pytest.mark.unit

VECTORS = Path(__file__).parents[2] / "vectors" / "mrz"
PARAMETERS = {"specimen": "specimen", "malformed": "malformed", "name_case": "names"}


def _load(kind: str) -> list[tuple[str, dict[str, Any]]]:
    cases: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(VECTORS.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        if document["kind"] != kind:
            continue
        if kind == "specimen":
            cases.append((path.stem, document))
        else:
            cases.extend(
                (f"{path.stem}-{index}", case) for index, case in enumerate(document["cases"])
            )
    return cases


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for parameter, kind in PARAMETERS.items():
        if parameter in metafunc.fixturenames:
            cases = _load(kind)
            metafunc.parametrize(
                parameter, [case for _, case in cases], ids=[name for name, _ in cases]
            )


def test_every_vector_kind_is_present() -> None:
    assert len(_load("specimen")) == 3
    assert _load("malformed")
    assert _load("names")


def _expected(fields: dict[str, str]) -> MrzData:
    return MrzData(
        document_code=fields["document_code"],
        issuing_state=fields["issuing_state"],
        document_number=fields["document_number"],
        primary_identifier=fields["primary_identifier"],
        secondary_identifier=fields["secondary_identifier"],
        nationality=fields["nationality"],
        date_of_birth=MrzDate.from_mrz(fields["date_of_birth"]),
        sex=Sex(fields["sex"]),
        date_of_expiry=MrzDate.from_mrz(fields["date_of_expiry"]),
        optional_data=fields["optional_data"],
        optional_data_2=fields["optional_data_2"],
    )


def test_specimen_parses_into_its_fields(specimen: dict[str, Any]) -> None:
    parsed = parse_mrz("\n".join(specimen["mrz"]))

    assert parsed == _expected(specimen["fields"])


def test_specimen_parses_with_the_format_parser(specimen: dict[str, Any]) -> None:
    lines = specimen["mrz"]
    parsed = parse_td1(*lines) if specimen["format"] == "TD1" else parse_td3(*lines)

    assert parsed == _expected(specimen["fields"])


def test_specimen_is_regenerated_byte_for_byte(specimen: dict[str, Any]) -> None:
    data = _expected(specimen["fields"])
    lines = build_td1(data) if specimen["format"] == "TD1" else build_td3(data)

    assert list(lines) == specimen["mrz"]


def test_specimen_check_digits_are_the_published_ones(specimen: dict[str, Any]) -> None:
    for digit in specimen["check_digits"]:
        line = specimen["mrz"][digit["line"] - 1]
        assert line[digit["position"] - 1] == digit["value"]


def test_specimen_runs_together_parse_the_same(specimen: dict[str, Any]) -> None:
    assert parse_mrz("".join(specimen["mrz"])) == _expected(specimen["fields"])


def test_specimen_with_crlf_and_margins_parses(specimen: dict[str, Any]) -> None:
    text = "  \r\n" + "\r\n".join(specimen["mrz"]) + "\r\n\n"

    assert parse_mrz(text) == _expected(specimen["fields"])


def test_each_corrupted_check_digit_names_its_field(specimen: dict[str, Any]) -> None:
    for digit in specimen["check_digits"]:
        lines = list(specimen["mrz"])
        row, column = digit["line"] - 1, digit["position"] - 1
        wrong = str((int(digit["value"]) + 1) % 10)
        lines[row] = lines[row][:column] + wrong + lines[row][column + 1 :]

        with pytest.raises(DecodeError) as caught:
            parse_mrz("\n".join(lines))

        assert caught.value.field == digit["field"]


def test_corrupted_check_digit_error_has_no_personal_data(specimen: dict[str, Any]) -> None:
    digit = specimen["check_digits"][0]
    lines = list(specimen["mrz"])
    row, column = digit["line"] - 1, digit["position"] - 1
    lines[row] = lines[row][:column] + "<" + lines[row][column + 1 :]

    with pytest.raises(DecodeError) as caught:
        parse_mrz("\n".join(lines))

    shown = str(caught.value) + repr(caught.value)
    fields = specimen["fields"]
    for secret in ("document_number", "primary_identifier", "date_of_birth"):
        assert fields[secret] not in shown


def test_each_data_change_breaks_the_composite(specimen: dict[str, Any]) -> None:
    # Changing the expiry date and its own check digit together leaves only the
    # composite check digit to notice (Part 4/5 §4.2.4).
    lines = list(specimen["mrz"])
    row, start = (1, 8) if specimen["format"] == "TD1" else (1, 21)
    expiry = "301231"
    lines[row] = (
        lines[row][:start] + expiry + check_digit(expiry) + lines[row][start + len(expiry) + 1 :]
    )

    with pytest.raises(DecodeError) as caught:
        parse_mrz("\n".join(lines))

    assert caught.value.field == "composite"


def test_malformed_mrz_names_its_field(malformed: dict[str, Any]) -> None:
    with pytest.raises(DecodeError) as caught:
        parse_mrz("\n".join(malformed["lines"]))

    assert caught.value.field == malformed["field"]


def test_name_field_matches_the_vector(name_case: dict[str, Any]) -> None:
    field = format_name(name_case["primary"], name_case["secondary"], name_case["width"])

    assert field == name_case["expected"]


def test_truncated_name_fields_end_with_a_letter(name_case: dict[str, Any]) -> None:
    # Part 4/5 §4.2.3: a truncated field ends with A-Z; ICAO's own alternatives too.
    for field in [name_case["expected"], *name_case.get("icao_alternatives", [])]:
        assert len(field) == name_case["width"]
        if name_case["secondary"]:
            assert "<<" in field
        if name_case.get("truncated") and "one-letter components" not in name_case["source"]:
            assert field[-1].isalpha()
