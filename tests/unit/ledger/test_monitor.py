from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from carnet.domain.errors import CheckpointError, ForkError, ProofError, RollbackError
from carnet.ledger.checkpoints import Checkpoint, sign_checkpoint
from carnet.ledger.hashing import EMPTY_ROOT
from carnet.ledger.keys import Ed25519NoteSigner
from carnet.ledger.monitor import MonitorState, advance, advance_signed
from carnet.ledger.store import InMemoryHashStore
from carnet.ledger.tree import MerkleTree, TreeAppender

pytestmark = pytest.mark.unit

ORIGIN = "carnet.example/log"
SIGNER = Ed25519NoteSigner.from_private_key(
    ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
)
ENTRIES = [f"official action {i}".encode() for i in range(40)]


def _log(entries: list[bytes]) -> MerkleTree:
    store = InMemoryHashStore()
    TreeAppender(store).append_entries(entries)
    return MerkleTree(store)


HONEST = _log(ENTRIES)
FORKED = _log([*ENTRIES[:5], b"rewritten history", *ENTRIES[6:]])


def _cp(tree: MerkleTree, size: int, origin: str = ORIGIN) -> Checkpoint:
    return Checkpoint(origin, size, tree.root(size))


def test_monitor_follows_an_honest_log() -> None:
    state = MonitorState.empty(ORIGIN)
    state = advance(state, _cp(HONEST, 3), [])
    for old, new in ((3, 3), (3, 8), (8, 13), (13, 40)):
        proof = HONEST.consistency_proof(old, new)
        state = advance(state, _cp(HONEST, new), proof)
        assert (state.size, state.root_hash) == (new, HONEST.root(new))


def test_smaller_checkpoint_is_a_rollback() -> None:
    state = MonitorState.from_checkpoint(_cp(HONEST, 13))
    with pytest.raises(RollbackError) as info:
        advance(state, _cp(HONEST, 12), [])
    assert (info.value.old_size, info.value.new_size) == (13, 12)
    assert repr(info.value) == (
        "RollbackError('log shrank from 13 to 12', old_size=13, new_size=12)"
    )
    assert isinstance(info.value, CheckpointError)


def test_same_size_other_root_is_a_fork() -> None:
    state = MonitorState.from_checkpoint(_cp(HONEST, 13))
    with pytest.raises(ForkError) as info:
        advance(state, _cp(FORKED, 13), [])
    assert (info.value.old_size, info.value.new_size) == (13, 13)
    assert "old_size=13" in repr(info.value)


def test_rewritten_history_cannot_be_proven_consistent() -> None:
    state = MonitorState.from_checkpoint(_cp(HONEST, 8))
    # The forked log serves its own, internally valid proof.
    with pytest.raises(ForkError) as info:
        advance(state, _cp(FORKED, 20), FORKED.consistency_proof(8, 20))
    assert isinstance(info.value.__cause__, ProofError)
    # Nor does the honest proof link the forked head.
    with pytest.raises(ForkError):
        advance(state, _cp(FORKED, 20), HONEST.consistency_proof(8, 20))


def test_fork_after_the_accepted_prefix_is_not_a_fork() -> None:
    # The rewrite is at index 5, so both logs agree on the first five leaves.
    state = MonitorState.from_checkpoint(_cp(HONEST, 5))
    assert advance(state, _cp(FORKED, 9), FORKED.consistency_proof(5, 9)).size == 9


def test_truncated_proof_is_refused() -> None:
    state = MonitorState.from_checkpoint(_cp(HONEST, 8))
    with pytest.raises(ForkError):
        advance(state, _cp(HONEST, 20), HONEST.consistency_proof(8, 20)[:-1])


def test_other_origin_is_not_a_fork() -> None:
    state = MonitorState.from_checkpoint(_cp(HONEST, 8))
    with pytest.raises(CheckpointError, match="another log") as info:
        advance(state, _cp(HONEST, 9, "other.example/log"), HONEST.consistency_proof(8, 9))
    assert not isinstance(info.value, ForkError)


def test_proofs_where_none_can_exist_are_refused() -> None:
    with pytest.raises(ProofError):
        advance(MonitorState.empty(ORIGIN), _cp(HONEST, 4), [EMPTY_ROOT])
    state = MonitorState.from_checkpoint(_cp(HONEST, 4))
    with pytest.raises(ProofError):
        advance(state, _cp(HONEST, 4), [EMPTY_ROOT])


def test_state_must_be_a_valid_tree_head() -> None:
    with pytest.raises(CheckpointError, match="empty-tree root"):
        MonitorState(ORIGIN, 0, HONEST.root(1))
    with pytest.raises(CheckpointError):
        MonitorState(ORIGIN, -1, EMPTY_ROOT)
    assert MonitorState.empty(ORIGIN) == MonitorState(ORIGIN, 0, EMPTY_ROOT)


def test_advance_signed_checks_signature_then_consistency() -> None:
    state = MonitorState.from_checkpoint(_cp(HONEST, 8))
    signed = sign_checkpoint(_cp(HONEST, 20), [SIGNER])
    new_state, checkpoint = advance_signed(
        state, signed, HONEST.consistency_proof(8, 20), [SIGNER.verifier()]
    )
    assert checkpoint == _cp(HONEST, 20)
    assert new_state == MonitorState.from_checkpoint(checkpoint)
    tampered = signed.replace(b"\n20\n", b"\n21\n")
    with pytest.raises(CheckpointError, match="does not verify"):
        advance_signed(state, tampered, HONEST.consistency_proof(8, 21), [SIGNER.verifier()])
    forked = sign_checkpoint(_cp(FORKED, 20), [SIGNER])
    with pytest.raises(ForkError):
        advance_signed(state, forked, FORKED.consistency_proof(8, 20), [SIGNER.verifier()])
