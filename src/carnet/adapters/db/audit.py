"""What ``carnet audit verify`` reads, streamed from one consistent snapshot.

:meth:`SqlAlchemyAuditSource.open` starts one read transaction (``REPEATABLE
READ`` on PostgreSQL; on SQLite the engine's ``BEGIN IMMEDIATE``), so the leaves,
the nodes and the registry rows are all of one moment. Large tables are read with
server-side cursors in batches, and records are checked a batch at a time, so an
audit of millions of rows keeps memory flat.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import Session

from carnet.adapters.db.documents import (
    SqlAlchemyDocumentRepository,
    _application,
    _document,
)
from carnet.adapters.db.ledger import SqlAlchemyLedgerRepository, SqlHashStore, lock_head
from carnet.adapters.db.portal import SqlAlchemyProposalRepository
from carnet.adapters.db.repositories import (
    SqlAlchemyOfficialRepository,
    SqlAlchemyRegionRepository,
    SqlAlchemyStationRepository,
    _resident,
)
from carnet.adapters.db.tables import (
    ApplicationRow,
    AuthTokenRow,
    DocumentRow,
    LedgerKeyRow,
    LedgerLeafRow,
    LedgerNodeRow,
    LedgerSubjectRow,
    OfficialRow,
    PrintRunRow,
    ProposalRow,
    RegionRow,
    ResidentChangeRow,
    ResidentRow,
    StationRow,
)
from carnet.adapters.security import SystemClock
from carnet.domain.actions import (
    RecordKind,
    application_ref,
    change_ref,
    document_ref,
    official_ref,
    print_run_ref,
    proposal_ref,
    region_ref,
    resident_ref,
    station_ref,
    token_ref,
)
from carnet.domain.persons import ResidentChange
from carnet.services.audit import StoredLeaf, StoredSubject
from carnet.services.ledger import LogKey

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import Any

    from sqlalchemy import Connection, Engine
    from sqlalchemy.sql import Executable

    from carnet.domain.actions import RecordRef
    from carnet.ledger.nodes import NodeId
    from carnet.services.ledger import StoredCheckpoint

__all__ = ["SqlAlchemyAuditSource"]

_DOCUMENT_KINDS = (RecordKind.APPLICATION, RecordKind.DOCUMENT, RecordKind.PRINT_RUN)

_BATCH = 1000


class SqlAlchemyAuditSource:
    """Implements :class:`~carnet.services.audit.AuditSource` on one connection."""

    def __init__(self, conn: Connection, batch: int = _BATCH) -> None:
        self._conn = conn
        self._session = Session(bind=conn)
        self._batch = batch
        self._ledger = SqlAlchemyLedgerRepository(self._session, SystemClock())

    @classmethod
    @contextmanager
    def open(cls, engine: Engine) -> Iterator[SqlAlchemyAuditSource]:
        """Yield a source reading one snapshot of the database behind ``engine``."""
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                source = cls(conn)
                try:
                    yield source
                finally:
                    source._session.close()

    def _stream(self, stmt: Executable) -> Iterator[Any]:
        streaming = self._conn.execution_options(stream_results=True, yield_per=self._batch)
        yield from streaming.execute(stmt)

    def head(self) -> tuple[int, bytes]:
        """Return the stored size and frontier."""
        frontier = lock_head(self._conn, lock=False)
        return frontier.size, b"".join(frontier.hashes)

    def leaves(self) -> Iterator[StoredLeaf]:
        """Yield every leaf by index."""
        stmt = select(
            LedgerLeafRow.leaf_index,
            LedgerLeafRow.entry,
            LedgerLeafRow.reason,
            LedgerLeafRow.reason_salt,
        ).order_by(LedgerLeafRow.leaf_index)
        for index, entry, reason, salt in self._stream(stmt):
            yield StoredLeaf(
                int(index), bytes(entry), reason, None if salt is None else bytes(salt)
            )

    def subjects(self) -> Iterator[StoredSubject]:
        """Yield every subject row by leaf, then position."""
        stmt = _subject_columns().order_by(LedgerSubjectRow.leaf_index, LedgerSubjectRow.position)
        for row in self._stream(stmt):
            yield _subject(row)

    def find_nodes(self, ids: Sequence[NodeId]) -> dict[NodeId, bytes]:
        """Return the stored hashes among ``ids``."""
        return SqlHashStore(self._conn).find_nodes(ids)

    def node_count(self) -> int:
        """Return the number of stored nodes."""
        return int(self._conn.scalar(select(func.count()).select_from(LedgerNodeRow)) or 0)

    def checkpoints(self) -> list[StoredCheckpoint]:
        """Return every checkpoint in issue order."""
        return self._ledger.checkpoints()

    def log_keys(self) -> list[LogKey]:
        """Return every log key."""
        rows = self._session.scalars(select(LedgerKeyRow))
        return [
            LogKey(bytes.fromhex(r.kid), r.name, bytes(r.public_key), r.created_at) for r in rows
        ]

    def record_batches(self, kind: RecordKind) -> Iterator[list[RecordRef]]:
        """Yield the current rows of ``kind`` as record references, a batch at a time."""
        batch: list[RecordRef] = []
        for ref in self._records(kind):
            batch.append(ref)
            if len(batch) >= self._batch:
                yield batch
                batch = []
        if batch:
            yield batch

    def _records(self, kind: RecordKind) -> Iterator[RecordRef]:
        s = self._session
        if kind is RecordKind.RESIDENT:
            for row in s.scalars(select(ResidentRow).execution_options(yield_per=self._batch)):
                yield resident_ref(_resident(row))
        elif kind is RecordKind.RESIDENT_CHANGE:
            stmt = select(ResidentChangeRow).execution_options(yield_per=self._batch)
            for c in s.scalars(stmt):
                changes = {k: (v[0], v[1]) for k, v in c.changes.items()}
                yield change_ref(
                    ResidentChange(
                        c.resident_id, c.version, c.changed_at, c.changed_by, c.reason, changes
                    )
                )
        elif kind is RecordKind.AUTH_TOKEN:
            for t in s.scalars(select(AuthTokenRow).execution_options(yield_per=self._batch)):
                yield token_ref(
                    t.token_hash, t.official_id, t.issued_at, t.expires_at, t.station_code
                )
        elif kind in _DOCUMENT_KINDS:
            yield from self._document_records(kind)
        else:
            yield from self._small_records(kind)

    def _document_records(self, kind: RecordKind) -> Iterator[RecordRef]:
        """Applications and documents (many rows, streamed) and print runs."""
        s = self._session
        if kind is RecordKind.APPLICATION:
            apps = select(ApplicationRow).execution_options(yield_per=self._batch)
            yield from (application_ref(_application(r)) for r in s.scalars(apps))
        elif kind is RecordKind.DOCUMENT:
            docs = select(DocumentRow).execution_options(yield_per=self._batch)
            yield from (document_ref(_document(r)) for r in s.scalars(docs))
        else:
            documents = SqlAlchemyDocumentRepository(s)
            for run_id in s.scalars(select(PrintRunRow.id).order_by(PrintRunRow.id)):
                run = documents.get_print_run(run_id)
                if run is not None:
                    yield print_run_ref(run.id, run.station_code, run.document_ids, run.pdf_sha256)

    def _small_records(self, kind: RecordKind) -> Iterator[RecordRef]:
        """Kinds with few rows, checked against the latest leaf that touched each."""
        s = self._session
        if kind is RecordKind.OFFICIAL:
            yield from (official_ref(o) for o in SqlAlchemyOfficialRepository(s).list())
        elif kind is RecordKind.REGION:
            yield from (region_ref(r) for r in SqlAlchemyRegionRepository(s).list())
        elif kind is RecordKind.STATION:
            yield from (station_ref(st) for st in SqlAlchemyStationRepository(s).list())
        elif kind is RecordKind.PROPOSAL:
            proposals = SqlAlchemyProposalRepository(s)
            for proposal_id in s.scalars(select(ProposalRow.id).order_by(ProposalRow.id)):
                found = proposals.get(proposal_id)
                if found is not None:
                    yield proposal_ref(found)

    def refs_for(self, kind: RecordKind, record_ids: Sequence[str]) -> list[StoredSubject]:
        """Return the subject rows of these records."""
        stmt = _subject_columns().where(
            LedgerSubjectRow.kind == kind.value, LedgerSubjectRow.record_id.in_(list(record_ids))
        )
        return [_subject(row) for row in self._conn.execute(stmt)]

    def orphan_refs(self, kind: RecordKind) -> list[str]:
        """Return ids that leaves touched but that have no row of ``kind``."""
        stmt = (
            select(LedgerSubjectRow.record_id)
            .where(LedgerSubjectRow.kind == kind.value)
            .distinct()
            .order_by(LedgerSubjectRow.record_id)
        )
        missing: list[str] = []
        chunk: list[str] = []
        for (record_id,) in self._stream(stmt):
            chunk.append(record_id)
            if len(chunk) >= self._batch:
                missing.extend(self._absent(kind, chunk))
                chunk = []
        missing.extend(self._absent(kind, chunk))
        return missing

    def _absent(self, kind: RecordKind, ids: list[str]) -> list[str]:
        if not ids:
            return []
        present: set[str]
        if kind is RecordKind.RESIDENT_CHANGE:
            pairs = [(rid, int(version)) for rid, _, version in (i.rpartition("/") for i in ids)]
            found = self._conn.execute(
                select(ResidentChangeRow.resident_id, ResidentChangeRow.version).where(
                    tuple_(ResidentChangeRow.resident_id, ResidentChangeRow.version).in_(pairs)
                )
            )
            present = {f"{rid}/{version}" for rid, version in found}
        else:
            column = _KEY_COLUMNS[kind]
            present = set(self._conn.scalars(select(column).where(column.in_(ids))))
        return [i for i in ids if i not in present]


_KEY_COLUMNS = {
    RecordKind.RESIDENT: ResidentRow.id,
    RecordKind.AUTH_TOKEN: AuthTokenRow.token_hash,
    RecordKind.OFFICIAL: OfficialRow.id,
    RecordKind.REGION: RegionRow.code,
    RecordKind.STATION: StationRow.code,
    RecordKind.PROPOSAL: ProposalRow.id,
    RecordKind.APPLICATION: ApplicationRow.id,
    RecordKind.DOCUMENT: DocumentRow.id,
    RecordKind.PRINT_RUN: PrintRunRow.id,
}


def _subject_columns() -> Select[int, int, str, str, int | None, bytes, bytes]:
    return select(
        LedgerSubjectRow.leaf_index,
        LedgerSubjectRow.position,
        LedgerSubjectRow.kind,
        LedgerSubjectRow.record_id,
        LedgerSubjectRow.version,
        LedgerSubjectRow.salt,
        LedgerSubjectRow.commitment,
    )


def _subject(row: Sequence[Any]) -> StoredSubject:
    leaf_index, position, kind, record_id, version, salt, value = row
    return StoredSubject(
        int(leaf_index), int(position), kind, record_id, version, bytes(salt), bytes(value)
    )
