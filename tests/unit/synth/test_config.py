from __future__ import annotations

from datetime import date

import pytest

from carnet.domain.errors import ValidationError
from carnet.synth import SynthConfig
from carnet.synth.config import MAX_PROVINCES, MAX_RESIDENTS, stream

pytestmark = pytest.mark.unit


def test_defaults() -> None:
    cfg = SynthConfig(seed=1, residents=10)
    assert cfg.duplicate_rate == pytest.approx(0.02)
    assert cfg.bad_fraction == 0
    assert cfg.reference_date == date(2025, 1, 1)


@pytest.mark.parametrize(
    ("residents", "provinces", "expected"),
    [(10, 0, 1), (1_000_000, 0, 4), (10_000_000, 0, 17), (50_000_000, 0, 17), (10, 7, 7)],
)
def test_province_count_grows_with_the_population(
    residents: int, provinces: int, expected: int
) -> None:
    assert SynthConfig(seed=1, residents=residents, provinces=provinces).province_count == expected


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"residents": 0}, "residents"),
        ({"residents": MAX_RESIDENTS + 1}, "residents"),
        ({"provinces": -1}, "provinces"),
        ({"provinces": MAX_PROVINCES + 1}, "provinces"),
        ({"duplicate_rate": -0.1}, "duplicate_rate"),
        ({"duplicate_rate": 0.6}, "duplicate_rate"),
        ({"bad_fraction": 0.51}, "bad_fraction"),
        ({"namesake_rate": 1.0}, "namesake_rate"),
        ({"twin_rate": -1.0}, "twin_rate"),
        ({"reference_date": date(1800, 1, 1)}, "reference_date"),
    ],
)
def test_invalid_settings_are_refused(kwargs: dict[str, object], field: str) -> None:
    settings: dict[str, object] = {"seed": 1, "residents": 100, **kwargs}
    with pytest.raises(ValidationError) as caught:
        SynthConfig(**settings)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_streams_are_seeded_per_part() -> None:
    cfg = SynthConfig(seed=5, residents=10)
    first = [stream(cfg, "residents").random() for _ in range(3)]
    again = [stream(cfg, "residents").random() for _ in range(3)]
    other = [stream(cfg, "regions").random() for _ in range(3)]
    reseeded = [stream(SynthConfig(seed=6, residents=10), "residents").random() for _ in range(3)]
    assert first == again
    assert first != other
    assert first != reseeded
