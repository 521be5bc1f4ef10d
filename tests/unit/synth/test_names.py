from __future__ import annotations

import random
from collections import Counter

import pytest

from carnet.domain.romanization import is_hangul_syllable, romanize_name
from carnet.synth.names import FAMILY_NAMES, NameSampler

pytestmark = pytest.mark.unit


def test_family_names_follow_census_shares() -> None:
    rng = random.Random(1)
    sampler = NameSampler()
    counts = Counter(sampler.family(rng) for _ in range(20_000))
    total = sum(weight for _, weight in FAMILY_NAMES)
    # 김 is about a fifth of Koreans, 이 about a seventh, 박 about a twelfth.
    for name in ("김", "이", "박"):
        expected = dict(FAMILY_NAMES)[name] / total
        assert counts[name] / 20_000 == pytest.approx(expected, abs=0.015)
    assert counts.most_common(3) == [(name, counts[name]) for name in ("김", "이", "박")]


@pytest.mark.parametrize("sex", ["F", "M", "X"])
@pytest.mark.parametrize("year", [1930, 1960, 1975, 1990, 2005, 2020])
def test_given_names_are_two_hangul_syllables(sex: str, year: int) -> None:
    rng = random.Random(year)
    sampler = NameSampler()
    names = [sampler.given(rng, sex, year) for _ in range(300)]
    for name in names:
        assert len(name) == 2
        assert all(is_hangul_syllable(ch) for ch in name)
        assert name[0] != name[1]
    # Popular names recur, composed names add variety.
    counts = Counter(names)
    assert counts.most_common(1)[0][1] >= 3
    assert len(counts) >= 100


def test_popular_names_depend_on_the_cohort() -> None:
    rng = random.Random(2)
    sampler = NameSampler()
    young = Counter(sampler.given(rng, "M", 2015) for _ in range(3_000))
    old = Counter(sampler.given(rng, "M", 1955) for _ in range(3_000))
    # 예준 is popular for boys born in the 2010s and cannot be composed (예 is not a
    # first syllable of the boys' table); 영수 is the top name of the 1950s.
    assert young["예준"] > 10
    assert old["예준"] == 0
    assert old["영수"] > young["영수"]


def test_latin_forms_match_romanize_name() -> None:
    sampler = NameSampler()
    for family, given in [("김", "민준"), ("이", "서연"), ("독고", "영재"), ("뭉", "지호")]:
        assert sampler.latin(family, given) == romanize_name(family, given)
        assert sampler.latin(family, given) == romanize_name(family, given)  # cached
