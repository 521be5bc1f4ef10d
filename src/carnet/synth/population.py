"""Synthetic residents, household by household, with planted duplicates.

People are generated in households of one to six (shares of the 2020 Korean
census): single adults, couples, parents with children, sometimes a grandparent.
Children take their father's family name and wives keep their own, so a
household shares an address and usually, but not always, a family name. Ages
follow a household-driven pyramid; partial birth dates (year-month or year only)
are rare and commoner among the old.

Two kinds of hard negatives, different people who look alike, are planted on
purpose: twins (same household, family name and birth date, different given
names) and namesakes (an earlier adult's name and birth year, living
elsewhere). Common names such as 김민준 add more by chance.

Duplicates are extra rows for a person already generated, made by
:mod:`carnet.synth.errors_model` and emitted a few thousand rows later, so
memory stays flat however many residents are generated.
"""

from __future__ import annotations

import heapq
from bisect import bisect
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate
from typing import TYPE_CHECKING

from carnet.synth.addresses import Geography
from carnet.synth.errors_model import make_duplicate
from carnet.synth.names import NameSampler
from carnet.synth.rows import ResidentRow

if TYPE_CHECKING:
    import random  # noqa: TID251 - synthetic data, not security-relevant
    from collections.abc import Iterator

    from carnet.synth.config import SynthConfig
    from carnet.synth.regions import RegionRow

__all__ = ["PopulationStats", "iter_residents"]

_HOUSEHOLD_SIZES = (1, 2, 3, 4, 5, 6)
_HOUSEHOLD_CUM = tuple(accumulate((0.317, 0.280, 0.201, 0.156, 0.037, 0.009)))
# Adult ages by 5-year band from 20 (Korea, 2020, rounded).
_ADULT_BANDS = (6.2, 6.9, 6.4, 7.4, 7.7, 8.6, 8.2, 8.3, 7.6, 5.3, 3.9, 3.1, 2.2, 1.0, 0.4)
_ADULT_CUM = tuple(accumulate(_ADULT_BANDS))
_SINGLE_CUM = tuple(
    accumulate(
        w * (3.0 if pos >= 10 else 2.0 if pos >= 8 else 1.0)  # noqa: PLR2004
        for pos, w in enumerate(_ADULT_BANDS)
    )
)
# Mothers of resident children, by 5-year band from 25.
_MOTHER_CUM = tuple(accumulate((2.0, 5.0, 8.0, 9.0, 9.0, 8.0, 6.0, 4.0)))
_DAYS_PER_YEAR = 365.2425
_ADULT_AGE = 18
_PHONE_SHARE = 0.93
_EMAIL_SHARE = 0.35
_OLD_EMAIL_SHARE = 0.05
_OLD = 70
_PARTIAL_OLD = 0.06
_PARTIAL_YOUNG = 0.008
_SEX_X = 0.0005
_COUPLE_SHARE = 0.6
_GRANDPARENT_SHARE = 0.5
_DUPLICATE_DELAY = 5_000
_OWN_COUNTY_BIRTH = 0.65
_NAMESAKE_POOL = 512
_NAMESAKE_SAMPLING = 0.05  # share of adults that enter the pool namesakes copy from


@dataclass(slots=True)
class PopulationStats:
    """Counts gathered while residents are generated (filled in as rows are yielded)."""

    persons: int = 0
    households: int = 0
    rows: int = 0
    duplicates: int = 0
    twin_pairs: int = 0
    namesakes: int = 0
    duplicate_errors: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class _Member:
    family: str
    sex: str
    age: int
    given: str = ""
    dob_ordinal: int = -1
    twin: bool = False  # the second of a pair of twins


class _Generator:
    """The state of one generation run; see :func:`iter_residents`."""

    def __init__(
        self, cfg: SynthConfig, regions: list[RegionRow], rng: random.Random, stats: PopulationStats
    ) -> None:
        self.cfg = cfg
        self.rng = rng
        self.stats = stats
        self.geo = Geography(regions, rng)
        self.names = NameSampler()
        self.ref_ordinal = cfg.reference_date.toordinal()
        self.ref_year = cfg.reference_date.year
        self.pending: list[tuple[int, int, ResidentRow, str]] = []
        self.namesake_pool: list[tuple[str, str, str, int]] = []
        self.next_ref = 0
        self.next_household = 0

    # -- helpers --------------------------------------------------------------------

    def new_household(self) -> str:
        self.next_household += 1
        return f"HH-{self.next_household:09d}"

    def _band_age(self, cum: tuple[float, ...], start: int) -> int:
        random = self.rng.random
        return start + 5 * bisect(cum, random() * cum[-1]) + int(random() * 5)

    def _between(self, low: int, high: int) -> int:
        """An integer in ``low..high``; faster than ``randint`` on the hot path."""
        return low + int(self.rng.random() * (high - low + 1))

    def _sex(self) -> str:
        roll = self.rng.random()
        if roll < _SEX_X:
            return "X"
        return "F" if roll < 0.5 else "M"  # noqa: PLR2004

    def _members(self, size: int) -> list[_Member]:
        """Family names, sexes and ages of one household."""
        rng = self.rng
        names = self.names
        if size == 1:
            return [_Member(names.family(rng), self._sex(), self._band_age(_SINGLE_CUM, 20))]
        if size == 2 and rng.random() < _COUPLE_SHARE:  # noqa: PLR2004
            age = max(22, self._band_age(_SINGLE_CUM, 20))
            return [
                _Member(names.family(rng), "M", age + self._between(0, 4)),
                _Member(names.family(rng), "F", age),
            ]
        if size == 2:  # noqa: PLR2004 - a parent and a child
            age = max(40, self._band_age(_ADULT_CUM, 20))
            family = names.family(rng)
            child = max(0, age - self._between(22, 40))
            return [_Member(family, self._sex(), age), _Member(family, self._sex(), child)]
        mother = self._band_age(_MOTHER_CUM, 25)
        family = names.family(rng)
        members = [
            _Member(family, "M", mother + self._between(-1, 5)),
            _Member(names.family(rng), "F", mother),
        ]
        children = size - 2
        if size >= 5 and rng.random() < _GRANDPARENT_SHARE:  # noqa: PLR2004
            children -= 1
            grand_age = min(98, members[0].age + self._between(24, 34))
            grandmother = rng.random() < 0.7  # noqa: PLR2004 - widows outlive widowers
            members.append(
                _Member(names.family(rng) if grandmother else family,
                        "F" if grandmother else "M", grand_age)
            )  # fmt: skip
        kids = [
            _Member(family, self._sex(), mother - self._between(22, min(40, mother)))
            for _ in range(children)
        ]
        if children >= 2 and rng.random() < self.cfg.twin_rate:  # noqa: PLR2004
            kids[1].age = kids[0].age
            kids[1].dob_ordinal = kids[0].dob_ordinal = self._dob_ordinal(kids[0].age)
            kids[1].twin = True
        return members[:2] + kids + members[2:]

    def _dob_ordinal(self, age: int) -> int:
        return self.ref_ordinal - int(age * _DAYS_PER_YEAR) - int(self.rng.random() * 365)

    def _namesake(self) -> _Member | None:
        """An adult with the name and birth year of an earlier adult, if any is known."""
        if not self.namesake_pool:
            return None
        family, given, sex, year = self.rng.choice(self.namesake_pool)
        first = date(year, 1, 1).toordinal()
        last = min(date(year, 12, 31).toordinal(), self.ref_ordinal)
        ordinal = self.rng.randint(first, last)
        member = _Member(family, sex, self.ref_year - year, given, ordinal)
        self.stats.namesakes += 1
        return member

    # -- rows -----------------------------------------------------------------------

    def _row(
        self, member: _Member, where: int, address: str, household: str, ref: str
    ) -> ResidentRow:
        # The hot path. int(u * n) stands in for randrange(n), and a uniform u that
        # passed a test u < p is rescaled and reused (u / p is uniform again): both
        # keep generation near 100,000 rows a second.
        random = self.rng.random
        family, sex, age = member.family, member.sex, member.age
        ordinal = member.dob_ordinal
        if ordinal < 0:
            ordinal = self.ref_ordinal - int(age * _DAYS_PER_YEAR) - int(random() * 365)
        dob = date.fromordinal(ordinal).isoformat()
        year = int(dob[:4])
        given = member.given
        while not given or given == family:
            given = self.names.given(self.rng, sex, year)
        member.given = given
        partial = _PARTIAL_OLD if age >= _OLD else _PARTIAL_YOUNG
        u = random()
        if u < partial:
            dob = dob[:7] if u < partial * 0.6 else dob[:4]
        family_latin, given_latin = self.names.latin(family, given)
        phone = email = ""
        if age >= _ADULT_AGE:
            u = random()
            if u < _PHONE_SHARE:
                number = int(u / _PHONE_SHARE * 10_000_000)
                phone = f"010-0{number // 10_000:03d}-{number % 10_000:04d}"
            share = _EMAIL_SHARE if age < _OLD else _OLD_EMAIL_SHARE
            u = random()
            if u < share:
                local = f"{given_latin.replace('-', '')}.{family_latin}{int(u / share * 99) + 1}"
                email = f"{local.lower()}@example.org"
            u = random()
            if u < _NAMESAKE_SAMPLING:
                pool = self.namesake_pool
                entry = (family, given, sex, year)
                if len(pool) < _NAMESAKE_POOL:
                    pool.append(entry)
                else:
                    pool[int(u / _NAMESAKE_SAMPLING * _NAMESAKE_POOL)] = entry
        geo = self.geo
        u = random()
        if u < _OWN_COUNTY_BIRTH:
            birthplace = geo.county_names[geo.county_of[where]]
        else:
            birthplace = geo.county_names[int(random() * len(geo.county_names))]
        return ResidentRow(
            ref, "", family, given, family_latin, given_latin, dob, sex,
            birthplace, address, geo.codes[where], household, phone, email,
        )  # fmt: skip

    def _emit(self, row: ResidentRow) -> ResidentRow:
        self.next_ref += 1
        self.stats.rows += 1
        return row._replace(external_ref=f"SYN-{self.next_ref:09d}")

    def _schedule_duplicate(self, row: ResidentRow, person_id: str) -> None:
        duplicate, errors = make_duplicate(
            row,
            self.rng,
            geography=self.geo,
            reference_date=self.cfg.reference_date,
            new_household=self.new_household,
        )
        for error in errors:
            self.stats.duplicate_errors[error] = self.stats.duplicate_errors.get(error, 0) + 1
        self.stats.duplicates += 1
        due = self.next_ref + self.rng.randint(1, _DUPLICATE_DELAY)
        heapq.heappush(self.pending, (due, self.stats.duplicates, duplicate, person_id))

    def _due(self, *, flush: bool = False) -> Iterator[tuple[ResidentRow, str]]:
        pending = self.pending
        while pending and (flush or pending[0][0] <= self.next_ref):
            _, _, row, person_id = heapq.heappop(pending)
            yield self._emit(row), person_id

    def run(self) -> Iterator[tuple[ResidentRow, str]]:
        rng = self.rng
        stats = self.stats
        target = self.cfg.residents
        duplicate_rate = self.cfg.duplicate_rate
        namesake_rate = self.cfg.namesake_rate
        pending = self.pending
        while stats.persons < target:
            member = self._namesake() if rng.random() < namesake_rate else None
            if member is not None:
                members = [member]
            else:
                size = _HOUSEHOLD_SIZES[bisect(_HOUSEHOLD_CUM, rng.random() * _HOUSEHOLD_CUM[-1])]
                members = self._members(size)
            members = members[: target - stats.persons]
            where = self.geo.pick(rng)
            address = self.geo.address(rng, where)
            household = self.new_household()
            stats.households += 1
            for each in members:
                stats.persons += 1
                stats.twin_pairs += each.twin
                person_id = f"P{stats.persons:09d}"
                self.next_ref += 1
                stats.rows += 1
                row = self._row(each, where, address, household, f"SYN-{self.next_ref:09d}")
                if rng.random() < duplicate_rate:
                    self._schedule_duplicate(row, person_id)
                yield row, person_id
                if pending and pending[0][0] <= self.next_ref:
                    yield from self._due()
        yield from self._due(flush=True)


def iter_residents(
    cfg: SynthConfig,
    regions: list[RegionRow],
    rng: random.Random,
    *,
    stats: PopulationStats | None = None,
) -> Iterator[tuple[ResidentRow, str]]:
    """Yield ``(row, person_id)`` for every resident row, duplicates included.

    ``cfg.residents`` distinct people are generated; about ``cfg.duplicate_rate``
    times as many extra rows repeat one of them with errors. Rows of the same
    person share ``person_id``; ``external_ref`` is unique and sequential
    (``SYN-000000001``, ...). Memory stays flat: duplicates wait in a small heap.
    Pass ``stats`` to have counts filled in as rows are yielded.

    Raises:
        ValueError: ``regions`` has no town or village.
    """
    generator = _Generator(cfg, regions, rng, stats if stats is not None else PopulationStats())
    return generator.run()
