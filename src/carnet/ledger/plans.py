"""Which nodes a root, an inclusion proof or a consistency proof is made of.

Each function walks the RFC 9162 recursion (largest-power-of-two split) from the
top of the tree down, in O(log n) steps and without touching any hash, and
returns a :class:`~carnet.ledger.nodes.ProofPlan`. Storage is consulted only
afterwards, in one batch (see :mod:`carnet.ledger.tree`).

The consistency walk is shared with subtree-consistency verification
(:mod:`carnet.ledger.subtrees`), because both follow the same recursion.
"""

from __future__ import annotations

from typing import NamedTuple

from carnet.domain.errors import ProofError
from carnet.ledger.nodes import MAX_TREE_SIZE, NodeId, ProofPlan, is_valid_subtree, range_nodes

__all__ = [
    "WalkStep",
    "consistency_plan",
    "consistency_walk",
    "inclusion_plan",
    "root_plan",
    "subtree_consistency_plan",
    "subtree_inclusion_plan",
    "subtree_root_plan",
]


class WalkStep(NamedTuple):
    """One level of the consistency recursion, seen from the top of the tree.

    Attributes:
        sibling: the leaf range ``(begin, end)`` whose hash the proof carries.
        is_left: the sibling lies to the left of the path being followed.
        in_subtree: the sibling is part of the subtree being proven (it is
            needed to recompute the subtree root, not only the tree root).
    """

    sibling: tuple[int, int]
    is_left: bool
    in_subtree: bool


def _split(begin: int, end: int) -> int:
    """Return the RFC 9162 split point: ``begin`` + largest power of two < width."""
    return begin + (1 << ((end - begin - 1).bit_length() - 1))


def _check_size(size: int) -> None:
    if not 0 <= size <= MAX_TREE_SIZE:
        raise ProofError("tree size out of range")


def root_plan(size: int) -> ProofPlan:
    """Plan for MTH of the first ``size`` leaves: one part, the tiling of ``[0, size)``.

    Raises:
        ProofError: ``size`` is negative or beyond 2**64 - 1.
    """
    _check_size(size)
    return ProofPlan((range_nodes(0, size),))


def subtree_root_plan(start: int, end: int) -> ProofPlan:
    """Plan for MTH of the leaves of subtree ``[start, end)``.

    Raises:
        ProofError: ``[start, end)`` is not a valid subtree.
    """
    _check_size(end)
    if not is_valid_subtree(start, end):
        raise ProofError("not a valid subtree")
    return ProofPlan((range_nodes(start, end),))


def inclusion_plan(index: int, size: int) -> ProofPlan:
    """Plan for PATH(index, D[size]) — the inclusion proof of RFC 9162 §2.1.3.1.

    Raises:
        ProofError: unless ``0 <= index < size <= 2**64 - 1``.
    """
    _check_size(size)
    if not 0 <= index < size:
        raise ProofError("leaf index is not below the tree size")
    begin, end = 0, size
    top_down: list[tuple[NodeId, ...]] = []
    while end - begin > 1:
        mid = _split(begin, end)
        if index < mid:
            top_down.append(range_nodes(mid, end))
            end = mid
        else:
            top_down.append(range_nodes(begin, mid))
            begin = mid
    return ProofPlan(tuple(reversed(top_down)))


def subtree_inclusion_plan(index: int, *, start: int, end: int) -> ProofPlan:
    """Plan for the inclusion proof of leaf ``index`` in the subtree ``[start, end)``.

    Raises:
        ProofError: the subtree is invalid or ``index`` lies outside it.
    """
    if not is_valid_subtree(start, end) or not start <= index < end:
        raise ProofError("leaf index is not inside a valid subtree")
    local = inclusion_plan(index - start, end - start)
    # The subtree is aligned, so shifting every node by start >> level is exact.
    return ProofPlan(
        tuple(
            tuple(NodeId(n.level, n.index + (start >> n.level)) for n in part)
            for part in local.parts
        )
    )


def consistency_walk(
    start: int, end: int, size: int
) -> tuple[list[WalkStep], tuple[int, int], bool]:
    """Walk SUBPROOF from the root of ``[0, size)`` down to the subtree ``[start, end)``.

    This is RFC 9162 §2.1.4.1 SUBPROOF generalised to subtrees (the MTC
    SUBTREE_PROOF), with the subtree's start moving right whenever the old
    tree's left part is split off. The caller ensures ``[start, end)`` is a
    valid, non-empty subtree with ``end <= size``.

    Returns:
        The steps top-down; the terminal range where the walk stops (the
        subtree, or its right part once the left part has been split off);
        and whether that terminal range is the subtree itself, whose root the
        verifier already knows, so the proof omits it.
    """
    begin, stop, known = 0, size, True
    steps: list[WalkStep] = []
    while (begin, stop) != (start, end):
        mid = _split(begin, stop)
        if end <= mid:
            steps.append(WalkStep((mid, stop), is_left=False, in_subtree=False))
            stop = mid
        elif start >= mid:
            steps.append(WalkStep((begin, mid), is_left=True, in_subtree=False))
            begin = mid
        else:
            steps.append(WalkStep((begin, mid), is_left=True, in_subtree=True))
            begin = start = mid
            known = False
    return steps, (begin, stop), known


def subtree_consistency_plan(size: int, *, start: int, end: int) -> ProofPlan:
    """Plan for the proof that subtree ``[start, end)`` is part of the tree of ``size``.

    For an empty subtree, or when the subtree is the whole tree, the proof is
    empty.

    Raises:
        ProofError: the subtree is invalid, or ends beyond ``size``.
    """
    _check_size(size)
    if not is_valid_subtree(start, end) or end > size:
        raise ProofError("subtree is invalid or ends beyond the tree size")
    if start == end:
        return ProofPlan(())
    steps, terminal, known = consistency_walk(start, end, size)
    # The proof lists hashes bottom-up: the unknown terminal seed first.
    seed = () if known else (range_nodes(*terminal),)
    return ProofPlan(seed + tuple(range_nodes(*step.sibling) for step in reversed(steps)))


def consistency_plan(size1: int, size2: int) -> ProofPlan:
    """Plan for PROOF(size1, D[size2]) — the consistency proof of RFC 9162 §2.1.4.1.

    Raises:
        ProofError: unless ``0 < size1 <= size2 <= 2**64 - 1`` (a proof from the
            empty tree is meaningless, as in transparency-dev/merkle).
    """
    _check_size(size2)
    if not 0 < size1 <= size2:
        raise ProofError("consistency needs 0 < size1 <= size2")
    if size1 == size2:
        return ProofPlan(())
    return subtree_consistency_plan(size2, start=0, end=size1)
