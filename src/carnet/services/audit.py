"""Auditing the transparency log against itself, its checkpoints and the registry.

:func:`verify` is ``carnet audit verify``. In one streaming pass over the stored
leaves it

* recomputes every complete node and compares it with the stored node table,
  and checks the head (size and frontier) and every signed checkpoint against
  the recomputed roots — so a leaf changed, deleted, reordered or inserted, a
  node hash changed, or a log cut back below a checkpoint is found;
* decodes every leaf and checks its subject tree and reason commitment against
  the rows stored next to it (salts, record ids, reason texts);

then it checks every record against the log: the current row of each resident
must match the commitments of the leaves that recorded its current version,
every ``resident_changes`` row and every bearer token must be committed by a
leaf, and the current row of each official, region and station must match the
latest leaf that touched it. A row written without a leaf (say, a resident edited
directly in SQL) is therefore found, and so is a row deleted under a leaf.

Findings name a leaf index, a node or a record id and what mismatched; never
personal data.

:func:`monitor_step` is one round of ``carnet audit monitor``: it fetches the
latest signed checkpoint and accepts it only if a consistency proof links it to
the last one accepted (:func:`carnet.ledger.monitor.advance`), so a fork (split
view) or a rollback raises :class:`~carnet.domain.errors.ForkError` or
:class:`~carnet.domain.errors.RollbackError`.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from carnet.domain.actions import RecordKind, commitment, decode_leaf
from carnet.domain.errors import CheckpointError, LedgerError, NotFoundError
from carnet.ledger.checkpoints import open_checkpoint
from carnet.ledger.compact import CompactRange
from carnet.ledger.hashing import EMPTY_ROOT, HASH_SIZE, leaf_hash
from carnet.ledger.keys import Ed25519NoteVerifier
from carnet.ledger.monitor import MonitorState, advance
from carnet.services.ledger import (
    consistency_proof,
    latest_checkpoint,
    log_verifier,
    subjects_root,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence

    from carnet.domain.actions import RecordRef
    from carnet.ledger.checkpoints import Checkpoint
    from carnet.ledger.nodes import NodeId
    from carnet.services.ledger import LogKey, StoredCheckpoint
    from carnet.services.uow import UnitOfWork

__all__ = [
    "AuditReport",
    "AuditSource",
    "Finding",
    "LogSource",
    "MonitorRecord",
    "StoredLeaf",
    "StoredSubject",
    "UowLogSource",
    "accept_checkpoint",
    "monitor_step",
    "verify",
]

_NODE_BATCH = 8192
# Record kinds by how the audit checks them against the log.
_VERSIONED = (RecordKind.RESIDENT, RecordKind.APPLICATION, RecordKind.DOCUMENT)
_IMMUTABLE = (RecordKind.RESIDENT_CHANGE, RecordKind.AUTH_TOKEN, RecordKind.PRINT_RUN)
_LATEST = (RecordKind.OFFICIAL, RecordKind.REGION, RecordKind.STATION, RecordKind.PROPOSAL)


@dataclass(frozen=True, slots=True)
class StoredLeaf:
    """A leaf row: its index, its bytes and the reason it commits to."""

    index: int
    entry: bytes
    reason: str | None = field(repr=False)
    reason_salt: bytes | None = field(repr=False)


@dataclass(frozen=True, slots=True)
class StoredSubject:
    """A subject row: which record version a leaf touched, with salt and commitment."""

    leaf_index: int
    position: int
    kind: str
    record_id: str
    version: int | None
    salt: bytes = field(repr=False)
    commitment: bytes


class AuditSource(Protocol):
    """Everything :func:`verify` reads, streamed so that memory stays flat."""

    def head(self) -> tuple[int, bytes]:
        """Return the stored head: size and concatenated frontier hashes."""
        ...

    def leaves(self) -> Iterator[StoredLeaf]:
        """Yield every leaf row by increasing index."""
        ...

    def subjects(self) -> Iterator[StoredSubject]:
        """Yield every subject row by leaf index, then position."""
        ...

    def find_nodes(self, ids: Sequence[NodeId]) -> dict[NodeId, bytes]:
        """Return the stored hashes among ``ids``."""
        ...

    def node_count(self) -> int:
        """Return the number of stored nodes."""
        ...

    def checkpoints(self) -> list[StoredCheckpoint]:
        """Return every stored checkpoint in issue order."""
        ...

    def log_keys(self) -> list[LogKey]:
        """Return every log key."""
        ...

    def record_batches(self, kind: RecordKind) -> Iterator[list[RecordRef]]:
        """Yield the current rows of one kind as record references, in batches."""
        ...

    def refs_for(self, kind: RecordKind, record_ids: Sequence[str]) -> list[StoredSubject]:
        """Return the subject rows of these records."""
        ...

    def orphan_refs(self, kind: RecordKind) -> list[str]:
        """Return the ids of records that leaves touched but that have no row."""
        ...


@dataclass(frozen=True, slots=True)
class Finding:
    """One mismatch: where (a leaf, node, checkpoint or record) and what."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass
class AuditReport:
    """What :func:`verify` checked and found."""

    leaves: int = 0
    nodes: int = 0
    checkpoints: int = 0
    records: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether nothing mismatched."""
        return not self.findings

    def add(self, where: str, what: str) -> None:
        """Record a finding."""
        self.findings.append(Finding(where, what))


# --------------------------------------------------------------------------- the log


@dataclass
class _Checkpoints:
    """Verified checkpoints by size, waiting for the recomputed root at that size."""

    by_size: dict[int, list[Checkpoint]] = field(default_factory=dict)
    seen: set[int] = field(default_factory=set)


def _open_checkpoints(source: AuditSource, report: AuditReport) -> _Checkpoints:
    keys = {k.kid: k for k in source.log_keys()}
    result = _Checkpoints()
    for number, stored in enumerate(source.checkpoints(), start=1):
        where = f"checkpoint #{number} (size {stored.size})"
        key = keys.get(stored.key_kid)
        if key is None:
            report.add(where, "signed by a key the log does not know")
            continue
        try:
            checkpoint = open_checkpoint(
                stored.note, origin=key.name, verifiers=[log_verifier(key)]
            )
        except CheckpointError as exc:
            report.add(where, f"the signed note does not verify ({exc.message})")
            continue
        if (checkpoint.size, checkpoint.root_hash) != (stored.size, stored.root_hash):
            report.add(where, "the stored size or root differs from the signed note")
        result.by_size.setdefault(checkpoint.size, []).append(checkpoint)
        report.checkpoints += 1
    return result


def _check_root(cps: _Checkpoints, size: int, root: bytes, report: AuditReport) -> None:
    for checkpoint in cps.by_size.get(size, ()):
        if checkpoint.root_hash != root:
            report.add(
                f"checkpoint of size {size}",
                "the signed root does not match the stored leaves (a leaf was changed, "
                "removed, moved or inserted)",
            )
    cps.seen.add(size)


class _NodeChecker:
    """Compares recomputed nodes with the stored ones, a batch at a time."""

    def __init__(self, source: AuditSource, report: AuditReport) -> None:
        self._source = source
        self._report = report
        self._pending: list[tuple[NodeId, bytes]] = []

    def add(self, nodes: Iterable[tuple[NodeId, bytes]]) -> None:
        self._pending.extend(nodes)
        if len(self._pending) >= _NODE_BATCH:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        stored = self._source.find_nodes([node for node, _ in self._pending])
        for node, expected in self._pending:
            found = stored.get(node)
            self._report.nodes += 1
            if found is None:
                self._report.add(
                    f"node ({node.level}, {node.index})", "missing from the node table"
                )
            elif found != expected:
                what = (
                    "the stored leaf hash does not match the leaf's bytes"
                    if node.level == 0
                    else "the stored hash does not match its recomputed value"
                )
                self._report.add(f"node ({node.level}, {node.index})", what)
        self._pending.clear()


def _check_leaf(leaf: StoredLeaf, subjects: list[StoredSubject], report: AuditReport) -> None:
    where = f"leaf {leaf.index}"
    try:
        fields = decode_leaf(leaf.entry)
    except LedgerError as exc:
        report.add(where, f"the leaf does not decode ({exc.message})")
        return
    if fields.subject_count != len(subjects):
        report.add(where, f"commits to {fields.subject_count} records, {len(subjects)} stored")
    elif subjects_root((s.kind, s.commitment) for s in subjects) != fields.subjects_root:
        report.add(where, "the stored record commitments do not match the leaf")
    if fields.reason_commitment is None:
        if leaf.reason is not None:
            report.add(where, "a reason is stored but the leaf commits to none")
    elif (
        leaf.reason is None
        or leaf.reason_salt is None
        or commitment(leaf.reason_salt, leaf.reason.encode("utf-8")) != fields.reason_commitment
    ):
        report.add(where, "the stored reason does not match the leaf's commitment")


class _SubjectStream:
    """The subject rows, consumed leaf by leaf alongside the leaves."""

    def __init__(self, rows: Iterator[StoredSubject], report: AuditReport) -> None:
        self._rows = rows
        self._next: StoredSubject | None = next(rows, None)
        self._report = report

    def take(self, index: int) -> list[StoredSubject]:
        taken: list[StoredSubject] = []
        while self._next is not None and self._next.leaf_index <= index:
            if self._next.leaf_index < index:
                self._report.add(
                    f"leaf {self._next.leaf_index}", "subject rows of a leaf that is not stored"
                )
            else:
                taken.append(self._next)
            self._next = next(self._rows, None)
        return taken

    def rest(self) -> None:
        if self._next is not None:
            self._report.add(
                f"leaf {self._next.leaf_index}", "subject rows beyond the last stored leaf"
            )


def _check_log(source: AuditSource, report: AuditReport) -> None:
    cps = _open_checkpoints(source, report)
    frontier = CompactRange()
    nodes = _NodeChecker(source, report)
    subjects = _SubjectStream(source.subjects(), report)
    _check_root(cps, 0, EMPTY_ROOT, report)
    for leaf in source.leaves():
        if leaf.index != frontier.size:
            first, last = frontier.size, leaf.index - 1
            what = "missing (deleted)" if leaf.index > first else "stored twice or out of order"
            report.add(f"leaves {first}..{last}" if last > first else f"leaf {first}", what)
        _check_leaf(leaf, subjects.take(leaf.index), report)
        nodes.add(frontier.append(leaf_hash(leaf.entry)))
        _check_root(cps, frontier.size, frontier.root(), report)
    nodes.flush()
    subjects.rest()
    report.leaves = frontier.size
    _check_head(source, frontier, report)
    for size in sorted(set(cps.by_size) - cps.seen):
        report.add(
            f"checkpoint of size {size}",
            f"the log holds only {frontier.size} leaves: leaves were removed (rollback)",
        )


def _check_head(source: AuditSource, frontier: CompactRange, report: AuditReport) -> None:
    size, hashes = source.head()
    if size != frontier.size:
        report.add("head", f"says {size} leaves, {frontier.size} are stored")
    elif hashes != b"".join(frontier.hashes):
        report.add("head", "the stored frontier does not match the leaves")
    expected = 2 * frontier.size - frontier.size.bit_count()
    stored = source.node_count()
    if stored != expected:
        report.add("node table", f"holds {stored} nodes, {frontier.size} leaves make {expected}")


# --------------------------------------------------------------------------- records


def _matches(ref: RecordRef, subject: StoredSubject) -> bool:
    return commitment(subject.salt, ref.content) == subject.commitment


def _check_versioned(ref: RecordRef, refs: list[StoredSubject], report: AuditReport) -> None:
    where = f"{ref.kind} {ref.id}"
    if not refs:
        report.add(where, "no leaf records this record (written without a leaf)")
        return
    newest = max(s.version or 0 for s in refs)
    if ref.version is not None and newest > ref.version:
        report.add(where, f"the log records version {newest}, the row is at {ref.version}")
    current = [s for s in refs if s.version == ref.version]
    if not current:
        report.add(where, f"no leaf records its current version {ref.version}")
    for s in current:
        if not _matches(ref, s):
            report.add(where, f"the row does not match the commitment of leaf {s.leaf_index}")


def _check_immutable(ref: RecordRef, refs: list[StoredSubject], report: AuditReport) -> None:
    where = f"{ref.kind} {ref.id}"
    if not refs:
        report.add(where, "no leaf records this record (written without a leaf)")
    for s in refs:
        if not _matches(ref, s):
            report.add(where, f"the row does not match the commitment of leaf {s.leaf_index}")


def _check_latest(ref: RecordRef, refs: list[StoredSubject], report: AuditReport) -> None:
    where = f"{ref.kind} {ref.id}"
    if not refs:
        report.add(where, "no leaf records this record (written without a leaf)")
        return
    latest = max(refs, key=lambda s: (s.leaf_index, s.position))
    if not _matches(ref, latest):
        report.add(
            where,
            f"the row does not match the latest leaf that touched it ({latest.leaf_index})",
        )


def _check_records(source: AuditSource, report: AuditReport) -> None:
    checks = (
        *((kind, _check_versioned) for kind in _VERSIONED),
        *((kind, _check_immutable) for kind in _IMMUTABLE),
        *((kind, _check_latest) for kind in _LATEST),
    )
    for kind, check in checks:
        for batch in source.record_batches(kind):
            by_id: dict[str, list[StoredSubject]] = {}
            for s in source.refs_for(kind, [r.id for r in batch]):
                by_id.setdefault(s.record_id, []).append(s)
            for ref in batch:
                report.records += 1
                check(ref, by_id.get(ref.id, []), report)
        for record_id in source.orphan_refs(kind):
            report.add(f"{kind.value} {record_id}", "a leaf records it but the row is gone")


def verify(source: AuditSource) -> AuditReport:
    """Check the log, its checkpoints and every logged record; return the findings."""
    report = AuditReport()
    _check_log(source, report)
    _check_records(source, report)
    return report


# --------------------------------------------------------------------------- monitor


class LogSource(Protocol):
    """Where a monitor reads a log: the database, or the API."""

    def checkpoint(self) -> str:
        """Return the latest signed checkpoint note."""
        ...

    def consistency(self, first: int, second: int) -> list[bytes]:
        """Return the consistency proof from tree size ``first`` to ``second``."""
        ...

    def verifier_key(self) -> str:
        """Return the log's verifier key text (trusted on first use only)."""
        ...


@dataclass(frozen=True, slots=True)
class MonitorRecord:
    """A monitor's memory: the last checkpoint it accepted and the key it trusts."""

    vkey: str
    origin: str
    size: int
    root_hash: bytes
    note: str

    def to_json(self) -> str:
        """Serialise for the state file."""
        return json.dumps(
            {
                "vkey": self.vkey,
                "origin": self.origin,
                "size": self.size,
                "root_hash": base64.b64encode(self.root_hash).decode("ascii"),
                "note": self.note,
            },
            indent=2,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> MonitorRecord:
        """Parse a state file.

        Raises:
            CheckpointError: not a monitor state.
        """
        try:
            data = json.loads(text)
            root = base64.b64decode(data["root_hash"], validate=True)
            record = cls(
                str(data["vkey"]), str(data["origin"]), int(data["size"]), root, str(data["note"])
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise CheckpointError("the monitor state file is malformed") from exc
        if len(root) != HASH_SIZE:
            raise CheckpointError("the monitor state file is malformed")
        return record


def monitor_step(
    source: LogSource, state: MonitorRecord | None, *, vkey: str | None = None
) -> MonitorRecord:
    """Fetch the latest checkpoint and accept it if it extends ``state``.

    Raises:
        CheckpointError: a bad signature, another origin or a malformed note.
        RollbackError: the log shrank.
        ForkError: same size with another root, or no valid consistency proof.
    """
    return accept_checkpoint(source, state, source.checkpoint(), vkey=vkey)


def accept_checkpoint(
    source: LogSource, state: MonitorRecord | None, note: str, *, vkey: str | None = None
) -> MonitorRecord:
    """Accept the signed checkpoint ``note`` if it extends ``state``.

    Without a state, the checkpoint is accepted as it is (trust on first use),
    verified with ``vkey`` if given, else with the key the source publishes.
    With a state, the key remembered in it is the only one trusted.

    Raises:
        CheckpointError: a bad signature, another origin or a malformed note.
        RollbackError: the log shrank.
        ForkError: same size with another root, or no valid consistency proof.
    """
    trusted = state.vkey if state is not None else (vkey or source.verifier_key().strip())
    verifier = Ed25519NoteVerifier.from_vkey(trusted)
    checkpoint = open_checkpoint(note, origin=verifier.name, verifiers=[verifier])
    if state is not None:
        old = MonitorState(state.origin, state.size, state.root_hash)
        proof: list[bytes] = []
        if 0 < state.size < checkpoint.size:
            proof = source.consistency(state.size, checkpoint.size)
        advance(old, checkpoint, proof)
    return MonitorRecord(trusted, checkpoint.origin, checkpoint.size, checkpoint.root_hash, note)


class UowLogSource:
    """A :class:`LogSource` reading the database directly (``--db``)."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork]) -> None:
        self._uow_factory = uow_factory

    def checkpoint(self) -> str:
        """Return the latest signed checkpoint.

        Raises:
            NotFoundError: none has been issued.
        """
        return latest_checkpoint(self._uow_factory()).note

    def consistency(self, first: int, second: int) -> list[bytes]:
        """Return the consistency proof from ``first`` to ``second``."""
        return consistency_proof(self._uow_factory(), first, second).hashes

    def verifier_key(self) -> str:
        """Return the verifier key of the newest log key.

        Raises:
            NotFoundError: the log has no key yet.
        """
        with self._uow_factory() as uow:
            keys = uow.ledger.log_keys()
        if not keys:
            raise NotFoundError("the log has no signing key yet")
        return log_verifier(keys[-1]).vkey
