from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carnet.ledger.hashing import (
    EMPTY_ROOT,
    HASH_SIZE,
    fold_right,
    leaf_hash,
    merkle_tree_hash,
    node_hash,
    root_from_leaf_hashes,
)
from tests.unit.ledger import reference

pytestmark = pytest.mark.unit

entries = st.lists(st.binary(max_size=8), max_size=70)


def test_empty_tree_root_is_hash_of_nothing() -> None:
    assert hashlib.sha256(b"").hexdigest() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert merkle_tree_hash([]) == EMPTY_ROOT
    assert fold_right([]) == EMPTY_ROOT


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    left, right = b"L" * HASH_SIZE, b"R" * HASH_SIZE
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    # A leaf whose data looks like two children must not collide with the node.
    assert leaf_hash(left + right) != node_hash(left, right)


def test_single_entry_root_is_its_leaf_hash() -> None:
    assert merkle_tree_hash([b"only"]) == leaf_hash(b"only")


def test_three_leaves_split_at_two() -> None:
    a, b, c = (leaf_hash(x) for x in (b"a", b"b", b"c"))
    assert merkle_tree_hash([b"a", b"b", b"c"]) == node_hash(node_hash(a, b), c)


def test_fold_right_nests_to_the_right() -> None:
    h = [bytes([i]) * HASH_SIZE for i in range(3)]
    assert fold_right(h) == node_hash(h[0], node_hash(h[1], h[2]))
    assert fold_right(h[:1]) == h[0]


@settings(deadline=None)
@given(entries)
def test_root_matches_recursive_reference(data: list[bytes]) -> None:
    assert merkle_tree_hash(data) == reference.mth(data)
    assert root_from_leaf_hashes(iter([leaf_hash(d) for d in data])) == reference.mth(data)
