"""The ports that use cases depend on; adapters implement them.

Repositories and the unit of work live in :mod:`carnet.services.uow`; this module
holds the capability ports: time, key storage and password hashing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from carnet.credentials.signing import Algorithm, Signer
    from carnet.domain.persons import Resident
    from carnet.domain.printing import PrintItem

__all__ = ["Clock", "KeyStore", "PasswordHasher", "Renderer", "ResidentBulkWriter"]


class Clock(Protocol):
    """Tells the time. Always timezone-aware UTC."""

    def now(self) -> datetime:
        """Return the current instant as an aware UTC datetime."""
        ...


class KeyStore(Protocol):
    """Holds private keys and hands out :class:`~carnet.credentials.signing.Signer` s.

    A key is named by its ``kid``: the first 8 bytes of SHA-256 over the DER
    SubjectPublicKeyInfo of its public key. Private key material never leaves the
    store through this port.
    """

    def create_key(self, label: str, algorithm: Algorithm) -> bytes:
        """Generate a new key pair inside the store and return its ``kid``.

        Raises:
            ConflictError: a key with this label already exists.
            InfrastructureError: the store could not be reached or written.
        """
        ...

    def signer(self, kid: bytes) -> Signer:
        """Return a signer for the key ``kid``.

        Raises:
            NotFoundError: no such key.
            InfrastructureError: the store could not be reached.
        """
        ...

    def public_key_der(self, kid: bytes) -> bytes:
        """Return the DER SubjectPublicKeyInfo of key ``kid``.

        Raises:
            NotFoundError: no such key.
        """
        ...

    def list_kids(self) -> list[bytes]:
        """Return the kids of every key in the store, oldest first."""
        ...


class PasswordHasher(Protocol):
    """Hashes and checks officials' passwords (argon2id in production)."""

    def hash(self, password: str) -> str:
        """Return an encoded hash of ``password``."""
        ...

    def verify(self, encoded: str, password: str) -> bool:
        """Return whether ``password`` matches ``encoded`` (constant time)."""
        ...

    def needs_rehash(self, encoded: str) -> bool:
        """Return whether ``encoded`` uses outdated parameters."""
        ...


class ResidentBulkWriter(Protocol):
    """Writes many residents at once (COPY on PostgreSQL), one batch per transaction."""

    def region_codes(self) -> set[str]:
        """Return every region code (for validating rows without a query each)."""
        ...

    def refs_taken(self, refs: Sequence[str]) -> set[str]:
        """Return which external references are already stored."""
        ...

    def uins_taken(self, uins: Sequence[str]) -> set[str]:
        """Return which UINs are already allocated."""
        ...

    def write(self, residents: Sequence[Resident], created_by: str | None) -> None:
        """Insert ``residents`` in one transaction: all of them or none.

        Raises:
            ConflictError: a UIN or external reference was taken meanwhile.
        """
        ...


class Renderer(Protocol):
    """Renders print items into one print-ready PDF (a station's print run)."""

    def render(self, items: Sequence[PrintItem]) -> bytes:
        """Return one PDF holding every item in order (a card: front, then back).

        Raises:
            ValidationError: no items, or an item that cannot be laid out.
        """
        ...
