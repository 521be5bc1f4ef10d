"""Reference data: the region tree, stations, and loading both from CSV."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import pytest

from carnet.domain.errors import ConflictError, PermissionDeniedError, ValidationError
from carnet.domain.officials import Role
from carnet.domain.regions import Region, RegionLevel, Settlement, Station, StationKind
from carnet.services.reference import (
    REGION_COLUMNS,
    STATION_COLUMNS,
    add_region,
    add_station,
    list_regions,
    list_stations,
    load_reference,
)
from tests.factories import COUNTY_A, COUNTY_B, PROVINCE, TOWN_A, TOWN_B, VILLAGE_A, principal
from tests.fakes import InMemoryUnitOfWork

if TYPE_CHECKING:
    from carnet.domain.officials import Principal

pytestmark = pytest.mark.unit

ADMIN = principal(Role.ADMIN, national=True)
REGISTRAR = principal(Role.REGISTRAR, national=True)
NOBODY = principal()
REGION_HEADER = ",".join(REGION_COLUMNS)
STATION_HEADER = ",".join(STATION_COLUMNS)


def _region(code: str, parent: str | None, level: RegionLevel, **overrides: Any) -> Region:
    values: dict[str, Any] = {
        "code": code,
        "parent_code": parent,
        "level": level,
        "settlement": Settlement.RURAL,
        "name_native": f"지역{code}",
        "name_latin": f"Region {code}",
    }
    values.update(overrides)
    return Region(**values)


def _csv(header: str, *rows: str) -> io.StringIO:
    return io.StringIO("\n".join([header, *rows]) + "\n")


# --------------------------------------------------------------------------- regions


def test_a_region_gets_its_lineage_from_its_parent(memory_uow: InMemoryUnitOfWork) -> None:
    stored = add_region(
        memory_uow,
        ADMIN,
        _region("11010003", COUNTY_A, RegionLevel.VILLAGE, path=("99",), lat=37.1),
    )
    assert stored.path == (PROVINCE, COUNTY_A)
    assert stored.lat == 37.1
    with memory_uow.fresh() as uow:
        assert uow.regions.get("11010003") == stored
        assert uow.regions.lineage("11010003") == (PROVINCE, COUNTY_A, "11010003")


def test_a_province_is_a_root(memory_uow: InMemoryUnitOfWork) -> None:
    stored = add_region(memory_uow, None, _region("12", None, RegionLevel.PROVINCE, path=("x",)))
    assert stored.path == ()
    assert [r.code for r in list_regions(memory_uow, REGISTRAR)] == [PROVINCE, "12"]


@pytest.mark.parametrize(
    ("parent", "level", "allowed"),
    [
        (PROVINCE, RegionLevel.COUNTY, True),
        (COUNTY_A, RegionLevel.TOWN, True),
        (COUNTY_A, RegionLevel.VILLAGE, True),
        (PROVINCE, RegionLevel.TOWN, False),
        (PROVINCE, RegionLevel.VILLAGE, False),
        (COUNTY_A, RegionLevel.COUNTY, False),
        (TOWN_A, RegionLevel.VILLAGE, False),
        (TOWN_A, RegionLevel.TOWN, False),
        (VILLAGE_A, RegionLevel.COUNTY, False),
    ],
)
def test_each_level_lies_under_the_level_above(
    memory_uow: InMemoryUnitOfWork, parent: str, level: RegionLevel, allowed: bool
) -> None:
    region = _region("1199", parent, level)
    if allowed:
        assert add_region(memory_uow, ADMIN, region).parent_code == parent
    else:
        with pytest.raises(ValidationError) as info:
            add_region(memory_uow, ADMIN, region)
        assert info.value.field == "level"
        assert "1199" not in memory_uow.store.regions


def test_a_region_code_is_unique(memory_uow: InMemoryUnitOfWork) -> None:
    before = memory_uow.store.regions[COUNTY_A]
    with pytest.raises(ConflictError) as info:
        add_region(memory_uow, ADMIN, _region(COUNTY_A, PROVINCE, RegionLevel.COUNTY))
    assert info.value.field == "code"
    assert memory_uow.store.regions[COUNTY_A] == before


def test_a_parent_must_exist(memory_uow: InMemoryUnitOfWork) -> None:
    with pytest.raises(ValidationError) as info:
        add_region(memory_uow, ADMIN, _region("99010", "99", RegionLevel.COUNTY))
    assert info.value.field == "parent_code"


@pytest.mark.parametrize("who", [REGISTRAR, NOBODY])
def test_only_administrators_manage_regions(memory_uow: InMemoryUnitOfWork, who: Principal) -> None:
    with pytest.raises(PermissionDeniedError):
        add_region(memory_uow, who, _region("12", None, RegionLevel.PROVINCE))
    assert "12" not in memory_uow.store.regions


def test_list_regions_gives_roots_or_children(memory_uow: InMemoryUnitOfWork) -> None:
    assert [r.code for r in list_regions(memory_uow, REGISTRAR)] == [PROVINCE]
    assert [r.code for r in list_regions(memory_uow, REGISTRAR, PROVINCE)] == [COUNTY_A, COUNTY_B]
    assert [r.code for r in list_regions(memory_uow, ADMIN, COUNTY_A)] == [TOWN_A, VILLAGE_A]
    assert list_regions(memory_uow, REGISTRAR, TOWN_A) == []
    with pytest.raises(PermissionDeniedError):
        list_regions(memory_uow, NOBODY)


# --------------------------------------------------------------------------- stations


def test_an_office_attaches_to_any_region(memory_uow: InMemoryUnitOfWork) -> None:
    station = Station(code="ST-T", name="Town office", region_code=TOWN_A)
    assert add_station(memory_uow, ADMIN, station) == station
    assert memory_uow.store.stations["ST-T"] == station


def test_a_mobile_team_attaches_to_a_county(memory_uow: InMemoryUnitOfWork) -> None:
    team = Station(code="MT-A", name="Mobile A", region_code=COUNTY_A, kind=StationKind.MOBILE)
    assert add_station(memory_uow, None, team) == team


@pytest.mark.parametrize("region", [PROVINCE, TOWN_A, VILLAGE_A])
def test_a_mobile_team_cannot_attach_elsewhere(memory_uow: InMemoryUnitOfWork, region: str) -> None:
    team = Station(code="MT-X", name="Mobile X", region_code=region, kind=StationKind.MOBILE)
    with pytest.raises(ValidationError) as info:
        add_station(memory_uow, ADMIN, team)
    assert info.value.field == "region_code"
    assert "MT-X" not in memory_uow.store.stations


def test_a_station_needs_a_known_region(memory_uow: InMemoryUnitOfWork) -> None:
    with pytest.raises(ValidationError) as info:
        add_station(memory_uow, ADMIN, Station(code="ST-X", name="X", region_code="99"))
    assert info.value.field == "region_code"


def test_a_station_code_is_unique(memory_uow: InMemoryUnitOfWork) -> None:
    with pytest.raises(ConflictError) as info:
        add_station(memory_uow, ADMIN, Station(code="ST-A", name="Another", region_code=TOWN_A))
    assert info.value.field == "code"
    assert memory_uow.store.stations["ST-A"].name == "Office A"


def test_only_administrators_manage_stations(memory_uow: InMemoryUnitOfWork) -> None:
    with pytest.raises(PermissionDeniedError):
        add_station(memory_uow, REGISTRAR, Station(code="ST-X", name="X", region_code=TOWN_A))


def test_list_stations_all_or_by_region(memory_uow: InMemoryUnitOfWork) -> None:
    assert [s.code for s in list_stations(memory_uow, REGISTRAR)] == ["MT-B", "ST-A", "ST-B"]
    assert [s.code for s in list_stations(memory_uow, REGISTRAR, COUNTY_B)] == ["MT-B", "ST-B"]
    assert list_stations(memory_uow, REGISTRAR, TOWN_B) == []
    with pytest.raises(PermissionDeniedError):
        list_stations(memory_uow, NOBODY)


# --------------------------------------------------------------------------- loading CSV

REGIONS_CSV = (
    "12,,province,경기,Gyeonggi,urban,37.27,127.01",
    "12010,12,county,수원,Suwon,urban,,",
    "12010001,12010,town,팔달,Paldal,urban,37.28,127.02",
    "12010002,12010,village,마을,Maeul,rural,,",
    "11030,11,county,새군,Saegun,rural,,",  # under a province already stored
)
STATIONS_CSV = (
    'ST-S,Suwon office,12010,office,"Mon,Tue,Wed",120',
    "MT-S,Suwon mobile,12010,mobile,Sat,40",
)


def test_load_reference_adds_regions_and_stations_with_lineages() -> None:
    uow = InMemoryUnitOfWork()
    uow_with_11 = InMemoryUnitOfWork(uow.store)
    add_region(uow_with_11, None, _region(PROVINCE, None, RegionLevel.PROVINCE))
    assert load_reference(
        uow, _csv(REGION_HEADER, *REGIONS_CSV), _csv(STATION_HEADER, *STATIONS_CSV)
    ) == (
        5,
        2,
    )
    regions = uow.store.regions
    assert regions["12"].path == ()
    assert regions["12010"].path == ("12",)
    assert regions["12010001"].path == ("12", "12010")
    assert regions["12010002"].settlement is Settlement.RURAL
    assert regions["11030"].path == (PROVINCE,)
    assert (regions["12"].lat, regions["12"].lon) == (37.27, 127.01)
    assert (regions["12010"].lat, regions["12010"].lon) == (None, None)
    assert regions["12010001"].name_native == "팔달"
    office = uow.store.stations["ST-S"]
    assert office.opening_days == {"Mon", "Tue", "Wed"}
    assert office.daily_capacity == 120
    assert office.kind is StationKind.OFFICE
    assert uow.store.stations["MT-S"].kind is StationKind.MOBILE


def test_loading_twice_adds_nothing_the_second_time(memory_uow: InMemoryUnitOfWork) -> None:
    regions = _csv(REGION_HEADER, *REGIONS_CSV)
    stations = _csv(STATION_HEADER, *STATIONS_CSV)
    assert load_reference(memory_uow, regions, stations) == (5, 2)
    before = (dict(memory_uow.store.regions), dict(memory_uow.store.stations))
    again = load_reference(
        memory_uow, _csv(REGION_HEADER, *REGIONS_CSV), _csv(STATION_HEADER, *STATIONS_CSV)
    )
    assert again == (0, 0)
    assert (memory_uow.store.regions, memory_uow.store.stations) == before


def test_loading_a_longer_file_adds_only_the_new_rows(memory_uow: InMemoryUnitOfWork) -> None:
    load_reference(memory_uow, _csv(REGION_HEADER, *REGIONS_CSV[:2]))
    assert load_reference(memory_uow, _csv(REGION_HEADER, *REGIONS_CSV)) == (3, 0)
    assert memory_uow.store.regions["12010001"].path == ("12", "12010")


def test_stations_are_optional(memory_uow: InMemoryUnitOfWork) -> None:
    assert load_reference(memory_uow, _csv(REGION_HEADER)) == (0, 0)


@pytest.mark.parametrize(
    "header",
    [
        "code,parent_code,level,name_native,name_latin,settlement,lat",
        "parent_code,code,level,name_native,name_latin,settlement,lat,lon",
        "CODE,parent_code,level,name_native,name_latin,settlement,lat,lon",
        "",
    ],
)
def test_a_bad_region_header_is_refused(memory_uow: InMemoryUnitOfWork, header: str) -> None:
    with pytest.raises(ValidationError) as info:
        load_reference(memory_uow, io.StringIO(header + "\n" + REGIONS_CSV[0] + "\n"))
    assert info.value.field == "header"
    assert "12" not in memory_uow.store.regions


def test_a_bad_station_header_is_refused(memory_uow: InMemoryUnitOfWork) -> None:
    with pytest.raises(ValidationError) as info:
        load_reference(
            memory_uow, _csv(REGION_HEADER, *REGIONS_CSV), _csv("code,name,region_code", "X,Y,12")
        )
    assert info.value.field == "header"
    assert "12" not in memory_uow.store.regions  # one transaction: nothing was loaded


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("13,,city,a,b,urban,,", "line 3"),  # unknown level
        ("13,,province,a,b,suburban,,", "line 3"),  # unknown settlement
        ("13,,province,a,b,urban,north,", "line 3: lat/lon"),
        ("13,,province,a,b,urban,,east", "line 3: lat/lon"),
        ("13,,province,,b,urban,,", "line 3: name"),
        ("1,,province,a,b,urban,,", "line 3: region_code"),
        ("13010,,county,a,b,urban,,", "line 3: parent_code"),  # a county needs a parent
        ("13010,99,county,a,b,urban,,", "line 3: parent_code"),  # unknown parent
        ("13010,13020,county,a,b,urban,,", "line 3: parent_code"),  # parent later in the file
    ],
)
def test_a_bad_region_row_is_refused_with_its_line(
    memory_uow: InMemoryUnitOfWork, row: str, field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        load_reference(memory_uow, _csv(REGION_HEADER, REGIONS_CSV[0], row, REGIONS_CSV[1]))
    assert info.value.field == field
    assert "12" not in memory_uow.store.regions


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("ST-X,X,99,office,Mon,10", "line 2: region_code"),  # unknown region
        ("ST-X,X,12010,bus,Mon,10", "line 2"),  # unknown kind
        ("ST-X,X,12010,office,Funday,10", "line 2: opening_days"),
        ("ST-X,X,12010,office,Mon,many", "line 2"),
        ("ST-X,X,12010,office,Mon,0", "line 2: daily_capacity"),
        ("S,X,12010,office,Mon,10", "line 2: code"),
    ],
)
def test_a_bad_station_row_is_refused_with_its_line(
    memory_uow: InMemoryUnitOfWork, row: str, field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        load_reference(memory_uow, _csv(REGION_HEADER, *REGIONS_CSV), _csv(STATION_HEADER, row))
    assert info.value.field == field
    assert "12" not in memory_uow.store.regions
    assert "ST-X" not in memory_uow.store.stations


def test_line_numbers_count_the_header_and_quoted_line_breaks(
    memory_uow: InMemoryUnitOfWork,
) -> None:
    regions = _csv(REGION_HEADER, REGIONS_CSV[0], '12020,12,county,"두\n줄",Two,urban,,', "bad")
    with pytest.raises(ValidationError) as info:
        load_reference(memory_uow, regions)
    assert info.value.field is not None
    assert info.value.field.startswith("line 5")


def test_loading_applies_the_level_rule(memory_uow: InMemoryUnitOfWork) -> None:
    with pytest.raises(ValidationError):
        load_reference(memory_uow, _csv(REGION_HEADER, "11099,11,town,읍,Eup,urban,,"))


def test_loading_attaches_mobile_teams_only_to_counties(memory_uow: InMemoryUnitOfWork) -> None:
    with pytest.raises(ValidationError):
        load_reference(
            memory_uow, _csv(REGION_HEADER), _csv(STATION_HEADER, f"MT-X,X,{TOWN_A},mobile,Mon,10")
        )


def test_a_short_region_row_is_refused_with_its_line(memory_uow: InMemoryUnitOfWork) -> None:
    with pytest.raises(ValidationError) as info:
        load_reference(memory_uow, _csv(REGION_HEADER, "13,,province,a,b,urban"))
    assert info.value.field is not None
    assert info.value.field.startswith("line 2")


def test_a_short_station_row_is_refused_with_its_line(memory_uow: InMemoryUnitOfWork) -> None:
    with pytest.raises(ValidationError) as info:
        load_reference(
            memory_uow, _csv(REGION_HEADER), _csv(STATION_HEADER, "ST-X,X,11,office,Mon")
        )
    assert info.value.field is not None
    assert info.value.field.startswith("line 2")
