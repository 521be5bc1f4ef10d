from __future__ import annotations

import math
from collections import Counter

import pytest

from carnet.domain.regions import Region, RegionLevel, Settlement, Station, StationKind
from carnet.domain.romanization import romanize_place
from carnet.synth import SynthConfig, generate_regions, generate_stations
from carnet.synth.regions import SEAT_SUFFIX, RegionRow

pytestmark = pytest.mark.unit

LEVELS = {"province", "county", "town", "village"}


def _tree(residents: int, provinces: int = 0, seed: int = 3) -> list[RegionRow]:
    return generate_regions(SynthConfig(seed=seed, residents=residents, provinces=provinces))


def test_codes_are_well_formed_and_nested() -> None:
    regions = _tree(200_000, provinces=3)
    by_code = {row.code: row for row in regions}
    assert len(by_code) == len(regions)
    seen: set[str] = set()
    for row in regions:
        assert row.code.isdigit()
        assert row.level in LEVELS
        assert row.settlement in {"urban", "rural"}
        if row.level == "province":
            assert len(row.code) == 2
            assert row.parent_code == ""
        else:
            parent = by_code[row.parent_code]
            assert row.parent_code in seen, "parents come before children"
            assert row.code.startswith(parent.code)
            expected = {"county": ("province", 5), "town": ("county", 8), "village": ("county", 8)}
            assert (parent.level, len(row.code)) == expected[row.level]
        seen.add(row.code)


def test_rows_are_valid_domain_regions() -> None:
    for row in _tree(50_000, provinces=2):
        region = Region(
            code=row.code,
            name_native=row.name_native,
            name_latin=row.name_latin,
            level=RegionLevel(row.level),
            settlement=Settlement(row.settlement),
            parent_code=row.parent_code or None,
            lat=row.lat,
            lon=row.lon,
        )
        assert region.code == row.code


def test_names_look_korean_and_are_romanised() -> None:
    suffix = {"province": ("도",), "county": ("군", "시"), "town": ("읍",), "village": ("면",)}
    latin_suffix = {"도": "-do", "군": "-gun", "시": "-si", "읍": "-eup", "면": "-myeon"}
    regions = _tree(300_000, provinces=2)
    for row in regions:
        assert row.name_native.endswith(suffix[row.level])
        assert row.name_latin == romanize_place(row.name_native)
        assert row.name_latin.endswith(latin_suffix[row.name_native[-1]])
        assert row.name_latin[0].isupper()
    names = [row.name_native for row in regions]
    assert len(set(names)) == len(names)


def test_coordinates_in_the_box_and_children_near_parents() -> None:
    regions = _tree(500_000, provinces=4)
    by_code = {row.code: row for row in regions}
    for row in regions:
        assert 34.0 <= row.lat <= 38.5
        assert 126.0 <= row.lon <= 129.5
        if row.parent_code:
            parent = by_code[row.parent_code]
            assert math.hypot(row.lat - parent.lat, row.lon - parent.lon) < 1.5


def test_each_county_has_an_urban_seat_and_a_village_or_town() -> None:
    regions = _tree(100_000, provinces=2)
    children = Counter(row.parent_code for row in regions if row.level in {"town", "village"})
    by_code = {row.code: row for row in regions}
    for row in regions:
        if row.level == "county":
            assert children[row.code] >= 2
            seat = by_code[row.code + SEAT_SUFFIX]
            assert (seat.level, seat.settlement) == ("town", "urban")
        if row.level == "village":
            assert row.settlement == "rural"


@pytest.mark.parametrize("residents", [100_000, 1_000_000, 5_000_000])
def test_tree_size_scales_with_the_population(residents: int) -> None:
    regions = _tree(residents)
    levels = Counter(row.level for row in regions)
    settlements = levels["town"] + levels["village"]
    assert residents / 5_000 <= settlements <= residents / 2_000
    if residents >= 1_000_000:
        assert 10 * levels["province"] <= levels["county"] <= 20 * levels["province"]


def test_a_million_residents_get_about_300_stations() -> None:
    cfg = SynthConfig(seed=11, residents=1_000_000)
    stations = generate_stations(cfg, generate_regions(cfg))
    assert 250 <= len(stations) <= 350


def test_small_populations_still_get_a_tree() -> None:
    regions = _tree(1)
    assert Counter(row.level for row in regions)["province"] == 1
    assert any(row.level == "town" for row in regions)


def test_stations_follow_the_tree() -> None:
    cfg = SynthConfig(seed=4, residents=300_000, provinces=2)
    regions = generate_regions(cfg)
    stations = generate_stations(cfg, regions)
    by_code = {row.code: row for row in regions}
    codes = [station.code for station in stations]
    assert len(set(codes)) == len(codes)
    offices_in = Counter(s.region_code for s in stations if s.kind == "office")
    mobile_in = Counter(s.region_code for s in stations if s.kind == "mobile")
    for row in regions:
        if row.level == "town":
            assert offices_in[row.code] == 1, "an office in every town, the seat included"
        if row.level == "county":
            assert mobile_in[row.code] >= 1
    for station in stations:
        region = by_code[station.region_code]
        domain = Station(
            code=station.code,
            name=station.name,
            region_code=station.region_code,
            kind=StationKind(station.kind),
            opening_days=frozenset(station.opening_days.split(",")),
            daily_capacity=station.daily_capacity,
        )
        assert domain.code == station.code
        if station.kind == "mobile":
            assert region.level == "county"
            assert 60 <= station.daily_capacity <= 100
            assert 2 <= len(station.opening_days.split(",")) <= 4
        elif station.region_code.endswith(SEAT_SUFFIX):
            assert 150 <= station.daily_capacity <= 400
            assert station.opening_days.startswith("Mon,Tue,Wed,Thu,Fri")
        else:
            assert region.level == "town"
            assert 40 <= station.daily_capacity <= 120
            assert station.opening_days == "Mon,Tue,Wed,Thu,Fri"


def test_regions_and_stations_are_deterministic() -> None:
    cfg = SynthConfig(seed=9, residents=80_000)
    assert generate_regions(cfg) == generate_regions(cfg)
    assert generate_stations(cfg, generate_regions(cfg)) == generate_stations(
        cfg, generate_regions(cfg)
    )
    assert generate_regions(cfg) != generate_regions(SynthConfig(seed=10, residents=80_000))


def test_many_regions_widen_names_to_three_syllables() -> None:
    # 20 million people need thousands of distinct names.
    regions = _tree(20_000_000, provinces=17)
    names = [row.name_native for row in regions]
    assert len(set(names)) == len(names)
    assert any(len(row.name_native) == 4 for row in regions)
