"""Verification of inclusion and consistency proofs (RFC 9162 §2.1.3.2, §2.1.4.2).

These functions are what an auditor, a monitor or a resident's client runs; they
need no store, only hashes. Each returns ``None`` on success and raises
:class:`~carnet.domain.errors.ProofError` otherwise — for a root mismatch and
equally for anything malformed (a negative or oversized size, an index beyond
the size, a proof hash that is not 32 bytes, a truncated or overlong proof).

Edge cases follow transparency-dev/merkle ``proof.VerifyInclusion`` /
``VerifyConsistency`` / ``VerifySubtreeInclusion`` / ``VerifySubtreeConsistency``
exactly, and the published transparency-dev test vectors pin them down:

* a consistency proof from the empty tree is meaningless and always rejected;
* equal sizes need an empty proof and identical roots;
* an empty subtree is consistent with any tree, given an empty proof and the
  empty-tree root for the subtree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from carnet.domain.errors import ProofError
from carnet.ledger.hashing import EMPTY_ROOT, HASH_SIZE, node_hash
from carnet.ledger.nodes import MAX_TREE_SIZE, is_valid_subtree
from carnet.ledger.plans import consistency_walk

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "root_from_inclusion_proof",
    "verify_consistency",
    "verify_inclusion",
    "verify_subtree_consistency",
    "verify_subtree_inclusion",
]


def _check_sizes(*values: int) -> None:
    if any(not 0 <= v <= MAX_TREE_SIZE for v in values):
        raise ProofError("tree size or index out of range")


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} must be {HASH_SIZE} bytes")


def _check_proof(proof: Sequence[bytes]) -> None:
    # 64 levels is the uint64 maximum; anything longer cannot be a proof.
    if len(proof) > 2 * 64:
        raise ProofError("proof is too long")
    for item in proof:
        _check_hash(item, "each proof hash")


def _match(computed: bytes, expected: bytes, what: str) -> None:
    if computed != expected:
        raise ProofError(f"{what} does not match the proof")


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """Return the root implied by an inclusion proof (RFC 9162 §2.1.3.2 steps 1-5).

    Raises:
        ProofError: ``index >= size``, a hash that is not 32 bytes, or a proof
            of the wrong length for ``(index, size)``.
    """
    _check_sizes(index, size)
    if index >= size:
        raise ProofError("leaf index is not below the tree size")
    _check_hash(leaf_hash, "leaf hash")
    _check_proof(proof)
    fn, sn, acc = index, size - 1, leaf_hash
    for sibling in proof:
        if sn == 0:
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            acc = node_hash(sibling, acc)
            # On the right edge, skip the levels where this node has no sibling.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            acc = node_hash(acc, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is too short")
    return acc


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` with ``root``.

    RFC 9162 §2.1.3.2; semantics of transparency-dev/merkle ``VerifyInclusion``.

    Raises:
        ProofError: the proof is malformed or does not lead to ``root``.
    """
    _match(root_from_inclusion_proof(leaf_hash, index, size, proof), root, "root")


def verify_subtree_inclusion(
    leaf_hash: bytes, index: int, proof: Sequence[bytes], root: bytes, *, start: int, end: int
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of subtree ``[start, end)`` with ``root``.

    Semantics of transparency-dev/merkle ``VerifySubtreeInclusion``.

    Raises:
        ProofError: the subtree is invalid, ``index`` is outside it, or the
            proof is malformed or does not lead to ``root``.
    """
    _check_sizes(index, start, end)
    if not is_valid_subtree(start, end) or not start <= index < end:
        raise ProofError("leaf index is not inside a valid subtree")
    verify_inclusion(leaf_hash, index - start, end - start, proof, root)


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree of ``size1`` with ``root1`` is a prefix of ``(size2, root2)``.

    RFC 9162 §2.1.4.2; semantics of transparency-dev/merkle ``VerifyConsistency``.

    Raises:
        ProofError: ``size1 > size2``, ``size1 == 0``, a malformed proof, or a
            proof that does not reproduce both roots.
    """
    _check_sizes(size1, size2)
    _check_proof(proof)
    if size1 > size2:
        raise ProofError("the first tree is larger than the second")
    if size1 == 0:
        raise ProofError("a consistency proof from the empty tree is meaningless")
    if size1 == size2:
        if proof:
            raise ProofError("equal tree sizes need an empty proof")
        _match(root1, root2, "second root")
        return
    if not proof:
        raise ProofError("consistency proof is empty")
    _check_hash(root1, "first root")
    first, second = _roots_from_consistency_path(size1, size2, proof, root1)
    _match(first, root1, "first root")
    _match(second, root2, "second root")


def _roots_from_consistency_path(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes
) -> tuple[bytes, bytes]:
    """RFC 9162 §2.1.4.2 steps 2-6 for ``0 < size1 < size2`` and a non-empty proof."""
    path = [root1, *proof] if size1 & (size1 - 1) == 0 else list(proof)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    first = second = path[0]
    for node in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            first = node_hash(node, first)
            second = node_hash(node, second)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            second = node_hash(second, node)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    return first, second


def verify_subtree_consistency(
    size: int, proof: Sequence[bytes], subtree_root: bytes, root: bytes, *, start: int, end: int
) -> None:
    """Check that subtree ``[start, end)`` with ``subtree_root`` is part of ``(size, root)``.

    Follows the subtree-consistency proofs of Merkle Tree Certificates, with the
    semantics of transparency-dev/merkle ``VerifySubtreeConsistency``; with
    ``start == 0`` it is an RFC 9162 consistency proof.

    Raises:
        ProofError: the subtree is invalid or ends beyond ``size``, the proof is
            malformed, or it does not reproduce both roots.
    """
    _check_sizes(start, end, size)
    _check_proof(proof)
    if not is_valid_subtree(start, end) or end > size:
        raise ProofError("subtree is invalid or ends beyond the tree size")
    if start == end or (start, end) == (0, size):
        if proof:
            raise ProofError("this subtree needs an empty proof")
        _match(subtree_root, EMPTY_ROOT if start == end else root, "subtree root")
        return
    steps, _, known = consistency_walk(start, end, size)
    if len(proof) != len(steps) + (not known):
        raise ProofError("subtree consistency proof has the wrong length")
    if known:
        _check_hash(subtree_root, "subtree root")
    seed, rest = (subtree_root, proof) if known else (proof[0], proof[1:])
    subtree = tree = seed
    for step, sibling in zip(reversed(steps), rest, strict=True):
        if not step.is_left:
            tree = node_hash(tree, sibling)
            continue
        tree = node_hash(sibling, tree)
        if step.in_subtree:
            subtree = node_hash(sibling, subtree)
    _match(subtree, subtree_root, "subtree root")
    _match(tree, root, "tree root")
