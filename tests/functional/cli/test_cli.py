"""The ``carnet`` command line through Typer's runner, on SQLite and PostgreSQL.

Commands read their settings from ``CARNET_*`` variables; the cached settings are
cleared around each test so that every test sees its own database.
"""

from __future__ import annotations

import csv
import stat
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from carnet.adapters.db.engine import build_engine
from carnet.config import get_settings
from carnet.domain.officials import Role
from carnet.entrypoints.cli.main import app
from carnet.services import auth
from carnet.services.imports import COLUMNS
from tests.factories import TOWN_A, TOWN_B, fresh_uin

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from typer.testing import Result

    from carnet.bootstrap import Container

pytestmark = [pytest.mark.functional]


REGION_HEADER = [
    "code",
    "parent_code",
    "level",
    "name_native",
    "name_latin",
    "settlement",
    "lat",
    "lon",
]
STATION_HEADER = ["code", "name", "region_code", "kind", "opening_days", "daily_capacity"]
RESIDENT_HEADER = list(COLUMNS)


def _use_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str) -> Iterator[CliRunner]:
    monkeypatch.chdir(tmp_path)  # no stray .env file is read
    monkeypatch.setenv("CARNET_DATABASE_URL", url)
    monkeypatch.setenv("CARNET_ENVIRONMENT", "test")
    monkeypatch.delenv("CARNET_NEW_PASSWORD", raising=False)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Iterator[CliRunner]:
    """A runner whose commands use this test's database."""
    yield from _use_database(monkeypatch, tmp_path, database_url)


@pytest.fixture
def fresh_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[CliRunner]:
    """A runner whose commands use a SQLite file that does not exist yet."""
    yield from _use_database(monkeypatch, tmp_path, f"sqlite:///{tmp_path / 'fresh.db'}")


def run(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(app, list(args))


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


# --------------------------------------------------------------------------- db upgrade


def test_db_upgrade_builds_the_schema_of_an_empty_database(
    fresh_cli: CliRunner, tmp_path: Path
) -> None:
    first = run(fresh_cli, "db", "upgrade")
    again = run(fresh_cli, "db", "upgrade")
    assert (first.exit_code, first.stdout) == (0, "database at head\n"), first.output
    assert (again.exit_code, again.stdout) == (0, "database at head\n"), again.output
    engine = build_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"regions", "stations", "residents", "officials", "auth_tokens"} <= tables


def test_db_upgrade_on_a_migrated_database_changes_nothing(
    cli: CliRunner, container: Container
) -> None:
    with container.engine.connect() as conn:
        before = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    result = run(cli, "db", "upgrade")
    assert (result.exit_code, result.stdout) == (0, "database at head\n"), result.output
    with container.engine.connect() as conn:
        after = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    assert after == before
    assert len(after) == 1


# --------------------------------------------------------------------------- reference data


def test_regions_load_stores_the_tree_and_stations_once(
    cli: CliRunner, container: Container, tmp_path: Path
) -> None:
    regions = write_csv(
        tmp_path / "regions.csv",
        REGION_HEADER,
        [
            ["21", "", "province", "도", "Province 21", "urban", "37.5", "127.0"],
            ["21010", "21", "county", "군", "County 21010", "rural", "", ""],
            ["21010001", "21010", "town", "읍", "Town 21010001", "urban", "", ""],
            ["21010002", "21010", "village", "리", "Village 21010002", "rural", "", ""],
        ],
    )
    stations = write_csv(
        tmp_path / "stations.csv",
        STATION_HEADER,
        [
            ["S-21", "Office 21", "21010", "office", "Mon,Tue,Wed", "120"],
            ["M-21", "Mobile 21", "21010", "mobile", "Sat", "40"],
        ],
    )

    result = run(cli, "regions", "load", str(regions), str(stations))
    assert result.exit_code == 0, result.output
    assert result.stdout == "added 4 regions and 2 stations\n"
    again = run(cli, "regions", "load", str(regions), str(stations))
    assert again.stdout == "added 0 regions and 0 stations\n", again.output

    with container.uow() as uow:
        assert uow.regions.lineage("21010002") == ("21", "21010", "21010002")
        province = uow.regions.get("21")
        mobile = uow.stations.get("M-21")
        office = uow.stations.get("S-21")
    assert province is not None
    assert (province.lat, province.lon) == (37.5, 127.0)
    assert mobile is not None
    assert (mobile.kind.value, mobile.opening_days, mobile.daily_capacity) == (
        "mobile",
        frozenset({"Sat"}),
        40,
    )
    assert office is not None
    assert office.opening_days == frozenset({"Mon", "Tue", "Wed"})


def test_a_bad_region_file_exits_2_with_the_error_on_stderr_and_loads_nothing(
    cli: CliRunner, container: Container, tmp_path: Path
) -> None:
    bad_row = write_csv(
        tmp_path / "bad-row.csv",
        REGION_HEADER,
        [
            ["21", "", "province", "도", "Province 21", "urban", "", ""],
            ["21010", "21", "shire", "군", "County 21010", "rural", "", ""],
        ],
    )
    result = run(cli, "regions", "load", str(bad_row))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("error: validation_error [line 3]")

    bad_header = tmp_path / "bad-header.csv"
    bad_header.write_text("code,name\n21,Province\n", encoding="utf-8")
    result = run(cli, "regions", "load", str(bad_header))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: validation_error [header]")

    with container.uow() as uow:
        assert uow.regions.list() == []


# --------------------------------------------------------------------------- officials


def test_officials_create_makes_an_account_that_can_sign_in(
    cli: CliRunner, seeded: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARNET_NEW_PASSWORD", "a long enough password")
    result = run(
        cli,
        "officials",
        "create",
        "rita.registrar",
        "--role",
        "registrar",
        "--role",
        "approver",
        "--display-name",
        "Rita Registrar",
        "--region",
        TOWN_A,
        "--station",
        "ST-B",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "created rita.registrar (approver, registrar)\n"
    assert "a long enough password" not in result.output

    issued = auth.login(
        seeded.uow(),
        seeded.hasher,
        username="rita.registrar",
        password="a long enough password",
        totp_code=None,
        clock=seeded.clock,
        lifetime=timedelta(minutes=15),
    )
    who = auth.authenticate(seeded.uow(), issued.token, clock=seeded.clock)
    assert who.roles == frozenset({Role.REGISTRAR, Role.APPROVER})
    assert (who.scope.national, who.scope.regions, who.scope.stations) == (
        False,
        frozenset({TOWN_A}),
        frozenset({"ST-B"}),
    )


def test_officials_create_translates_errors_into_exit_codes(
    cli: CliRunner, seeded: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    del seeded
    create = ("officials", "create", "rita.registrar", "--role", "registrar", "--national")
    monkeypatch.setenv("CARNET_NEW_PASSWORD", "too short")
    short = run(cli, *create, "--display-name", "Rita")
    assert short.exit_code == 2, short.output
    assert short.stderr.startswith("error: validation_error [password]")
    assert "too short" not in short.output

    monkeypatch.setenv("CARNET_NEW_PASSWORD", "a long enough password")
    assert run(cli, *create, "--display-name", "Rita").exit_code == 0
    taken = run(cli, *create, "--display-name", "Rita Again")
    assert taken.exit_code == 4, taken.output
    assert taken.stderr.startswith("error: conflict [username]")


# --------------------------------------------------------------------------- import


def _resident_row(ref: str, **overrides: str) -> list[str]:
    row = {
        "external_ref": ref,
        "uin": "",
        "family_name_native": "휘몰",
        "given_name_native": "잇솔",
        "family_name_latin": "Hwimol",
        "given_name_latin": "Itsol",
        "date_of_birth": "1980-02-03",
        "sex": "F",
        "place_of_birth": "가상시",
        "address": "가상로 77길 7",
        "region_code": TOWN_A,
        "household_ref": "HH-1",
        "phone": "010-0000-0001",
        "email": "hwimol.itsol@example.org",
    } | overrides
    return [row[column] for column in RESIDENT_HEADER]


def test_import_residents_stores_good_rows_and_sets_bad_ones_aside(
    cli: CliRunner, seeded: Container, tmp_path: Path
) -> None:
    given_uin = fresh_uin()
    bad_uin = given_uin[:-1] + str((int(given_uin[-1]) + 1) % 10)
    source = write_csv(
        tmp_path / "residents.csv",
        RESIDENT_HEADER,
        [
            _resident_row("r-1"),  # line 2
            _resident_row("r-2", uin=given_uin, region_code=TOWN_B),  # line 3
            _resident_row("r-3", date_of_birth="1975"),  # line 4
            _resident_row("r-4", uin=bad_uin),  # line 5
            _resident_row("r-5", region_code="11099999"),  # line 6
            _resident_row("r-6", date_of_birth="2999-01-01"),  # line 7
            _resident_row("r-1"),  # line 8: the same reference again
            _resident_row(""),  # line 9
            ["r-9", "too", "few"],  # line 10
        ],
    )

    result = run(cli, "import", "residents", str(source))
    assert result.exit_code == 0, result.output
    side = tmp_path / "residents.csv.rejects.csv"
    reasons_line = (
        "rejected rows (columns 1, date_of_birth 1, external_ref 2, region_code 1, uin 1) "
        f"are in {side}"
    )
    assert result.stdout.splitlines() == [
        "rows 9  imported 3  already present 0  rejected 6",
        reasons_line,
    ]
    assert "Hwimol" not in result.output
    assert bad_uin not in result.output

    assert stat.S_IMODE(side.stat().st_mode) == 0o600
    with side.open(encoding="utf-8", newline="") as f:
        rejects = list(csv.reader(f))
    assert rejects[0] == ["line", "reasons", *RESIDENT_HEADER]
    reasons = {row[0]: row[1] for row in rejects[1:]}
    assert reasons == {
        "5": "uin: the UIN check digit is wrong",
        "6": "region_code: unknown region code",
        "7": "date_of_birth: the date is in the future",
        "8": "external_ref: duplicate within the file",
        "9": "external_ref: required, at most 64 characters",
        "10": "columns: expected 14, found 3",
    }
    assert rejects[1][2:] == _resident_row("r-4", uin=bad_uin)  # the row as it was sent

    with seeded.uow() as uow:
        assert uow.residents.refs_taken(["r-1", "r-2", "r-3", "r-4", "r-5"]) == {
            "r-1",
            "r-2",
            "r-3",
        }
        stored = uow.residents.get_by_uin(given_uin)
    assert stored is not None
    assert (stored.external_ref, stored.region_code) == ("r-2", TOWN_B)

    again = run(cli, "import", "residents", str(source))
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[0] == "rows 9  imported 0  already present 3  rejected 6"


def test_import_residents_with_a_bad_header_exits_2(
    cli: CliRunner, seeded: Container, tmp_path: Path
) -> None:
    del seeded
    source = tmp_path / "residents.csv"
    source.write_text("ref,name\nr-1,Hwimol\n", encoding="utf-8")
    result = run(cli, "import", "residents", str(source))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: validation_error [header]")
    assert "Hwimol" not in result.output


def test_import_makes_an_existing_rejects_file_private(
    cli: CliRunner, seeded: Container, tmp_path: Path
) -> None:
    del seeded
    side = tmp_path / "rejects.csv"
    side.write_text("left over\n", encoding="utf-8")
    side.chmod(0o644)
    source = write_csv(
        tmp_path / "residents.csv", RESIDENT_HEADER, [_resident_row("r-1", region_code="11099999")]
    )
    result = run(cli, "import", "residents", str(source), "--rejects", str(side))
    assert result.exit_code == 0, result.output
    assert "Hwimol" in side.read_text(encoding="utf-8")
    assert stat.S_IMODE(side.stat().st_mode) == 0o600
