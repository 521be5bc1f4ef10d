"""The composition root: build adapters from settings and hand them to entry points."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from carnet.adapters.db.engine import build_engine
from carnet.adapters.db.uow import SqlAlchemyUnitOfWork
from carnet.adapters.exports import FileExportStore
from carnet.adapters.keys.chain import ChainedKeyStore
from carnet.adapters.keys.files import FileKeyStore
from carnet.adapters.notify.senders import ConsoleSender, FileSender, SmtpSender
from carnet.adapters.render.pdf import PdfRenderer
from carnet.adapters.security import Argon2PasswordHasher, SystemClock
from carnet.services.catalogue import load_catalogue
from carnet.services.issuance import Issuing
from carnet.services.issuer_workspace import IssuerWorkspace, WorkspaceSigners
from carnet.services.ledger import Checkpointer

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Engine

    from carnet.config import Settings
    from carnet.domain.doctypes import Catalogue
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
    _catalogue: Catalogue | None = field(default=None, init=False, repr=False)
    _issuing: Issuing | None = field(default=None, init=False, repr=False)

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

    def catalogue(self) -> Catalogue:
        """The document types in force, validated against the purpose policy."""
        if self._catalogue is None:
            path = self.settings.document_types_file
            self._catalogue = load_catalogue(Path(path) if path else None)
        return self._catalogue

    def issuer_key_store(self) -> KeyStore:
        """Where document signers' keys live: the HSM first when one is configured."""
        cfg = self.settings
        if not cfg.pkcs11_module:
            return self.key_store()
        from carnet.adapters.keys.pkcs11 import Pkcs11KeyStore  # noqa: PLC0415 - HSM only

        hsm = Pkcs11KeyStore(cfg.pkcs11_module, cfg.pkcs11_token, cfg.pkcs11_pin)
        return ChainedKeyStore([hsm, self.key_store()])

    def issuer_workspace(self) -> IssuerWorkspace:
        """The issuer's PKI and signers (``issuer_dir``)."""
        return IssuerWorkspace(
            Path(self.settings.issuer_dir), self.issuer_key_store(), rng=secrets.SystemRandom()
        )

    def issuing(self) -> Issuing:
        """What the document use cases need: catalogue, signers, renderer, clock."""
        if self._issuing is None:
            self._issuing = Issuing(
                catalogue=self.catalogue(),
                signers=WorkspaceSigners(self.issuer_workspace()),
                clock=self.clock,
                status_base_uri=self.settings.status_base_uri,
                renderer=PdfRenderer(),
            )
        return self._issuing

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
