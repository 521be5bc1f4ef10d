"""The transparency log library: RFC 9162 Merkle tree, proofs and C2SP checkpoints.

Pure: no database and no web. Node hashes live behind the
:class:`~carnet.ledger.store.HashStore` port; signing keys behind
:class:`~carnet.ledger.keys.NoteSigner`. Modules:

* :mod:`~carnet.ledger.hashing` — leaf, node and tree hashes (RFC 9162 §2.1.1);
* :mod:`~carnet.ledger.nodes`, :mod:`~carnet.ledger.plans` — node addresses and
  the node ids each root or proof needs;
* :mod:`~carnet.ledger.store`, :mod:`~carnet.ledger.compact`,
  :mod:`~carnet.ledger.tree` — storage port, right frontier, reader and appender;
* :mod:`~carnet.ledger.proofs` — proof verification (RFC 9162 §2.1.3, §2.1.4);
* :mod:`~carnet.ledger.keys`, :mod:`~carnet.ledger.notes` — C2SP signed notes;
* :mod:`~carnet.ledger.checkpoints` — C2SP tlog checkpoints;
* :mod:`~carnet.ledger.monitor` — accepting a new checkpoint, or not.
"""

from carnet.ledger.checkpoints import Checkpoint, open_checkpoint, sign_checkpoint
from carnet.ledger.compact import CompactRange
from carnet.ledger.hashing import EMPTY_ROOT, leaf_hash, merkle_tree_hash, node_hash
from carnet.ledger.keys import Ed25519NoteSigner, Ed25519NoteVerifier, NoteSigner, NoteVerifier
from carnet.ledger.monitor import MonitorState, advance, advance_signed
from carnet.ledger.nodes import NodeId, ProofPlan
from carnet.ledger.notes import open_note, sign_note
from carnet.ledger.proofs import (
    verify_consistency,
    verify_inclusion,
    verify_subtree_consistency,
    verify_subtree_inclusion,
)
from carnet.ledger.store import HashStore, InMemoryHashStore
from carnet.ledger.tree import MerkleTree, TreeAppender

__all__ = [
    "EMPTY_ROOT",
    "Checkpoint",
    "CompactRange",
    "Ed25519NoteSigner",
    "Ed25519NoteVerifier",
    "HashStore",
    "InMemoryHashStore",
    "MerkleTree",
    "MonitorState",
    "NodeId",
    "NoteSigner",
    "NoteVerifier",
    "ProofPlan",
    "TreeAppender",
    "advance",
    "advance_signed",
    "leaf_hash",
    "merkle_tree_hash",
    "node_hash",
    "open_checkpoint",
    "open_note",
    "sign_checkpoint",
    "sign_note",
    "verify_consistency",
    "verify_inclusion",
    "verify_subtree_consistency",
    "verify_subtree_inclusion",
]
