"""Builders of synthetic test data: regions, stations, residents and officials.

Every identity here is invented. Names come from small syllable tables and
numbers from a seeded generator, so a failing test is reproducible.
"""

from __future__ import annotations

import itertools
import random
import secrets
from typing import TYPE_CHECKING, Any

from carnet.domain.identifiers import generate_uin
from carnet.domain.officials import Principal, Role, Scope
from carnet.domain.regions import Region, RegionLevel, Settlement, Station, StationKind
from carnet.services import auth, reference

if TYPE_CHECKING:
    from carnet.domain.officials import Official
    from carnet.services.ports import Clock, PasswordHasher
    from carnet.services.uow import UnitOfWork

PROVINCE, COUNTY_A, COUNTY_B, TOWN_A, VILLAGE_A, TOWN_B = (
    "11",
    "11010",
    "11020",
    "11010001",
    "11010002",
    "11020001",
)
_counter = itertools.count(1)
_FAMILY = [("김", "Kim"), ("이", "Lee"), ("박", "Park"), ("최", "Choi"), ("정", "Jeong")]
_GIVEN = [("민준", "Min-jun"), ("서연", "Seo-yeon"), ("도윤", "Do-yun"), ("하은", "Ha-eun")]


def seeded_bytes(seed: int = 7) -> Any:
    """A reproducible stand-in for ``secrets.token_bytes`` in tests."""
    rng = random.Random(seed)
    return rng.randbytes


def region_tree() -> list[Region]:
    """A small tree: one province, two counties, two towns and a village."""

    def region(code: str, parent: str | None, level: RegionLevel, urban: bool) -> Region:
        return Region(
            code=code,
            parent_code=parent,
            level=level,
            settlement=Settlement.URBAN if urban else Settlement.RURAL,
            name_native=f"지역{code}",
            name_latin=f"Region {code}",
        )

    return [
        region(PROVINCE, None, RegionLevel.PROVINCE, urban=True),
        region(COUNTY_A, PROVINCE, RegionLevel.COUNTY, urban=True),
        region(COUNTY_B, PROVINCE, RegionLevel.COUNTY, urban=False),
        region(TOWN_A, COUNTY_A, RegionLevel.TOWN, urban=True),
        region(VILLAGE_A, COUNTY_A, RegionLevel.VILLAGE, urban=False),
        region(TOWN_B, COUNTY_B, RegionLevel.TOWN, urban=False),
    ]


def stations() -> list[Station]:
    """An office in each county and a mobile team in county B."""
    return [
        Station(code="ST-A", name="Office A", region_code=COUNTY_A, daily_capacity=200),
        Station(code="ST-B", name="Office B", region_code=COUNTY_B, daily_capacity=150),
        Station(
            code="MT-B",
            name="Mobile B",
            region_code=COUNTY_B,
            kind=StationKind.MOBILE,
            daily_capacity=80,
        ),
    ]


def load_reference_data(uow_factory: Any) -> None:
    """Store the region tree and stations through the reference use cases."""
    for region in region_tree():
        reference.add_region(uow_factory(), None, region)
    for station in stations():
        reference.add_station(uow_factory(), None, station)


def resident_data(**overrides: Any) -> dict[str, Any]:
    """Raw (string) input for a synthetic resident, as an API client would send it."""
    n = next(_counter)
    family = _FAMILY[n % len(_FAMILY)]
    given = _GIVEN[n % len(_GIVEN)]
    data: dict[str, Any] = {
        "family_name_native": family[0],
        "given_name_native": given[0],
        "family_name_latin": family[1],
        "given_name_latin": given[1],
        "date_of_birth": f"{1950 + n % 60}-{1 + n % 12:02d}-{1 + n % 28:02d}",
        "sex": "F" if n % 2 else "M",
        "place_of_birth": "지역11010001",
        "address": f"가상로 {n}길 {n % 90 + 1}",
        "region_code": TOWN_A,
        "household_ref": f"HH-{n}",
        "phone": f"010-0000-{n % 10000:04d}",
        "email": f"person{n}@example.org",
    }
    data.update(overrides)
    return data


def fresh_uin() -> str:
    """A valid UIN drawn from the system randomness."""
    return generate_uin(secrets.token_bytes)


def principal(
    *roles: Role,
    national: bool = False,
    regions: tuple[str, ...] = (),
    stations: tuple[str, ...] = (),
    station_regions: tuple[str, ...] = (),
) -> Principal:
    """A principal for unit tests of use cases."""
    return Principal(
        official_id=f"official-{next(_counter)}",
        username=f"user{next(_counter)}",
        roles=frozenset(roles),
        scope=Scope(national=national, regions=frozenset(regions), stations=frozenset(stations)),
        station_regions=frozenset(station_regions),
    )


def create_official(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    clock: Clock,
    *,
    username: str,
    roles: tuple[str, ...],
    scope: Scope,
    password: str = "correct horse battery",
) -> Official:
    """Create an official through the use case (bootstrap path, no caller)."""
    return auth.create_official(
        uow,
        hasher,
        None,
        username=username,
        display_name=username.title(),
        password=password,
        roles=roles,
        scope=scope,
        clock=clock,
    )


def principal_of(official: Official) -> Principal:
    """The principal of a stored official (as sign-in would resolve it)."""
    return Principal(
        official_id=official.id,
        username=official.username,
        roles=official.roles,
        scope=official.scope,
    )
