"""Shared synthetic populations, generated once per test session."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import pytest

from carnet.synth import SynthConfig, SynthSummary, write_population

if TYPE_CHECKING:
    from pathlib import Path

REFERENCE_DATE = date(2024, 6, 30)


@dataclass(frozen=True)
class Written:
    """A population written to disk, with its files read back."""

    cfg: SynthConfig
    summary: SynthSummary
    regions: list[dict[str, str]]
    stations: list[dict[str, str]]
    residents: list[dict[str, str]]
    truth: list[dict[str, str]]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_and_read(cfg: SynthConfig, out: Path) -> Written:
    summary = write_population(cfg, out)
    return Written(
        cfg=cfg,
        summary=summary,
        regions=read_csv(summary.regions_path),
        stations=read_csv(summary.stations_path),
        residents=read_csv(summary.residents_path),
        truth=read_csv(summary.truth_path),
    )


@pytest.fixture(scope="session")
def population(tmp_path_factory: pytest.TempPathFactory) -> Written:
    """20,000 people in two provinces, 2% duplicates, no bad rows."""
    cfg = SynthConfig(seed=20240630, residents=20_000, provinces=2, reference_date=REFERENCE_DATE)
    return write_and_read(cfg, tmp_path_factory.mktemp("population"))
