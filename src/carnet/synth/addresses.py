"""Where synthetic people live: settlement weights, road names and addresses.

Addresses follow the Korean road-name form, in Hangul: province, county, town or
village, road, building number, and for many urban homes an apartment block and
unit (``가람도 청솔군 솔내읍 솔내중앙로 12, 103동 1204호``). County seats draw
the most residents, other urban towns fewer, villages fewest.
"""

from __future__ import annotations

from bisect import bisect
from itertools import accumulate
from typing import TYPE_CHECKING

from carnet.domain.regions import RegionLevel, Settlement
from carnet.synth.regions import SEAT_SUFFIX

if TYPE_CHECKING:
    import random  # noqa: TID251 - synthetic data, not security-relevant

    from carnet.synth.regions import RegionRow

__all__ = ["Geography"]

_ROAD_WORDS = (
    "중앙", "시장", "학교", "역전", "강변", "문화", "공원", "산업", "평화", "행복",
    "희망", "새마을", "충효", "장터", "들녘", "솔밭", "배꽃", "은행", "느티", "버들",
)  # fmt: skip
_APARTMENT_SHARE = 0.6


class Geography:
    """The settlements (towns and villages) people can live in, with their roads."""

    def __init__(self, regions: list[RegionRow], rng: random.Random) -> None:
        by_code = {row.code: row for row in regions}
        levels = (RegionLevel.TOWN.value, RegionLevel.VILLAGE.value)
        settlements = [row for row in regions if row.level in levels]
        if not settlements:
            msg = "the region tree has no town or village"
            raise ValueError(msg)
        self.codes: tuple[str, ...] = tuple(row.code for row in settlements)
        self.index_of: dict[str, int] = {code: pos for pos, code in enumerate(self.codes)}
        self.urban: tuple[bool, ...] = tuple(
            row.settlement == Settlement.URBAN.value for row in settlements
        )
        counties = sorted({row.parent_code for row in settlements})
        self.county_names: tuple[str, ...] = tuple(by_code[code].name_native for code in counties)
        county_index = {code: pos for pos, code in enumerate(counties)}
        self.county_of: tuple[int, ...] = tuple(
            county_index[row.parent_code] for row in settlements
        )
        prefixes: list[str] = []
        roads: list[tuple[str, ...]] = []
        weights: list[float] = []
        for row in settlements:
            county = by_code[row.parent_code]
            province = by_code[county.parent_code]
            prefixes.append(f"{province.name_native} {county.name_native} {row.name_native}")
            roads.append(self._roads(row.name_native[:-1], rng))
            weights.append(self._weight(row, rng))
        self._prefixes = tuple(prefixes)
        self._road_names = tuple(roads)
        self._cum = tuple(accumulate(weights))

    @staticmethod
    def _weight(row: RegionRow, rng: random.Random) -> float:
        if row.code.endswith(SEAT_SUFFIX):
            return rng.uniform(6.0, 12.0)
        if row.settlement == Settlement.URBAN.value:
            return rng.uniform(3.0, 6.0)
        if row.level == RegionLevel.TOWN.value:
            return rng.uniform(1.5, 3.0)
        return rng.uniform(0.5, 1.5)

    @staticmethod
    def _roads(stem: str, rng: random.Random) -> tuple[str, ...]:
        names = [f"{stem}로", f"{stem}중앙로"]
        names.extend(
            word + rng.choice(("로", "길", f"{rng.randint(1, 9)}길"))
            for word in rng.sample(_ROAD_WORDS, rng.randint(3, 8))
        )
        return tuple(names)

    def __len__(self) -> int:
        return len(self.codes)

    def pick(self, rng: random.Random) -> int:
        """A settlement index, drawn by settlement weight."""
        return bisect(self._cum, rng.random() * self._cum[-1])

    def pick_other(self, rng: random.Random, index: int) -> int:
        """A settlement other than ``index`` (when there is another one)."""
        for _ in range(8):
            other = self.pick(rng)
            if other != index:
                return other
        return (index + 1) % len(self.codes)

    def address(self, rng: random.Random, index: int) -> str:
        """A road-name address in settlement ``index``."""
        random = rng.random
        roads = self._road_names[index]
        road = roads[int(random() * len(roads))]
        text = f"{self._prefixes[index]} {road} {int(random() * 299) + 1}"
        if self.urban[index] and random() < _APARTMENT_SHARE:
            block, floor, unit = (
                101 + int(random() * 15),
                1 + int(random() * 25),
                1 + int(random() * 8),
            )
            text += f", {block}동 {floor}{unit:02d}호"
        return text
