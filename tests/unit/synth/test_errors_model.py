from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carnet.domain.romanization import decompose, romanization_variants
from carnet.synth import SynthConfig, generate_regions
from carnet.synth.addresses import Geography
from carnet.synth.errors_model import (
    DUPLICATE_ERRORS,
    _apply_name_error,
    _Draft,
    jamo_typo,
    latin_typo,
    make_duplicate,
    shift_dob,
)
from carnet.synth.rows import ResidentRow

pytestmark = pytest.mark.unit

REF = date(2024, 6, 30)
hangul = st.text(st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3), min_size=1, max_size=4)
seeds = st.integers(min_value=0, max_value=2**32)


def _damerau(a: str, b: str) -> int:
    """Optimal string alignment distance (edits and adjacent transpositions)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


@given(hangul, seeds)
def test_jamo_typo_changes_exactly_one_jamo(name: str, seed: int) -> None:
    typo = jamo_typo(name, random.Random(seed))
    assert len(typo) == len(name)
    changed = [(a, b) for a, b in zip(name, typo, strict=True) if a != b]
    assert len(changed) == 1
    before, after = (decompose(ch) for ch in changed[0])
    assert sum(x != y for x, y in zip(before, after, strict=True)) == 1


def test_jamo_typo_leaves_non_hangul_alone() -> None:
    assert jamo_typo("Smith", random.Random(1)) == "Smith"


@given(st.from_regex(r"[A-Z][a-z]{1,8}(-[a-z]{1,5})?", fullmatch=True), seeds)
def test_latin_typo_is_one_keyboard_slip(name: str, seed: int) -> None:
    typo = latin_typo(name, random.Random(seed))
    assert typo != name
    assert typo[0] == name[0]
    assert _damerau(name, typo) == 1
    assert typo.count("-") == name.count("-")


def test_latin_typo_of_one_letter_doubles_it() -> None:
    assert latin_typo("O", random.Random(1)) == "Oo"


def test_shift_dob_errors() -> None:
    rng = random.Random(1)
    assert shift_dob("1980-03-07", "dob_day_month_swap", rng, REF) == "1980-07-03"
    # A day above 12 cannot be a month: the year moves instead.
    assert shift_dob("1980-03-25", "dob_day_month_swap", rng, REF) in {"1979-03-25", "1981-03-25"}
    assert shift_dob("1980-03-25", "dob_truncated", rng, REF) == "1980-03"
    assert shift_dob("1980-03", "dob_truncated", rng, REF) == "1980"
    assert shift_dob("1980", "dob_truncated", rng, REF) in {"1979", "1981"}
    assert shift_dob("1980-03", "dob_year_off", rng, REF) in {"1979-03", "1981-03"}
    assert shift_dob("1980-02-29", "dob_year_off", rng, REF) in {"1979-02-28", "1981-02-28"}


@pytest.mark.parametrize("dob", ["2024-06-30", "2024-06", "2024", "2023-07-15"])
def test_shift_dob_never_goes_past_the_reference_date(dob: str) -> None:
    for seed in range(30):
        shifted = shift_dob(dob, "dob_year_off", random.Random(seed), REF)
        assert shifted[:4] == str(int(dob[:4]) - 1)


def test_a_swap_into_the_future_moves_the_year_back() -> None:
    # 2024-06-12 swapped would be 2024-12-06, after the reference date.
    assert shift_dob("2024-06-12", "dob_day_month_swap", random.Random(1), REF) == "2023-06-12"


@pytest.fixture(scope="module")
def geography() -> Geography:
    regions = generate_regions(SynthConfig(seed=1, residents=60_000, provinces=2))
    return Geography(regions, random.Random(1))


def _original(geo: Geography) -> ResidentRow:
    return ResidentRow(
        "SYN-000000001", "", "이", "서연", "Lee", "Seo-yeon", "1990-04-05", "F", "청솔군",
        "가람도 청솔군 솔내읍 솔내로 1", geo.codes[0], "HH-000000001", "010-0000-0001",
        "seoyeon.lee1@example.org",
    )  # fmt: skip


def test_duplicates_carry_the_errors_they_report(geography: Geography) -> None:
    original = _original(geography)
    households = iter(f"HH-9{n:08d}" for n in range(1_000))
    seen: set[str] = set()
    for seed in range(400):
        duplicate, errors = make_duplicate(
            original, random.Random(seed), geography=geography, reference_date=REF,
            new_household=lambda: next(households),
        )  # fmt: skip
        seen.update(errors)
        assert set(errors) <= set(DUPLICATE_ERRORS)
        assert len(errors) == len(set(errors)) <= 3
        assert duplicate.external_ref == original.external_ref
        if "moved" in errors:
            assert duplicate.region_code != original.region_code
            assert duplicate.household_ref.startswith("HH-9")
        else:
            assert duplicate.region_code == original.region_code
            assert duplicate.address == original.address
            assert duplicate.household_ref in {original.household_ref, ""}
        names = (duplicate.family_name_native, duplicate.given_name_native)
        if "native_typo" not in errors:
            assert names == (("서연", "이") if "name_swap" in errors else ("이", "서연"))
        if errors == ("romanization_variant",):
            assert (duplicate.family_name_latin, duplicate.given_name_latin) in set(
                romanization_variants("이", "서연")
            )
        if not {"dob_day_month_swap", "dob_year_off", "dob_truncated"} & set(errors):
            assert duplicate.date_of_birth == original.date_of_birth
        if not errors:
            assert duplicate[2:10] == original[2:10]
    assert seen == set(DUPLICATE_ERRORS)


def test_a_name_with_a_single_spelling_keeps_it() -> None:
    draft = _Draft("Smith", "John", "Smith", "John", "1990", "11010250", "addr", "")
    _apply_name_error(draft, "romanization_variant", random.Random(1))
    assert (draft.fam_l, draft.giv_l) == ("Smith", "John")


def test_moving_needs_another_settlement() -> None:
    regions = generate_regions(SynthConfig(seed=1, residents=10))
    lonely = [row for row in regions if row.level not in {"town", "village"}]
    lonely.append(next(row for row in regions if row.level == "town"))
    geo = Geography(lonely, random.Random(1))
    assert len(geo) == 1
    assert geo.pick_other(random.Random(1), 0) == 0
