"""A deterministic, seeded synthetic population for demos, imports and linkage tests.

``write_population(SynthConfig(seed=7, residents=100_000), Path("out"))`` writes a
region tree, stations, a resident import file with planted duplicates and hard
negatives, its ground truth, and optionally malformed rows. The same seed gives
byte-identical files. Nothing here describes a real person or place.

This package imports only the standard library and :mod:`carnet.domain`.
"""

from __future__ import annotations

from carnet.synth.bad_rows import BAD_ROW_KINDS
from carnet.synth.config import SynthConfig
from carnet.synth.errors_model import DUPLICATE_ERRORS
from carnet.synth.population import PopulationStats, iter_residents
from carnet.synth.regions import (
    REGION_COLUMNS,
    STATION_COLUMNS,
    RegionRow,
    StationRow,
    generate_regions,
    generate_stations,
)
from carnet.synth.rows import RESIDENT_COLUMNS, ResidentRow
from carnet.synth.writer import BAD_ROWS_COLUMNS, TRUTH_COLUMNS, SynthSummary, write_population

__all__ = [
    "BAD_ROWS_COLUMNS",
    "BAD_ROW_KINDS",
    "DUPLICATE_ERRORS",
    "REGION_COLUMNS",
    "RESIDENT_COLUMNS",
    "STATION_COLUMNS",
    "TRUTH_COLUMNS",
    "PopulationStats",
    "RegionRow",
    "ResidentRow",
    "StationRow",
    "SynthConfig",
    "SynthSummary",
    "generate_regions",
    "generate_stations",
    "iter_residents",
    "write_population",
]
