"""The transparency log as the application uses it: sealing actions, checkpoints, proofs.

**Logging.** A use case records an action with ``uow.ledger.append(Action(...))``
inside its unit of work, right before ``commit()`` (see
:class:`~carnet.services.uow.LedgerRepository`); there is no other way. The
repository calls :func:`seal`, which draws a fresh 32-byte salt per touched
record and per reason, computes the salted commitments and encodes the leaf
(:func:`carnet.domain.actions.encode_leaf`). The leaf holds no personal data; the
salts, the record ids and the reason text stay in the database next to it.

**Checkpoints.** :func:`issue_checkpoint` signs the current tree head as a C2SP
tlog-checkpoint with the log's Ed25519 key, created in the key store on first use
and recorded (public half and key-store id) in the database.
:class:`Checkpointer` issues one whenever the log has grown, every few seconds,
until stopped: the ``carnet ledger checkpoint --every`` worker and the thread
``carnet serve`` starts.

**Proofs.** :func:`inclusion_proof` and :func:`consistency_proof` read every node
they need (the proof, the leaf and the roots) in one batched query. Issued
documents (issue #5) will record the index of their issuance leaf, so that a
document can be proven to be in the log with :func:`inclusion_proof`.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from carnet.credentials.signing import Algorithm
from carnet.domain.actions import (
    LeafFields,
    commitment,
    decode_leaf,
    encode_leaf,
    subject_entry,
)
from carnet.domain.errors import (
    CarnetError,
    InfrastructureError,
    NotFoundError,
    ProofError,
)
from carnet.ledger.checkpoints import Checkpoint, sign_checkpoint
from carnet.ledger.hashing import leaf_hash, merkle_tree_hash
from carnet.ledger.keys import Ed25519NoteSigner, Ed25519NoteVerifier
from carnet.ledger.nodes import NodeId, ProofPlan
from carnet.ledger.plans import consistency_plan, inclusion_plan, root_plan
from carnet.ledger.tree import MerkleTree

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable, Iterable
    from datetime import datetime

    from carnet.domain.actions import Action
    from carnet.services.ports import Clock, KeyStore
    from carnet.services.uow import UnitOfWork

__all__ = [
    "SALT_SIZE",
    "Checkpointer",
    "ConsistencyProof",
    "InclusionProof",
    "LogKey",
    "SealedAction",
    "SealedSubject",
    "StoredCheckpoint",
    "TreeHead",
    "consistency_proof",
    "inclusion_proof",
    "issue_checkpoint",
    "latest_checkpoint",
    "leaf_at",
    "log_verifier",
    "log_verifier_key",
    "seal",
    "subjects_root",
]

logger = logging.getLogger(__name__)

SALT_SIZE = 32
# DER SubjectPublicKeyInfo of an Ed25519 key (RFC 8410 §4): this prefix, then the key.
_ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")
_ED25519_KEY_SIZE = 32


@dataclass(frozen=True, slots=True)
class TreeHead:
    """The size of the log and its RFC 9162 root hash."""

    size: int
    root_hash: bytes


@dataclass(frozen=True, slots=True)
class LogKey:
    """A signing key of the log: its key-store id, note key name and public half."""

    kid: bytes
    name: str
    public_key: bytes
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A signed checkpoint as stored: the signed note and the key that signed it."""

    size: int
    root_hash: bytes
    note: str
    key_kid: bytes
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SealedSubject:
    """One touched record as stored next to its leaf: the salt stays private."""

    kind: str
    record_id: str
    version: int | None
    salt: bytes = field(repr=False)
    commitment: bytes


@dataclass(frozen=True, slots=True)
class SealedAction:
    """An action ready to append: the leaf bytes, its hash, and what stays in the database."""

    entry: bytes
    leaf_hash: bytes
    leaf: LeafFields
    subjects: tuple[SealedSubject, ...]
    reason: str | None = field(repr=False)
    reason_salt: bytes | None = field(repr=False)


def subjects_root(pairs: Iterable[tuple[str, bytes]]) -> bytes:
    """Return the Merkle tree hash over ``kind || 0x00 || commitment`` entries."""
    return merkle_tree_hash(subject_entry(kind, value) for kind, value in pairs)


def seal(
    action: Action,
    *,
    at: datetime,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> SealedAction:
    """Commit to the action's records and reason with fresh salts; encode its leaf.

    ``at`` is used when the action carries no time of its own.
    """
    subjects = []
    for ref in action.subjects:
        salt = random_bytes(SALT_SIZE)
        subjects.append(
            SealedSubject(ref.kind, ref.id, ref.version, salt, commitment(salt, ref.content))
        )
    reason_salt = None if action.reason is None else random_bytes(SALT_SIZE)
    reason_commitment = (
        None
        if action.reason is None or reason_salt is None
        else commitment(reason_salt, action.reason.encode("utf-8"))
    )
    leaf = LeafFields(
        action_type=action.type.value,
        official_id=action.official_id,
        roles=action.roles,
        station=action.station,
        at=action.at or at,
        subject_count=len(subjects),
        subjects_root=subjects_root((s.kind, s.commitment) for s in subjects),
        reason_commitment=reason_commitment,
    )
    entry = encode_leaf(leaf)
    return SealedAction(
        entry=entry,
        leaf_hash=leaf_hash(entry),
        leaf=leaf,
        subjects=tuple(subjects),
        reason=action.reason,
        reason_salt=reason_salt,
    )


# --------------------------------------------------------------------------- keys


def _raw_ed25519(der: bytes) -> bytes:
    if len(der) != len(_ED25519_SPKI_PREFIX) + _ED25519_KEY_SIZE or not der.startswith(
        _ED25519_SPKI_PREFIX
    ):
        raise InfrastructureError("the log key is not an Ed25519 key")
    return der[len(_ED25519_SPKI_PREFIX) :]


def _current_key(uow: UnitOfWork, origin: str) -> LogKey | None:
    return next((k for k in reversed(uow.ledger.log_keys()) if k.name == origin), None)


def _ensure_key(
    uow: UnitOfWork,
    keys: KeyStore,
    *,
    origin: str,
    clock: Clock,
    random_bytes: Callable[[int], bytes],
) -> LogKey:
    """Return the log key for ``origin``, creating it on first use.

    The caller holds the head lock, so two processes never both create one.
    """
    key = _current_key(uow, origin)
    if key is not None:
        return key
    # A random label: several databases (tests, staging) may share one key directory.
    kid = keys.create_key(f"log-{random_bytes(6).hex()}", Algorithm.EDDSA)
    key = LogKey(kid, origin, _raw_ed25519(keys.public_key_der(kid)), clock.now())
    uow.ledger.add_log_key(key)
    logger.info("created the transparency log key %s", kid.hex())
    return key


def _note_signer(keys: KeyStore, key: LogKey) -> Ed25519NoteSigner:
    try:
        signer = keys.signer(key.kid)
    except NotFoundError as exc:
        raise InfrastructureError("the log signing key is missing from the key store") from exc
    return Ed25519NoteSigner(key.name, key.public_key, signer.sign)


def log_verifier(key: LogKey) -> Ed25519NoteVerifier:
    """Return the note verifier of a log key."""
    return Ed25519NoteVerifier(key.name, key.public_key)


def log_verifier_key(
    uow: UnitOfWork,
    keys: KeyStore,
    *,
    origin: str,
    clock: Clock,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> str:
    """Return the log's verifier key text ``<name>+<key id>+<base64 key>``, creating it first.

    Raises:
        InfrastructureError: the key store could not be used.
    """
    with uow:
        uow.ledger.head(lock=True)
        key = _ensure_key(uow, keys, origin=origin, clock=clock, random_bytes=random_bytes)
        uow.commit()
    return log_verifier(key).vkey


# --------------------------------------------------------------------------- checkpoints


def issue_checkpoint(
    uow: UnitOfWork,
    keys: KeyStore,
    *,
    origin: str,
    clock: Clock,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> StoredCheckpoint:
    """Sign the current tree head, unless the newest checkpoint already covers it.

    The head stays locked while signing, so the checkpoint is of a committed
    state and no leaf slips in between reading the root and storing the note.

    Raises:
        InfrastructureError: the key store could not be used.
    """
    with uow:
        head = uow.ledger.head(lock=True)
        key = _ensure_key(uow, keys, origin=origin, clock=clock, random_bytes=random_bytes)
        latest = uow.ledger.latest_checkpoint()
        if latest is not None and latest.size == head.size and latest.key_kid == key.kid:
            return latest
        note = sign_checkpoint(
            Checkpoint(origin, head.size, head.root_hash), [_note_signer(keys, key)]
        )
        stored = StoredCheckpoint(head.size, head.root_hash, note.decode(), key.kid, clock.now())
        uow.ledger.add_checkpoint(stored)
        uow.commit()
    return stored


def latest_checkpoint(uow: UnitOfWork) -> StoredCheckpoint:
    """Return the newest signed checkpoint.

    Raises:
        NotFoundError: none has been issued yet.
    """
    with uow:
        found = uow.ledger.latest_checkpoint()
    if found is None:
        raise NotFoundError("no checkpoint has been issued yet")
    return found


class Checkpointer:
    """Issues a checkpoint whenever the log has grown: the periodic worker.

    Run :meth:`run` with an interval of at most 60 seconds, so that every leaf is
    covered by a signed checkpoint within a minute.
    """

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        keys: KeyStore,
        *,
        origin: str,
        clock: Clock,
    ) -> None:
        self._uow_factory = uow_factory
        self._keys = keys
        self._origin = origin
        self._clock = clock

    def tick(self) -> StoredCheckpoint:
        """Issue a checkpoint now if the log grew; return the newest one."""
        return issue_checkpoint(
            self._uow_factory(), self._keys, origin=self._origin, clock=self._clock
        )

    def run(self, every: float, stop: threading.Event) -> None:
        """Tick every ``every`` seconds until ``stop`` is set.

        A failure is logged and retried at the next tick: a database that is down
        for a moment must not end the worker.
        """
        while True:
            try:
                checkpoint = self.tick()
                logger.debug("checkpoint at size %d", checkpoint.size)
            except CarnetError as exc:
                logger.warning("could not issue a checkpoint: %s", exc.code)
            except Exception:
                logger.exception("checkpoint worker failed; retrying")
            if stop.wait(every):
                return


# --------------------------------------------------------------------------- proofs


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """An RFC 9162 inclusion proof with the leaf hash and the root it leads to."""

    index: int
    size: int
    leaf_hash: bytes
    hashes: list[bytes]
    root_hash: bytes


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    """An RFC 9162 consistency proof with both roots."""

    first: int
    second: int
    hashes: list[bytes]
    first_root: bytes
    second_root: bytes


def _check_size(uow: UnitOfWork, size: int) -> None:
    if size > uow.ledger.head().size:
        raise ProofError("the log is not that large yet", field="size")


def inclusion_proof(uow: UnitOfWork, index: int, size: int) -> InclusionProof:
    """Return the proof that leaf ``index`` is in the tree of ``size`` (one batched read).

    Raises:
        ProofError: unless ``0 <= index < size <= current size``.
    """
    with uow:
        _check_size(uow, size)
        proof = inclusion_plan(index, size)
        plan = ProofPlan((*proof.parts, *root_plan(size).parts, (NodeId(0, index),)))
        hashes = MerkleTree(uow.ledger.hash_store()).fetch(plan)
    return InclusionProof(index, size, hashes[-1], hashes[:-2], hashes[-2])


def consistency_proof(uow: UnitOfWork, first: int, second: int) -> ConsistencyProof:
    """Return the proof that the tree of ``first`` is a prefix of the tree of ``second``.

    Raises:
        ProofError: unless ``0 < first <= second <= current size``.
    """
    with uow:
        _check_size(uow, second)
        proof = consistency_plan(first, second)
        plan = ProofPlan((*proof.parts, *root_plan(first).parts, *root_plan(second).parts))
        hashes = MerkleTree(uow.ledger.hash_store()).fetch(plan)
    return ConsistencyProof(first, second, hashes[:-2], hashes[-2], hashes[-1])


def leaf_at(uow: UnitOfWork, index: int) -> tuple[bytes, LeafFields]:
    """Return the bytes of leaf ``index`` and its decoded fields.

    Raises:
        NotFoundError: no such leaf.
        LedgerError: the stored leaf does not decode.
    """
    with uow:
        entry = uow.ledger.entry(index) if index >= 0 else None
    if entry is None:
        raise NotFoundError("no leaf at this index", field="index")
    return entry, decode_leaf(entry)
