from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carnet.domain.errors import ProofError
from carnet.ledger.hashing import EMPTY_ROOT, leaf_hash
from carnet.ledger.nodes import MAX_TREE_SIZE, is_valid_subtree
from carnet.ledger.proofs import (
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
    verify_subtree_consistency,
    verify_subtree_inclusion,
)
from tests.unit.ledger import reference

pytestmark = pytest.mark.unit

H = b"h" * 32


def _entries(n: int) -> list[bytes]:
    return [b"e%d" % i for i in range(n)]


def _flip(proof: list[bytes], item: int, bit: int) -> list[bytes]:
    flipped = list(proof)
    word = bytearray(flipped[item])
    word[bit // 8] ^= 1 << (bit % 8)
    flipped[item] = bytes(word)
    return flipped


@st.composite
def inclusion_cases(draw: st.DrawFn) -> tuple[int, int, list[bytes]]:
    size = draw(st.integers(1, 140))
    return draw(st.integers(0, size - 1)), size, _entries(size)


@settings(deadline=None)
@given(inclusion_cases(), st.data())
def test_reference_inclusion_proofs_verify_and_every_bit_flip_fails(
    case: tuple[int, int, list[bytes]], data: st.DataObject
) -> None:
    index, size, entries = case
    proof, root, leaf = (
        reference.path(index, entries),
        reference.mth(entries),
        leaf_hash(entries[index]),
    )
    verify_inclusion(leaf, index, size, proof, root)
    assert root_from_inclusion_proof(leaf, index, size, proof) == root
    bit = data.draw(st.integers(0, 255))
    for item in range(len(proof)):
        with pytest.raises(ProofError):
            verify_inclusion(leaf, index, size, _flip(proof, item, bit), root)
    with pytest.raises(ProofError):
        verify_inclusion(_flip([leaf], 0, bit)[0], index, size, proof, root)
    with pytest.raises(ProofError):
        verify_inclusion(leaf, index, size, [*proof, H], root)
    if proof:
        with pytest.raises(ProofError):
            verify_inclusion(leaf, index, size, proof[:-1], root)


@st.composite
def consistency_cases(draw: st.DrawFn) -> tuple[int, int, list[bytes]]:
    size2 = draw(st.integers(2, 140))
    return draw(st.integers(1, size2 - 1)), size2, _entries(size2)


@settings(deadline=None)
@given(consistency_cases(), st.data())
def test_reference_consistency_proofs_verify_and_every_bit_flip_fails(
    case: tuple[int, int, list[bytes]], data: st.DataObject
) -> None:
    size1, size2, entries = case
    proof = reference.proof(size1, entries)
    root1, root2 = reference.mth(entries[:size1]), reference.mth(entries)
    verify_consistency(size1, size2, proof, root1, root2)
    bit = data.draw(st.integers(0, 255))
    for item in range(len(proof)):
        with pytest.raises(ProofError):
            verify_consistency(size1, size2, _flip(proof, item, bit), root1, root2)
    for bad1, bad2 in ((_flip([root1], 0, bit)[0], root2), (root1, _flip([root2], 0, bit)[0])):
        with pytest.raises(ProofError):
            verify_consistency(size1, size2, proof, bad1, bad2)
    for wrong in (proof[:-1], [*proof, H], [H, *proof]):
        with pytest.raises(ProofError):
            verify_consistency(size1, size2, wrong, root1, root2)


@st.composite
def subtree_cases(draw: st.DrawFn) -> tuple[int, int, int, list[bytes]]:
    size = draw(st.integers(1, 100))
    start = draw(st.integers(0, size - 1))
    end = draw(st.integers(start + 1, size).filter(lambda e: is_valid_subtree(start, e)))
    return start, end, size, _entries(size)


@settings(max_examples=150, deadline=None)
@given(subtree_cases(), st.data())
def test_subtree_proofs_verify_and_every_bit_flip_fails(
    case: tuple[int, int, int, list[bytes]], data: st.DataObject
) -> None:
    start, end, size, entries = case
    sub_root, root = reference.mth(entries[start:end]), reference.mth(entries)
    proof = reference.subtree_proof(start, end, entries)
    verify_subtree_consistency(size, proof, sub_root, root, start=start, end=end)
    index = data.draw(st.integers(start, end - 1))
    path = reference.path(index - start, entries[start:end])
    leaf = leaf_hash(entries[index])
    verify_subtree_inclusion(leaf, index, path, sub_root, start=start, end=end)
    bit = data.draw(st.integers(0, 255))
    for item in range(len(proof)):
        flipped = _flip(proof, item, bit)
        with pytest.raises(ProofError):
            verify_subtree_consistency(size, flipped, sub_root, root, start=start, end=end)
    with pytest.raises(ProofError):
        verify_subtree_consistency(size, [*proof, H], sub_root, root, start=start, end=end)
    if (start, end) != (0, size):
        bad_sub = _flip([sub_root], 0, bit)[0]
        with pytest.raises(ProofError):
            verify_subtree_consistency(size, proof, bad_sub, root, start=start, end=end)
    for item in range(len(path)):
        flipped = _flip(path, item, bit)
        with pytest.raises(ProofError):
            verify_subtree_inclusion(leaf, index, flipped, sub_root, start=start, end=end)


@pytest.mark.parametrize(
    ("index", "size", "leaf", "proof"),
    [
        (0, 0, H, []),
        (-1, 4, H, [H, H]),
        (0, MAX_TREE_SIZE + 1, H, []),
        (0, 1, b"short", []),
        (0, 2, H, [b"short"]),
        (0, 2, H, [H] * 129),
    ],
)
def test_malformed_inclusion_inputs_are_proof_errors(
    index: int, size: int, leaf: bytes, proof: list[bytes]
) -> None:
    with pytest.raises(ProofError):
        verify_inclusion(leaf, index, size, proof, H)


def test_single_leaf_tree_needs_empty_proof() -> None:
    verify_inclusion(H, 0, 1, [], H)
    with pytest.raises(ProofError, match="too long"):
        verify_inclusion(H, 0, 1, [H], H)


def test_consistency_edge_cases() -> None:
    verify_consistency(3, 3, [], H, H)
    with pytest.raises(ProofError, match="empty tree"):
        verify_consistency(0, 3, [], EMPTY_ROOT, H)
    with pytest.raises(ProofError, match="larger"):
        verify_consistency(4, 3, [], H, H)
    with pytest.raises(ProofError, match="empty proof"):
        verify_consistency(3, 3, [H], H, H)
    with pytest.raises(ProofError, match="is empty"):
        verify_consistency(3, 4, [], H, H)
    with pytest.raises(ProofError, match="first root"):
        verify_consistency(2, 4, [H], b"short", H)


def test_subtree_edge_cases() -> None:
    verify_subtree_consistency(5, [], EMPTY_ROOT, H, start=2, end=2)
    with pytest.raises(ProofError, match="subtree root"):
        verify_subtree_consistency(5, [], H, H, start=2, end=2)
    with pytest.raises(ProofError, match="empty proof"):
        verify_subtree_consistency(5, [H], EMPTY_ROOT, H, start=2, end=2)
    with pytest.raises(ProofError, match="invalid"):
        verify_subtree_consistency(8, [], H, H, start=2, end=5)
    with pytest.raises(ProofError, match="beyond"):
        verify_subtree_consistency(3, [], H, H, start=0, end=4)
    with pytest.raises(ProofError, match="wrong length"):
        verify_subtree_consistency(8, [], H, H, start=4, end=6)
    with pytest.raises(ProofError, match="subtree root"):
        verify_subtree_consistency(8, [H], b"short", H, start=4, end=8)
    with pytest.raises(ProofError, match="inside"):
        verify_subtree_inclusion(H, 1, [], H, start=2, end=4)
