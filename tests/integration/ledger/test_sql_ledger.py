"""The log in SQL on SQLite and PostgreSQL: appends, proofs, subjects, imports, concurrency."""

from __future__ import annotations

import io
import threading
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, inspect, select

from carnet.adapters.db.bulk import SqlAlchemyResidentBulkWriter
from carnet.adapters.db.ledger import SqlHashStore, node_id_of, node_key
from carnet.adapters.db.tables import LedgerNodeRow, LedgerSubjectRow, ResidentRow
from carnet.domain.actions import Action, ActionType, RecordKind, decode_leaf, resident_ref
from carnet.domain.errors import LedgerError, ProofError, ValidationError
from carnet.domain.officials import Role, Scope
from carnet.ledger.checkpoints import open_checkpoint
from carnet.ledger.hashing import leaf_hash, merkle_tree_hash
from carnet.ledger.nodes import NodeId
from carnet.ledger.proofs import verify_consistency, verify_inclusion
from carnet.services import ledger, registry
from carnet.services.imports import import_residents
from tests.factories import (
    TOWN_A,
    TOWN_B,
    create_official,
    load_reference_data,
    principal,
    resident_data,
)
from tests.integration.db.test_import_storage import csv_bytes, good_rows
from tests.integration.ledger.conftest import audit, leaf_count, run_workload, sign_in

if TYPE_CHECKING:
    from carnet.bootstrap import Container

pytestmark = pytest.mark.integration

NATIONAL_REGISTRAR = principal(Role.REGISTRAR, national=True)


def _entries(box: Container) -> list[bytes]:
    with box.uow() as uow:
        size = uow.ledger.head().size
        return [e for i in range(size) if (e := uow.ledger.entry(i)) is not None]


def test_a_workload_logs_one_leaf_per_action_and_audits_clean(box: Container) -> None:
    work = run_workload(box)
    # 6 regions + 3 stations, 2 officials, 2 sign-ins, 3 enrolments, 2 changes,
    # a read, a history, a search and an account change.
    assert work.leaves == 22
    report = audit(box)
    assert report.ok, report.findings
    assert (report.leaves, report.checkpoints) == (22, 1)
    assert report.nodes == 2 * 22 - (22).bit_count()


def test_the_head_root_is_the_merkle_tree_hash_of_the_entries(box: Container) -> None:
    run_workload(box)
    entries = _entries(box)
    with box.uow() as uow:
        head = uow.ledger.head()
    assert head.size == len(entries)
    assert head.root_hash == merkle_tree_hash(entries)


def test_inclusion_and_consistency_proofs_verify_against_the_checkpoint(box: Container) -> None:
    run_workload(box)
    stored = ledger.latest_checkpoint(box.uow())
    with box.uow() as uow:
        (key,) = uow.ledger.log_keys()
    checkpoint = open_checkpoint(
        stored.note, origin="carnet.example/log", verifiers=[ledger.log_verifier(key)]
    )
    entries = _entries(box)
    for index in range(checkpoint.size):
        proof = ledger.inclusion_proof(box.uow(), index, checkpoint.size)
        assert proof.leaf_hash == leaf_hash(entries[index])
        assert proof.root_hash == checkpoint.root_hash
        verify_inclusion(
            proof.leaf_hash, index, checkpoint.size, proof.hashes, checkpoint.root_hash
        )
    for first in range(1, checkpoint.size + 1):
        c = ledger.consistency_proof(box.uow(), first, checkpoint.size)
        assert c.second_root == checkpoint.root_hash
        assert c.first_root == merkle_tree_hash(entries[:first])
        verify_consistency(first, checkpoint.size, c.hashes, c.first_root, c.second_root)


def test_proofs_beyond_the_log_are_refused(box: Container) -> None:
    run_workload(box)
    with pytest.raises(ProofError):
        ledger.inclusion_proof(box.uow(), 0, 23)
    with pytest.raises(ProofError):
        ledger.inclusion_proof(box.uow(), 22, 22)
    with pytest.raises(ProofError):
        ledger.consistency_proof(box.uow(), 0, 5)


def test_a_leaf_holds_no_personal_data(box: Container) -> None:
    work = run_workload(box)
    with box.uow() as uow:
        resident = uow.residents.get_by_uin(work.uins[0])
    assert resident is not None
    personal = {
        resident.uin,
        resident.family_name_latin,
        resident.given_name_native,
        resident.address,
        resident.email or "",
        "moved house",
        "counter visit",
    }
    for entry in _entries(box):
        text = entry.decode("ascii")
        assert not any(value and value in text for value in personal), text
        decode_leaf(entry)


def test_actions_on_a_resident_list_every_leaf_that_touched_it(box: Container) -> None:
    work = run_workload(box)
    with box.uow() as uow:
        first = uow.ledger.actions_on("resident", work.resident_ids[0])
        second = uow.ledger.actions_on("resident", work.resident_ids[1])
    assert [a.action_type for a in first] == ["enrolment", "change", "change", "history", "search"]
    assert [a.reason for a in first] == [
        None,
        "moved house",
        "moved house",
        "complaint",
        "planning",
    ]
    assert {a.official_role for a in first} == {"registrar"}
    assert {a.station for a in first} == {"ST-A"}
    assert {a.official_id for a in first} == {work.registrar.official_id}
    assert [a.action_type for a in second] == ["enrolment", "read", "search"]
    assert [a.index for a in first] == sorted(a.index for a in first)


def test_actions_on_use_the_subject_index(box: Container) -> None:
    # The lead's residents' view reads by (kind, record_id): the index must exist.
    run_workload(box)
    indexes = inspect(box.engine).get_indexes("ledger_subjects")
    assert any(ix["column_names"] == ["kind", "record_id"] for ix in indexes)


def test_an_import_logs_one_leaf_per_batch_committing_to_every_row(box: Container) -> None:
    load_reference_data(box.uow)
    before = leaf_count(box)
    rows = good_rows(25, prefix="L")
    report = import_residents(
        SqlAlchemyResidentBulkWriter(box.engine, clock=box.clock),
        io.BytesIO(csv_bytes(rows)),
        io.StringIO(),
        clock=box.clock,
        random_bytes=box.random_bytes,
        batch_size=10,
    )
    assert report.imported == 25
    assert leaf_count(box) == before + 3
    with box.engine.connect() as conn:
        ids = set(conn.scalars(select(ResidentRow.id)))
        subjects = conn.execute(
            select(LedgerSubjectRow.leaf_index, LedgerSubjectRow.record_id).where(
                LedgerSubjectRow.kind == "resident"
            )
        ).all()
    assert {r for _, r in subjects} == ids
    assert sorted({i for i, _ in subjects}) == [before, before + 1, before + 2]
    entries = _entries(box)
    assert [decode_leaf(e).subject_count for e in entries[before:]] == [10, 10, 5]
    assert {decode_leaf(e).action_type for e in entries[before:]} == {"import"}
    assert audit(box).ok


def test_a_failed_action_leaves_no_leaf(box: Container) -> None:
    load_reference_data(box.uow)
    before = leaf_count(box)
    with pytest.raises(ValidationError):
        registry.enrol_resident(
            box.uow(),
            NATIONAL_REGISTRAR,
            resident_data(region_code="99999"),
            clock=box.clock,
            random_bytes=box.random_bytes,
        )
    with box.uow() as uow:
        uow.ledger.append(Action.by(NATIONAL_REGISTRAR, ActionType.READ))
        # leaving without commit rolls the leaf back
    assert leaf_count(box) == before
    assert audit(box).ok


def test_the_hash_store_keeps_its_contract(box: Container) -> None:
    nodes = [(NodeId(0, 0), b"\x01" * 32), (NodeId(3, 5), b"\x02" * 32)]
    with box.engine.begin() as conn:
        store = SqlHashStore(conn)
        store.put_nodes(nodes)
        store.put_nodes(nodes)  # the same hashes again: a no-op
        assert store.get_nodes([NodeId(3, 5), NodeId(0, 0), NodeId(3, 5)]) == [
            b"\x02" * 32,
            b"\x01" * 32,
            b"\x02" * 32,
        ]
        with pytest.raises(LedgerError):
            store.get_nodes([NodeId(1, 0)])
        with pytest.raises(LedgerError):
            store.put_nodes([(NodeId(0, 0), b"\x09" * 32)])
        with pytest.raises(LedgerError):
            store.put_nodes([(NodeId(0, 7), b"\x01" * 32), (NodeId(0, 7), b"\x03" * 32)])
        assert conn.scalar(select(func.count()).select_from(LedgerNodeRow)) == 2
    assert node_id_of(node_key(NodeId(63, 12345))) == NodeId(63, 12345)
    with pytest.raises(LedgerError):
        node_key(NodeId(0, 1 << 56))


def test_a_truncated_head_row_is_recreated_as_the_empty_log(box: Container) -> None:
    from sqlalchemy import delete  # noqa: PLC0415

    from carnet.adapters.db.tables import LedgerHeadRow  # noqa: PLC0415

    with box.engine.begin() as conn:
        conn.execute(delete(LedgerHeadRow))
    with box.uow() as uow:
        assert uow.ledger.append(Action.by(None, ActionType.REFERENCE_LOAD)) == 0
        uow.commit()
    assert leaf_count(box) == 1


def test_append_many_numbers_a_batch_consecutively(box: Container) -> None:
    load_reference_data(box.uow)
    start = leaf_count(box)
    with box.uow() as uow:
        indices = uow.ledger.append_many(
            [Action.by(NATIONAL_REGISTRAR, ActionType.READ, reason=str(i)) for i in range(50)]
        )
        uow.commit()
    assert indices == list(range(start, start + 50))
    assert audit(box).ok


def test_parallel_enrolments_produce_a_consistent_log(box: Container) -> None:
    load_reference_data(box.uow)
    create_official(
        box.uow(),
        box.hasher,
        box.clock,
        username="registrar.n",
        roles=("registrar",),
        scope=Scope(national=True),
    )
    registrar = sign_in(box, "registrar.n")
    before = leaf_count(box)
    threads, per_thread = 6, 8
    errors: list[BaseException] = []

    def enrol_many(n: int) -> None:
        try:
            for _ in range(per_thread):
                registry.enrol_resident(
                    box.uow(),
                    registrar,
                    resident_data(region_code=TOWN_A if n % 2 else TOWN_B),
                    clock=box.clock,
                    random_bytes=box.random_bytes,
                )
                registry.search_residents(box.uow(), registrar, region_code=TOWN_A)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=enrol_many, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors
    assert leaf_count(box) == before + 2 * threads * per_thread
    with box.engine.connect() as conn:
        residents = conn.scalar(select(func.count()).select_from(ResidentRow))
    assert residents == threads * per_thread
    report = audit(box)
    assert report.ok, report.findings
    ids = _resident_ids(box)
    with box.uow() as uow:
        enrolments = [
            a
            for rid in ids
            for a in uow.ledger.actions_on(RecordKind.RESIDENT, rid)
            if a.action_type == "enrolment"
        ]
    assert len(enrolments) == threads * per_thread


def _resident_ids(box: Container) -> list[str]:
    with box.engine.connect() as conn:
        return list(conn.scalars(select(ResidentRow.id)))


def test_a_record_ref_is_bound_to_its_kind_id_and_version(box: Container) -> None:
    load_reference_data(box.uow)
    resident = registry.enrol_resident(
        box.uow(),
        NATIONAL_REGISTRAR,
        resident_data(),
        clock=box.clock,
        random_bytes=box.random_bytes,
    )
    ref = resident_ref(resident)
    with box.uow() as uow:
        stored = uow.residents.get_by_uin(resident.uin)
    assert stored is not None
    assert resident_ref(stored).content == ref.content  # the row reads back to the same bytes
    assert b'"version":1' in ref.content
    assert resident.id.encode() in ref.content
