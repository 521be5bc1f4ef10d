"""Addressing of tree nodes, and proof plans that name the nodes a proof needs.

A node is addressed by ``(level, index)``: level 0 holds the leaves, and node
``(level, index)`` is the root of the perfect subtree over leaves
``[index * 2**level, (index + 1) * 2**level)``. Only such *complete* nodes are
ever stored; a node that would cover leaves beyond the tree size ("ephemeral",
on the right edge of a tree whose size is not a power of two) is recomputed
from the O(log n) complete nodes that tile its range, as Trillian and the
transparency-dev tiles do.

A :class:`ProofPlan` separates *which* nodes are needed from *fetching* them, so
that a store backed by a database answers a whole proof with one batched query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from carnet.domain.errors import LedgerError
from carnet.ledger.hashing import fold_right

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["MAX_TREE_SIZE", "NodeId", "ProofPlan", "is_valid_subtree", "range_nodes"]

MAX_TREE_SIZE = (1 << 64) - 1
"""Largest tree size or index accepted anywhere (the uint64 range of RFC 9162)."""


@dataclass(frozen=True, slots=True, order=True)
class NodeId:
    """The address of a complete (perfect) subtree root: ``(level, index)``."""

    level: int
    index: int

    @property
    def begin(self) -> int:
        """The first leaf index the node covers."""
        return self.index << self.level

    @property
    def end(self) -> int:
        """One past the last leaf index the node covers."""
        return (self.index + 1) << self.level


def range_nodes(begin: int, end: int) -> tuple[NodeId, ...]:
    """Return the maximal complete nodes tiling leaves ``[begin, end)``, left to right.

    Each step takes the largest aligned perfect subtree that starts at ``begin``
    and fits, so a range whose start is aligned (a whole tree, or a right-edge
    ephemeral node) yields its nodes by decreasing level — the order
    :func:`carnet.ledger.hashing.fold_right` expects. The result has at most
    ``2 * log2(end - begin)`` entries.
    """
    nodes: list[NodeId] = []
    while begin < end:
        level = (end - begin).bit_length() - 1
        if begin:
            level = min(level, (begin & -begin).bit_length() - 1)
        nodes.append(NodeId(level, begin >> level))
        begin += 1 << level
    return tuple(nodes)


def is_valid_subtree(start: int, end: int) -> bool:
    """Whether ``[start, end)`` is a subtree that a single node of a larger tree roots.

    Valid means ``0 <= start <= end`` and ``start`` is a multiple of the smallest
    power of two that is at least ``end - start`` (MTC subtree definition, as in
    transparency-dev/merkle ``isSubtreeValid``); the empty range is valid.
    """
    if not 0 <= start <= end:
        return False
    if start in (0, end):
        return True
    width = 1 << (end - start - 1).bit_length()
    return start % width == 0


@dataclass(frozen=True, slots=True)
class ProofPlan:
    """How to build a list of proof hashes from stored complete nodes.

    Attributes:
        parts: one entry per output hash; each is the tuple of complete nodes
            whose :func:`~carnet.ledger.hashing.fold_right` is that hash (a
            single node, or the tiling of an ephemeral node).
    """

    parts: tuple[tuple[NodeId, ...], ...]

    @property
    def node_ids(self) -> tuple[NodeId, ...]:
        """Every node the plan reads, without duplicates, in first-use order."""
        return tuple(dict.fromkeys(node for part in self.parts for node in part))

    def assemble(self, hashes: Mapping[NodeId, bytes]) -> list[bytes]:
        """Combine fetched node hashes into the proof (or root) hashes.

        Raises:
            LedgerError: a node the plan needs is missing from ``hashes``.
        """
        try:
            return [fold_right([hashes[node] for node in part]) for part in self.parts]
        except KeyError as exc:
            raise LedgerError("a node needed by the proof is not stored") from exc
