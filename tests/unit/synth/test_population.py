from __future__ import annotations

import re
import tracemalloc
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

import pytest

from carnet.domain.dates import PartialDate
from carnet.domain.persons import ResidentDraft
from carnet.synth import (
    RESIDENT_COLUMNS,
    PopulationStats,
    SynthConfig,
    generate_regions,
    iter_residents,
)
from carnet.synth.config import stream

if TYPE_CHECKING:
    from datetime import date

    from tests.unit.synth.conftest import Written

pytestmark = pytest.mark.unit

_PHONE = re.compile(r"^010-0\d{3}-\d{4}$")


def _age(dob: str, today: date) -> int:
    born = PartialDate.parse(dob).earliest()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def test_the_column_contract() -> None:
    assert RESIDENT_COLUMNS == (
        "external_ref", "uin", "family_name_native", "given_name_native", "family_name_latin",
        "given_name_latin", "date_of_birth", "sex", "place_of_birth", "address", "region_code",
        "household_ref", "phone", "email",
    )  # fmt: skip


def test_counts_and_references(population: Written) -> None:
    residents, truth, cfg = population.residents, population.truth, population.cfg
    refs = [row["external_ref"] for row in residents]
    assert refs == [f"SYN-{n:09d}" for n in range(1, len(refs) + 1)]
    assert [row["external_ref"] for row in truth] == refs
    persons = Counter(row["person_id"] for row in truth)
    assert len(persons) == cfg.residents == population.summary.persons
    assert all(row["uin"] == "" for row in residents)


def test_every_row_passes_the_domain_validator(population: Written) -> None:
    for row in population.residents:
        draft = ResidentDraft.build(row, today=population.cfg.reference_date)
        assert draft.region_code == row["region_code"]


def test_dates_of_birth(population: Written) -> None:
    today = population.cfg.reference_date
    shapes = Counter(len(row["date_of_birth"]) for row in population.residents)
    assert set(shapes) == {4, 7, 10}
    assert shapes[10] / len(population.residents) > 0.97
    ages = [_age(row["date_of_birth"], today) for row in population.residents]
    assert min(ages) >= 0
    assert max(ages) <= 105
    share = Counter("child" if a < 18 else "old" if a >= 65 else "adult" for a in ages)
    total = len(ages)
    assert 0.10 < share["child"] / total < 0.30
    assert 0.08 < share["old"] / total < 0.30
    assert 35 <= sorted(ages)[total // 2] <= 55


def test_sexes(population: Written) -> None:
    sexes = Counter(row["sex"] for row in population.residents)
    assert set(sexes) <= {"F", "M", "X"}
    assert sexes["F"] / sum(sexes.values()) == pytest.approx(0.5, abs=0.03)
    assert sexes["X"] < 30


def test_households_share_an_address_and_often_a_family_name(population: Written) -> None:
    households: defaultdict[str, list[dict[str, str]]] = defaultdict(list)
    for row in population.residents:
        if row["household_ref"]:
            households[row["household_ref"]].append(row)
    for members in households.values():
        assert len({(m["address"], m["region_code"]) for m in members}) == 1
    # Family names are checked on first records only: a duplicate may swap names.
    seen: set[str] = set()
    households.clear()
    for row, truth in zip(population.residents, population.truth, strict=True):
        if truth["person_id"] not in seen:
            seen.add(truth["person_id"])
            households[row["household_ref"]].append(row)
    shared_family = 0
    families = 0
    for members in households.values():
        if len({m["family_name_native"] for m in members}) < len(members):
            shared_family += 1
        if len(members) >= 3:
            families += 1
            assert len({m["family_name_native"] for m in members}) < len(members)
    assert families > 0
    assert shared_family > families
    sizes = Counter(len(m) for m in households.values())
    assert sizes[1] > sizes[5] > 0


def test_phones_for_adults_only_and_reserved_emails(population: Written) -> None:
    today = population.cfg.reference_date
    phones = 0
    for row in population.residents:
        if row["phone"]:
            phones += 1
            assert _PHONE.match(row["phone"])
            assert _age(row["date_of_birth"], today) >= 17  # partial dates blur a year
        if row["email"]:
            assert row["email"].endswith("@example.org")
            assert row["email"].isascii()
    assert phones > len(population.residents) / 2


def test_names_and_romanisation(population: Written) -> None:
    for row in population.residents:
        assert row["family_name_native"]
        assert row["given_name_native"]
        assert row["family_name_latin"][0].isupper()
    families = Counter(row["family_name_native"] for row in population.residents)
    assert [name for name, _ in families.most_common(3)] == ["김", "이", "박"]


def test_addresses_and_places_exist(population: Written) -> None:
    regions = {row["code"]: row for row in population.regions}
    counties = {row["name_native"] for row in population.regions if row["level"] == "county"}
    for row in population.residents:
        region = regions[row["region_code"]]
        assert region["level"] in {"town", "village"}
        assert region["name_native"] in row["address"]
        assert row["place_of_birth"] in counties


def test_duplicates_are_planted_at_the_configured_rate(population: Written) -> None:
    persons = Counter(row["person_id"] for row in population.truth)
    extra = sum(count - 1 for count in persons.values())
    assert extra == population.summary.duplicate_rows
    assert extra / population.cfg.residents == pytest.approx(population.cfg.duplicate_rate, rel=0.2)
    errors = population.summary.duplicate_errors
    assert set(errors) == {
        "romanization_variant", "native_typo", "latin_typo", "name_swap",
        "dob_day_month_swap", "dob_year_off", "dob_truncated", "moved",
    }  # fmt: skip


def test_hard_negatives_twins_and_namesakes(population: Written) -> None:
    by_person: dict[str, str] = {row["external_ref"]: row["person_id"] for row in population.truth}
    twins = 0
    households: defaultdict[tuple[str, str, str], set[str]] = defaultdict(set)
    for row in population.residents:
        key = (row["household_ref"], row["family_name_native"], row["date_of_birth"])
        if row["household_ref"]:
            households[key].add(row["given_name_native"] + by_person[row["external_ref"]])
    for names in households.values():
        if len({name[:2] for name in names}) >= 2:
            twins += 1
    assert twins >= population.summary.twin_pairs * 0.8
    assert population.summary.twin_pairs > 0
    same_name_year: defaultdict[tuple[str, str, str], set[str]] = defaultdict(set)
    for row in population.residents:
        key = (row["family_name_native"], row["given_name_native"], row["date_of_birth"][:4])
        same_name_year[key].add(by_person[row["external_ref"]])
    lookalikes = sum(1 for people in same_name_year.values() if len(people) >= 2)
    assert population.summary.namesakes > 0
    assert lookalikes >= population.summary.namesakes


def test_stats_are_filled_in_while_iterating() -> None:
    cfg = SynthConfig(seed=2, residents=3_000, duplicate_rate=0.1)
    stats = PopulationStats()
    rows = list(iter_residents(cfg, generate_regions(cfg), stream(cfg, "r"), stats=stats))
    assert stats.persons == 3_000
    assert stats.rows == len(rows) == 3_000 + stats.duplicates
    assert stats.households <= 3_000
    assert sum(stats.duplicate_errors.values()) >= stats.duplicates * 0.9


def test_namesakes_copy_an_earlier_adult() -> None:
    cfg = SynthConfig(seed=4, residents=2_000, namesake_rate=0.5, duplicate_rate=0.0)
    stats = PopulationStats()
    rows = [
        row for row, _ in iter_residents(cfg, generate_regions(cfg), stream(cfg, "r"), stats=stats)
    ]
    assert stats.namesakes > 100
    names = Counter((row.family_name_native, row.given_name_native) for row in rows)
    assert names.most_common(1)[0][1] > 5


def test_no_duplicates_when_the_rate_is_zero() -> None:
    cfg = SynthConfig(seed=2, residents=2_000, duplicate_rate=0.0)
    rows = list(iter_residents(cfg, generate_regions(cfg), stream(cfg, "r")))
    assert len({person for _, person in rows}) == len(rows) == 2_000


def test_regions_without_settlements_are_refused() -> None:
    cfg = SynthConfig(seed=2, residents=10)
    provinces_only = [row for row in generate_regions(cfg) if row.level == "province"]
    with pytest.raises(ValueError, match="no town or village"):
        iter_residents(cfg, provinces_only, stream(cfg, "r"))


def _peak(residents: int) -> int:
    cfg = SynthConfig(seed=3, residents=residents)
    regions = generate_regions(SynthConfig(seed=3, residents=100_000))
    tracemalloc.start()
    try:
        for _ in iter_residents(cfg, regions, stream(cfg, "r")):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat() -> None:
    # Keeping 10,000 more rows would take well over 10 MB; only the pending
    # duplicates and a few small caches (given names, namesakes) may grow.
    small, large = _peak(2_000), _peak(12_000)
    assert large - small < 1_000_000
