"""``carnet officials create``: accounts from the command line (the first admin)."""

from __future__ import annotations

import os

import typer

from carnet.domain.officials import Scope
from carnet.entrypoints.cli.context import container, handle_errors
from carnet.services import auth

__all__ = ["app"]

app = typer.Typer(help="Officials' accounts.", no_args_is_help=True)


@app.command("create")
@handle_errors
def create(
    username: str = typer.Argument(...),
    role: list[str] = typer.Option(..., "--role", help="admin, registrar, approver, ..."),
    display_name: str = typer.Option(..., help="Full name shown in the console."),
    region: list[str] = typer.Option([], "--region", help="Region code in scope (repeatable)."),
    station: list[str] = typer.Option([], "--station", help="Station code (repeatable)."),
    national: bool = typer.Option(False, "--national", help="National scope."),
    resident_uin: str | None = typer.Option(
        None, "--resident-uin", help="The official's own registry record (four-eyes rule)."
    ),
) -> None:
    """Create an account. The password is read from CARNET_NEW_PASSWORD or a prompt."""
    password = os.environ.get("CARNET_NEW_PASSWORD") or typer.prompt(
        "password", hide_input=True, confirmation_prompt=True
    )
    with container() as box:
        official = auth.create_official(
            box.uow(),
            box.hasher,
            None,
            username=username,
            display_name=display_name,
            password=password,
            roles=role,
            scope=Scope(national=national, regions=frozenset(region), stations=frozenset(station)),
            clock=box.clock,
            resident_uin=resident_uin,
        )
    typer.echo(f"created {official.username} ({', '.join(sorted(official.roles))})")
