"""A registry for the documents CLI tests: officials, residents, a working issuer.

The CLI reads its settings from ``CARNET_*`` variables; :func:`open_desk` points
them at the test's database and temporary directories, then builds a container
on the same settings (and the system clock, as the CLI uses) to seed the data
and to look inside afterwards.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from typer.testing import CliRunner

from carnet.bootstrap import bootstrap
from carnet.config import Settings, get_settings
from carnet.domain.officials import Scope
from carnet.entrypoints.cli.demo import ensure_issuer
from carnet.entrypoints.cli.main import app
from carnet.services import registry
from tests.factories import (
    COUNTY_A,
    COUNTY_B,
    TOWN_A,
    create_official,
    load_reference_data,
    principal_of,
    resident_data,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    import pytest
    from typer.testing import Result

    from carnet.bootstrap import Container
    from carnet.domain.documents import Document

__all__ = ["PASSWORD", "Desk", "open_desk", "point_cli"]

PASSWORD = "correct horse battery"
OFFICIALS: dict[str, tuple[tuple[str, ...], Scope]] = {
    "registrar.a": (
        ("registrar",),
        Scope(regions=frozenset({COUNTY_A}), stations=frozenset({"ST-A"})),
    ),
    "registrar.b": (("registrar",), Scope(regions=frozenset({COUNTY_B}))),
    "approver.one": (("approver",), Scope(national=True)),
    "approver.two": (("approver",), Scope(national=True)),
    "issuer.a": (("issuer",), Scope(regions=frozenset({COUNTY_A}))),
    "issuer.two": (("issuer",), Scope(national=True)),
}
_ID = r"[0-9a-f-]{36}"


@dataclass
class Desk:
    """The CLI on a seeded registry, and a container to inspect it."""

    box: Container
    home: Path
    runner: CliRunner = field(default_factory=CliRunner)
    residents: list[str] = field(default_factory=list)

    def run(
        self, *args: str, code: int = 0, leaves: int | None = None, stdin: str | None = None
    ) -> Result:
        """Run a command; check its exit code and, if given, the leaves it appended."""
        before = self.size()
        result = self.runner.invoke(app, list(args), input=stdin)
        assert result.exit_code == code, (args, result.output)
        if leaves is not None:
            assert self.size() - before == leaves, (args, self.size() - before)
        return result

    def size(self) -> int:
        with self.box.uow() as uow:
            return uow.ledger.head().size

    def login(self, username: str, station: str | None = None) -> None:
        extra = ("--station", station) if station else ()
        self.run("login", "--user", username, *extra)

    def document(self, document_id: str) -> Document:
        with self.box.uow() as uow:
            found = uow.documents.get(document_id)
        assert found is not None
        return found

    def submit(
        self, uin: str, document_type: str, *attrs: str, station: str = "ST-A", leaves: int = 1
    ) -> str:
        """Enter an application as the signed-in official; return its id."""
        options = [a for pair in attrs for a in ("--attr", pair)]
        out = self.run(
            "applications",
            "submit",
            "--uin",
            uin,
            "--type",
            document_type,
            "--station",
            station,
            *options,
            leaves=leaves,
        ).stdout
        return first_id("application", out)

    def approve(self, application_id: str) -> str | None:
        """Approve as the signed-in official; return the document's id once issued."""
        out = self.run(
            "applications", "approve", application_id, "--reason", "papers checked", leaves=1
        ).stdout
        found = re.search(rf"^document ({_ID}) ", out, re.MULTILINE)
        return found[1] if found else None

    def issue(self, uin: str, document_type: str = "national_id_card", *attrs: str) -> str:
        """Enter and approve an application (one approval types); return the document id."""
        self.login("registrar.a", "ST-A")
        application = self.submit(uin, document_type, *attrs)
        self.login("approver.one")
        document = self.approve(application)
        assert document is not None
        return document

    def print_and_dispatch(self, out: Path) -> str:
        """Print ST-A's issued documents and dispatch the run as issuer.a; return the run id."""
        self.login("issuer.a")
        printed = self.run("documents", "print-run", "ST-A", "--out", str(out), leaves=1).stdout
        run_id = first_id("print run", printed)
        self.run("documents", "dispatch", run_id, leaves=1)
        return run_id

    def make_ready(self, uin: str) -> str:
        """A national identity card of ``uin`` ready for collection at ST-A."""
        document = self.issue(uin)
        self.print_and_dispatch(self.home / "run.pdf")
        self.login("registrar.a", "ST-A")
        self.run("documents", "receive", document, leaves=1)
        return document


def first_id(label: str, text: str) -> str:
    """The id printed after ``label`` at the start of a line."""
    found = re.search(rf"^{label} ({_ID})", text, re.MULTILINE)
    assert found is not None, text
    return found[1]


def today() -> datetime:
    return datetime.now(UTC)


def point_cli(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    *,
    environment: str = "test",
) -> None:
    """Set the ``CARNET_*`` variables the CLI reads to this test's database and directories."""
    monkeypatch.chdir(tmp_path)  # no stray .env file is read
    values = {
        "CARNET_DATABASE_URL": database_url,
        "CARNET_ENVIRONMENT": environment,
        "CARNET_KEY_DIR": str(tmp_path / "keys"),
        "CARNET_KEY_PASSPHRASE": "functional-test-passphrase-0123456789",
        "CARNET_ISSUER_DIR": str(tmp_path / "issuer"),
        "CARNET_CLI_SESSION_FILE": str(tmp_path / "session" / "cli-session"),
        "CARNET_PASSWORD": PASSWORD,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    for name in ("CARNET_TOKEN", "CARNET_PKCS11_MODULE", "CARNET_DOCUMENT_TYPES_FILE"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()


def open_desk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Iterator[Desk]:
    """Point the CLI at the test's database and directories, and seed a registry."""
    point_cli(monkeypatch, tmp_path, database_url)
    box = bootstrap(Settings(_env_file=None))
    try:
        load_reference_data(box.uow)
        ensure_issuer(box)
        officials = {
            name: create_official(
                box.uow(), box.hasher, box.clock, username=name, roles=roles, scope=scope
            )
            for name, (roles, scope) in OFFICIALS.items()
        }
        enrolling = principal_of(officials["registrar.a"])
        desk = Desk(box, tmp_path)
        for n in range(3):
            resident = registry.enrol_resident(
                box.uow(),
                enrolling,
                resident_data(region_code=TOWN_A, date_of_birth=f"198{n}-05-0{n + 1}"),
                clock=box.clock,
                random_bytes=secrets.token_bytes,
            )
            desk.residents.append(resident.uin)
        yield desk
    finally:
        box.close()
        get_settings.cache_clear()


def days_from_today(days: int) -> str:
    return (today() + timedelta(days=days)).date().isoformat()
