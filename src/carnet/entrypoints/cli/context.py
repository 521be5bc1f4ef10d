"""Shared CLI plumbing: settings, the container, progress bars, error translation."""

from __future__ import annotations

import functools
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn, ParamSpec, TypeVar

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from carnet.bootstrap import Container, bootstrap
from carnet.config import Settings, get_settings
from carnet.domain.errors import (
    CarnetError,
    ConflictError,
    CredentialError,
    InfrastructureError,
    LedgerError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

P = ParamSpec("P")
R = TypeVar("R")

__all__ = ["EXIT_CODES", "container", "fail", "handle_errors", "progress_bar", "settings"]

# One exit code per branch of the error tree, so scripts can react.
EXIT_CODES: tuple[tuple[type[CarnetError], int], ...] = (
    (ValidationError, 2),
    (NotFoundError, 3),
    (ConflictError, 4),
    (PermissionDeniedError, 5),
    (CredentialError, 6),
    (LedgerError, 7),
    (InfrastructureError, 8),
)


def settings() -> Settings:
    """Return the settings read from the environment."""
    return get_settings()


@contextmanager
def container() -> Iterator[Container]:
    """Open a container for one command and close it afterwards."""
    box = bootstrap(settings())
    try:
        yield box
    finally:
        box.close()


def fail(exc: CarnetError) -> NoReturn:
    """Print a Carnet error (no personal data in it) and exit with its code."""
    code = next((c for cls, c in EXIT_CODES if isinstance(exc, cls)), 1)
    where = f" [{exc.field}]" if exc.field else ""
    typer.echo(f"error: {exc.code}{where}: {exc.message}", err=True)
    raise typer.Exit(code)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Translate Carnet errors raised by a command into a message and an exit code.

    This is the CLI's one place of error translation; every command is wrapped.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except CarnetError as exc:
            fail(exc)

    return wrapper


def progress_bar(*, total: int | None, unit_bytes: bool = False) -> Progress:
    """A Rich progress bar on stderr (quiet when stderr is not a terminal)."""
    columns = [
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        DownloadColumn() if unit_bytes else TextColumn("{task.completed:,.0f}/{task.total:,.0f}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    del total
    return Progress(*columns, transient=False, disable=not sys.stderr.isatty())
