"""Reading and growing a log stored behind a :class:`~carnet.ledger.store.HashStore`.

:class:`MerkleTree` serves the root at any past size and inclusion and
consistency proofs, each with exactly one batched
:meth:`~carnet.ledger.store.HashStore.get_nodes` call of O(log n) node ids (the
plan is computed first, see :mod:`carnet.ledger.plans`). :class:`TreeAppender`
is the single writer: it keeps the right frontier in memory and persists the
complete nodes each batch creates with one
:meth:`~carnet.ledger.store.HashStore.put_nodes` call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from carnet.domain.errors import LedgerError
from carnet.ledger.compact import CompactRange
from carnet.ledger.hashing import leaf_hash
from carnet.ledger.nodes import range_nodes
from carnet.ledger.plans import (
    consistency_plan,
    inclusion_plan,
    root_plan,
    subtree_consistency_plan,
    subtree_inclusion_plan,
    subtree_root_plan,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from carnet.ledger.nodes import ProofPlan
    from carnet.ledger.store import HashStore

__all__ = ["MerkleTree", "TreeAppender"]


class MerkleTree:
    """Roots and proofs of one log, at any size up to what the store holds.

    Every method raises :class:`~carnet.domain.errors.ProofError` for arguments
    that admit no proof (an index beyond the size, ``size1 > size2``, ...) and
    :class:`~carnet.domain.errors.LedgerError` when the store lacks a node,
    i.e. the size asked for is beyond the stored log.
    """

    __slots__ = ("_store",)

    def __init__(self, store: HashStore) -> None:
        self._store = store

    def __repr__(self) -> str:
        return f"MerkleTree({self._store!r})"

    def fetch(self, plan: ProofPlan) -> list[bytes]:
        """Read every node of ``plan`` in one batch and assemble its hashes.

        Raises:
            LedgerError: the store lacks a node or answers with the wrong count.
        """
        ids = plan.node_ids
        hashes = self._store.get_nodes(ids) if ids else []
        if len(hashes) != len(ids):
            raise LedgerError("the hash store returned the wrong number of nodes")
        return plan.assemble(dict(zip(ids, hashes, strict=True)))

    def root(self, size: int) -> bytes:
        """Return MTH of the first ``size`` leaves (RFC 9162 §2.1.1)."""
        return self.fetch(root_plan(size))[0]

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """Return PATH(index, D[size]) (RFC 9162 §2.1.3.1), bottom-up."""
        return self.fetch(inclusion_plan(index, size))

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        """Return PROOF(size1, D[size2]) (RFC 9162 §2.1.4.1); ``0 < size1 <= size2``."""
        return self.fetch(consistency_plan(size1, size2))

    def subtree_root(self, start: int, end: int) -> bytes:
        """Return MTH of the leaves of the valid subtree ``[start, end)``."""
        return self.fetch(subtree_root_plan(start, end))[0]

    def subtree_inclusion_proof(self, index: int, *, start: int, end: int) -> list[bytes]:
        """Return the inclusion proof of leaf ``index`` in subtree ``[start, end)``."""
        return self.fetch(subtree_inclusion_plan(index, start=start, end=end))

    def subtree_consistency_proof(self, size: int, *, start: int, end: int) -> list[bytes]:
        """Return the proof that subtree ``[start, end)`` is part of the tree of ``size``."""
        return self.fetch(subtree_consistency_plan(size, start=start, end=end))


class TreeAppender:
    """The single writer of a log: appends leaves in batches and persists new nodes.

    A batch is all or nothing: if a leaf hash is malformed or the store refuses
    the write, neither the store nor the appender's frontier changes.
    """

    __slots__ = ("_frontier", "_store")

    def __init__(self, store: HashStore, frontier: CompactRange | None = None) -> None:
        self._store = store
        self._frontier = frontier.copy() if frontier is not None else CompactRange()

    def __repr__(self) -> str:
        return f"TreeAppender(size={self._frontier.size})"

    @classmethod
    def open(cls, store: HashStore, size: int) -> TreeAppender:
        """Resume appending to a stored log of ``size`` leaves (one batched read).

        Raises:
            LedgerError: the store does not hold a log of that size.
        """
        if size < 0:
            raise LedgerError("a tree size cannot be negative")
        ids = range_nodes(0, size)
        hashes = store.get_nodes(ids) if ids else []
        return cls(store, CompactRange(size, hashes))

    @property
    def size(self) -> int:
        """The number of leaves appended so far."""
        return self._frontier.size

    @property
    def frontier(self) -> CompactRange:
        """A copy of the right frontier."""
        return self._frontier.copy()

    def root(self) -> bytes:
        """Return the root of the current tree, without reading the store."""
        return self._frontier.root()

    def append(self, leaf_hashes: Iterable[bytes]) -> int:
        """Append a batch of leaf hashes; return the new tree size.

        Raises:
            LedgerError: a leaf hash is not 32 bytes, or the store refused a node.
        """
        tentative = self._frontier.copy()
        created = tentative.extend(leaf_hashes)
        if created:
            self._store.put_nodes(created)
        self._frontier = tentative
        return tentative.size

    def append_entries(self, entries: Iterable[bytes]) -> int:
        """Append raw log entries, hashing each as a leaf (RFC 9162 §2.1.1).

        Raises:
            LedgerError: the store refused a node.
        """
        return self.append(leaf_hash(entry) for entry in entries)
