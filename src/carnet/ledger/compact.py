"""The right frontier of a log: what a sequencer keeps in memory to append cheaply.

A tree of ``size`` leaves is tiled by one perfect subtree per set bit of
``size`` (the compact range ``[0, size)``). Their roots — at most 64 hashes —
are all a sequencer needs to append leaves and to compute the new root: a new
leaf merges with the frontier like a carry in binary addition. Every merge
creates a complete node that will never change, and each append reports those
nodes so they can be persisted; ``n`` appends create ``2n - popcount(n)`` nodes,
fewer than two per leaf.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from carnet.domain.errors import LedgerError
from carnet.ledger.hashing import HASH_SIZE, fold_right, node_hash
from carnet.ledger.nodes import MAX_TREE_SIZE, NodeId, range_nodes

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = ["CompactRange"]


class CompactRange:
    """The roots of the perfect subtrees tiling leaves ``[0, size)``, left to right.

    Raises:
        LedgerError: the hashes do not match ``size`` (one per set bit) or are
            not 32 bytes each.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if not 0 <= size <= MAX_TREE_SIZE or len(hashes) != size.bit_count():
            raise LedgerError("compact range hashes do not match the tree size")
        if any(len(h) != HASH_SIZE for h in hashes):
            raise LedgerError("compact range hashes must be 32 bytes")
        self._size = size
        self._hashes = list(hashes)

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size})"

    @property
    def size(self) -> int:
        """The number of leaves covered."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """The frontier hashes, highest level first."""
        return tuple(self._hashes)

    def node_ids(self) -> tuple[NodeId, ...]:
        """The addresses of the frontier nodes, matching :attr:`hashes`."""
        return range_nodes(0, self._size)

    def root(self) -> bytes:
        """Return MTH of the covered leaves (RFC 9162 §2.1.1)."""
        return fold_right(self._hashes)

    def copy(self) -> CompactRange:
        """Return an independent copy (to append tentatively)."""
        return CompactRange(self._size, self._hashes)

    def append(self, leaf_hash: bytes) -> list[tuple[NodeId, bytes]]:
        """Append one leaf hash; return the complete nodes it creates, bottom-up.

        The first returned node is the leaf itself, at ``(0, old size)``.

        Raises:
            LedgerError: ``leaf_hash`` is not 32 bytes, or the tree is full.
        """
        if len(leaf_hash) != HASH_SIZE:
            raise LedgerError("a leaf hash must be 32 bytes")
        if self._size == MAX_TREE_SIZE:
            raise LedgerError("the tree is full")
        index, level, acc = self._size, 0, leaf_hash
        created = [(NodeId(0, index), acc)]
        # Each trailing one bit of the old size is a frontier node to merge with.
        while index & 1:
            acc = node_hash(self._hashes.pop(), acc)
            index >>= 1
            level += 1
            created.append((NodeId(level, index), acc))
        self._hashes.append(acc)
        self._size += 1
        return created

    def extend(self, leaf_hashes: Iterable[bytes]) -> list[tuple[NodeId, bytes]]:
        """Append leaf hashes in order; return every complete node created.

        Raises:
            LedgerError: a leaf hash is not 32 bytes (leaves before it stay
                appended — use :meth:`copy` for all-or-nothing batches).
        """
        created: list[tuple[NodeId, bytes]] = []
        for leaf in leaf_hashes:
            created.extend(self.append(leaf))
        return created
