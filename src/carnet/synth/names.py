"""Korean names for synthetic people: family names by frequency, given names by era.

Family-name weights follow the shares of the 2015 Korean census (김 about 21%,
이 15%, 박 8%, ...). Given names come either from a short list of names that
were popular for the person's birth cohort and sex (so common names such as
민준 or 서연 recur, as they do in real registries) or are composed from two
syllables of a per-sex table. None of this describes a real person.
"""

from __future__ import annotations

from bisect import bisect
from itertools import accumulate
from typing import TYPE_CHECKING

from carnet.domain.romanization import customary_family_names, romanize_name

if TYPE_CHECKING:
    import random  # noqa: TID251 - synthetic data, not security-relevant

__all__ = ["FAMILY_NAMES", "NameSampler"]

# (family name, weight in 1/10,000 of the population)
FAMILY_NAMES: tuple[tuple[str, int], ...] = (
    ("김", 2150), ("이", 1470), ("박", 840), ("최", 470), ("정", 430), ("강", 240),
    ("조", 210), ("윤", 200), ("장", 200), ("임", 170), ("한", 150), ("오", 150),
    ("서", 150), ("신", 140), ("권", 140), ("황", 140), ("안", 130), ("송", 120),
    ("류", 110), ("전", 110), ("홍", 110), ("고", 90), ("문", 90), ("양", 90),
    ("손", 90), ("배", 80), ("백", 70), ("허", 60), ("유", 60), ("남", 50),
    ("심", 50), ("노", 40), ("하", 40), ("곽", 40), ("성", 40), ("차", 30),
    ("주", 30), ("우", 30), ("구", 30), ("민", 30), ("진", 30), ("나", 30),
    ("지", 30), ("엄", 30), ("채", 30), ("원", 30), ("천", 20), ("방", 20),
    ("공", 20), ("현", 20), ("함", 20), ("변", 20), ("염", 20), ("여", 20),
    ("추", 10), ("도", 10), ("소", 10), ("석", 10), ("선", 10), ("설", 10),
    ("마", 10), ("길", 10), ("연", 10), ("위", 10), ("표", 10), ("명", 10),
    ("기", 10), ("반", 10), ("왕", 10), ("금", 10), ("옥", 10), ("육", 10),
    ("인", 10), ("맹", 10), ("제", 10), ("모", 10), ("탁", 5), ("국", 5),
    ("어", 5), ("은", 5), ("편", 5), ("용", 5), ("예", 5), ("경", 5), ("봉", 5),
    ("사", 5), ("부", 5), ("남궁", 4), ("황보", 3), ("제갈", 2), ("선우", 2),
    ("독고", 1),
)  # fmt: skip

# Popular given names by the first birth year of a cohort, for (male, female).
_POPULAR: tuple[tuple[int, str, str], ...] = (
    (0, "영수 영호 영식 정수 상철 병수 종수 영철 광수 만수 춘식 용수 명수 재석 기철",
        "순자 영자 정자 영숙 정순 옥순 말순 춘자 순희 영희 명숙 정숙 순옥 금순 경자"),
    (1950, "영수 영철 성수 성호 영호 정호 상철 성진 종호 정수 진호 재호 영훈 광호 동수",
        "영숙 정숙 미숙 경숙 영희 순자 명숙 정희 영미 경희 미경 현숙 영순 은숙 혜숙"),
    (1970, "정훈 성호 성훈 상훈 지훈 정호 성민 준호 재훈 영진 동욱 민수 현석 진우 상현",
        "미영 은영 지영 현정 은정 미정 수진 선영 지현 혜진 은주 정미 민정 경미 윤정"),
    (1985, "지훈 동현 현우 민수 준호 성민 준영 민석 성현 승현 민호 재현 상민 현준 준형",
        "지은 지혜 수진 민지 지현 은지 혜진 소연 유진 지영 보람 슬기 은비 하나 민정"),
    (2000, "민준 현우 지훈 동현 준혁 민재 승민 지환 준서 성민 건우 승현 민성 현준 도현",
        "서연 민지 수빈 지원 유진 지민 서현 수민 예은 지현 채원 지우 윤서 민서 하은"),
    (2010, "민준 서준 도윤 예준 시우 하준 주원 지호 지후 준우 준서 도현 건우 현우 우진",
        "서연 서윤 지우 서현 민서 하은 하윤 윤서 지유 지민 채원 수아 지아 다은 예은"),
)  # fmt: skip
_COMPOSED = {
    "M": ("민준지현성동재승영상정진종태우건도시주형경병기광용철석규연창대",
          "준호민우훈수현진석혁원영철재규환식범빈기근섭오윤열"),
    "F": ("서지민수은혜유예하채다소미영정현선경보나희윤세주연가아",
          "연윤민현은진아영희정빈원서지주경숙미린나유"),
}  # fmt: skip
# The 15 names of a cohort cover 15% of it; the top one about 2.3%, as in birth statistics.
_POPULAR_SHARE = 0.15


class NameSampler:
    """Draws family and given names, with their Latin forms cached."""

    def __init__(self) -> None:
        self._families = tuple(name for name, _ in FAMILY_NAMES)
        self._family_cum = tuple(accumulate(weight for _, weight in FAMILY_NAMES))
        self._family_latin = {name: customary_family_names(name)[0] for name in self._families}
        self._eras = tuple(start for start, _, _ in _POPULAR)
        self._popular = {
            (era, sex): tuple(names.split())
            for era, male, female in _POPULAR
            for sex, names in (("M", male), ("F", female))
        }
        # Gently falling weights: the first name of a cohort is the most common.
        self._popular_cum = tuple(accumulate(1.0 / (rank + 1) ** 0.5 for rank in range(15)))
        self._given_latin: dict[str, str] = {}

    def family(self, rng: random.Random) -> str:
        """A family name drawn by census frequency."""
        return self._families[bisect(self._family_cum, rng.random() * self._family_cum[-1])]

    def given(self, rng: random.Random, sex: str, birth_year: int) -> str:
        """A given name for someone of ``sex`` (F/M; X draws either) born in ``birth_year``."""
        random = rng.random
        if sex not in _COMPOSED:
            sex = "F" if random() < 0.5 else "M"  # noqa: PLR2004
        if random() < _POPULAR_SHARE:
            era = self._eras[bisect(self._eras, birth_year) - 1]
            names = self._popular[era, sex]
            return names[bisect(self._popular_cum, random() * self._popular_cum[-1])]
        first, second = _COMPOSED[sex]
        while True:
            name = first[int(random() * len(first))] + second[int(random() * len(second))]
            if name[0] != name[1]:
                return name

    def latin(self, family: str, given: str) -> tuple[str, str]:
        """The official romanisation of a name (cached; names repeat a lot)."""
        family_latin = self._family_latin.get(family)
        if family_latin is None:
            family_latin = customary_family_names(family)[0]
        given_latin = self._given_latin.get(given)
        if given_latin is None:
            given_latin = romanize_name(family, given)[1]
            self._given_latin[given] = given_latin
        return family_latin, given_latin
