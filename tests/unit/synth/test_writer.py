from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

import pytest

from carnet.domain.dates import PartialDate
from carnet.domain.errors import ValidationError
from carnet.domain.identifiers import is_valid_uin
from carnet.synth import (
    BAD_ROW_KINDS,
    BAD_ROWS_COLUMNS,
    REGION_COLUMNS,
    RESIDENT_COLUMNS,
    STATION_COLUMNS,
    TRUTH_COLUMNS,
    SynthConfig,
    write_population,
)
from tests.unit.synth.conftest import REFERENCE_DATE, read_csv

if TYPE_CHECKING:
    from pathlib import Path

    from tests.unit.synth.conftest import Written

pytestmark = pytest.mark.unit

FILES = ("regions.csv", "stations.csv", "residents.csv", "truth.csv", "bad_rows.csv")


def _cfg(**kwargs: object) -> SynthConfig:
    settings: dict[str, object] = {
        "seed": 77, "residents": 3_000, "provinces": 2, "reference_date": REFERENCE_DATE, **kwargs,
    }  # fmt: skip
    return SynthConfig(**settings)  # type: ignore[arg-type]


def _header(path: Path) -> tuple[str, ...]:
    return tuple(path.read_bytes().split(b"\n", 1)[0].decode("utf-8").split(","))


def test_headers_are_the_contract(population: Written) -> None:
    summary = population.summary
    assert _header(summary.regions_path) == REGION_COLUMNS
    assert _header(summary.stations_path) == STATION_COLUMNS
    assert _header(summary.residents_path) == RESIDENT_COLUMNS
    assert _header(summary.truth_path) == TRUTH_COLUMNS
    assert _header(summary.bad_rows_path) == BAD_ROWS_COLUMNS
    assert read_csv(summary.bad_rows_path) == []


def test_summary_matches_the_files(population: Written) -> None:
    summary = population.summary
    assert summary.regions == len(population.regions)
    assert summary.stations == len(population.stations)
    assert summary.resident_rows == len(population.residents) == len(population.truth)
    assert summary.resident_rows == summary.persons + summary.duplicate_rows
    assert summary.bad_rows == 0
    assert summary.bad_row_kinds == {}
    assert summary.households > summary.persons / 4


def test_residents_live_in_towns_and_villages(population: Written) -> None:
    levels = {row["code"]: row["level"] for row in population.regions}
    assert {levels[row["region_code"]] for row in population.residents} <= {"town", "village"}
    stations = {row["region_code"] for row in population.stations}
    assert stations <= set(levels)


def test_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    cfg = _cfg(bad_fraction=0.02)
    write_population(cfg, tmp_path / "a")
    write_population(cfg, tmp_path / "b")
    write_population(_cfg(seed=78, bad_fraction=0.02), tmp_path / "c")
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / "residents.csv").read_bytes() != (
        tmp_path / "c" / "residents.csv"
    ).read_bytes()


def test_progress_is_reported(tmp_path: Path) -> None:
    seen: list[int] = []
    summary = write_population(_cfg(residents=25_000), tmp_path, on_progress=seen.append)
    assert seen == sorted(seen)
    assert seen[0] >= 10_000
    assert seen[-1] == summary.resident_rows
    assert len(seen) == 3


@pytest.fixture(scope="module")
def with_bad_rows(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    clean = tmp_path_factory.mktemp("clean")
    bad = tmp_path_factory.mktemp("bad")
    write_population(_cfg(), clean)
    write_population(_cfg(bad_fraction=0.08), bad)
    return clean, bad


def test_bad_rows_leave_valid_rows_untouched(with_bad_rows: tuple[Path, Path]) -> None:
    clean, bad = with_bad_rows
    manifest = read_csv(bad / "bad_rows.csv")
    bad_lines = {int(entry["line"]) for entry in manifest}
    lines = (bad / "residents.csv").read_bytes().split(b"\n")[:-1]
    kept = [line for number, line in enumerate(lines, start=1) if number not in bad_lines]
    assert kept == (clean / "residents.csv").read_bytes().split(b"\n")[:-1]
    assert (bad / "truth.csv").read_bytes() == (clean / "truth.csv").read_bytes()
    assert (bad / "regions.csv").read_bytes() == (clean / "regions.csv").read_bytes()


def _defect(kind: str, fields: list[str], earlier: dict[str, list[str]], regions: set[str]) -> bool:
    row = dict(zip(RESIDENT_COLUMNS, fields, strict=False))
    checks = {
        "wrong_column_count": lambda: len(fields) != len(RESIDENT_COLUMNS),
        "invalid_uin": lambda: row["uin"] != "" and not is_valid_uin(row["uin"]),
        "impossible_date": lambda: _unparsable(row["date_of_birth"]),
        "future_date": lambda: PartialDate.parse(row["date_of_birth"]).earliest() > REFERENCE_DATE,
        "unknown_region": lambda: (
            row["region_code"].isdigit()
            and len(row["region_code"]) == 8
            and row["region_code"] not in regions
        ),
        "oversize_field": lambda: max(len(value) for value in fields) > 200,
        "duplicate_external_ref": lambda: (
            row["external_ref"] in earlier and earlier[row["external_ref"]] != fields
        ),
    }
    return checks[kind]()


def _unparsable(text: str) -> bool:
    try:
        PartialDate.parse(text)
    except ValidationError:
        return True
    return False


def test_each_bad_row_has_the_defect_it_claims(with_bad_rows: tuple[Path, Path]) -> None:
    _, bad = with_bad_rows
    manifest = {int(entry["line"]): entry for entry in read_csv(bad / "bad_rows.csv")}
    regions = {row["code"] for row in read_csv(bad / "regions.csv")}
    earlier: dict[str, list[str]] = {}
    lines = (bad / "residents.csv").read_bytes().split(b"\n")[:-1]
    kinds_seen: set[str] = set()
    for number, raw in enumerate(lines, start=1):
        entry = manifest.get(number)
        if entry is not None and entry["kind"] == "invalid_utf8":
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
            kinds_seen.add("invalid_utf8")
            continue
        fields = next(csv.reader(io.StringIO(raw.decode("utf-8"))))
        if entry is None:
            if number > 1:
                assert len(fields) == len(RESIDENT_COLUMNS)
                assert fields[0].startswith("SYN-")
                earlier.setdefault(fields[0], fields)
            continue
        assert _defect(entry["kind"], fields, earlier, regions), entry
        assert fields[0] == entry["external_ref"]
        kinds_seen.add(entry["kind"])
    assert kinds_seen == set(BAD_ROW_KINDS)


def test_bad_row_counts_in_the_summary(tmp_path: Path) -> None:
    summary = write_population(_cfg(residents=2_000, bad_fraction=0.05), tmp_path)
    manifest = read_csv(summary.bad_rows_path)
    assert summary.bad_rows == len(manifest) == sum(summary.bad_row_kinds.values())
    assert summary.bad_rows / summary.resident_rows == pytest.approx(0.05, rel=0.35)
    raw_lines = summary.residents_path.read_bytes().count(b"\n")
    assert raw_lines == 1 + summary.resident_rows + summary.bad_rows


def test_a_duplicate_ref_needs_an_earlier_row(tmp_path: Path) -> None:
    # With one resident, a bad row can only follow the first row: it never
    # claims to duplicate a reference, because there is none before it.
    kinds: set[str] = set()
    for seed in range(48):
        summary = write_population(
            _cfg(seed=seed, residents=1, bad_fraction=0.5, duplicate_rate=0.0), tmp_path / str(seed)
        )
        kinds.update(summary.bad_row_kinds)
    assert "duplicate_external_ref" not in kinds
    assert "invalid_uin" in kinds
