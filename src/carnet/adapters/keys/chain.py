"""Several key stores seen as one: new keys go to the first, look-ups try each in turn.

An issuer with an HSM keeps its newest signers there and older ones in key
files; the chain lets every signer be found whichever store holds it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from carnet.domain.errors import NotFoundError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from carnet.credentials.signing import Algorithm, Signer
    from carnet.services.ports import KeyStore

__all__ = ["ChainedKeyStore"]

_T = TypeVar("_T")


class ChainedKeyStore:
    """A :class:`~carnet.services.ports.KeyStore` over several stores, first one first."""

    def __init__(self, stores: Sequence[KeyStore]) -> None:
        if not stores:
            msg = "a chain needs at least one key store"
            raise ValueError(msg)
        self._stores = list(stores)

    def __repr__(self) -> str:
        return f"ChainedKeyStore({len(self._stores)} stores)"

    def create_key(self, label: str, algorithm: Algorithm) -> bytes:
        """Create the key in the first store."""
        return self._stores[0].create_key(label, algorithm)

    def signer(self, kid: bytes) -> Signer:
        """Return a signer from the first store that holds ``kid``."""
        return self._first(lambda store: store.signer(kid))

    def public_key_der(self, kid: bytes) -> bytes:
        """Return the public key from the first store that holds ``kid``."""
        return self._first(lambda store: store.public_key_der(kid))

    def list_kids(self) -> list[bytes]:
        """Return the kids of every store, in chain order."""
        return [kid for store in self._stores for kid in store.list_kids()]

    def _first(self, look_up: Callable[[KeyStore], _T]) -> _T:
        for store in self._stores[:-1]:
            try:
                return look_up(store)
            except NotFoundError:
                continue
        return look_up(self._stores[-1])
