from __future__ import annotations

import pytest

from carnet.domain.errors import LedgerError
from carnet.ledger.nodes import NodeId
from carnet.ledger.store import HashStore, InMemoryHashStore

pytestmark = pytest.mark.unit

A, B = NodeId(0, 0), NodeId(0, 1)
HA, HB = b"a" * 32, b"b" * 32


def test_in_memory_store_satisfies_the_port() -> None:
    assert isinstance(InMemoryHashStore(), HashStore)


def test_reads_come_back_in_request_order_with_duplicates() -> None:
    store = InMemoryHashStore([(A, HA), (B, HB)])
    assert store.get_nodes([B, A, B]) == [HB, HA, HB]
    assert len(store) == 2
    assert repr(store) == "InMemoryHashStore(nodes=2)"


def test_missing_node_is_a_ledger_error() -> None:
    store = InMemoryHashStore([(A, HA)])
    with pytest.raises(LedgerError, match="not stored"):
        store.get_nodes([A, B])


def test_rewriting_the_same_hash_is_idempotent() -> None:
    store = InMemoryHashStore([(A, HA)])
    store.put_nodes([(A, HA), (B, HB)])
    assert store.get_nodes([A, B]) == [HA, HB]


def test_overwriting_with_another_hash_fails_and_writes_nothing() -> None:
    store = InMemoryHashStore([(A, HA)])
    with pytest.raises(LedgerError, match="overwritten"):
        store.put_nodes([(B, HB), (A, HB)])
    with pytest.raises(LedgerError):
        store.get_nodes([B])


def test_conflict_inside_one_batch_fails() -> None:
    store = InMemoryHashStore()
    with pytest.raises(LedgerError):
        store.put_nodes([(A, HA), (A, HB)])
    assert len(store) == 0
