"""``carnet ledger`` and ``carnet audit``, and one leaf per state-changing command.

Every command of the ``carnet`` CLI is accounted for: it either changes the
registry and appends exactly one leaf per transaction (``LOGGED``), or it is
listed in ``NOT_LOGGED`` with the reason. A new command that is neither fails
:func:`test_every_command_is_accounted_for`.
"""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from typing import TYPE_CHECKING

import pytest
import typer
from sqlalchemy import update
from typer.testing import CliRunner

from carnet.adapters.db.tables import RegionRow, ResidentRow
from carnet.bootstrap import bootstrap
from carnet.config import Settings, get_settings
from carnet.domain.officials import Principal
from carnet.entrypoints.cli.ledger import start_checkpointer_thread
from carnet.entrypoints.cli.main import app
from carnet.services import registry
from carnet.services.imports import COLUMNS
from tests.factories import TOWN_A, load_reference_data, resident_data
from tests.fakes import FakePasswordHasher

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from typer.testing import Result

    from carnet.bootstrap import Container

pytestmark = pytest.mark.functional

LOGGED = {
    "officials create": "one leaf: the account",
    "regions load": "one leaf: every region and station added",
    "import residents": "one leaf per batch: every resident of the batch",
    "pki init": "one leaf: the root's service signers",
    "pki add-signer": "one leaf: the signer certified",
    "pki revoke-signer": "one leaf: the signer revoked",
    "login": "one leaf: the sign-in (two when it replaces a live session: its sign-out)",
    "logout": "one leaf: the sign-out (none when not signed in)",
    "applications submit": "one leaf: the application (and its document if none must approve)",
    "applications approve": "one leaf: the approval, or the issuance it completes",
    "applications reject": "one leaf: the rejection",
    "applications fee": "one leaf: the fee's receipt",
    "applications escalate": "one leaf for every application escalated (none when none is due)",
    "documents print-run": "one leaf: the print run and every document in it",
    "documents dispatch": "one leaf: every document dispatched",
    "documents receive": "one leaf: the document received",
    "documents transfer": "one leaf: the document sent on",
    "documents collect": "one leaf: the document handed over and any it replaces",
    "documents lost": "one leaf: the document revoked",
    "documents revoke": "one leaf: the proposal",
    "documents decide-revocation": "one leaf: the decision (and the revocation)",
    "documents reprint": "one leaf: the proposal",
    "documents decide-reprint": "one leaf: the decision (and the one-document print run)",
    "documents show": "one leaf: the read of the document",
    "documents list": "one leaf: the read of the resident's documents",
    "documents custody": "one leaf: the read of the document",
    "documents awaiting": "one leaf: the station's list (none when empty)",
    "documents print-pdf": "one leaf: a read of every document in the PDF",
    "documents sweep": "one leaf per kind of step taken: escalation, expiry, destruction",
}
NOT_LOGGED = {
    "db upgrade": "changes the schema, not a record",
    "demo seed": "runs logged use cases: one leaf per use case",
    "serve": "serves the API, whose operations are logged",
    "synth": "writes synthetic files, no database",
    "outbox relay": "delivers queued messages: the system, not an official",
    "ledger checkpoint": "the log's own signed statement about itself",
    "audit verify": "reads only",
    "audit monitor": "reads only; writes its own state file",
    "keys create": "a bare key; certifying it as a signer (pki add-signer) is logged",
    "keys list": "reads only",
    "pki list": "reads only",
    "status create": "a test list of the workspace; registry lists live in the database",
    "status set": "a test list of the workspace; registry revocations are logged",
    "credential issue": "a test credential; registry issuance (applications) is logged",
    "bundle export": "writes a file from the workspace",
    "verify": "offline verification, no database",
    "applications list": "reads only",
    "applications show": "reads only",
    "applications report": "reads only: aggregates",
    "documents types": "reads the catalogue",
    "documents check-types": "reads a catalogue file",
}


def _commands(command: object, prefix: str = "") -> set[str]:
    # Typer ships its own copy of click: walk groups by their ``commands`` mapping.
    children: dict[str, object] | None = getattr(command, "commands", None)
    if children is None:
        return {prefix.strip()}
    found: set[str] = set()
    for name, child in children.items():
        found |= _commands(child, f"{prefix}{name} ")
    return found


def test_every_command_is_accounted_for() -> None:
    commands = _commands(typer.main.get_command(app))
    unaccounted = commands - set(LOGGED) - set(NOT_LOGGED)
    assert not unaccounted, f"log these or say why not: {sorted(unaccounted)}"
    assert set(LOGGED) | set(NOT_LOGGED) <= commands


@pytest.fixture
def env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str
) -> Iterator[dict[str, str]]:
    monkeypatch.chdir(tmp_path)
    values = {
        "CARNET_DATABASE_URL": database_url,
        "CARNET_ENVIRONMENT": "test",
        "CARNET_KEY_DIR": str(tmp_path / "keys"),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CARNET_NEW_PASSWORD", "correct horse battery")
    get_settings.cache_clear()
    yield values
    get_settings.cache_clear()


@pytest.fixture
def box(env: dict[str, str], clock: object) -> Iterator[Container]:
    del clock
    container = bootstrap(Settings(_env_file=None), hasher=FakePasswordHasher())
    yield container
    container.close()


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def size(box: Container) -> int:
    with box.uow() as uow:
        return uow.ledger.head().size


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_officials_create_appends_one_leaf(box: Container) -> None:
    load_reference_data(box.uow)
    before = size(box)
    result = run(
        "officials",
        "create",
        "clerk.one",
        "--role",
        "registrar",
        "--display-name",
        "C",
        "--national",
    )
    assert result.exit_code == 0, result.output
    assert size(box) == before + 1


def test_regions_load_appends_one_leaf(box: Container, tmp_path: Path) -> None:
    regions = _write(
        tmp_path / "regions.csv",
        ["code", "parent_code", "level", "name_native", "name_latin", "settlement", "lat", "lon"],
        [
            ["21", "", "province", "도", "Do", "urban", "", ""],
            ["21010", "21", "county", "군", "Gun", "rural", "", ""],
        ],
    )
    stations = _write(
        tmp_path / "stations.csv",
        ["code", "name", "region_code", "kind", "opening_days", "daily_capacity"],
        [["ST-Z", "Office Z", "21010", "office", "Mon,Tue", "50"]],
    )
    result = run("regions", "load", str(regions), str(stations))
    assert result.exit_code == 0, result.output
    assert size(box) == 1
    with box.uow() as uow:
        assert [a.action_type for a in uow.ledger.actions_on("station", "ST-Z")] == [
            "reference_load"
        ]


def test_import_residents_appends_one_leaf_per_batch(box: Container, tmp_path: Path) -> None:
    load_reference_data(box.uow)
    before = size(box)
    rows = [
        [
            {**resident_data(region_code=TOWN_A), "external_ref": f"C-{i}"}.get(c, "")
            for c in COLUMNS
        ]
        for i in range(7)
    ]
    source = _write(tmp_path / "residents.csv", list(COLUMNS), rows)
    result = run("import", "residents", str(source), "--batch-size", "3")
    assert result.exit_code == 0, result.output
    assert size(box) == before + 3


def test_checkpoint_then_verify_then_tamper(box: Container) -> None:
    load_reference_data(box.uow)
    first = run("ledger", "checkpoint")
    assert first.exit_code == 0, first.output
    assert first.output.splitlines()[:2] == ["carnet.example/log", "9"]
    clean = run("audit", "verify")
    assert clean.exit_code == 0, clean.output
    assert "leaves 9" in clean.output
    assert "checkpoints 1" in clean.output
    with box.engine.begin() as conn:
        conn.execute(update(RegionRow).values(name_latin="Forged"))
    tampered = run("audit", "verify")
    assert tampered.exit_code == 7
    assert "MISMATCH region" in tampered.output


def test_verify_names_a_resident_edited_in_sql_without_personal_data(box: Container) -> None:
    load_reference_data(box.uow)
    run(
        "officials",
        "create",
        "clerk.two",
        "--role",
        "registrar",
        "--display-name",
        "C",
        "--national",
    )
    with box.uow() as uow:
        clerk = uow.officials.get_by_username("clerk.two")
    assert clerk is not None
    who = Principal(clerk.id, clerk.username, clerk.roles, clerk.scope)
    resident = registry.enrol_resident(
        box.uow(), who, resident_data(), clock=box.clock, random_bytes=box.random_bytes
    )
    with box.engine.begin() as conn:
        conn.execute(update(ResidentRow).values(address="forged address"))
    result = run("audit", "verify")
    assert result.exit_code == 7
    assert f"MISMATCH resident {resident.id}: the row does not match" in result.output
    for value in (resident.uin, resident.family_name_latin, "forged address"):
        assert value not in result.output


def test_monitor_accepts_growth_and_raises_the_alarm_on_a_rollback(
    box: Container, env: dict[str, str], tmp_path: Path
) -> None:
    load_reference_data(box.uow)
    state = tmp_path / "monitor.json"
    url = env["CARNET_DATABASE_URL"]
    assert run("ledger", "checkpoint").exit_code == 0
    snapshot = _snapshot(url, tmp_path)
    first = run("audit", "monitor", "--db", url, "--state", str(state))
    assert first.exit_code == 0, first.output
    assert "accepted checkpoint of size 9" in first.output
    run(
        "officials",
        "create",
        "clerk.three",
        "--role",
        "auditor",
        "--display-name",
        "C",
        "--national",
    )
    assert run("ledger", "checkpoint").exit_code == 0
    second = run("audit", "monitor", "--db", url, "--state", str(state), "--once")
    assert second.exit_code == 0, second.output
    assert "accepted checkpoint of size 10 (was 9)" in second.output
    if snapshot is None:
        return  # PostgreSQL: the rollback case is covered by tests/integration/ledger
    rolled_back = run("audit", "monitor", "--db", snapshot, "--state", str(state))
    assert rolled_back.exit_code == 7
    assert "checkpoint_rollback" in rolled_back.output
    evidence = list(tmp_path.glob("monitor.json.evidence-*.txt"))
    assert len(evidence) == 1
    text = evidence[0].read_text()
    assert "\n10\n" in text
    assert "\n9\n" in text


def _snapshot(url: str, tmp_path: Path) -> str | None:
    if not url.startswith("sqlite:///"):
        return None
    target = tmp_path / "snapshot.db"
    # The backup API copies what the WAL holds too; a file copy would miss it.
    with (
        closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as source,
        closing(sqlite3.connect(target)) as copy,
    ):
        source.backup(copy)
    return f"sqlite:///{target}"


def test_monitor_needs_exactly_one_source(env: dict[str, str], tmp_path: Path) -> None:
    state = str(tmp_path / "s.json")
    assert run("audit", "monitor", "--state", state).exit_code == 2
    both = run("audit", "monitor", "--state", state, "--db", "sqlite://", "--api", "http://x")
    assert both.exit_code == 2


def test_the_checkpoint_worker_exits_cleanly_on_sigterm(
    box: Container, env: dict[str, str], tmp_path: Path
) -> None:
    load_reference_data(box.uow)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "carnet.entrypoints.cli.main",
            "ledger",
            "checkpoint",
            "--every",
            "1",
        ],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with box.uow() as uow:
            if uow.ledger.latest_checkpoint() is not None:
                break
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "checkpoint worker stopped" in err
    with box.uow() as uow:
        latest = uow.ledger.latest_checkpoint()
    assert latest is not None
    assert latest.size == 9


def test_serve_runs_the_checkpoint_worker_in_a_daemon_thread(box: Container) -> None:
    load_reference_data(box.uow)
    stop = start_checkpointer_thread(box)
    try:
        deadline = time.monotonic() + 30
        latest = None
        while latest is None and time.monotonic() < deadline:
            time.sleep(0.05)
            with box.uow() as uow:
                latest = uow.ledger.latest_checkpoint()
    finally:
        stop.set()
    assert latest is not None
    assert latest.size == 9
