"""Benchmark: the transparency log on PostgreSQL — appends, proofs at 10M leaves, storage.

Measures, in one run and on this machine:

* **appends**: realistic actions (a read of one resident record, with a reason)
  appended through ``uow.ledger.append_many`` in transactions of ``--batch``
  leaves — sealing, the head lock, the frontier, the node, leaf and subject
  inserts — against a raw insert of the very rows it stored (same statements,
  same transactions, an emptied log) as the baseline; and single-leaf
  transactions (one action per transaction, as the API does);
* **proofs** at ``--leaves`` (default 10,000,000): inclusion and consistency
  proofs through the application path (``services.ledger.inclusion_proof``: a
  unit of work, the head, one batched node query), p50/p95 in ms. The log is
  built by generating its leaves, subjects and nodes with the ledger library and
  COPYing them, with the indexes built afterwards; the batched node query alone
  (``*_query_*``) is timed too, on a connection held open;
* **storage**: bytes per leaf (leaves, subjects and nodes, with their indexes)
  at a tenth of the size and at the full size: linear growth means a ratio near 1.

Usage: ``python -m bench.ledger [--leaves N] [--appends N] [--batch N]``.
The last line printed is one JSON object of figures.
"""

from __future__ import annotations

import argparse
import base64
import random  # noqa: TID251 - reproducible synthetic data for the benchmark
import statistics
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import psycopg

from bench._common import drop_postgres, emit, scratch_postgres, timed
from carnet.adapters.db.engine import build_engine
from carnet.adapters.db.ledger import LEVEL_SHIFT, SqlHashStore
from carnet.adapters.db.migrate import upgrade
from carnet.adapters.db.uow import SqlAlchemyUnitOfWork
from carnet.adapters.security import SystemClock
from carnet.domain.actions import Action, ActionType, RecordRef, decode_leaf
from carnet.ledger.compact import CompactRange
from carnet.ledger.hashing import leaf_hash, merkle_tree_hash
from carnet.ledger.proofs import verify_consistency, verify_inclusion
from carnet.ledger.tree import MerkleTree
from carnet.services import ledger

if TYPE_CHECKING:
    from sqlalchemy import Engine

DB = "carnet_bench_ledger"
_TABLES = ("ledger_leaves", "ledger_subjects", "ledger_nodes")
# Primary keys and indexes dropped during the bulk load and built afterwards.
_INDEXES = (
    ("ledger_leaves", "pk_ledger_leaves", "PRIMARY KEY (leaf_index)"),
    ("ledger_subjects", "pk_ledger_subjects", "PRIMARY KEY (leaf_index, position)"),
    ("ledger_nodes", "pk_ledger_nodes", "PRIMARY KEY (node_id)"),
)
_SUBJECT_INDEX = "ix_ledger_subjects_kind_record"


def _check(condition: bool, what: str) -> None:
    if not condition:
        msg = f"benchmark self-check failed: {what}"
        raise RuntimeError(msg)


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _action(rng: random.Random, n: int) -> Action:
    """A read of one resident record, as ``GET /residents/{uin}`` logs it."""
    record = RecordRef.of(
        "resident",
        f"{rng.getrandbits(128):032x}",
        {"family_name_latin": f"Name{n}", "address": f"Road {n}", "region_code": "11010001"},
        version=1 + n % 3,
    )
    return Action(
        type=ActionType.READ,
        official_id=f"{rng.getrandbits(128):032x}",
        roles=("registrar",),
        station=f"ST-{n % 40}",
        subjects=[record],
        reason="counter visit",
    )


# --------------------------------------------------------------------------- appends


def bench_appends(engine: Engine, url: str, total: int, batch: int) -> dict[str, object]:
    rng = random.Random(1)
    actions = [_action(rng, n) for n in range(total)]
    batches = [actions[i : i + batch] for i in range(0, total, batch)]
    clock = SystemClock()
    started = timed()
    for chunk in batches:
        with SqlAlchemyUnitOfWork(engine, clock) as uow:
            uow.ledger.append_many(chunk)
            uow.commit()
    batched = timed() - started
    rows = _stored(url)
    raw = _raw_insert(url, rows, batch)
    singles = min(2000, total)
    started = timed()
    for action in actions[:singles]:
        with SqlAlchemyUnitOfWork(engine, clock) as uow:
            uow.ledger.append(action)
            uow.commit()
    single = timed() - started
    return {
        "append_batch_leaves": batch,
        "append_leaves": total,
        "append_leaves_per_s": round(total / batched),
        "raw_insert_leaves_per_s": round(total / raw),
        "ratio_vs_raw_insert": round(raw / batched, 3),
        "append_single_leaf_tx_per_s": round(singles / single),
    }


def _stored(url: str) -> dict[str, list[tuple[object, ...]]]:
    with psycopg.connect(_dsn(url)) as conn:
        return {
            "ledger_leaves": conn.execute(
                "SELECT leaf_index, entry, reason, reason_salt FROM ledger_leaves ORDER BY 1"
            ).fetchall(),
            "ledger_subjects": conn.execute(
                "SELECT leaf_index, position, kind, record_id, version, salt, commitment "
                "FROM ledger_subjects ORDER BY 1, 2"
            ).fetchall(),
            "ledger_nodes": conn.execute(
                "SELECT node_id, hash FROM ledger_nodes ORDER BY 1"
            ).fetchall(),
        }


_RAW_COPY = {
    "ledger_leaves": ("leaf_index, entry, reason, reason_salt", ["int8", "bytea", "text", "bytea"]),
    "ledger_subjects": (
        "leaf_index, position, kind, record_id, version, salt, commitment",
        ["int8", "int4", "text", "text", "int4", "bytea", "bytea"],
    ),
    "ledger_nodes": ("node_id, hash", ["int8", "bytea"]),
}


def _raw_insert(url: str, rows: dict[str, list[tuple[object, ...]]], batch: int) -> float:
    """Binary-COPY the same rows, one transaction per batch of leaves: the bare insert cost."""
    groups: dict[int, dict[str, list[tuple[object, ...]]]] = {}
    for table, table_rows in rows.items():
        for row in table_rows:
            groups.setdefault(_leaf_of(table, row) // batch, {}).setdefault(table, []).append(row)
    with psycopg.connect(_dsn(url)) as conn:
        conn.execute(f"TRUNCATE {', '.join(_TABLES)}")
        conn.commit()
        started = timed()
        for number in sorted(groups):
            for table, (columns, types) in _RAW_COPY.items():
                chunk = groups[number].get(table, [])
                statement = f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)"
                with conn.cursor().copy(statement) as copy:
                    copy.set_types(types)
                    for row in chunk:
                        copy.write_row(row)
            conn.commit()
        elapsed = timed() - started
        conn.execute(f"TRUNCATE {', '.join(_TABLES)}")
        conn.execute("UPDATE ledger_head SET size = 0, frontier = ''::bytea")
        conn.commit()
    return elapsed


def _leaf_of(table: str, row: tuple[object, ...]) -> int:
    value = row[0]
    if not isinstance(value, int):
        msg = "a stored index is not an integer"
        raise TypeError(msg)
    if table != "ledger_nodes":
        return value
    level, index = value >> LEVEL_SHIFT, value & ((1 << LEVEL_SHIFT) - 1)
    return ((index + 1) << level) - 1  # the leaf whose append created the node


# --------------------------------------------------------------------------- bulk log


_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class _Generator:
    """Leaves in the real format, with one subject each, and the nodes they create."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.frontier = CompactRange()
        self.officials = [f"{self.rng.getrandbits(128):032x}" for _ in range(500)]

    def leaf(self, index: int) -> tuple[bytes, bytes, bytes, str]:
        """Return (entry, salt, commitment, record id) for leaf ``index``."""
        noise = self.rng.randbytes(96)
        salt, value, reason = noise[:32], noise[32:64], noise[64:96]
        root = base64.b64encode(leaf_hash(b"resident\x00" + value)).decode()
        at = (_EPOCH + timedelta(milliseconds=index * 7)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        entry = (
            f'{{"at":"{at}","official":"{self.officials[index % 500]}",'
            f'"reason":"{base64.b64encode(reason).decode()}","roles":["registrar"],'
            f'"station":"ST-{index % 40}","subjects":{{"count":1,"root":"{root}"}},'
            f'"type":"read","v":1}}'
        ).encode("ascii")
        return entry, salt, value, f"{self.rng.getrandbits(128):032x}"


def _set_indexes(conn: psycopg.Connection, *, present: bool) -> None:
    for table, name, definition in _INDEXES:
        if present:
            conn.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        else:
            conn.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")
    if present:
        conn.execute(f"CREATE INDEX {_SUBJECT_INDEX} ON ledger_subjects (kind, record_id)")
    else:
        conn.execute(f"DROP INDEX IF EXISTS {_SUBJECT_INDEX}")
    conn.commit()


def grow_log(url: str, gen: _Generator, target: int) -> float:
    """COPY leaves, subjects and nodes up to ``target`` leaves; return the seconds taken."""
    start = gen.frontier.size
    started = timed()
    dsn = _dsn(url)
    with (
        psycopg.connect(dsn) as admin,
        psycopg.connect(dsn) as c_leaves,
        psycopg.connect(dsn) as c_subjects,
        psycopg.connect(dsn) as c_nodes,
    ):
        _set_indexes(admin, present=False)
        with (
            c_leaves.cursor().copy(
                "COPY ledger_leaves (leaf_index, entry, reason) FROM STDIN (FORMAT BINARY)"
            ) as leaves,
            c_subjects.cursor().copy(
                "COPY ledger_subjects (leaf_index, position, kind, record_id, version, salt, "
                "commitment) FROM STDIN (FORMAT BINARY)"
            ) as subjects,
            c_nodes.cursor().copy(
                "COPY ledger_nodes (node_id, hash) FROM STDIN (FORMAT BINARY)"
            ) as nodes,
        ):
            leaves.set_types(["int8", "bytea", "text"])
            subjects.set_types(["int8", "int4", "text", "text", "int4", "bytea", "bytea"])
            nodes.set_types(["int8", "bytea"])
            for index in range(start, target):
                entry, salt, value, record = gen.leaf(index)
                leaves.write_row((index, entry, "counter visit"))
                subjects.write_row((index, 0, "resident", record, 1, salt, value))
                for node, digest in gen.frontier.append(leaf_hash(entry)):
                    nodes.write_row(((node.level << LEVEL_SHIFT) | node.index, digest))
        for conn in (c_leaves, c_subjects, c_nodes):
            conn.commit()
        _set_indexes(admin, present=True)
        admin.execute(
            "UPDATE ledger_head SET size = %s, frontier = %s",
            (gen.frontier.size, b"".join(gen.frontier.hashes)),
        )
        admin.commit()
        admin.autocommit = True
        admin.execute("VACUUM ANALYZE ledger_leaves, ledger_subjects, ledger_nodes")
    return timed() - started


def storage_bytes(url: str) -> int:
    with psycopg.connect(_dsn(url)) as conn:
        row = conn.execute(
            "SELECT " + " + ".join(f"pg_total_relation_size('{t}')" for t in _TABLES)
        ).fetchone()
    _check(row is not None, "the size query returned a row")
    return int(row[0]) if row is not None else 0


# --------------------------------------------------------------------------- proofs


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return round(statistics.median(ordered) * 1000, 3), round(p95 * 1000, 3)


def bench_proofs(engine: Engine, size: int, root: bytes, samples: int) -> dict[str, object]:
    rng = random.Random(7)
    clock = SystemClock()

    def uow() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(engine, clock)

    for _ in range(20):  # warm the pool and the caches a little
        ledger.inclusion_proof(uow(), rng.randrange(size), size)
    inclusion: list[float] = []
    for _ in range(samples):
        index = rng.randrange(size)
        started = timed()
        proof = ledger.inclusion_proof(uow(), index, size)
        inclusion.append(timed() - started)
        verify_inclusion(proof.leaf_hash, index, size, proof.hashes, root)
    consistency: list[float] = []
    for _ in range(samples):
        first = rng.randrange(1, size)
        started = timed()
        c = ledger.consistency_proof(uow(), first, size)
        consistency.append(timed() - started)
        verify_consistency(first, size, c.hashes, c.first_root, root)
    # The one batched node query alone, on a connection held open: the database's
    # share of a proof, without the unit of work around it.
    query_inclusion: list[float] = []
    query_consistency: list[float] = []
    with engine.connect() as conn:
        tree = MerkleTree(SqlHashStore(conn))
        for _ in range(samples):
            index, first = rng.randrange(size), rng.randrange(1, size)
            started = timed()
            tree.inclusion_proof(index, size)
            query_inclusion.append(timed() - started)
            started = timed()
            tree.consistency_proof(first, size)
            query_consistency.append(timed() - started)
    figures: dict[str, object] = {"proof_samples": samples}
    for name, values in (
        ("inclusion", inclusion),
        ("consistency", consistency),
        ("inclusion_query", query_inclusion),
        ("consistency_query", query_consistency),
    ):
        p50, p95 = _ms(values)
        figures |= {f"{name}_p50_ms": p50, f"{name}_p95_ms": p95}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=10_000_000, help="log size for proofs")
    parser.add_argument("--appends", type=int, default=100_000, help="leaves to append")
    parser.add_argument("--batch", type=int, default=1_000, help="leaves per transaction")
    parser.add_argument("--samples", type=int, default=500, help="proofs timed per kind")
    args = parser.parse_args()
    url = scratch_postgres(DB)
    engine = build_engine(url)
    try:
        upgrade(engine)
        figures: dict[str, object] = {"leaves": args.leaves}
        figures |= bench_appends(engine, url, args.appends, args.batch)
        with psycopg.connect(_dsn(url)) as conn:
            conn.execute(f"TRUNCATE {', '.join(_TABLES)}")
            conn.execute("UPDATE ledger_head SET size = 0, frontier = ''::bytea")
            conn.commit()
        gen = _Generator(seed=42)
        sample = gen.leaf(0)[0]
        decode_leaf(sample)  # the generated leaves are in the real, canonical format
        gen = _Generator(seed=42)
        tenth = max(1, args.leaves // 10)
        build_tenth = grow_log(url, gen, tenth)
        bytes_tenth = storage_bytes(url)
        build_rest = grow_log(url, gen, args.leaves)
        bytes_full = storage_bytes(url)
        per_tenth, per_full = bytes_tenth / tenth, bytes_full / args.leaves
        figures |= {
            "build_leaves_per_s": round(args.leaves / (build_tenth + build_rest)),
            "storage_leaves_small": tenth,
            "storage_bytes_per_leaf_small": round(per_tenth, 1),
            "storage_bytes_per_leaf_full": round(per_full, 1),
            "storage_growth_ratio": round(per_full / per_tenth, 3),
            "storage_total_mb": round(bytes_full / 2**20, 1),
        }
        with SqlAlchemyUnitOfWork(engine, SystemClock()) as uow:
            head = uow.ledger.head()
        _check(head.size == args.leaves, "the head covers every generated leaf")
        if args.leaves <= 100_000:  # a small run cross-checks the root with the entries
            with psycopg.connect(_dsn(url)) as conn:
                entries = [
                    bytes(r[0])
                    for r in conn.execute("SELECT entry FROM ledger_leaves ORDER BY leaf_index")
                ]
            _check(merkle_tree_hash(entries) == head.root_hash, "the root matches the entries")
        figures |= bench_proofs(engine, head.size, head.root_hash, args.samples)
    finally:
        engine.dispose()
        drop_postgres(DB)
    print(f"ledger benchmark done at {datetime.now(UTC):%H:%M:%S}", file=sys.stderr)
    emit(figures)


if __name__ == "__main__":
    main()
