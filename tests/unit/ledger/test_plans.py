from __future__ import annotations

import pytest

from carnet.domain.errors import ProofError
from carnet.ledger.nodes import MAX_TREE_SIZE, NodeId
from carnet.ledger.plans import (
    consistency_plan,
    inclusion_plan,
    root_plan,
    subtree_consistency_plan,
    subtree_inclusion_plan,
    subtree_root_plan,
)

pytestmark = pytest.mark.unit


def test_inclusion_plan_for_leaf_six_of_seven() -> None:
    # RFC 9162 §2.1.5: the inclusion proof for d6 is [i, k] — the node over
    # d4..d5, then the node over d0..d3. No ephemeral node.
    assert inclusion_plan(6, 7).parts == ((NodeId(1, 2),), (NodeId(2, 0),))


def test_inclusion_plan_uses_an_ephemeral_node_on_the_right_edge() -> None:
    # RFC 9162 §2.1.5: the proof for d0 is [b, h, l]; l (over d4..d6) is not a
    # complete subtree, so it is built from the node over d4..d5 and leaf d6.
    plan = inclusion_plan(0, 7)
    assert plan.parts == ((NodeId(0, 1),), (NodeId(1, 1),), (NodeId(1, 2), NodeId(0, 6)))


def test_consistency_plan_from_rfc_example() -> None:
    # RFC 9162 §2.1.5: PROOF(3, D[7]) = [c, d, g, l].
    plan = consistency_plan(3, 7)
    assert plan.parts == (
        (NodeId(0, 2),),
        (NodeId(0, 3),),
        (NodeId(1, 0),),
        (NodeId(1, 2), NodeId(0, 6)),
    )
    # PROOF(4, D[7]) = [l]: the old root is known to the verifier.
    assert consistency_plan(4, 7).parts == ((NodeId(1, 2), NodeId(0, 6)),)
    # PROOF(6, D[7]) = [i, j, k].
    assert consistency_plan(6, 7).parts == ((NodeId(1, 2),), (NodeId(0, 6),), (NodeId(2, 0),))
    assert consistency_plan(6, 6).parts == ()


@pytest.mark.parametrize(
    "call",
    [
        lambda: root_plan(-1),
        lambda: root_plan(MAX_TREE_SIZE + 1),
        lambda: inclusion_plan(3, 3),
        lambda: inclusion_plan(-1, 3),
        lambda: consistency_plan(0, 3),
        lambda: consistency_plan(4, 3),
        lambda: subtree_root_plan(2, 5),
        lambda: subtree_inclusion_plan(1, start=2, end=4),
        lambda: subtree_inclusion_plan(2, start=3, end=5),
        lambda: subtree_consistency_plan(4, start=4, end=6),
        lambda: subtree_consistency_plan(8, start=2, end=6),
    ],
)
def test_arguments_without_a_proof_are_rejected(call: object) -> None:
    assert callable(call)
    with pytest.raises(ProofError):
        call()


def test_plans_at_ten_million_leaves_stay_logarithmic() -> None:
    n = 10_000_000
    assert len(root_plan(n).node_ids) == n.bit_count()
    for index in (0, 1, n // 2, n - 2, n - 1):
        assert len(inclusion_plan(index, n).node_ids) <= 2 * n.bit_length()
    for size1 in (1, 3, 4_999_999, n - 1):
        assert len(consistency_plan(size1, n).node_ids) <= 2 * n.bit_length()


def test_empty_subtree_and_whole_tree_need_no_proof() -> None:
    assert subtree_consistency_plan(5, start=2, end=2).parts == ()
    assert subtree_consistency_plan(5, start=0, end=5).parts == ()
    assert subtree_root_plan(4, 6).parts == ((NodeId(1, 2),),)
