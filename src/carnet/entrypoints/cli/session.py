"""``carnet login`` and ``carnet logout``: an official's session on the command line.

Official commands (``carnet applications``, ``carnet documents``) act as a signed-in
official, so the CLI checks roles and scope exactly as the API does: ``carnet login``
calls :func:`carnet.services.auth.login` and keeps the bearer token in a private
file (setting ``cli_session_file``, mode 0600, written atomically), and every
official command resolves it with :func:`carnet.services.auth.authenticate`
through :func:`official`. ``CARNET_TOKEN`` overrides the file (for scripts that
sign in through the API). The token expires like an API token
(``token_lifetime_minutes``); then the command asks to sign in again.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final

import typer

from carnet.domain.errors import AuthenticationError, InfrastructureError
from carnet.entrypoints.cli.context import container, handle_errors, settings
from carnet.services import auth
from carnet.services.issuer_workspace import write_file_atomically

if TYPE_CHECKING:
    from collections.abc import Iterator

    from carnet.bootstrap import Container
    from carnet.domain.officials import Principal

__all__ = ["PASSWORD_ENV", "TOKEN_ENV", "login", "logout", "official"]

PASSWORD_ENV: Final = "CARNET_PASSWORD"  # noqa: S105 - the variable's name, not a secret
TOKEN_ENV: Final = "CARNET_TOKEN"  # noqa: S105 - the variable's name, not a secret
_SIGN_IN: Final = "sign in with carnet login"
_MAX_SESSION_FILE: Final = 4096


@dataclass(frozen=True, slots=True)
class _Session:
    """What the session file holds; the token never appears in ``repr``."""

    username: str
    station: str | None
    expires_at: datetime
    token: str

    def __repr__(self) -> str:
        return f"_Session(username={self.username!r}, expires_at={self.expires_at!r})"

    def to_json(self) -> bytes:
        data = {
            "username": self.username,
            "station": self.station,
            "expires_at": self.expires_at.isoformat(),
            "token": self.token,
        }
        return json.dumps(data, sort_keys=True).encode("utf-8")


def _session_path() -> Path:
    return Path(settings().cli_session_file)


def _read_session(path: Path) -> _Session | None:
    """The stored session, or ``None`` when there is none (or it is unreadable as one).

    Raises:
        InfrastructureError: the file exists but cannot be read.
    """
    try:
        with path.open("rb") as handle:
            raw = handle.read(_MAX_SESSION_FILE + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InfrastructureError("the session file could not be read") from exc
    try:
        data = json.loads(raw[:_MAX_SESSION_FILE].decode("utf-8"))
        station = data["station"]
        return _Session(
            username=str(data["username"]),
            station=None if station is None else str(station),
            expires_at=datetime.fromisoformat(str(data["expires_at"])),
            token=str(data["token"]),
        )
    except (ValueError, KeyError, TypeError):
        return None  # a damaged file holds no usable session


def _stored_token() -> str | None:
    from_env = os.environ.get(TOKEN_ENV, "").strip()
    if from_env:
        return from_env
    session = _read_session(_session_path())
    return session.token if session is not None else None


@contextmanager
def official() -> Iterator[tuple[Container, Principal]]:
    """Open a container and resolve the signed-in official, for one command.

    Raises:
        AuthenticationError: no session, or an expired, revoked or damaged one
            (exit code 5, "sign in with carnet login").
    """
    token = _stored_token()
    if token is None:
        raise AuthenticationError(f"not signed in: {_SIGN_IN}")
    with container() as box:
        try:
            principal = auth.authenticate(box.uow(), token, clock=box.clock)
        except AuthenticationError as exc:
            raise AuthenticationError(f"the session is invalid or has expired: {_SIGN_IN}") from exc
        yield box, principal


def _has_totp(box: Container, username: str) -> bool:
    """Whether to ask for a one-time code (the CLI runs with database access anyway)."""
    with box.uow() as uow:
        found = uow.officials.get_by_username(username)
    return found is not None and found.has_totp


@handle_errors
def login(
    user: str = typer.Option(..., "--user", help="Your username."),
    station: str | None = typer.Option(None, help="The station you work at (in your scope)."),
    totp: str | None = typer.Option(None, "--totp", help="Your one-time code, if enrolled."),
) -> None:
    """Sign in; the password comes from CARNET_PASSWORD or a hidden prompt.

    Signing in again replaces (and revokes) the previous session.
    """
    password = os.environ.get(PASSWORD_ENV) or typer.prompt("password", hide_input=True)
    path = _session_path()
    previous = _read_session(path)
    with container() as box:
        if totp is None and _has_totp(box, user):
            totp = typer.prompt("one-time code")
        issued = auth.login(
            box.uow(),
            box.hasher,
            username=user,
            password=password,
            totp_code=totp,
            clock=box.clock,
            lifetime=timedelta(minutes=box.settings.token_lifetime_minutes),
            station=station,
        )
        session = _Session(user, station, issued.expires_at, issued.token)
        # mkstemp creates the file with mode 0600, and the rename keeps it.
        write_file_atomically(path, session.to_json())
        if previous is not None and previous.token != issued.token:
            auth.logout(box.uow(), previous.token, clock=box.clock)
    where = f" at {station}" if station else ""
    until = issued.expires_at.strftime("%Y-%m-%d %H:%M %Z")
    typer.echo(f"signed in as {user}{where} until {until}")


@handle_errors
def logout() -> None:
    """Sign out: revoke the session's token and delete the session file."""
    path = _session_path()
    session = _read_session(path)
    token = session.token if session is not None else os.environ.get(TOKEN_ENV, "").strip()
    if token:
        with container() as box:
            auth.logout(box.uow(), token, clock=box.clock)
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise InfrastructureError("the session file could not be deleted") from exc
    typer.echo("signed out" if token else "not signed in")
