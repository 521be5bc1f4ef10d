"""``carnet import residents``, ``carnet regions load`` and ``carnet synth``."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from carnet.adapters.background import iterate_in_child
from carnet.adapters.db.bulk import SqlAlchemyResidentBulkWriter
from carnet.entrypoints.cli.context import container, handle_errors, progress_bar
from carnet.services.imports import parse_file, write_batches
from carnet.services.reference import load_reference

__all__ = ["import_app", "regions_app", "synth"]

import_app = typer.Typer(help="Bulk imports.", no_args_is_help=True)
regions_app = typer.Typer(help="Regions and stations.", no_args_is_help=True)


@import_app.command("residents")
@handle_errors
def import_residents_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    rejects: Path | None = typer.Option(
        None, help="Where rejected rows go (default: FILE.rejects.csv)."
    ),
    batch_size: int | None = typer.Option(None, min=1, max=100_000, help="Rows per transaction."),
) -> None:
    """Import residents from a CSV file (idempotent: re-run it after a crash)."""
    side = rejects or file.with_name(file.name + ".rejects.csv")
    with container() as box:
        writer = SqlAlchemyResidentBulkWriter(box.engine)
        size = file.stat().st_size
        # The rejects file holds the rejected rows as they were: keep it private.
        fd = os.open(side, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # also when the file already existed with a wider mode
        with (
            open(fd, "w", encoding="utf-8", newline="") as out,  # noqa: PTH123
            progress_bar(total=size, unit_bytes=True) as bar,
        ):
            task = bar.add_task("importing", total=size)
            batches = iterate_in_child(
                parse_file,
                str(file),
                writer.region_codes(),
                box.clock.now(),
                batch_size or box.settings.import_batch_size,
            )
            report = write_batches(
                writer,
                batches,
                out,
                random_bytes=box.random_bytes,
                on_progress=lambda done: bar.update(task, completed=done),
            )
    typer.echo(
        f"rows {report.rows:,}  imported {report.imported:,}  "
        f"already present {report.already_present:,}  rejected {report.rejected:,}"
    )
    if report.rejected:
        reasons = ", ".join(f"{k} {v:,}" for k, v in sorted(report.reasons.items()))
        typer.echo(f"rejected rows ({reasons}) are in {side}")


@regions_app.command("load")
@handle_errors
def load_regions(
    regions: Path = typer.Argument(..., exists=True, dir_okay=False),
    stations: Path | None = typer.Argument(None, exists=True, dir_okay=False),
) -> None:
    """Load the region tree (and stations) from CSV files; existing codes are kept."""
    with container() as box, regions.open(encoding="utf-8", newline="") as r:
        if stations is None:
            added = load_reference(box.uow(), r)
        else:
            with stations.open(encoding="utf-8", newline="") as s:
                added = load_reference(box.uow(), r, s)
    typer.echo(f"added {added[0]:,} regions and {added[1]:,} stations")


@handle_errors
def synth(
    out: Path = typer.Option(Path("var/synth"), help="Output folder."),
    residents: int = typer.Option(10_000, min=1, help="Number of residents (before duplicates)."),
    seed: int = typer.Option(1, help="Random seed: the same seed gives the same files."),
    provinces: int = typer.Option(2, min=1, max=20, help="Number of provinces."),
    duplicate_rate: float = typer.Option(0.02, min=0.0, max=0.5, help="Planted duplicates."),
    bad_fraction: float = typer.Option(0.0, min=0.0, max=0.5, help="Malformed rows to plant."),
) -> None:
    """Write a deterministic synthetic population: regions, stations, residents, truth."""
    from datetime import date  # noqa: PLC0415

    from carnet.synth import SynthConfig, write_population  # noqa: PLC0415

    cfg = SynthConfig(
        seed=seed,
        residents=residents,
        provinces=provinces,
        duplicate_rate=duplicate_rate,
        bad_fraction=bad_fraction,
        reference_date=date(2026, 1, 1),
    )
    with progress_bar(total=residents) as bar:
        task = bar.add_task("generating", total=residents)
        summary = write_population(cfg, out, on_progress=lambda n: bar.update(task, completed=n))
    typer.echo(str(summary))
