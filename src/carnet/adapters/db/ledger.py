"""The transparency log in SQL: node hashes, leaves, subjects, the head, checkpoints, keys.

Appending (:func:`append_sealed`) runs inside the caller's transaction:

1. lock the single ``ledger_head`` row (``SELECT ... FOR UPDATE`` on PostgreSQL;
   on SQLite every transaction is already ``BEGIN IMMEDIATE``) and read the size
   and the right frontier;
2. append the leaf hashes to the frontier (:class:`~carnet.ledger.tree.TreeAppender`)
   and insert the complete nodes it creates;
3. insert the leaves and their subjects, and write the new size and frontier.

The head stays locked until the transaction ends, so leaves are numbered in
commit order and a rolled-back action leaves neither leaf nor gap. Large batches
use one ``INSERT ... SELECT FROM unnest(...)`` per table on PostgreSQL and one
``executemany`` on SQLite.

Node ``(level, index)`` is stored under the single key ``level << 56 | index``,
so a proof at any size is one ``WHERE node_id IN (...)`` on the primary key.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from carnet.adapters.db.tables import (
    LedgerCheckpointRow,
    LedgerHeadRow,
    LedgerKeyRow,
    LedgerLeafRow,
    LedgerSubjectRow,
)
from carnet.domain.actions import LoggedAction, decode_leaf
from carnet.domain.errors import LedgerError
from carnet.ledger.compact import CompactRange
from carnet.ledger.hashing import HASH_SIZE
from carnet.ledger.nodes import NodeId
from carnet.ledger.tree import TreeAppender
from carnet.services.ledger import LogKey, StoredCheckpoint, TreeHead, seal

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    from carnet.domain.actions import Action
    from carnet.services.ledger import SealedAction
    from carnet.services.ports import Clock

__all__ = [
    "LEVEL_SHIFT",
    "SqlAlchemyLedgerRepository",
    "SqlHashStore",
    "append_sealed",
    "lock_head",
    "node_id_of",
    "node_key",
]

LEVEL_SHIFT = 56
_INDEX_MASK = (1 << LEVEL_SHIFT) - 1
_CHUNK = 5000  # rows per statement: under SQLite's and PostgreSQL's parameter limits
_IN_CHUNK = 1000


def node_key(node: NodeId) -> int:
    """Return the primary key of a node: ``level << 56 | index``.

    Raises:
        LedgerError: an index beyond 2**56 (a log of 72 quadrillion leaves).
    """
    if node.index > _INDEX_MASK:
        raise LedgerError("node index beyond the storable range")
    return (node.level << LEVEL_SHIFT) | node.index


def node_id_of(key: int) -> NodeId:
    """Return the node stored under ``key``."""
    return NodeId(key >> LEVEL_SHIFT, key & _INDEX_MASK)


_FIND_NODES = text("SELECT node_id, hash FROM ledger_nodes WHERE node_id IN :keys").bindparams(
    bindparam("keys", expanding=True)
)


def _is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


class SqlHashStore:
    """A :class:`~carnet.ledger.store.HashStore` over ``ledger_nodes`` (caller's transaction)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def __repr__(self) -> str:
        return f"SqlHashStore({self._conn.dialect.name})"

    def find_nodes(self, ids: Sequence[NodeId], /) -> dict[NodeId, bytes]:
        """Return the stored hashes among ``ids`` (missing ones are left out)."""
        keys = sorted({node_key(node) for node in ids})
        found: dict[NodeId, bytes] = {}
        for i in range(0, len(keys), _IN_CHUNK):
            chunk = keys[i : i + _IN_CHUNK]
            rows = self._conn.execute(
                _FIND_NODES,
                {"keys": chunk},
            )
            found.update((node_id_of(key), bytes(digest)) for key, digest in rows)
        return found

    def get_nodes(self, ids: Sequence[NodeId], /) -> list[bytes]:
        """Return the hashes of ``ids`` in order, with one query for a proof.

        Raises:
            LedgerError: a node is not stored.
        """
        found = self.find_nodes(ids)
        try:
            return [found[node] for node in ids]
        except KeyError as exc:
            raise LedgerError("a requested node is not stored") from exc

    def put_nodes(self, nodes: Sequence[tuple[NodeId, bytes]], /) -> None:
        """Store node hashes; an identical hash already stored is a no-op.

        Raises:
            LedgerError: a node is already stored with another hash.
        """
        batch: dict[int, bytes] = {}
        for node, digest in nodes:
            if batch.setdefault(node_key(node), digest) != digest:
                raise LedgerError("a stored node would be overwritten with another hash")
        if not batch:
            return
        keys, hashes = list(batch), list(batch.values())
        if _insert_nodes(self._conn, keys, hashes) == len(keys):
            return
        stored = self.find_nodes([node_id_of(k) for k in keys])
        if any(stored.get(node_id_of(k)) != h for k, h in batch.items()):
            raise LedgerError("a stored node would be overwritten with another hash")


def _insert_nodes(conn: Connection, keys: list[int], hashes: list[bytes]) -> int:
    """Insert nodes, skipping keys already stored; return how many were inserted."""
    if _is_postgres(conn) and len(keys) >= _COPY_FROM and _copy_nodes(conn, keys, hashes):
        return len(keys)
    inserted = 0
    for i in range(0, len(keys), _CHUNK):
        chunk_keys, chunk_hashes = keys[i : i + _CHUNK], hashes[i : i + _CHUNK]
        if _is_postgres(conn):
            result = conn.exec_driver_sql(
                "INSERT INTO ledger_nodes (node_id, hash) "
                "SELECT * FROM unnest(%b::bigint[], %b::bytea[]) ON CONFLICT (node_id) DO NOTHING",
                (chunk_keys, chunk_hashes),
            )
            inserted += int(result.rowcount)
        else:
            before = int(conn.exec_driver_sql("SELECT total_changes()").scalar_one())
            conn.exec_driver_sql(
                "INSERT OR IGNORE INTO ledger_nodes (node_id, hash) VALUES (?, ?)",
                list(zip(chunk_keys, chunk_hashes, strict=True)),
            )
            inserted += int(conn.exec_driver_sql("SELECT total_changes()").scalar_one()) - before
    return inserted


def _copy_nodes(conn: Connection, keys: list[int], hashes: list[bytes]) -> bool:
    """COPY new nodes inside a savepoint; ``False`` (nothing written) if one exists already."""
    import psycopg  # noqa: PLC0415 - only the PostgreSQL path needs the driver

    savepoint = conn.begin_nested()
    try:
        _copy(conn, "ledger_nodes", list(zip(keys, hashes, strict=True)))
    except psycopg.errors.UniqueViolation:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


# Binary COPY on PostgreSQL from this many rows on: psycopg writes rows in C, where
# an INSERT would adapt every array in Python. Small appends (one API action) use
# one INSERT per table, which costs fewer round trips.
_COPY_FROM = 64
_COPY_TYPES = {
    "ledger_leaves": ("leaf_index, entry, reason, reason_salt", ["int8", "bytea", "text", "bytea"]),
    "ledger_subjects": (
        "leaf_index, position, kind, record_id, version, salt, commitment",
        ["int8", "int4", "text", "text", "int4", "bytea", "bytea"],
    ),
    "ledger_nodes": ("node_id, hash", ["int8", "bytea"]),
}


def _copy(conn: Connection, table: str, rows: Sequence[tuple[object, ...]]) -> None:
    """Binary COPY on the connection's own transaction (PostgreSQL)."""
    import psycopg  # noqa: PLC0415 - only the PostgreSQL path needs the driver

    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)  # noqa: S101 - postgresql+psycopg
    columns, types = _COPY_TYPES[table]
    statement = f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)"
    with driver.cursor() as cur, cur.copy(statement) as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def _split_frontier(size: int, frontier: bytes) -> CompactRange:
    hashes = [frontier[i : i + HASH_SIZE] for i in range(0, len(frontier), HASH_SIZE)]
    return CompactRange(size, hashes)


def lock_head(conn: Connection, *, lock: bool = True) -> CompactRange:
    """Read (and, with ``lock``, lock until the transaction ends) the log head.

    A missing head row (a truncated table) is recreated as the empty log.

    Raises:
        LedgerError: the stored frontier does not match the stored size.
    """
    stmt = select(LedgerHeadRow.size, LedgerHeadRow.frontier).where(LedgerHeadRow.id == 1)
    if lock:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        dialect = postgresql if _is_postgres(conn) else sqlite
        conn.execute(
            dialect.insert(LedgerHeadRow)
            .values(id=1, size=0, frontier=b"")
            .on_conflict_do_nothing(index_elements=["id"])
        )
        row = conn.execute(stmt).one()
    return _split_frontier(int(row.size), bytes(row.frontier))


def append_sealed(conn: Connection, sealed: Sequence[SealedAction]) -> list[int]:
    """Append sealed actions as consecutive leaves in the transaction of ``conn``.

    Returns:
        The leaf indices, in order.

    Raises:
        LedgerError: the stored log is inconsistent (a leaf or node already there).
    """
    if not sealed:
        return []
    appender = TreeAppender(SqlHashStore(conn), lock_head(conn))
    start = appender.size
    try:
        appender.append([s.leaf_hash for s in sealed])
        _insert_leaves(conn, start, sealed)
    except IntegrityError as exc:
        raise LedgerError("the log head is behind its stored leaves") from exc
    frontier = appender.frontier
    conn.execute(
        update(LedgerHeadRow)
        .where(LedgerHeadRow.id == 1)
        .values(size=frontier.size, frontier=b"".join(frontier.hashes))
    )
    return list(range(start, frontier.size))


def _insert_leaves(conn: Connection, start: int, sealed: Sequence[SealedAction]) -> None:
    leaves = [(start + i, s.entry, s.reason, s.reason_salt) for i, s in enumerate(sealed)]
    subjects = [
        (start + i, position, sub.kind, sub.record_id, sub.version, sub.salt, sub.commitment)
        for i, s in enumerate(sealed)
        for position, sub in enumerate(s.subjects)
    ]
    if _is_postgres(conn) and len(leaves) + len(subjects) >= _COPY_FROM:
        import psycopg  # noqa: PLC0415 - only the PostgreSQL path needs the driver

        try:
            _copy(conn, "ledger_leaves", leaves)
            _copy(conn, "ledger_subjects", subjects)
        except psycopg.errors.UniqueViolation as exc:
            # COPY raises the driver's own error, not SQLAlchemy's IntegrityError.
            raise LedgerError("the log head is behind its stored leaves") from exc
        return
    if _is_postgres(conn):
        _unnest(conn, "ledger_leaves", "bigint bytea text bytea", leaves)
        _unnest(conn, "ledger_subjects", "bigint int text text int bytea bytea", subjects)
        return
    for i in range(0, len(leaves), _CHUNK):
        conn.exec_driver_sql(
            "INSERT INTO ledger_leaves (leaf_index, entry, reason, reason_salt) "
            "VALUES (?, ?, ?, ?)",
            leaves[i : i + _CHUNK],
        )
    for i in range(0, len(subjects), _CHUNK):
        conn.exec_driver_sql(
            "INSERT INTO ledger_subjects "
            "(leaf_index, position, kind, record_id, version, salt, commitment) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            subjects[i : i + _CHUNK],
        )


_COLUMNS = {
    "ledger_leaves": "leaf_index, entry, reason, reason_salt",
    "ledger_subjects": "leaf_index, position, kind, record_id, version, salt, commitment",
}


def _unnest(conn: Connection, table: str, types: str, rows: Sequence[tuple[object, ...]]) -> None:
    """One ``INSERT ... SELECT FROM unnest(arrays)`` per chunk: no per-row parameters."""
    casts = ", ".join(f"%b::{t}[]" for t in types.split())
    statement = f"INSERT INTO {table} ({_COLUMNS[table]}) SELECT * FROM unnest({casts})"  # noqa: S608
    for i in range(0, len(rows), _CHUNK):
        chunk = rows[i : i + _CHUNK]
        if chunk:
            columns = tuple(list(column) for column in zip(*chunk, strict=True))
            conn.exec_driver_sql(statement, columns)


class SqlAlchemyLedgerRepository:
    """Implements :class:`~carnet.services.uow.LedgerRepository` on the unit of work's session."""

    def __init__(
        self,
        session: Session,
        clock: Clock,
        random_bytes: Callable[[int], bytes] = secrets.token_bytes,
    ) -> None:
        self._s = session
        self._clock = clock
        self._random_bytes = random_bytes

    def append(self, action: Action) -> int:
        """Append one leaf for ``action`` in this transaction; return its index."""
        return self.append_many([action])[0]

    def append_many(self, actions: Sequence[Action]) -> list[int]:
        """Append one leaf per action, in order; the head stays locked until commit."""
        # The action's own rows first: a constraint failure then surfaces before
        # the head is locked, and the lock is held only for the log's writes.
        self._s.flush()
        now = self._clock.now()
        sealed = [seal(a, at=now, random_bytes=self._random_bytes) for a in actions]
        return append_sealed(self._s.connection(), sealed)

    def actions_on(self, kind: str, record_id: str) -> list[LoggedAction]:
        """Return every logged action that touched the record, oldest first."""
        touched = (
            select(LedgerSubjectRow.leaf_index)
            .where(LedgerSubjectRow.kind == kind, LedgerSubjectRow.record_id == record_id)
            .scalar_subquery()
        )
        rows = self._s.execute(
            select(LedgerLeafRow.leaf_index, LedgerLeafRow.entry, LedgerLeafRow.reason)
            .where(LedgerLeafRow.leaf_index.in_(touched))
            .order_by(LedgerLeafRow.leaf_index)
        )
        actions = []
        for index, entry, reason in rows:
            leaf = decode_leaf(bytes(entry))
            actions.append(
                LoggedAction(
                    index=int(index),
                    action_type=leaf.action_type,
                    official_id=leaf.official_id,
                    official_role=leaf.official_role,
                    station=leaf.station,
                    at=leaf.at,
                    reason=reason,
                )
            )
        return actions

    def head(self, *, lock: bool = False) -> TreeHead:
        """Return the size and root of the log."""
        frontier = lock_head(self._s.connection(), lock=lock)
        return TreeHead(frontier.size, frontier.root())

    def hash_store(self) -> SqlHashStore:
        """Return the node hashes, read in this transaction."""
        return SqlHashStore(self._s.connection())

    def entry(self, index: int) -> bytes | None:
        """Return the bytes of leaf ``index`` or ``None``."""
        found = self._s.scalar(select(LedgerLeafRow.entry).where(LedgerLeafRow.leaf_index == index))
        return None if found is None else bytes(found)

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        """Return the checkpoint issued last or ``None``."""
        row = self._s.scalar(
            select(LedgerCheckpointRow).order_by(LedgerCheckpointRow.id.desc()).limit(1)
        )
        return None if row is None else _checkpoint(row)

    def checkpoints(self) -> list[StoredCheckpoint]:
        """Return every checkpoint, in the order they were issued."""
        rows = self._s.scalars(select(LedgerCheckpointRow).order_by(LedgerCheckpointRow.id))
        return [_checkpoint(r) for r in rows]

    def add_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        """Store a signed checkpoint."""
        self._s.add(
            LedgerCheckpointRow(
                size=checkpoint.size,
                root_hash=checkpoint.root_hash,
                key_kid=checkpoint.key_kid.hex(),
                note=checkpoint.note,
                created_at=checkpoint.created_at,
            )
        )
        self._s.flush()

    def log_keys(self) -> list[LogKey]:
        """Return the log keys, oldest first."""
        rows = self._s.scalars(
            select(LedgerKeyRow).order_by(LedgerKeyRow.created_at, LedgerKeyRow.kid)
        )
        return [
            LogKey(bytes.fromhex(r.kid), r.name, bytes(r.public_key), r.created_at) for r in rows
        ]

    def add_log_key(self, key: LogKey) -> None:
        """Record a new log key."""
        self._s.add(
            LedgerKeyRow(
                kid=key.kid.hex(),
                name=key.name,
                public_key=key.public_key,
                created_at=key.created_at,
            )
        )
        self._s.flush()


def _checkpoint(row: LedgerCheckpointRow) -> StoredCheckpoint:
    return StoredCheckpoint(
        size=int(row.size),
        root_hash=bytes(row.root_hash),
        note=row.note,
        key_kid=bytes.fromhex(row.key_kid),
        created_at=row.created_at,
    )
