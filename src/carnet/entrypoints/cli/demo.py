"""Demo data for ``make run``: a synthetic population and one official per role."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from carnet.adapters.db.bulk import SqlAlchemyResidentBulkWriter
from carnet.domain.errors import PermissionDeniedError
from carnet.domain.officials import Scope
from carnet.services import auth
from carnet.services.imports import import_residents
from carnet.services.reference import load_reference

if TYPE_CHECKING:
    from carnet.bootstrap import Container

__all__ = ["DEMO_OFFICIALS", "print_demo_banner", "seed_demo"]


@dataclass(frozen=True)
class DemoOfficial:
    """A demo account; its password is public, so only the local environment gets it."""

    username: str
    role: str
    password: str
    scoped: bool


DEMO_OFFICIALS = (
    DemoOfficial("admin", "admin", "demo-admin-password", scoped=False),
    DemoOfficial("registrar", "registrar", "demo-registrar-password", scoped=True),
    DemoOfficial("registrar2", "registrar", "demo-registrar2-password", scoped=False),
    DemoOfficial("approver", "approver", "demo-approver-password", scoped=False),
    DemoOfficial("approver2", "approver", "demo-approver2-password", scoped=False),
    DemoOfficial("issuer", "issuer", "demo-issuer-password", scoped=True),
    DemoOfficial("auditor", "auditor", "demo-auditor-password", scoped=False),
)


def seed_demo(box: Container, *, residents: int = 2000) -> bool:
    """Seed the demo once; return ``False`` when it was already there.

    Raises:
        PermissionDeniedError: outside the ``local`` environment (public passwords).
    """
    if box.settings.environment != "local":
        raise PermissionDeniedError("demo data is only for the local environment")
    with box.uow() as uow:
        if uow.officials.get_by_username("admin") is not None:
            return False
    from carnet.synth import SynthConfig, write_population  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        cfg = SynthConfig(
            seed=2026,
            residents=residents,
            provinces=1,
            duplicate_rate=0.02,
            bad_fraction=0.0,
            reference_date=date(2026, 1, 1),
        )
        write_population(cfg, out)
        with (
            (out / "regions.csv").open(encoding="utf-8", newline="") as r,
            (out / "stations.csv").open(encoding="utf-8", newline="") as s,
        ):
            load_reference(box.uow(), r, s)
        with (out / "residents.csv").open("rb") as source:
            import_residents(
                SqlAlchemyResidentBulkWriter(box.engine),
                source,
                StringIO(),
                clock=box.clock,
                random_bytes=box.random_bytes,
            )
    with box.uow() as uow:
        counties = [r.code for r in uow.regions.list(uow.regions.list(roots=True)[0].code)]
    for demo in DEMO_OFFICIALS:
        scope = Scope(regions=frozenset(counties[:1])) if demo.scoped else Scope(national=True)
        auth.create_official(
            box.uow(),
            box.hasher,
            None,
            username=demo.username,
            display_name=f"Demo {demo.role}",
            password=demo.password,
            roles=[demo.role],
            scope=scope,
            clock=box.clock,
        )
    return True


def print_demo_banner(url: str) -> None:
    """Print the URL and the demo officials' credentials."""
    typer.echo(f"\nCarnet is serving at {url}  (API docs: {url}/docs)\n")
    typer.echo("Demo officials (local environment only):")
    for demo in DEMO_OFFICIALS:
        scope = "first county" if demo.scoped else "national"
        typer.echo(f"  {demo.username:<11} {demo.password:<26} {demo.role:<10} {scope}")
    typer.echo("")
