from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carnet.domain.errors import LedgerError
from carnet.ledger.compact import CompactRange
from carnet.ledger.hashing import leaf_hash
from carnet.ledger.nodes import MAX_TREE_SIZE, NodeId
from tests.unit.ledger import reference

pytestmark = pytest.mark.unit


def test_appending_creates_the_leaf_and_every_completed_parent() -> None:
    cr = CompactRange()
    h = [leaf_hash(bytes([i])) for i in range(4)]
    assert cr.append(h[0]) == [(NodeId(0, 0), h[0])]
    assert cr.append(h[1]) == [(NodeId(0, 1), h[1]), (NodeId(1, 0), reference.node(h[0], h[1]))]
    assert cr.append(h[2]) == [(NodeId(0, 2), h[2])]
    created = cr.append(h[3])
    assert [node for node, _ in created] == [NodeId(0, 3), NodeId(1, 1), NodeId(2, 0)]
    assert created[-1][1] == reference.mth([bytes([i]) for i in range(4)])
    assert cr.size == 4
    assert cr.hashes == (created[-1][1],)
    assert cr.node_ids() == (NodeId(2, 0),)
    assert repr(cr) == "CompactRange(size=4)"


@settings(deadline=None)
@given(st.lists(st.binary(max_size=4), max_size=100))
def test_root_and_node_count_for_any_number_of_leaves(data: list[bytes]) -> None:
    cr = CompactRange()
    created = cr.extend(leaf_hash(d) for d in data)
    n = len(data)
    assert cr.root() == reference.mth(data)
    assert len(created) == 2 * n - n.bit_count()
    assert len({node for node, _ in created}) == len(created)
    assert len(cr.hashes) == n.bit_count()


def test_copy_is_independent() -> None:
    cr = CompactRange()
    cr.append(leaf_hash(b"x"))
    other = cr.copy()
    other.append(leaf_hash(b"y"))
    assert (cr.size, other.size) == (1, 2)


def test_constructor_checks_frontier_against_size() -> None:
    with pytest.raises(LedgerError, match="do not match"):
        CompactRange(3, [b"x" * 32])
    with pytest.raises(LedgerError, match="do not match"):
        CompactRange(-1)
    with pytest.raises(LedgerError, match="32 bytes"):
        CompactRange(1, [b"short"])


def test_leaf_hash_must_be_32_bytes() -> None:
    with pytest.raises(LedgerError, match="32 bytes"):
        CompactRange().append(b"not a hash")


def test_full_tree_refuses_more_leaves() -> None:
    full = CompactRange(MAX_TREE_SIZE, [b"h" * 32] * 64)
    with pytest.raises(LedgerError, match="full"):
        full.append(b"l" * 32)
