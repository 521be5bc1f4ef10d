"""The ``carnet`` command line: ``carnet --help`` lists the commands."""

from __future__ import annotations

import logging

import typer

from carnet.entrypoints.cli import (
    applications,
    audit,
    credentials,
    data,
    documents,
    ledger,
    officials,
    outbox,
    server,
    session,
)

__all__ = ["app", "main"]

app = typer.Typer(
    name="carnet",
    help="Carnet: identity documents end to end.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(server.db_app, name="db")
app.add_typer(data.import_app, name="import")
app.add_typer(data.regions_app, name="regions")
app.add_typer(officials.app, name="officials")
app.add_typer(server.demo_app, name="demo")
app.add_typer(outbox.app, name="outbox")
app.add_typer(ledger.ledger_app, name="ledger")
app.add_typer(audit.audit_app, name="audit")
app.command("serve")(server.serve)
app.command("synth")(data.synth)
app.add_typer(credentials.keys_app, name="keys")
app.add_typer(credentials.pki_app, name="pki")
app.add_typer(credentials.status_app, name="status")
app.add_typer(credentials.credential_app, name="credential")
app.add_typer(credentials.bundle_app, name="bundle")
app.command("verify")(credentials.verify_command)
app.command("login")(session.login)
app.command("logout")(session.logout)
app.add_typer(applications.app, name="applications")
app.add_typer(documents.app, name="documents")


def main() -> None:
    """Run the CLI."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app()


if __name__ == "__main__":
    main()
