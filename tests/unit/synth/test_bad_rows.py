from __future__ import annotations

import random
from datetime import date

import pytest

from carnet.synth.bad_rows import BAD_ROW_KINDS, make_bad_row
from carnet.synth.rows import ResidentRow

pytestmark = pytest.mark.unit

TEMPLATE = ResidentRow(
    "SYN-000000009", "", "김", "민준", "Kim", "Min-jun", "1990-04-05", "M", "청솔군",
    "가람도 청솔군 솔내읍 솔내로 1", "11010250", "HH-000000001", "", "",
)  # fmt: skip
REF = date(2024, 6, 30)


def _bad(kind: str, seed: int = 1, earlier: tuple[str, ...] = ("SYN-000000001",)) -> list[str]:
    return make_bad_row(
        kind, TEMPLATE, random.Random(seed), ref="SYB-000000001", earlier_refs=earlier,
        reference_date=REF,
    )  # fmt: skip


def test_every_kind_keeps_the_rest_of_the_row() -> None:
    for kind in BAD_ROW_KINDS:
        for seed in range(20):
            fields = _bad(kind, seed)
            assert fields[2] == "김"
            if kind != "wrong_column_count":
                assert len(fields) == len(TEMPLATE)


def test_invalid_utf8_survives_only_through_surrogateescape() -> None:
    for seed in range(10):
        name = _bad("invalid_utf8", seed)[3]
        raw = name.encode("utf-8", errors="surrogateescape")
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")


def test_duplicate_ref_reuses_an_earlier_one() -> None:
    assert _bad("duplicate_external_ref")[0] == "SYN-000000001"
    with pytest.raises(ValueError, match="earlier reference"):
        _bad("duplicate_external_ref", earlier=())


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown bad row kind"):
        _bad("nonsense")


def test_future_dates_stay_in_the_future_for_decades() -> None:
    for seed in range(50):
        born = date.fromisoformat(_bad("future_date", seed)[6])
        assert born.year >= REF.year + 20
