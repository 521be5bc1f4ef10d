"""RFC 9162 Merkle tree hashing: the only place the hash function is chosen.

Carnet's transparency log is a binary Merkle hash tree as defined in RFC 9162
§2.1.1 with SHA-256. Leaves and interior nodes are domain-separated by a one-byte
prefix so that a leaf can never be passed off as a node (second-preimage
protection), and the tree over ``n`` leaves splits at the largest power of two
smaller than ``n``, which is what makes the tree append-only friendly.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "fold_right",
    "leaf_hash",
    "merkle_tree_hash",
    "node_hash",
    "root_from_leaf_hashes",
]

HASH_SIZE = 32
"""Length in bytes of every hash in the tree (SHA-256)."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) = HASH() — the root of the empty tree (RFC 9162 §2.1.1)."""


def leaf_hash(entry: bytes) -> bytes:
    """Return the leaf hash ``HASH(0x00 || entry)`` (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the interior node hash ``HASH(0x01 || left || right)`` (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def fold_right(hashes: Sequence[bytes]) -> bytes:
    """Hash the roots of consecutive perfect subtrees into the root of their union.

    ``hashes`` are the roots of the maximal perfect subtrees that tile a range
    whose start is aligned (a right-edge "ephemeral" node, or a whole tree),
    listed left to right and so from the highest to the lowest level. Because
    RFC 9162 splits at the largest power of two, the root of such a range is
    ``H(h0, H(h1, ... H(h[k-2], h[k-1])))``. An empty sequence yields
    :data:`EMPTY_ROOT`.
    """
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for left in reversed(hashes[:-1]):
        acc = node_hash(left, acc)
    return acc


def root_from_leaf_hashes(leaf_hashes: Iterable[bytes]) -> bytes:
    """Return the Merkle Tree Hash of a list of leaf hashes (RFC 9162 §2.1.1).

    Runs in O(n) time and O(log n) memory by keeping only the stack of perfect
    subtree roots, so it scales to logs that do not fit in memory.
    """
    # stack[i] is the root of a perfect subtree; levels strictly decrease.
    stack: list[tuple[int, bytes]] = []
    for leaf in leaf_hashes:
        level, acc = 0, leaf
        while stack and stack[-1][0] == level:
            acc = node_hash(stack.pop()[1], acc)
            level += 1
        stack.append((level, acc))
    return fold_right([h for _, h in stack])


def merkle_tree_hash(entries: Iterable[bytes]) -> bytes:
    """Return MTH(D[n]) of the raw ``entries`` (RFC 9162 §2.1.1)."""
    return root_from_leaf_hashes(leaf_hash(e) for e in entries)
