"""The composition root: build adapters from settings and hand them to entry points."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from carnet.adapters.db.engine import build_engine
from carnet.adapters.db.uow import SqlAlchemyUnitOfWork
from carnet.adapters.exports import FileExportStore
from carnet.adapters.keys.files import FileKeyStore
from carnet.adapters.notify.senders import ConsoleSender, FileSender, SmtpSender
from carnet.adapters.security import Argon2PasswordHasher, SystemClock
from carnet.services.ledger import Checkpointer

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Engine

    from carnet.config import Settings
    from carnet.services.outbox import Sender
    from carnet.services.ports import Clock, KeyStore, PasswordHasher

__all__ = ["Container", "bootstrap"]


@dataclass
class Container:
    """Everything an entry point needs, built once per process."""

    settings: Settings
    engine: Engine
    hasher: PasswordHasher
    clock: Clock
    random_bytes: Callable[[int], bytes] = field(default=secrets.token_bytes)
    _key_store: KeyStore | None = field(default=None, init=False, repr=False)

    def uow(self) -> SqlAlchemyUnitOfWork:
        """Return a fresh unit of work."""
        return SqlAlchemyUnitOfWork(self.engine, self.clock)

    def key_store(self) -> KeyStore:
        """The encrypted key files under ``key_dir`` (the log key is created there)."""
        if self._key_store is None:
            cfg = self.settings
            self._key_store = FileKeyStore(Path(cfg.key_dir), cfg.key_passphrase)
        return self._key_store

    def checkpointer(self) -> Checkpointer:
        """The worker that signs a checkpoint whenever the log has grown."""
        return Checkpointer(
            self.uow, self.key_store(), origin=self.settings.log_origin, clock=self.clock
        )

    def sender(self) -> Sender:
        """The outbox sender chosen by ``notify_backend``."""
        cfg = self.settings
        if cfg.notify_backend == "file":
            return FileSender(Path(cfg.notify_file))
        if cfg.notify_backend == "smtp":
            return SmtpSender(cfg.smtp_host, cfg.smtp_port, cfg.smtp_from)
        return ConsoleSender()

    def exports(self) -> FileExportStore:
        """The store of export files."""
        return FileExportStore(Path(self.settings.export_dir))

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
