"""The settings of one synthetic population, and the seeded random streams it uses.

Each part of the output (regions, stations, residents, bad rows) draws from its
own ``random.Random`` seeded from the config's seed and the part's name, so that
asking for bad rows does not change a single valid row, and the same seed always
gives the same bytes. The generator is synthetic test data, not security-relevant,
so ``random`` is the right tool here; no global random state is touched.
"""

from __future__ import annotations

import random  # noqa: TID251 - synthetic data, not security-relevant
from dataclasses import dataclass, field
from datetime import date

from carnet.domain.errors import ValidationError

__all__ = ["MAX_PROVINCES", "MAX_RESIDENTS", "SynthConfig", "stream"]

MAX_RESIDENTS = 50_000_000
MAX_PROVINCES = 89  # province codes run from 11 to 99
_MAX_RATE = 0.5
_RESIDENTS_PER_PROVINCE = 250_000
_AUTO_PROVINCES_CAP = 17


@dataclass(frozen=True, slots=True)
class SynthConfig:
    """What to generate.

    Attributes:
        seed: the seed of every random stream; the same seed gives the same bytes.
        residents: the number of distinct people (duplicates and bad rows are extra).
        provinces: the number of provinces; 0 picks one per 250,000 residents (1..17).
        duplicate_rate: extra duplicate rows per person (0.02 = 2 per 100 people).
        bad_fraction: extra malformed rows per valid row, for import tests (0 = none).
        reference_date: "today" for the population; no date of birth lies after it.
        namesake_rate: people who copy an earlier person's name and birth year
            (hard negatives for record linkage), per household.
        twin_rate: households with two or more children that hold a pair of twins.
    """

    seed: int
    residents: int
    provinces: int = 0
    duplicate_rate: float = 0.02
    bad_fraction: float = 0.0
    reference_date: date = field(default_factory=lambda: date(2025, 1, 1))
    namesake_rate: float = 0.004
    twin_rate: float = 0.04

    def __post_init__(self) -> None:
        if not 1 <= self.residents <= MAX_RESIDENTS:
            raise ValidationError(f"residents must be 1..{MAX_RESIDENTS}", field="residents")
        if not 0 <= self.provinces <= MAX_PROVINCES:
            raise ValidationError(f"provinces must be 0..{MAX_PROVINCES}", field="provinces")
        for name in ("duplicate_rate", "bad_fraction", "namesake_rate", "twin_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= _MAX_RATE:
                raise ValidationError(f"{name} must be between 0 and 0.5", field=name)
        if not 1900 <= self.reference_date.year <= 9000:  # noqa: PLR2004 - sane calendar range
            raise ValidationError("reference_date is out of range", field="reference_date")

    @property
    def province_count(self) -> int:
        """The number of provinces to generate (``provinces``, or derived from size)."""
        if self.provinces:
            return self.provinces
        auto = round(self.residents / _RESIDENTS_PER_PROVINCE)
        return max(1, min(_AUTO_PROVINCES_CAP, auto))


def stream(cfg: SynthConfig, part: str) -> random.Random:
    """Return the random stream of one part of the output (``"regions"``, ...)."""
    # A str seed is hashed with SHA-512 by random.Random, so it is stable across runs
    # and platforms (unlike hash()).
    return random.Random(f"carnet.synth/{cfg.seed}/{part}")  # noqa: S311 - synthetic data
