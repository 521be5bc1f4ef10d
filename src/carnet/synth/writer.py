r"""Write a synthetic population to CSV files, streaming, with flat memory.

:func:`write_population` writes into ``out_dir``:

``regions.csv``    the region tree (:data:`carnet.synth.regions.REGION_COLUMNS`);
``stations.csv``   offices and mobile teams (:data:`carnet.synth.regions.STATION_COLUMNS`);
``residents.csv``  the import file (:data:`carnet.synth.rows.RESIDENT_COLUMNS`);
``truth.csv``      ``external_ref,person_id`` for every valid resident row;
``bad_rows.csv``   ``line,kind,external_ref`` for every bad row of residents.csv
                   (1-based physical line numbers, the header being line 1).

All files are UTF-8 with a header and ``\n`` line ends; only bad rows of kind
``invalid_utf8`` put non-UTF-8 bytes into residents.csv. The same config gives
byte-identical files.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from carnet.synth.bad_rows import BAD_ROW_KINDS, make_bad_row
from carnet.synth.config import stream
from carnet.synth.population import PopulationStats, iter_residents
from carnet.synth.regions import (
    REGION_COLUMNS,
    STATION_COLUMNS,
    generate_regions,
    generate_stations,
)
from carnet.synth.rows import RESIDENT_COLUMNS

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from carnet.synth.config import SynthConfig

__all__ = ["BAD_ROWS_COLUMNS", "TRUTH_COLUMNS", "SynthSummary", "write_population"]

TRUTH_COLUMNS = ("external_ref", "person_id")
BAD_ROWS_COLUMNS = ("line", "kind", "external_ref")
_PROGRESS_EVERY = 10_000
_RECENT_REFS = 64
_BUFFER = 1 << 20  # large writes: fewer system calls for files of hundreds of MB


@dataclass(frozen=True, slots=True)
class SynthSummary:
    """What :func:`write_population` wrote."""

    regions: int
    stations: int
    persons: int
    households: int
    resident_rows: int
    duplicate_rows: int
    bad_rows: int
    twin_pairs: int
    namesakes: int
    regions_path: Path
    stations_path: Path
    residents_path: Path
    truth_path: Path
    bad_rows_path: Path
    bad_row_kinds: dict[str, int] = field(default_factory=dict)
    duplicate_errors: dict[str, int] = field(default_factory=dict)


def write_population(
    cfg: SynthConfig,
    out_dir: Path,
    *,
    on_progress: Callable[[int], None] | None = None,
) -> SynthSummary:
    """Generate the population of ``cfg`` and write its CSV files into ``out_dir``.

    ``out_dir`` is created if needed; existing files of the same names are
    replaced. ``on_progress`` is called with the number of resident rows written
    so far (valid and bad), every 10,000 rows and once at the end.

    Raises:
        OSError: ``out_dir`` cannot be created or written.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / f"{name}.csv" for name in ("regions", "stations", "residents",
                                                         "truth", "bad_rows")}  # fmt: skip
    regions = generate_regions(cfg)
    stations = generate_stations(cfg, regions)
    with paths["regions"].open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(REGION_COLUMNS)
        out.writerows((*row[:6], f"{row.lat:.5f}", f"{row.lon:.5f}") for row in regions)
    with paths["stations"].open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(STATION_COLUMNS)
        out.writerows(stations)
    stats = PopulationStats()
    bad_kinds: dict[str, int] = {}
    with (
        paths["residents"].open(
            "w", buffering=_BUFFER, encoding="utf-8", errors="surrogateescape", newline=""
        ) as res,
        paths["truth"].open("w", buffering=_BUFFER, encoding="utf-8", newline="") as truth,
        paths["bad_rows"].open("w", encoding="utf-8", newline="") as bad,
    ):
        res_out = csv.writer(res, lineterminator="\n")
        bad_out = csv.writer(bad, lineterminator="\n")
        res_out.writerow(RESIDENT_COLUMNS)
        truth.write(",".join(TRUTH_COLUMNS) + "\n")
        truth_write = truth.write
        bad_out.writerow(BAD_ROWS_COLUMNS)
        bad_rng = stream(cfg, "bad-rows")
        bad_fraction = cfg.bad_fraction
        recent: list[str] = []
        line = 1
        reported = 0
        for row, person_id in iter_residents(cfg, regions, stream(cfg, "residents"), stats=stats):
            res_out.writerow(row)
            # Refs and person ids never need quoting: write them without the csv module.
            truth_write(f"{row.external_ref},{person_id}\n")
            line += 1
            if bad_fraction and bad_rng.random() < bad_fraction:
                kind = bad_rng.choice(BAD_ROW_KINDS)
                if kind == "duplicate_external_ref" and not recent:
                    kind = "invalid_uin"
                fields = make_bad_row(
                    kind, row, bad_rng,
                    ref=f"SYB-{sum(bad_kinds.values()) + 1:09d}",
                    earlier_refs=recent, reference_date=cfg.reference_date,
                )  # fmt: skip
                res_out.writerow(fields)
                line += 1
                bad_out.writerow((line, kind, fields[0]))
                bad_kinds[kind] = bad_kinds.get(kind, 0) + 1
            if bad_fraction:
                # The bad row above used the refs before this one, so it never
                # repeats the row it was copied from.
                recent.append(row.external_ref)
                if len(recent) > _RECENT_REFS:
                    del recent[0]
            if on_progress is not None and line - 1 - reported >= _PROGRESS_EVERY:
                reported = line - 1
                on_progress(reported)
        if on_progress is not None and line - 1 != reported:
            on_progress(line - 1)
    return SynthSummary(
        regions=len(regions),
        stations=len(stations),
        persons=stats.persons,
        households=stats.households,
        resident_rows=stats.rows,
        duplicate_rows=stats.duplicates,
        bad_rows=sum(bad_kinds.values()),
        twin_pairs=stats.twin_pairs,
        namesakes=stats.namesakes,
        regions_path=paths["regions"],
        stations_path=paths["stations"],
        residents_path=paths["residents"],
        truth_path=paths["truth"],
        bad_rows_path=paths["bad_rows"],
        bad_row_kinds=dict(sorted(bad_kinds.items())),
        duplicate_errors=dict(sorted(stats.duplicate_errors.items())),
    )
