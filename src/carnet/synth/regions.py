"""A synthetic region tree (province → county → town | village) and its stations.

Names are made from syllable tables in the style of Korean place names (청솔군,
Cheongsol-gun) and romanised with :func:`carnet.domain.romanization.romanize_place`;
they need not match any real place. Codes are digit strings: a province has 2
digits (11, 12, ...), a county 5 (province + 010, 020, ...), a town or village 8
(county + 250.. for towns, 310.. for villages), as Korean administrative codes do.

The tree grows with the population: about one town or village per 3,000
residents, about five per county, and 10-20 counties per province when there are
enough settlements. Each county's first town (code suffix 250) is its seat and
is urban. Stations follow: an office in each county seat (the county office),
one in every other town, and mobile teams attached to each county for its
villages, so a population of a million has roughly 300 stations.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

from carnet.domain.regions import RegionLevel, Settlement, StationKind
from carnet.domain.romanization import romanize_place
from carnet.synth.config import stream

if TYPE_CHECKING:
    import random  # noqa: TID251 - synthetic data, not security-relevant

    from carnet.synth.config import SynthConfig

__all__ = [
    "REGION_COLUMNS",
    "SEAT_SUFFIX",
    "STATION_COLUMNS",
    "RegionRow",
    "StationRow",
    "generate_regions",
    "generate_stations",
]

SEAT_SUFFIX = "250"
_RESIDENTS_PER_SETTLEMENT = 3_000
_SETTLEMENTS_PER_COUNTY = 5
_MAX_SETTLEMENTS_PER_COUNTY = 60
_MAX_COUNTIES = 99
_MAX_TOWNS = 50
_LAT = (34.0, 38.5)
_LON = (126.0, 129.5)
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri")

# Syllables that start and end Korean-style place names.
_FIRST = (
    "청솔한새금은달별해송매죽난동서남북상하중신평안화영광명성수산천양원진계봉대소학월운풍덕"
    "인보정경선미고장단창태가나다마백석"
)
_SECOND = "솔빛내골산천강포주양원진림곡암봉계평안성하동전교수촌리화월담들개실목령덕호"
_ROAD_END = ("로", "길")


class RegionRow(NamedTuple):
    """One row of ``regions.csv``."""

    code: str
    parent_code: str
    level: str
    name_native: str
    name_latin: str
    settlement: str
    lat: float
    lon: float


class StationRow(NamedTuple):
    """One row of ``stations.csv``."""

    code: str
    name: str
    region_code: str
    kind: str
    opening_days: str
    daily_capacity: int


REGION_COLUMNS: tuple[str, ...] = RegionRow._fields
STATION_COLUMNS: tuple[str, ...] = StationRow._fields


class _Namer:
    """Hands out two-syllable stems that are unique across the whole tree."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def stem(self) -> str:
        while True:
            candidate = self._rng.choice(_FIRST) + self._rng.choice(_SECOND)
            if candidate[0] != candidate[1] and candidate not in self._used:
                self._used.add(candidate)
                return candidate
            if len(self._used) > len(_FIRST) * len(_SECOND) // 2:
                # Many regions: widen to three syllables rather than loop for long.
                candidate += self._rng.choice(_SECOND)
                if candidate not in self._used:
                    self._used.add(candidate)
                    return candidate


def _clamp(value: float, bounds: tuple[float, float]) -> float:
    return round(min(bounds[1], max(bounds[0], value)), 5)


def _sizes(total: int, parts: int, minimum: int, rng: random.Random) -> list[int]:
    """Split ``total`` into ``parts`` random sizes, each at least ``minimum``."""
    sizes = [minimum] * parts
    for _ in range(max(0, total - minimum * parts)):
        sizes[rng.randrange(parts)] += 1
    return sizes


def _layout(cfg: SynthConfig) -> tuple[int, int]:
    """The number of provinces and of settlements (towns and villages)."""
    provinces = cfg.province_count
    settlements = max(provinces * 4, math.ceil(cfg.residents / _RESIDENTS_PER_SETTLEMENT))
    return provinces, settlements


def generate_regions(cfg: SynthConfig) -> list[RegionRow]:
    """Build the region tree for ``cfg``, parents before children.

    Raises:
        ValidationError: from :class:`SynthConfig`, never here.
    """
    rng = stream(cfg, "regions")
    namer = _Namer(rng)
    n_provinces, n_settlements = _layout(cfg)
    per_province = _sizes(n_settlements, n_provinces, 4, rng)
    cols = math.ceil(math.sqrt(n_provinces))
    rows_of_grid = math.ceil(n_provinces / cols)
    cell_lat = (_LAT[1] - _LAT[0]) / rows_of_grid
    cell_lon = (_LON[1] - _LON[0]) / cols
    regions: list[RegionRow] = []
    for p_index, p_settlements in enumerate(per_province):
        code = f"{11 + p_index:02d}"
        stem = namer.stem()
        lat = _LAT[0] + cell_lat * (p_index // cols + rng.uniform(0.3, 0.7))
        lon = _LON[0] + cell_lon * (p_index % cols + rng.uniform(0.3, 0.7))
        name = stem + "도"
        regions.append(
            RegionRow(
                code, "", RegionLevel.PROVINCE.value, name, romanize_place(name),
                Settlement.RURAL.value, _clamp(lat, _LAT), _clamp(lon, _LON),
            )
        )  # fmt: skip
        n_counties = max(
            min(20, round(p_settlements / _SETTLEMENTS_PER_COUNTY)),
            math.ceil(p_settlements / _MAX_SETTLEMENTS_PER_COUNTY),
        )
        n_counties = max(1, min(_MAX_COUNTIES, n_counties, p_settlements // 2))
        spread = (cell_lat / 3, cell_lon / 3)
        for c_index, c_settlements in enumerate(_sizes(p_settlements, n_counties, 2, rng)):
            regions.extend(
                _county(
                    code, c_index, c_settlements,
                    centre=(lat, lon), spread=spread, namer=namer, rng=rng,
                )
            )  # fmt: skip
    return regions


def _county(
    province: str,
    index: int,
    settlements: int,
    *,
    centre: tuple[float, float],
    spread: tuple[float, float],
    namer: _Namer,
    rng: random.Random,
) -> list[RegionRow]:
    """A county and its towns and villages; the first town is the urban seat."""
    code = f"{province}{(index + 1) * 10:03d}"
    is_city = rng.random() < 0.25  # noqa: PLR2004 - a quarter of counties are cities (시)
    name = namer.stem() + ("시" if is_city else "군")
    lat = _clamp(centre[0] + rng.uniform(-spread[0], spread[0]), _LAT)
    lon = _clamp(centre[1] + rng.uniform(-spread[1], spread[1]), _LON)
    settlement = Settlement.URBAN.value if is_city else Settlement.RURAL.value
    rows = [
        RegionRow(code, province, RegionLevel.COUNTY.value, name, romanize_place(name),
                  settlement, lat, lon)
    ]  # fmt: skip
    town_share = 0.45 if is_city else 0.3
    towns = 1 + sum(rng.random() < town_share for _ in range(settlements - 1))
    towns = min(towns, _MAX_TOWNS)
    for pos in range(settlements):
        is_town = pos < towns
        suffix = 250 + pos if is_town else 310 + pos - towns
        urban = pos == 0 or (is_town and is_city and rng.random() < 0.5)  # noqa: PLR2004
        child = namer.stem() + ("읍" if is_town else "면")
        rows.append(
            RegionRow(
                f"{code}{suffix:03d}", code,
                RegionLevel.TOWN.value if is_town else RegionLevel.VILLAGE.value,
                child, romanize_place(child),
                Settlement.URBAN.value if urban else Settlement.RURAL.value,
                _clamp(lat + rng.uniform(-0.12, 0.12), _LAT),
                _clamp(lon + rng.uniform(-0.12, 0.12), _LON),
            )
        )  # fmt: skip
    return rows


def _days(rng: random.Random, count: int) -> str:
    """``count`` distinct weekdays, Monday to Friday, in week order."""
    return ",".join(sorted(rng.sample(_WEEKDAYS, count), key=_WEEKDAYS.index))


def generate_stations(cfg: SynthConfig, regions: list[RegionRow]) -> list[StationRow]:
    """Offices for county seats and towns, and mobile teams for each county.

    A county office sits in the county's seat (150-400 residents a day), a town
    office in every other town (40-120 a day), and each county has one mobile team
    plus one per two villages (60-100 a day), attached to the county itself.
    """
    rng = stream(cfg, "stations")
    names = {row.code: row.name_native for row in regions}
    villages: dict[str, int] = {}
    for row in regions:
        if row.level == RegionLevel.VILLAGE.value:
            villages[row.parent_code] = villages.get(row.parent_code, 0) + 1
    stations: list[StationRow] = []
    office = StationKind.OFFICE.value
    for row in regions:
        if row.level == RegionLevel.COUNTY.value:
            days = "Mon,Tue,Wed,Thu,Fri" + (",Sat" if rng.random() < 0.2 else "")  # noqa: PLR2004
            seat = row.code + SEAT_SUFFIX
            stations.append(
                StationRow(f"STN-{seat}", row.name_native + "청", seat, office, days,
                           rng.randint(150, 400))
            )  # fmt: skip
            stations.extend(
                StationRow(
                    f"MOB-{row.code}-{team:02d}", f"{row.name_native} 이동민원팀 {team}", row.code,
                    StationKind.MOBILE.value, _days(rng, rng.randint(2, 4)), rng.randint(60, 100),
                )
                for team in range(1, 2 + villages.get(row.code, 0) // 2)
            )  # fmt: skip
        elif row.level == RegionLevel.TOWN.value and not row.code.endswith(SEAT_SUFFIX):
            stations.append(
                StationRow(f"STN-{row.code}", f"{names[row.code]} 행정복지센터", row.code,
                           office, "Mon,Tue,Wed,Thu,Fri", rng.randint(40, 120))
            )  # fmt: skip
    return stations
