"""``carnet serve`` (with its background workers), ``carnet db upgrade``, ``carnet demo seed``."""

from __future__ import annotations

import typer

from carnet.adapters.db.migrate import upgrade
from carnet.entrypoints.cli.context import container, handle_errors, settings

__all__ = ["db_app", "demo_app", "serve"]

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)


@db_app.command("upgrade")
@handle_errors
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply the database migrations up to REVISION."""
    with container() as box:
        upgrade(box.engine, revision)
    typer.echo(f"database at {revision}")


@demo_app.command("seed")
@handle_errors
def demo_seed(
    residents: int = typer.Option(2000, min=10, max=1_000_000, help="Synthetic residents."),
) -> None:
    """Load a synthetic population and demo officials (skipped when already there)."""
    from carnet.entrypoints.cli.demo import seed_demo  # noqa: PLC0415 - heavy, rarely used

    with container() as box:
        upgrade(box.engine)
        seed_demo(box, residents=residents)


@handle_errors
def serve(
    demo: bool = typer.Option(False, "--demo", help="Seed demo data on first start."),
    host: str | None = typer.Option(None, help="Bind address (default from settings)."),
    port: int | None = typer.Option(None, help="Port (default from settings)."),
) -> None:
    """Migrate the database and serve the API (with --demo: seed demo data first)."""
    import uvicorn  # noqa: PLC0415 - only this command needs the server

    from carnet.entrypoints.api.app import create_app  # noqa: PLC0415
    from carnet.entrypoints.cli.demo import (  # noqa: PLC0415
        print_demo_banner,
        registrar_station,
        seed_demo,
    )
    from carnet.entrypoints.cli.ledger import start_checkpointer_thread  # noqa: PLC0415
    from carnet.entrypoints.cli.outbox import start_relay_thread  # noqa: PLC0415
    from carnet.entrypoints.cli.sweeps import start_sweeper_thread  # noqa: PLC0415

    cfg = settings()
    with container() as box:
        upgrade(box.engine)
        if demo:
            seed_demo(box)
        bind_host, bind_port = host or cfg.host, port or cfg.port
        if demo:
            print_demo_banner(f"http://{bind_host}:{bind_port}", registrar_station(box))
        app = create_app(cfg, box)
        # Background work runs in threads, not FastAPI start-up hooks (scheduling
        # belongs to the CLI or a worker): the outbox relay; a signed checkpoint
        # covering every leaf within a minute; escalation of overdue applications
        # and the document sweep every ``sweep_interval_seconds``.
        workers = [
            start_relay_thread(box),
            start_checkpointer_thread(box),
            start_sweeper_thread(box),
        ]
        try:
            # Uvicorn's own access log prints raw paths and query strings (UINs,
            # names); the app logs route templates instead.
            uvicorn.run(app, host=bind_host, port=bind_port, access_log=False, log_level="info")
        finally:
            for stop in workers:
                stop.set()
