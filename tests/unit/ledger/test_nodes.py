from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carnet.domain.errors import LedgerError
from carnet.ledger.hashing import EMPTY_ROOT, node_hash
from carnet.ledger.nodes import NodeId, ProofPlan, is_valid_subtree, range_nodes

pytestmark = pytest.mark.unit


def test_node_covers_its_aligned_leaf_range() -> None:
    node = NodeId(3, 5)
    assert (node.begin, node.end) == (40, 48)
    assert NodeId(0, 7).begin == 7
    assert NodeId(0, 7).end == 8


def test_range_nodes_of_a_tree_of_thirteen() -> None:
    # 13 = 8 + 4 + 1: one perfect subtree per set bit, highest first.
    assert range_nodes(0, 13) == (NodeId(3, 0), NodeId(2, 2), NodeId(0, 12))
    assert range_nodes(5, 5) == ()


@given(st.integers(0, 300), st.integers(0, 300))
def test_range_nodes_tile_the_range_with_maximal_aligned_nodes(a: int, b: int) -> None:
    begin, end = min(a, b), max(a, b)
    nodes = range_nodes(begin, end)
    cursor = begin
    for node in nodes:
        assert node.begin == cursor
        assert node.begin % (1 << node.level) == 0
        cursor = node.end
    assert cursor == end
    # Maximal: no two neighbours could merge into their common parent.
    for left, right in itertools.pairwise(nodes):
        assert not (left.level == right.level and left.index % 2 == 0)


def _valid_by_definition(start: int, end: int) -> bool:
    if start == end:
        return True
    return any(start % (1 << h) == 0 and 0 < end - start <= (1 << h) for h in range(12))


@pytest.mark.parametrize("start", range(40))
def test_subtree_validity_matches_its_definition(start: int) -> None:
    for end in range(start, 80):
        assert is_valid_subtree(start, end) == _valid_by_definition(start, end), (start, end)
    assert not is_valid_subtree(start + 1, start)
    assert not is_valid_subtree(-2, 2)


def test_plan_deduplicates_reads_and_folds_parts() -> None:
    a, b, c = NodeId(1, 0), NodeId(0, 2), NodeId(0, 3)
    plan = ProofPlan(((a,), (b, c), (a,), ()))
    assert plan.node_ids == (a, b, c)
    hashes = {a: b"a" * 32, b: b"b" * 32, c: b"c" * 32}
    assert plan.assemble(hashes) == [
        hashes[a],
        node_hash(hashes[b], hashes[c]),
        hashes[a],
        EMPTY_ROOT,
    ]


def test_plan_missing_node_is_a_ledger_error() -> None:
    with pytest.raises(LedgerError, match="not stored"):
        ProofPlan(((NodeId(0, 0),),)).assemble({})
