from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carnet.domain.errors import LedgerError, ProofError
from carnet.ledger.hashing import leaf_hash
from carnet.ledger.nodes import NodeId, is_valid_subtree
from carnet.ledger.store import InMemoryHashStore
from carnet.ledger.tree import MerkleTree, TreeAppender
from tests.unit.ledger import reference

if TYPE_CHECKING:
    from collections.abc import Sequence

pytestmark = pytest.mark.unit


class CountingStore(InMemoryHashStore):
    """An in-memory store that records every batch it serves."""

    def __init__(self) -> None:
        self.reads: list[int] = []
        self.writes: list[int] = []
        super().__init__()
        self.writes.clear()

    def get_nodes(self, ids: Sequence[NodeId], /) -> list[bytes]:
        self.reads.append(len(ids))
        return super().get_nodes(ids)

    def put_nodes(self, nodes: Sequence[tuple[NodeId, bytes]], /) -> None:
        self.writes.append(len(nodes))
        super().put_nodes(nodes)


class ShortStore(InMemoryHashStore):
    """A broken store that drops the last hash of every answer."""

    def get_nodes(self, ids: Sequence[NodeId], /) -> list[bytes]:
        return super().get_nodes(ids)[:-1]


DATA = [f"entry-{i}".encode() for i in range(21)]


def _tree(data: Sequence[bytes]) -> tuple[MerkleTree, CountingStore]:
    store = CountingStore()
    TreeAppender(store).append_entries(data)
    store.reads.clear()
    return MerkleTree(store), store


def _one_small_read(store: CountingStore, size: int) -> None:
    # At most one batch (none when the proof is empty), of O(log n) ids.
    assert len(store.reads) <= 1
    assert all(count <= 2 * size.bit_length() for count in store.reads)
    store.reads.clear()


def test_roots_and_proofs_match_the_rfc_reference_for_every_small_tree() -> None:
    tree, store = _tree(DATA)
    for n in range(1, len(DATA) + 1):
        d = DATA[:n]
        assert tree.root(n) == reference.mth(d)
        _one_small_read(store, n)
        for m in range(n):
            assert tree.inclusion_proof(m, n) == reference.path(m, d)
            _one_small_read(store, n)
        for m in range(1, n + 1):
            assert tree.consistency_proof(m, n) == (reference.proof(m, d) if m < n else [])
            _one_small_read(store, n)


def test_subtree_roots_and_proofs_match_the_reference() -> None:
    tree, _ = _tree(DATA)
    n = len(DATA)
    for start in range(n):
        for end in range(start + 1, n + 1):
            if not is_valid_subtree(start, end):
                continue
            sub = DATA[start:end]
            assert tree.subtree_root(start, end) == reference.mth(sub)
            for index in range(start, end):
                proof = tree.subtree_inclusion_proof(index, start=start, end=end)
                assert proof == reference.path(index - start, sub)
            for size in range(end, n + 1):
                proof = tree.subtree_consistency_proof(size, start=start, end=end)
                assert proof == reference.subtree_proof(start, end, DATA[:size])


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 600), st.data())
def test_large_random_trees_match_the_reference(size: int, data: st.DataObject) -> None:
    entries = [i.to_bytes(4, "big") for i in range(size)]
    tree, store = _tree(entries)
    index = data.draw(st.integers(0, size - 1))
    old = data.draw(st.integers(1, size))
    assert tree.root(size) == reference.mth(entries)
    _one_small_read(store, size)
    assert tree.inclusion_proof(index, size) == reference.path(index, entries)
    _one_small_read(store, size)
    assert tree.consistency_proof(old, size) == (
        reference.proof(old, entries) if old < size else []
    )


def test_empty_root_reads_nothing() -> None:
    tree, store = _tree([])
    assert tree.root(0) == reference.mth([])
    assert store.reads == []


def test_sizes_beyond_the_stored_log_are_ledger_errors() -> None:
    tree, _ = _tree(DATA[:5])
    with pytest.raises(LedgerError):
        tree.root(6)
    with pytest.raises(LedgerError):
        tree.inclusion_proof(0, 9)
    with pytest.raises(ProofError):
        tree.inclusion_proof(5, 5)
    assert repr(tree).startswith("MerkleTree(")


def test_a_store_that_loses_nodes_is_detected() -> None:
    store = ShortStore()
    TreeAppender(store).append_entries(DATA[:3])
    with pytest.raises(LedgerError, match="wrong number"):
        MerkleTree(store).root(3)


def test_appender_resumes_from_the_store_with_one_read() -> None:
    store = CountingStore()
    first = TreeAppender(store)
    assert first.append_entries(DATA[:13]) == 13
    resumed = TreeAppender.open(store, 13)
    assert store.reads == [(13).bit_count()]
    assert resumed.root() == first.root() == reference.mth(DATA[:13])
    resumed.append_entries(DATA[13:])
    assert resumed.size == len(DATA)
    assert MerkleTree(store).root(len(DATA)) == resumed.root() == reference.mth(DATA)
    assert repr(resumed) == f"TreeAppender(size={len(DATA)})"


def test_each_batch_is_one_write() -> None:
    store = CountingStore()
    appender = TreeAppender(store)
    appender.append(leaf_hash(e) for e in DATA[:8])
    appender.append([])
    assert store.writes == [15]


def test_open_checks_size() -> None:
    store = CountingStore()
    TreeAppender(store).append_entries(DATA[:4])
    assert TreeAppender.open(store, 0).size == 0
    assert store.reads == []
    with pytest.raises(LedgerError):
        TreeAppender.open(store, -1)
    with pytest.raises(LedgerError):
        TreeAppender.open(store, 5)


def test_failed_batch_changes_nothing() -> None:
    store = CountingStore()
    appender = TreeAppender(store)
    appender.append_entries(DATA[:3])
    before = (appender.size, appender.root(), len(store))
    with pytest.raises(LedgerError, match="32 bytes"):
        appender.append([leaf_hash(b"ok"), b"short"])
    assert (appender.size, appender.root(), len(store)) == before


def test_store_refusing_the_write_leaves_the_appender_unchanged() -> None:
    store = CountingStore()
    store.put_nodes([(NodeId(0, 1), b"x" * 32)])  # a conflicting leaf already there
    appender = TreeAppender(store, TreeAppender(InMemoryHashStore()).frontier)
    appender.append_entries(DATA[:1])
    with pytest.raises(LedgerError, match="overwritten"):
        appender.append_entries(DATA[1:2])
    assert appender.size == 1
    assert appender.frontier.size == 1
