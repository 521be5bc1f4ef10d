"""The storage port of the log's node hashes, and its in-memory implementation.

The ledger never talks to a database. It reads and writes the hashes of
*complete* subtrees through :class:`HashStore`, addressed by
:class:`~carnet.ledger.nodes.NodeId`. A log of ``n`` leaves stores fewer than
``2n`` such nodes, each written once and never changed, so the store is append-only
and every write is idempotent.

The port is batch-first on purpose: a proof or a root is one
:meth:`HashStore.get_nodes` call with O(log n) ids (one ``WHERE (level, index)
IN (...)`` query for a SQL store), and an append is one
:meth:`HashStore.put_nodes` call however many leaves it adds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from carnet.domain.errors import LedgerError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from carnet.ledger.nodes import NodeId

__all__ = ["HashStore", "InMemoryHashStore"]


@runtime_checkable
class HashStore(Protocol):
    """Where complete-subtree hashes of one log live.

    Implementations must be safe to call with ids in any order and with
    duplicates, and must never return a hash for a node they do not hold.
    """

    def get_nodes(self, ids: Sequence[NodeId], /) -> list[bytes]:
        """Return the hashes of ``ids``, in the same order, in one round trip.

        Raises:
            LedgerError: any of the nodes is not stored.
            InfrastructureError: the backing store could not be reached.
        """
        ...

    def put_nodes(self, nodes: Sequence[tuple[NodeId, bytes]], /) -> None:
        """Store node hashes, all or none.

        Writing a hash that is already stored with the same value is a no-op,
        so a retried append is harmless.

        Raises:
            LedgerError: a node is already stored with a different hash (the log
                would be rewritten).
            InfrastructureError: the backing store could not be reached.
        """
        ...


class InMemoryHashStore:
    """A :class:`HashStore` in a dict: for tests, tools and small logs."""

    __slots__ = ("_nodes",)

    def __init__(self, nodes: Iterable[tuple[NodeId, bytes]] = ()) -> None:
        self._nodes: dict[NodeId, bytes] = {}
        self.put_nodes(list(nodes))

    def __len__(self) -> int:
        return len(self._nodes)

    def __repr__(self) -> str:
        return f"InMemoryHashStore(nodes={len(self._nodes)})"

    def get_nodes(self, ids: Sequence[NodeId], /) -> list[bytes]:
        """Return the hashes of ``ids`` in order (see :meth:`HashStore.get_nodes`).

        Raises:
            LedgerError: any of the nodes is not stored.
        """
        try:
            return [self._nodes[node] for node in ids]
        except KeyError as exc:
            raise LedgerError("a requested node is not stored") from exc

    def put_nodes(self, nodes: Sequence[tuple[NodeId, bytes]], /) -> None:
        """Store node hashes, all or none (see :meth:`HashStore.put_nodes`).

        Raises:
            LedgerError: a node is already stored with a different hash.
        """
        batch: dict[NodeId, bytes] = {}
        for node, digest in nodes:
            if batch.setdefault(node, self._nodes.get(node, digest)) != digest:
                raise LedgerError("a stored node would be overwritten with another hash")
        self._nodes.update(batch)
