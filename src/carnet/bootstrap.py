"""The composition root: build adapters from settings and hand them to entry points."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from carnet.adapters.db.engine import build_engine
from carnet.adapters.db.uow import SqlAlchemyUnitOfWork
from carnet.adapters.security import Argon2PasswordHasher, SystemClock

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Engine

    from carnet.config import Settings
    from carnet.services.ports import Clock, PasswordHasher

__all__ = ["Container", "bootstrap"]


@dataclass
class Container:
    """Everything an entry point needs, built once per process."""

    settings: Settings
    engine: Engine
    hasher: PasswordHasher
    clock: Clock
    random_bytes: Callable[[int], bytes] = field(default=secrets.token_bytes)

    def uow(self) -> SqlAlchemyUnitOfWork:
        """Return a fresh unit of work."""
        return SqlAlchemyUnitOfWork(self.engine)

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()


def bootstrap(
    settings: Settings,
    *,
    clock: Clock | None = None,
    hasher: PasswordHasher | None = None,
) -> Container:
    """Build the container for ``settings``; tests may pass a fake clock or hasher."""
    return Container(
        settings=settings,
        engine=build_engine(settings.database_url),
        hasher=hasher or Argon2PasswordHasher(fast=settings.environment == "test"),
        clock=clock or SystemClock(),
    )
