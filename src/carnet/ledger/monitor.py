"""The monitor's rule: accept a new checkpoint only if it extends the last one.

A monitor (or witness, or auditor) remembers the last checkpoint it accepted
from a log. Given a newer checkpoint and a consistency proof it either moves
forward or raises a typed error that says what went wrong:

* :class:`~carnet.domain.errors.RollbackError` — the log shrank;
* :class:`~carnet.domain.errors.ForkError` — same size with another root, or
  no valid consistency proof: a split view, to be reported with both signed
  checkpoints as evidence;
* :class:`~carnet.domain.errors.CheckpointError` — another log's checkpoint,
  or a bad signature (for :func:`advance_signed`);
* :class:`~carnet.domain.errors.ProofError` — a proof supplied where none can
  exist (equal sizes, or growth from the empty tree).

The rule is pure: it reads no clock and no network, and the state is a value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from carnet.domain.errors import CheckpointError, ForkError, ProofError, RollbackError
from carnet.ledger.checkpoints import Checkpoint, open_checkpoint
from carnet.ledger.hashing import EMPTY_ROOT
from carnet.ledger.proofs import verify_consistency

if TYPE_CHECKING:
    from collections.abc import Sequence

    from carnet.ledger.keys import NoteVerifier

__all__ = ["MonitorState", "advance", "advance_signed"]


@dataclass(frozen=True, slots=True)
class MonitorState:
    """The last tree head a monitor accepted from one log.

    Raises:
        CheckpointError: the fields do not form a valid tree head (see
            :class:`~carnet.ledger.checkpoints.Checkpoint`), or an empty tree
            whose root is not the empty-tree hash.
    """

    origin: str
    size: int
    root_hash: bytes

    def __post_init__(self) -> None:
        Checkpoint(self.origin, self.size, self.root_hash)
        if self.size == 0 and self.root_hash != EMPTY_ROOT:
            raise CheckpointError("an empty tree has the empty-tree root", field="root_hash")

    @classmethod
    def empty(cls, origin: str) -> MonitorState:
        """Return the state of a monitor that has seen nothing of ``origin`` yet."""
        return cls(origin, 0, EMPTY_ROOT)

    @classmethod
    def from_checkpoint(cls, checkpoint: Checkpoint) -> MonitorState:
        """Return the state after accepting ``checkpoint`` (trust on first use)."""
        return cls(checkpoint.origin, checkpoint.size, checkpoint.root_hash)


def advance(state: MonitorState, checkpoint: Checkpoint, proof: Sequence[bytes]) -> MonitorState:
    """Return the new state if ``checkpoint`` extends ``state``; raise otherwise.

    ``checkpoint`` must already be signature-checked (see :func:`advance_signed`).
    ``proof`` is the RFC 9162 §2.1.4 consistency proof from ``state.size`` to
    ``checkpoint.size``; it is empty when the size did not change or the
    previous tree was empty.

    Raises:
        CheckpointError: the checkpoint is from another origin.
        RollbackError: the checkpoint is smaller than the accepted one.
        ForkError: same size and another root, or the proof does not link the
            two roots.
        ProofError: a non-empty proof where none can exist.
    """
    if checkpoint.origin != state.origin:
        raise CheckpointError("checkpoint is from another log", field="origin")
    old, new = state.size, checkpoint.size
    if new < old:
        raise RollbackError(f"log shrank from {old} to {new}", old_size=old, new_size=new)
    if new == old and checkpoint.root_hash != state.root_hash:
        raise ForkError(f"two roots for tree size {new}", old_size=old, new_size=new)
    if old in (new, 0):
        if proof:
            raise ProofError("no consistency proof exists for this pair of sizes")
        return MonitorState.from_checkpoint(checkpoint)
    try:
        verify_consistency(old, new, proof, state.root_hash, checkpoint.root_hash)
    except ProofError as exc:
        message = f"no valid consistency proof from size {old} to {new}"
        raise ForkError(message, old_size=old, new_size=new) from exc
    return MonitorState.from_checkpoint(checkpoint)


def advance_signed(
    state: MonitorState,
    signed_checkpoint: bytes | str,
    proof: Sequence[bytes],
    verifiers: Sequence[NoteVerifier],
) -> tuple[MonitorState, Checkpoint]:
    """Verify a signed checkpoint of ``state.origin``, then :func:`advance` to it.

    Returns:
        The new state and the verified checkpoint.

    Raises:
        CheckpointError: the note is malformed, badly signed or from another
            origin; and everything :func:`advance` raises.
    """
    checkpoint = open_checkpoint(signed_checkpoint, origin=state.origin, verifiers=verifiers)
    return advance(state, checkpoint, proof), checkpoint
