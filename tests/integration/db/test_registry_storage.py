"""The registry use cases on real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from carnet.domain.errors import ConflictError, NotFoundError, StaleVersionError
from carnet.domain.identifiers import is_valid_uin
from carnet.domain.officials import Role
from carnet.services import registry
from tests.factories import COUNTY_B, TOWN_A, TOWN_B, fresh_uin, principal, resident_data

if TYPE_CHECKING:
    from carnet.bootstrap import Container

pytestmark = pytest.mark.integration

REGISTRAR = principal(Role.REGISTRAR, national=True)


def enrol(box: Container, **overrides: object) -> str:
    resident = registry.enrol_resident(
        box.uow(),
        REGISTRAR,
        resident_data(**overrides),
        clock=box.clock,
        random_bytes=box.random_bytes,
    )
    return resident.uin


def test_enrol_then_read_round_trips_every_field(seeded: Container) -> None:
    data = resident_data(date_of_birth="1971-04", phone="010-1234-5678")
    resident = registry.enrol_resident(
        seeded.uow(), REGISTRAR, data, clock=seeded.clock, random_bytes=seeded.random_bytes
    )
    loaded = registry.get_resident(seeded.uow(), REGISTRAR, resident.uin)
    assert is_valid_uin(loaded.uin)
    assert loaded == resident
    assert str(loaded.date_of_birth) == "1971-04"
    assert loaded.created_at == seeded.clock.now()


def test_update_keeps_old_values_author_time_and_reason(seeded: Container) -> None:
    uin = enrol(seeded, address="옛주소 1")
    seeded.clock.advance(days=1)  # type: ignore[attr-defined]
    updated = registry.update_resident(
        seeded.uow(),
        REGISTRAR,
        uin,
        {"address": "새주소 2", "region_code": TOWN_B},
        reason="moved house",
        expected_version=1,
        clock=seeded.clock,
    )
    assert updated.version == 2
    history = registry.resident_history(seeded.uow(), REGISTRAR, uin)
    assert len(history) == 1
    change = history[0]
    assert change.changes["address"] == ("옛주소 1", "새주소 2")
    assert change.changes["region_code"] == (TOWN_A, TOWN_B)
    assert change.reason == "moved house"
    assert change.changed_by == REGISTRAR.official_id
    assert change.changed_at == seeded.clock.now()


def test_stale_version_is_refused_and_nothing_is_written(seeded: Container) -> None:
    uin = enrol(seeded)
    registry.update_resident(
        seeded.uow(),
        REGISTRAR,
        uin,
        {"address": "A 1"},
        reason="r",
        expected_version=1,
        clock=seeded.clock,
    )
    with pytest.raises(StaleVersionError):
        registry.update_resident(
            seeded.uow(),
            REGISTRAR,
            uin,
            {"address": "B 2"},
            reason="r",
            expected_version=1,
            clock=seeded.clock,
        )
    assert registry.get_resident(seeded.uow(), REGISTRAR, uin).address == "A 1"
    assert len(registry.resident_history(seeded.uow(), REGISTRAR, uin)) == 1


def test_given_uin_cannot_be_reused(seeded: Container) -> None:
    uin = fresh_uin()
    enrol(seeded, uin=uin)
    with pytest.raises(ConflictError):
        enrol(seeded, uin=uin)


def test_unique_index_guards_uin_even_when_checks_race(seeded: Container) -> None:
    uin = enrol(seeded)
    with seeded.engine.begin() as conn:
        row = (
            conn.execute(text("SELECT * FROM residents WHERE uin = :u"), {"u": uin})
            .mappings()
            .one()
        )
        clone = dict(row) | {"id": "00000000-0000-4000-8000-000000000001", "external_ref": None}
        cols = ", ".join(clone)
        params = ", ".join(f":{k}" for k in clone)
    with pytest.raises(IntegrityError), seeded.engine.begin() as conn:
        conn.execute(text(f"INSERT INTO residents ({cols}) VALUES ({params})"), clone)  # noqa: S608


def test_concurrent_enrolments_get_distinct_uins(seeded: Container) -> None:
    results: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.extend(enrol(seeded) for _ in range(5))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 20
    assert len(set(results)) == 20


def test_search_by_name_is_accent_and_case_insensitive_and_scoped(seeded: Container) -> None:
    enrol(seeded, family_name_latin="Sŏ", given_name_latin="Ji-hŭn", date_of_birth="1980-02-03")
    enrol(
        seeded,
        family_name_latin="SO",
        given_name_latin="Jihun",
        date_of_birth="1980-07-01",
        region_code=TOWN_B,
    )
    enrol(seeded, family_name_latin="So", given_name_latin="Jihun", date_of_birth="1990-07-01")
    page = registry.search_residents(
        seeded.uow(), REGISTRAR, family_name="so", given_name="JIHUN", date_of_birth="1980"
    )
    assert len(page.items) == 2
    scoped = principal(Role.REGISTRAR, regions=(COUNTY_B,))
    page = registry.search_residents(seeded.uow(), scoped, family_name="so", date_of_birth="1980")
    assert [r.region_code for r in page.items] == [TOWN_B]


def test_search_by_native_name_and_pagination(seeded: Container) -> None:
    uins = sorted(
        enrol(seeded, family_name_native="남궁", given_name_native="민") for _ in range(5)
    )
    first = registry.search_residents(seeded.uow(), REGISTRAR, family_name="남궁", limit=2)
    assert [r.uin for r in first.items] == uins[:2]
    assert first.next_cursor == uins[1]
    second = registry.search_residents(
        seeded.uow(), REGISTRAR, family_name="남궁", limit=2, cursor=first.next_cursor
    )
    third = registry.search_residents(
        seeded.uow(), REGISTRAR, family_name="남궁", limit=2, cursor=second.next_cursor
    )
    assert [r.uin for r in second.items + third.items] == uins[2:]
    assert third.next_cursor is None


def test_out_of_scope_resident_reads_as_not_found(seeded: Container) -> None:
    uin = enrol(seeded, region_code=TOWN_A)
    other = principal(Role.REGISTRAR, regions=(COUNTY_B,))
    with pytest.raises(NotFoundError):
        registry.get_resident(seeded.uow(), other, uin)
    station_scoped = principal(Role.REGISTRAR, stations=("ST-A",), station_regions=("11010",))
    assert registry.get_resident(seeded.uow(), station_scoped, uin).uin == uin
