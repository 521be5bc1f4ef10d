"""Password hashing with argon2id and the system clock."""

from __future__ import annotations

from datetime import UTC, datetime

from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["Argon2PasswordHasher", "SystemClock"]


class Argon2PasswordHasher:
    """argon2id with the library's RFC 9106 "low memory" defaults.

    ``fast=True`` lowers the cost for tests only; such hashes are flagged by
    :meth:`needs_rehash` when checked by a normal-cost hasher.
    """

    def __init__(self, *, fast: bool = False) -> None:
        self._ph = _Argon2(time_cost=1, memory_cost=1024, parallelism=1) if fast else _Argon2()

    def hash(self, password: str) -> str:
        """Return the encoded argon2id hash of ``password``."""
        return self._ph.hash(password)

    def verify(self, encoded: str, password: str) -> bool:
        """Return whether ``password`` matches ``encoded``."""
        try:
            return self._ph.verify(encoded, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, encoded: str) -> bool:
        """Return whether ``encoded`` was made with other parameters."""
        try:
            return self._ph.check_needs_rehash(encoded)
        except InvalidHashError:
            return True


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        """Return the current aware UTC instant."""
        return datetime.now(UTC)
