"""Demo data for ``make run``: a population, one official per role, a working issuer.

:func:`seed_demo` loads the population and the officials once, then makes sure,
every time, that documents can be issued out of the box (each step is skipped
when already done, so re-running changes nothing):

* the issuer workspace (``issuer_dir``) has a root and a document signer for
  every catalogue type (:func:`ensure_issuer`);
* the demo registrar works at a station (their scope names one, so they can
  ``carnet login --user registrar --station CODE``);
* a demo resident with a phone number exists, so "ready for collection"
  notices have somewhere to go.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from carnet.adapters.db.bulk import SqlAlchemyResidentBulkWriter
from carnet.domain.actions import ActionType
from carnet.domain.errors import NotFoundError, PermissionDeniedError
from carnet.domain.officials import Principal, Scope
from carnet.domain.regions import Station, StationKind
from carnet.services import auth, reference, registry
from carnet.services.imports import import_residents
from carnet.services.issuer_workspace import SignerRecord, log_signers
from carnet.services.reference import load_reference

if TYPE_CHECKING:
    from carnet.bootstrap import Container
    from carnet.domain.officials import Official

__all__ = [
    "DEMO_OFFICIALS",
    "DEMO_RESIDENT_REF",
    "ensure_issuer",
    "print_demo_banner",
    "registrar_station",
    "seed_demo",
]

DEMO_RESIDENT_REF = "DEMO-RESIDENT-1"
"""The external reference of the demo resident who has a phone number."""
_DEMO_STATION = "DEMO-OFFICE"


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
    """Seed the demo; return ``False`` when the population was already there.

    The steps that make issuance work (:func:`ensure_issuer`, the registrar's
    station, the demo resident) run every time and do nothing when done.

    Raises:
        PermissionDeniedError: outside the ``local`` environment (public passwords).
    """
    if box.settings.environment != "local":
        raise PermissionDeniedError("demo data is only for the local environment")
    with box.uow() as uow:
        seeded = uow.officials.get_by_username("admin") is None
    if seeded:
        _seed_population(box, residents)
    registrar = _ensure_registrar_station(box)
    _ensure_demo_resident(box, registrar)
    ensure_issuer(box)
    return seeded


def _seed_population(box: Container, residents: int) -> None:
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
    county = _first_county(box)
    station = _county_station(box, county)
    for demo in DEMO_OFFICIALS:
        scope = Scope(national=True)
        if demo.scoped:
            stations = frozenset({station}) if demo.role == "registrar" else frozenset()
            scope = Scope(regions=frozenset({county}), stations=stations)
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


def _first_county(box: Container) -> str:
    with box.uow() as uow:
        return uow.regions.list(uow.regions.list(roots=True)[0].code)[0].code


def _county_station(box: Container, county: str) -> str:
    """An office in the county (the first by code), created when there is none."""
    with box.uow() as uow:
        offices = sorted(
            s.code
            for s in uow.stations.list()
            if s.kind is StationKind.OFFICE and county in uow.regions.lineage(s.region_code)
        )
    if offices:
        return offices[0]
    reference.add_station(box.uow(), None, Station(_DEMO_STATION, "Demo office", county))
    return _DEMO_STATION


def _principal(official: Official) -> Principal:
    return Principal(
        official_id=official.id,
        username=official.username,
        roles=official.roles,
        scope=official.scope,
    )


def _ensure_registrar_station(box: Container) -> Official:
    """Give the demo registrar a station in their scope (an older demo had none)."""
    with box.uow() as uow:
        registrar = uow.officials.get_by_username("registrar")
        admin = uow.officials.get_by_username("admin")
    if registrar is None or admin is None:
        raise NotFoundError("the demo officials are missing", field="username")
    if registrar.scope.stations or registrar.scope.national:
        return registrar
    county = next(iter(sorted(registrar.scope.regions)), None) or _first_county(box)
    station = _county_station(box, county)
    scope = Scope(regions=registrar.scope.regions, stations=frozenset({station}))
    return auth.update_official(
        box.uow(), _principal(admin), registrar.id, scope=scope, clock=box.clock
    )


def _ensure_demo_resident(box: Container, registrar: Official) -> None:
    """Enrol the demo resident (an adult with a phone number) unless they exist."""
    with box.uow() as uow:
        if uow.residents.refs_taken([DEMO_RESIDENT_REF]):
            return
        county = next(iter(sorted(registrar.scope.regions)), None)
        places = uow.regions.list(county) if county else []
    region = places[0].code if places else _first_county(box)
    registry.enrol_resident(
        box.uow(),
        _principal(registrar),
        {
            "family_name_native": "데모",
            "given_name_native": "주민",
            "family_name_latin": "DEMO",
            "given_name_latin": "RESIDENT",
            "date_of_birth": "1990-04-15",
            "sex": "F",
            "place_of_birth": "데모시",
            "address": "데모로 1",
            "region_code": region,
            "phone": "010-0000-0001",
            "email": "demo.resident@example.org",
            "external_ref": DEMO_RESIDENT_REF,
        },
        clock=box.clock,
        random_bytes=box.random_bytes,
    )


def ensure_issuer(box: Container) -> bool:
    """Make issuance work: a PKI in ``issuer_dir`` and a signer per catalogue type.

    A workspace without a root is initialised (the container's issuer key
    store holds the keys); every catalogue type that has no signer yet gets one,
    certified for the catalogue's authority. Returns whether anything changed.

    Raises:
        InfrastructureError: the key store or the directory failed.
    """
    workspace = box.issuer_workspace()
    catalogue = box.catalogue()
    now = box.clock.now()
    made: list[SignerRecord] = []
    try:
        signed = {record.document_type for record in workspace.signers()}
    except NotFoundError:
        # The workspace's own test lists (``carnet status create``) get a base of
        # their own, so they never share a URI with the database's lists.
        base = f"{box.settings.status_base_uri.rstrip('/')}/w"
        workspace.init(now=now, authority=catalogue.authority, status_base_uri=base)
        made.extend(workspace.signers())
        signed = set()
    made.extend(
        workspace.add_signer(authority=catalogue.authority, document_type=code, now=now)
        for code in catalogue.types
        if code not in signed
    )
    if made:
        log_signers(box.uow(), ActionType.SIGNER_CREATION, made, now=now, reason="demo issuer")
    return bool(made)


def registrar_station(box: Container) -> str | None:
    """The station the demo registrar works at (for the banner)."""
    with box.uow() as uow:
        registrar = uow.officials.get_by_username("registrar")
    if registrar is None or not registrar.scope.stations:
        return None
    return min(registrar.scope.stations)


def print_demo_banner(url: str, station: str | None = None) -> None:
    """Print the URL, the demo officials' credentials and how to sign in on the CLI."""
    typer.echo(f"\nCarnet is serving at {url}  (API docs: {url}/docs)\n")
    typer.echo("Demo officials (local environment only):")
    for demo in DEMO_OFFICIALS:
        scope = "first county" if demo.scoped else "national"
        if demo.username == "registrar" and station:
            scope += f", station {station}"
        typer.echo(f"  {demo.username:<11} {demo.password:<26} {demo.role:<10} {scope}")
    if station:
        typer.echo(f"\nOn the command line: carnet login --user registrar --station {station}")
    typer.echo("")
