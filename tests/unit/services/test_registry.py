"""Registry use cases over the in-memory unit of work: enrol, read, update, search, history."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

import pytest

from carnet.domain.errors import (
    ConflictError,
    IllegalTransitionError,
    NotFoundError,
    PermissionDeniedError,
    StaleVersionError,
    UinInvalidError,
    ValidationError,
)
from carnet.domain.identifiers import generate_uin, is_valid_uin
from carnet.domain.officials import Role
from carnet.domain.persons import Resident, ResidentStatus
from carnet.services.registry import (
    MAX_PAGE_SIZE,
    allocate_uin,
    enrol_resident,
    get_resident,
    resident_history,
    scope_region_codes,
    search_residents,
    update_resident,
)
from tests.factories import (
    COUNTY_A,
    COUNTY_B,
    PROVINCE,
    TOWN_A,
    TOWN_B,
    VILLAGE_A,
    principal,
    resident_data,
    seeded_bytes,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from carnet.domain.officials import Principal
    from tests.fakes import FakeClock, InMemoryUnitOfWork

pytestmark = pytest.mark.unit

FREE_UIN = "370473083690"  # valid, and never drawn by the seeded sources below
NATIONAL_REGISTRAR = principal(Role.REGISTRAR, national=True)
REGISTRAR_A = principal(Role.REGISTRAR, regions=(COUNTY_A,))
REGISTRAR_B = principal(Role.REGISTRAR, regions=(COUNTY_B,))
STATION_B_REGISTRAR = principal(Role.REGISTRAR, stations=("ST-B",), station_regions=(COUNTY_B,))
AUDITOR = principal(Role.AUDITOR, national=True)
ADMIN = principal(Role.ADMIN, national=True)
APPROVER_A = principal(Role.APPROVER, regions=(COUNTY_A,))


def _enrol(
    uow: InMemoryUnitOfWork,
    clock: FakeClock,
    who: Principal = NATIONAL_REGISTRAR,
    seed: int = 1,
    **overrides: Any,
) -> Resident:
    return enrol_resident(
        uow, who, resident_data(**overrides), clock=clock, random_bytes=seeded_bytes(seed)
    )


def _stored(uow: InMemoryUnitOfWork) -> list[Resident]:
    return list(uow.store.residents.values())


def _replaying(seed: int) -> tuple[str, Callable[[int], bytes]]:
    """The UIN a seeded source draws first, and a source that draws it again and again."""
    rng = random.Random(seed)
    pools: list[bytes] = []

    def record(n: int) -> bytes:
        pools.append(rng.randbytes(n))
        return pools[-1]

    uin = generate_uin(record)
    calls = iter(range(10**6))

    def replay(n: int) -> bytes:
        pool = pools[next(calls) % len(pools)]
        assert len(pool) == n
        return pool

    return uin, replay


# --------------------------------------------------------------------------- enrolment


def test_enrolment_stores_a_new_active_resident_with_a_fresh_uin(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    resident = _enrol(memory_uow, clock, external_ref="LEGACY-1", family_name_latin="Hong")
    assert is_valid_uin(resident.uin)
    assert resident.status is ResidentStatus.ACTIVE
    assert resident.version == 1
    assert resident.created_at == resident.updated_at == clock.now()
    assert resident.external_ref == "LEGACY-1"
    assert resident.family_name_latin == "Hong"
    with memory_uow.fresh() as uow:
        assert uow.residents.get_by_uin(resident.uin) == resident


def test_each_enrolment_gets_its_own_id_and_uin(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    first = _enrol(memory_uow, clock, seed=1)
    second = _enrol(memory_uow, clock, seed=2)
    assert first.id != second.id
    assert first.uin != second.uin
    assert len(_stored(memory_uow)) == 2


def test_enrolment_with_a_given_uin_keeps_it(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    resident = _enrol(memory_uow, clock, uin="3704 7308 3690")
    assert resident.uin == FREE_UIN


@pytest.mark.parametrize("uin", ["370473083691", "12345", "081529809107"])
def test_a_malformed_given_uin_is_refused(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock, uin: str
) -> None:
    with pytest.raises(UinInvalidError):
        _enrol(memory_uow, clock, uin=uin)
    assert _stored(memory_uow) == []


def test_a_given_uin_that_is_taken_is_refused(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    _enrol(memory_uow, clock, uin=FREE_UIN)
    with pytest.raises(ConflictError) as info:
        _enrol(memory_uow, clock, uin=FREE_UIN)
    assert info.value.field == "uin"
    assert len(_stored(memory_uow)) == 1


def test_a_taken_external_reference_is_refused(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    _enrol(memory_uow, clock, seed=1, external_ref="LEGACY-1")
    with pytest.raises(ConflictError):
        _enrol(memory_uow, clock, seed=2, external_ref="LEGACY-1")
    assert len(_stored(memory_uow)) == 1


def test_an_unknown_region_is_refused(memory_uow: InMemoryUnitOfWork, clock: FakeClock) -> None:
    with pytest.raises(ValidationError) as info:
        _enrol(memory_uow, clock, region_code="99")
    assert info.value.field == "region_code"
    assert _stored(memory_uow) == []


def test_enrolment_outside_the_scope_is_refused_as_invalid(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    with pytest.raises(ValidationError) as info:
        _enrol(memory_uow, clock, REGISTRAR_B, region_code=TOWN_A)
    assert info.value.field == "region_code"
    assert _stored(memory_uow) == []


@pytest.mark.parametrize(
    ("who", "region"),
    [
        (REGISTRAR_A, TOWN_A),
        (REGISTRAR_A, VILLAGE_A),
        (STATION_B_REGISTRAR, TOWN_B),
        (principal(Role.REGISTRAR, regions=(PROVINCE,)), TOWN_B),
    ],
)
def test_enrolment_inside_the_scope_is_allowed(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock, who: Principal, region: str
) -> None:
    assert _enrol(memory_uow, clock, who, region_code=region).region_code == region


@pytest.mark.parametrize("who", [ADMIN, AUDITOR, APPROVER_A])
def test_only_registrars_enrol(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock, who: Principal
) -> None:
    with pytest.raises(PermissionDeniedError):
        _enrol(memory_uow, clock, who)
    assert _stored(memory_uow) == []


def test_invalid_input_is_refused_before_anything_is_stored(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    with pytest.raises(ValidationError) as info:
        _enrol(memory_uow, clock, date_of_birth="2026-03-03")  # tomorrow
    assert info.value.field == "date_of_birth"
    assert _stored(memory_uow) == []


def test_allocation_draws_again_when_a_uin_is_taken(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    first = generate_uin(seeded_bytes(5))
    _enrol(memory_uow, clock, uin=first)
    with memory_uow.fresh() as uow:
        uin = allocate_uin(uow, seeded_bytes(5))
    assert uin != first
    assert is_valid_uin(uin)


def test_allocation_gives_up_when_every_draw_is_taken(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    uin, source = _replaying(11)
    _enrol(memory_uow, clock, uin=uin)
    with memory_uow.fresh() as uow, pytest.raises(ConflictError):
        allocate_uin(uow, source)
    with pytest.raises(ConflictError):
        enrol_resident(
            memory_uow, NATIONAL_REGISTRAR, resident_data(), clock=clock, random_bytes=source
        )
    assert len(_stored(memory_uow)) == 1


# --------------------------------------------------------------------------- reading


def test_a_registrar_reads_a_resident_by_uin(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    resident = _enrol(memory_uow, clock)
    assert get_resident(memory_uow, REGISTRAR_A, resident.uin) == resident
    spaced = f"{resident.uin[:4]} {resident.uin[4:8]}-{resident.uin[8:]}"
    assert get_resident(memory_uow, NATIONAL_REGISTRAR, spaced) == resident


def test_an_out_of_scope_resident_looks_exactly_like_a_missing_one(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    resident = _enrol(memory_uow, clock, region_code=TOWN_A)
    with pytest.raises(NotFoundError) as out_of_scope:
        get_resident(memory_uow, REGISTRAR_B, resident.uin)
    with pytest.raises(NotFoundError) as missing:
        get_resident(memory_uow, REGISTRAR_B, FREE_UIN)
    assert repr(out_of_scope.value) == repr(missing.value)
    assert resident.uin not in str(out_of_scope.value)


def test_a_station_scope_reads_residents_of_the_station_region(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    resident = _enrol(memory_uow, clock, region_code=TOWN_B)
    assert get_resident(memory_uow, STATION_B_REGISTRAR, resident.uin) == resident
    other = _enrol(memory_uow, clock, seed=2, region_code=TOWN_A)
    with pytest.raises(NotFoundError):
        get_resident(memory_uow, STATION_B_REGISTRAR, other.uin)


def test_a_malformed_uin_is_reported_as_such(memory_uow: InMemoryUnitOfWork) -> None:
    with pytest.raises(UinInvalidError):
        get_resident(memory_uow, NATIONAL_REGISTRAR, "12345")


@pytest.mark.parametrize("who", [ADMIN, AUDITOR])
def test_administrators_and_auditors_do_not_read_current_records(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock, who: Principal
) -> None:
    resident = _enrol(memory_uow, clock)
    with pytest.raises(PermissionDeniedError):
        get_resident(memory_uow, who, resident.uin)


# --------------------------------------------------------------------------- updating


def test_an_update_is_stored_with_its_history(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    resident = _enrol(memory_uow, clock, address="가상로 1")
    clock.advance(days=1)
    updated = update_resident(
        memory_uow,
        REGISTRAR_A,
        resident.uin,
        {"address": "가상로 2"},
        reason="moved",
        expected_version=1,
        clock=clock,
    )
    assert updated.version == 2
    assert updated.updated_at == clock.now()
    assert get_resident(memory_uow, REGISTRAR_A, resident.uin) == updated
    (change,) = resident_history(memory_uow, AUDITOR, resident.uin)
    assert change.changes == {"address": ("가상로 1", "가상로 2")}
    assert change.changed_by == REGISTRAR_A.official_id
    assert change.reason == "moved"


def test_an_update_against_an_old_version_is_refused(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    resident = _enrol(memory_uow, clock)
    update_resident(
        memory_uow,
        REGISTRAR_A,
        resident.uin,
        {"address": "가상로 2"},
        reason="moved",
        expected_version=1,
        clock=clock,
    )
    with pytest.raises(StaleVersionError) as info:
        update_resident(
            memory_uow,
            REGISTRAR_A,
            resident.uin,
            {"address": "가상로 3"},
            reason="moved again",
            expected_version=1,
            clock=clock,
        )
    assert info.value.field == "version"
    assert get_resident(memory_uow, REGISTRAR_A, resident.uin).address == "가상로 2"


def test_an_update_without_expected_version_applies_to_the_current_one(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    resident = _enrol(memory_uow, clock)
    for n in (2, 3):
        updated = update_resident(
            memory_uow,
            REGISTRAR_A,
            resident.uin,
            {"address": f"가상로 {n}"},
            reason="moved",
            expected_version=None,
            clock=clock,
        )
        assert updated.version == n


def test_a_forbidden_status_move_changes_nothing(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    resident = _enrol(memory_uow, clock)
    update_resident(
        memory_uow,
        REGISTRAR_A,
        resident.uin,
        {"status": "deceased"},
        reason="death record",
        expected_version=1,
        clock=clock,
    )
    with pytest.raises(IllegalTransitionError):
        update_resident(
            memory_uow,
            REGISTRAR_A,
            resident.uin,
            {"status": "active"},
            reason="oops",
            expected_version=2,
            clock=clock,
        )
    assert get_resident(memory_uow, REGISTRAR_A, resident.uin).status is ResidentStatus.DECEASED
    assert len(resident_history(memory_uow, AUDITOR, resident.uin)) == 1


@pytest.mark.parametrize(
    ("who", "target", "allowed"),
    [
        (REGISTRAR_A, VILLAGE_A, True),
        (NATIONAL_REGISTRAR, TOWN_B, True),
        (REGISTRAR_A, TOWN_B, False),
    ],
)
def test_moving_a_resident_needs_the_new_region_in_scope(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock, who: Principal, target: str, allowed: bool
) -> None:
    resident = _enrol(memory_uow, clock, region_code=TOWN_A)

    def move() -> Resident:
        return update_resident(
            memory_uow,
            who,
            resident.uin,
            {"region_code": target},
            reason="moved",
            expected_version=1,
            clock=clock,
        )

    if allowed:
        assert move().region_code == target
    else:
        with pytest.raises(ValidationError) as info:
            move()
        assert info.value.field == "region_code"
        assert get_resident(memory_uow, NATIONAL_REGISTRAR, resident.uin).region_code == TOWN_A


def test_moving_a_resident_to_an_unknown_region_is_refused(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    resident = _enrol(memory_uow, clock)
    with pytest.raises(ValidationError) as info:
        update_resident(
            memory_uow,
            NATIONAL_REGISTRAR,
            resident.uin,
            {"region_code": "99"},
            reason="moved",
            expected_version=1,
            clock=clock,
        )
    assert info.value.field == "region_code"


def test_an_out_of_scope_resident_cannot_be_updated(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    resident = _enrol(memory_uow, clock, region_code=TOWN_A)
    with pytest.raises(NotFoundError):
        update_resident(
            memory_uow,
            REGISTRAR_B,
            resident.uin,
            {"address": "가상로 9"},
            reason="x",
            expected_version=1,
            clock=clock,
        )


def test_only_registrars_update(memory_uow: InMemoryUnitOfWork, clock: FakeClock) -> None:
    resident = _enrol(memory_uow, clock)
    with pytest.raises(PermissionDeniedError):
        update_resident(
            memory_uow,
            APPROVER_A,
            resident.uin,
            {"address": "가상로 9"},
            reason="x",
            expected_version=1,
            clock=clock,
        )


# --------------------------------------------------------------------------- history


def test_history_lists_changes_oldest_first(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    resident = _enrol(memory_uow, clock)
    for n, address in enumerate(["가상로 2", "가상로 3"], start=1):
        update_resident(
            memory_uow,
            NATIONAL_REGISTRAR,
            resident.uin,
            {"address": address},
            reason=f"move {n}",
            expected_version=n,
            clock=clock,
        )
    history = resident_history(memory_uow, REGISTRAR_A, resident.uin)
    assert [c.version for c in history] == [2, 3]
    assert [c.reason for c in history] == ["move 1", "move 2"]
    assert resident_history(memory_uow, AUDITOR, resident.uin) == history


def test_a_new_resident_has_an_empty_history(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    assert resident_history(memory_uow, AUDITOR, _enrol(memory_uow, clock).uin) == []


def test_history_is_bounded_by_scope_and_role(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    resident = _enrol(memory_uow, clock, region_code=TOWN_A)
    auditor_b = principal(Role.AUDITOR, regions=(COUNTY_B,))
    with pytest.raises(NotFoundError):
        resident_history(memory_uow, auditor_b, resident.uin)
    with pytest.raises(NotFoundError):
        resident_history(memory_uow, AUDITOR, FREE_UIN)
    with pytest.raises(PermissionDeniedError):
        resident_history(memory_uow, APPROVER_A, resident.uin)
    with pytest.raises(UinInvalidError):
        resident_history(memory_uow, AUDITOR, "123")


# --------------------------------------------------------------------------- search


def test_scope_region_codes_expands_the_scope(memory_uow: InMemoryUnitOfWork) -> None:
    with memory_uow.fresh() as uow:
        assert scope_region_codes(uow, NATIONAL_REGISTRAR) is None
        assert scope_region_codes(uow, REGISTRAR_A) == frozenset({COUNTY_A, TOWN_A, VILLAGE_A})
        assert scope_region_codes(uow, STATION_B_REGISTRAR) == frozenset({COUNTY_B, TOWN_B})
        assert scope_region_codes(uow, principal(Role.REGISTRAR, regions=(TOWN_A,))) == frozenset(
            {TOWN_A}
        )


def test_a_search_needs_a_criterion(memory_uow: InMemoryUnitOfWork) -> None:
    with pytest.raises(ValidationError):
        search_residents(memory_uow, NATIONAL_REGISTRAR)
    with pytest.raises(ValidationError):
        search_residents(memory_uow, NATIONAL_REGISTRAR, family_name="", given_name="")


@pytest.mark.parametrize("limit", [0, -1, MAX_PAGE_SIZE + 1])
def test_the_page_size_is_bounded(memory_uow: InMemoryUnitOfWork, limit: int) -> None:
    with pytest.raises(ValidationError) as info:
        search_residents(memory_uow, NATIONAL_REGISTRAR, region_code=TOWN_A, limit=limit)
    assert info.value.field == "limit"


@pytest.mark.parametrize("limit", [1, MAX_PAGE_SIZE])
def test_the_page_size_bounds_are_inclusive(memory_uow: InMemoryUnitOfWork, limit: int) -> None:
    assert (
        search_residents(memory_uow, NATIONAL_REGISTRAR, region_code=TOWN_A, limit=limit).items
        == []
    )


@pytest.mark.parametrize("cursor", ["abc", "12345", "370473083691"])
def test_a_malformed_cursor_is_refused(memory_uow: InMemoryUnitOfWork, cursor: str) -> None:
    with pytest.raises(ValidationError):
        search_residents(memory_uow, NATIONAL_REGISTRAR, region_code=TOWN_A, cursor=cursor)


def test_search_by_uin_finds_one_in_scope(memory_uow: InMemoryUnitOfWork, clock: FakeClock) -> None:
    resident = _enrol(memory_uow, clock, region_code=TOWN_A)
    page = search_residents(memory_uow, REGISTRAR_A, uin=resident.uin)
    assert page.items == [resident]
    assert page.next_cursor is None
    assert search_residents(memory_uow, REGISTRAR_B, uin=resident.uin).items == []
    assert search_residents(memory_uow, REGISTRAR_A, uin=FREE_UIN).items == []
    with pytest.raises(UinInvalidError):
        search_residents(memory_uow, REGISTRAR_A, uin="12345")


def test_search_by_name_ignores_accents_case_and_hyphens(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    hong = _enrol(
        memory_uow,
        clock,
        seed=1,
        family_name_native="홍",
        given_name_native="길동",
        family_name_latin="Hong",
        given_name_latin="Gil-dong",
    )
    _enrol(
        memory_uow,
        clock,
        seed=2,
        family_name_native="김",
        given_name_native="서연",
        family_name_latin="Kim",
        given_name_latin="Seo-yeon",
    )
    queries: list[dict[str, Any]] = [
        {"family_name": "hong"},
        {"family_name": "HONG", "given_name": "gildong"},
        {"family_name": "홍"},
        {"given_name": "길동"},
        {"given_name": "Gil dong"},
    ]
    for kwargs in queries:
        assert search_residents(memory_uow, NATIONAL_REGISTRAR, **kwargs).items == [hong], kwargs
    assert search_residents(memory_uow, NATIONAL_REGISTRAR, family_name="Ho").items == []


def test_search_by_partial_birth_date(memory_uow: InMemoryUnitOfWork, clock: FakeClock) -> None:
    april = _enrol(memory_uow, clock, seed=1, date_of_birth="1968-04-21")
    may = _enrol(memory_uow, clock, seed=2, date_of_birth="1968-05-02")
    _enrol(memory_uow, clock, seed=3, date_of_birth="1969-04-21")

    def found(dob: str) -> set[str]:
        return {
            r.uin for r in search_residents(memory_uow, NATIONAL_REGISTRAR, date_of_birth=dob).items
        }

    assert found("1968") == {april.uin, may.uin}
    assert found("1968-04") == {april.uin}
    assert found("1968-04-21") == {april.uin}
    assert found("1968-04-22") == set()
    with pytest.raises(ValidationError):
        found("1968-02-30")


def test_search_stays_inside_the_scope(memory_uow: InMemoryUnitOfWork, clock: FakeClock) -> None:
    in_a = _enrol(memory_uow, clock, seed=1, region_code=TOWN_A, family_name_latin="Park")
    in_b = _enrol(memory_uow, clock, seed=2, region_code=TOWN_B, family_name_latin="Park")

    def found(who: Principal, **kwargs: Any) -> list[Resident]:
        return search_residents(memory_uow, who, **kwargs).items

    assert found(REGISTRAR_A, family_name="park") == [in_a]
    assert found(STATION_B_REGISTRAR, family_name="park") == [in_b]
    assert {r.uin for r in found(NATIONAL_REGISTRAR, family_name="park")} == {in_a.uin, in_b.uin}
    assert found(REGISTRAR_A, region_code=TOWN_B) == []
    assert found(NATIONAL_REGISTRAR, region_code=TOWN_B) == [in_b]


def test_search_pages_through_every_match_once(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    enrolled = {_enrol(memory_uow, clock, seed=s, family_name_latin="Choi").uin for s in range(5)}
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = search_residents(
            memory_uow, NATIONAL_REGISTRAR, family_name="choi", limit=2, cursor=cursor
        )
        pages += 1
        assert len(page.items) <= 2
        seen += [r.uin for r in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
        assert cursor == page.items[-1].uin
    assert pages == 3
    assert sorted(seen) == sorted(enrolled)
    assert len(seen) == len(set(seen))


def test_a_full_last_page_has_no_next_cursor(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    for s in range(3):
        _enrol(memory_uow, clock, seed=s, family_name_latin="Jeong")
    page = search_residents(memory_uow, NATIONAL_REGISTRAR, family_name="jeong", limit=3)
    assert len(page.items) == 3
    assert page.next_cursor is None


@pytest.mark.parametrize("who", [ADMIN, AUDITOR])
def test_searching_needs_read_permission(memory_uow: InMemoryUnitOfWork, who: Principal) -> None:
    with pytest.raises(PermissionDeniedError):
        search_residents(memory_uow, who, family_name="kim")


@pytest.mark.parametrize("code", ["11", "11010"])
def test_a_resident_lives_in_a_town_or_village(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock, code: str
) -> None:
    registrar = principal(Role.REGISTRAR, national=True)
    with pytest.raises(ValidationError, match="town or village"):
        enrol_resident(
            memory_uow.fresh(),
            registrar,
            resident_data(region_code=code),
            clock=clock,
            random_bytes=seeded_bytes(),
        )
