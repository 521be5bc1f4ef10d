"""``audit verify`` finds every kind of tampering, on SQLite and PostgreSQL.

Each test runs the same workload (every action that exists today, then a signed
checkpoint), tampers with the database directly in SQL as an insider with write
access would, and checks that the audit names the leaf, node or record.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import delete, insert, select, text, update

from carnet.adapters.db.ledger import node_key
from carnet.adapters.db.repositories import resident_row_values
from carnet.adapters.db.tables import (
    AuthTokenRow,
    LedgerCheckpointRow,
    LedgerHeadRow,
    LedgerLeafRow,
    LedgerNodeRow,
    LedgerSubjectRow,
    OfficialRow,
    RegionRow,
    ResidentChangeRow,
    ResidentRow,
)
from carnet.domain.dates import PartialDate
from carnet.domain.persons import Resident, Sex
from carnet.ledger.compact import CompactRange
from carnet.ledger.hashing import leaf_hash
from carnet.ledger.nodes import NodeId
from tests.factories import TOWN_A, fresh_uin
from tests.integration.ledger.conftest import Workload, audit, run_workload

if TYPE_CHECKING:
    from carnet.bootstrap import Container
    from carnet.services.audit import AuditReport

pytestmark = pytest.mark.integration


def _wheres(report: AuditReport) -> set[str]:
    return {f.where for f in report.findings}


def _entry(box: Container, index: int) -> bytes:
    with box.engine.connect() as conn:
        found = conn.scalar(select(LedgerLeafRow.entry).where(LedgerLeafRow.leaf_index == index))
    assert found is not None
    return bytes(found)


def _set_entry(box: Container, index: int, entry: bytes) -> None:
    with box.engine.begin() as conn:
        conn.execute(
            update(LedgerLeafRow).where(LedgerLeafRow.leaf_index == index).values(entry=entry)
        )


def _rebuild_nodes_and_head(box: Container) -> None:
    """What a careful attacker does after editing leaves: recompute every node and the head."""
    with box.engine.begin() as conn:
        entries = [
            bytes(e)
            for e in conn.scalars(select(LedgerLeafRow.entry).order_by(LedgerLeafRow.leaf_index))
        ]
        frontier = CompactRange()
        nodes = frontier.extend(leaf_hash(e) for e in entries)
        conn.execute(delete(LedgerNodeRow))
        conn.execute(insert(LedgerNodeRow), [{"node_id": node_key(n), "hash": h} for n, h in nodes])
        conn.execute(
            update(LedgerHeadRow).values(size=frontier.size, frontier=b"".join(frontier.hashes))
        )


@pytest.fixture
def work(box: Container) -> Workload:
    done = run_workload(box)
    assert audit(box).ok
    return done


def test_a_clean_log_audits_clean(box: Container, work: Workload) -> None:
    report = audit(box)
    assert report.ok, report.findings
    assert report.leaves == work.leaves
    assert report.records > 0


# --------------------------------------------------------------------------- the log itself


def test_a_bit_flip_in_a_leaf_is_found(box: Container, work: Workload) -> None:
    entry = bytearray(_entry(box, 7))
    entry[20] ^= 0x01
    _set_entry(box, 7, bytes(entry))
    report = audit(box)
    assert "node (0, 7)" in _wheres(report)
    assert f"checkpoint of size {work.leaves}" in _wheres(report)


def test_a_deleted_leaf_is_found(box: Container, work: Workload) -> None:
    with box.engine.begin() as conn:
        conn.execute(delete(LedgerLeafRow).where(LedgerLeafRow.leaf_index == 5))
    wheres = _wheres(audit(box))
    assert "leaf 5" in wheres  # missing, and its subject rows are orphaned
    assert "head" in wheres
    assert f"checkpoint of size {work.leaves}" in wheres


def test_reordered_leaves_are_found(box: Container, work: Workload) -> None:
    first, second = _entry(box, 3), _entry(box, 12)
    _set_entry(box, 3, second)
    _set_entry(box, 12, first)
    wheres = _wheres(audit(box))
    assert {"node (0, 3)", "node (0, 12)", "leaf 3", "leaf 12"} <= wheres
    assert f"checkpoint of size {work.leaves}" in wheres


def test_an_inserted_leaf_is_found(box: Container, work: Workload) -> None:
    # Shift the leaves from 10 up by one and slip a copy of leaf 9 in at 10.
    with box.engine.begin() as conn:
        for table in (LedgerLeafRow, LedgerSubjectRow):
            conn.execute(
                update(table).where(table.leaf_index >= 10).values(leaf_index=-table.leaf_index - 1)
            )
            conn.execute(
                update(table).where(table.leaf_index < 0).values(leaf_index=-table.leaf_index)
            )
    _copy_leaf(box, 9, 10)
    report = audit(box)
    assert "node (0, 10)" in _wheres(report)
    assert "head" in _wheres(report)
    assert report.leaves == work.leaves + 1


def test_a_leaf_appended_behind_the_head_is_found(box: Container, work: Workload) -> None:
    _copy_leaf(box, 2, work.leaves)
    wheres = _wheres(audit(box))
    assert "head" in wheres
    assert f"node (0, {work.leaves})" in wheres


def _copy_leaf(box: Container, source: int, target: int) -> None:
    with box.engine.begin() as conn:
        row = conn.execute(select(LedgerLeafRow).where(LedgerLeafRow.leaf_index == source)).one()
        conn.execute(
            insert(LedgerLeafRow).values(
                leaf_index=target, entry=row.entry, reason=row.reason, reason_salt=row.reason_salt
            )
        )


def test_a_modified_node_hash_is_found(box: Container, work: Workload) -> None:
    with box.engine.begin() as conn:
        conn.execute(
            update(LedgerNodeRow)
            .where(LedgerNodeRow.node_id == node_key(NodeId(2, 1)))
            .values(hash=b"\x00" * 32)
        )
    assert _wheres(audit(box)) == {"node (2, 1)"}


def test_a_rewritten_leaf_with_recomputed_nodes_is_caught_by_the_checkpoint(
    box: Container, work: Workload
) -> None:
    # The insider edits a leaf (say, the station of a read) and recomputes the
    # tree so that it is self-consistent: only the signed checkpoint can tell.
    index = 17
    _set_entry(box, index, _entry(box, index).replace(b'"station":"ST-A"', b'"station":"ST-B"'))
    _rebuild_nodes_and_head(box)
    report = audit(box)
    assert _wheres(report) == {f"checkpoint of size {work.leaves}"}


def test_a_log_cut_back_below_its_checkpoint_is_a_rollback(box: Container, work: Workload) -> None:
    with box.engine.begin() as conn:
        for table in (LedgerLeafRow, LedgerSubjectRow):
            conn.execute(delete(table).where(table.leaf_index >= work.leaves - 3))
    _rebuild_nodes_and_head(box)
    findings = audit(box).findings
    assert any(
        f.where == f"checkpoint of size {work.leaves}" and "rollback" in f.what for f in findings
    )


def test_a_tampered_checkpoint_note_is_found(box: Container, work: Workload) -> None:
    with box.engine.begin() as conn:
        note = conn.scalar(select(LedgerCheckpointRow.note))
        assert note is not None
        forged = note.replace(f"\n{work.leaves}\n", f"\n{work.leaves - 1}\n")
        conn.execute(update(LedgerCheckpointRow).values(note=forged))
    assert any("does not verify" in f.what for f in audit(box).findings)


def test_a_changed_reason_is_found(box: Container, work: Workload) -> None:
    with box.engine.begin() as conn:
        conn.execute(
            update(LedgerLeafRow)
            .where(LedgerLeafRow.reason == "counter visit")
            .values(reason="routine check")
        )
    (finding,) = audit(box).findings
    assert "reason" in finding.what


# --------------------------------------------------------------------------- the records


def test_a_resident_edited_directly_in_sql_is_found(box: Container, work: Workload) -> None:
    with box.engine.begin() as conn:
        conn.execute(
            update(ResidentRow)
            .where(ResidentRow.id == work.resident_ids[1])
            .values(family_name_latin="Forged")
        )
    findings = audit(box).findings
    assert {f.where for f in findings} == {f"resident {work.resident_ids[1]}"}
    assert "does not match the commitment" in findings[0].what


def test_a_resident_edited_with_a_version_bump_is_found(box: Container, work: Workload) -> None:
    with box.engine.begin() as conn:
        conn.execute(
            update(ResidentRow)
            .where(ResidentRow.id == work.resident_ids[2])
            .values(address="forged", version=ResidentRow.version + 1)
        )
    (finding,) = audit(box).findings
    assert finding.where == f"resident {work.resident_ids[2]}"
    assert "current version 2" in finding.what


def test_a_resident_rolled_back_to_an_older_row_is_found(box: Container, work: Workload) -> None:
    with box.engine.begin() as conn:
        conn.execute(
            update(ResidentRow).where(ResidentRow.id == work.resident_ids[0]).values(version=2)
        )
    wheres = _wheres(audit(box))
    assert f"resident {work.resident_ids[0]}" in wheres


def test_a_resident_inserted_directly_in_sql_is_found(box: Container, work: Workload) -> None:
    now = datetime.now(UTC)
    forged = Resident(
        id=str(uuid.uuid4()),
        uin=fresh_uin(),
        family_name_native="가",
        given_name_native="나",
        family_name_latin="Ga",
        given_name_latin="Na",
        date_of_birth=PartialDate(1970),
        sex=Sex.FEMALE,
        place_of_birth="x",
        address="y",
        region_code=TOWN_A,
        created_at=now,
        updated_at=now,
    )
    with box.engine.begin() as conn:
        conn.execute(insert(ResidentRow).values(**resident_row_values(forged, None)))
    (finding,) = audit(box).findings
    assert finding.where == f"resident {forged.id}"
    assert "without a leaf" in finding.what


def test_a_deleted_resident_changes_row_is_found(box: Container, work: Workload) -> None:
    with box.engine.begin() as conn:
        conn.execute(
            delete(ResidentChangeRow).where(
                ResidentChangeRow.resident_id == work.resident_ids[0],
                ResidentChangeRow.version == 2,
            )
        )
    (finding,) = audit(box).findings
    assert finding.where == f"resident_change {work.resident_ids[0]}/2"
    assert "row is gone" in finding.what


def test_a_rewritten_resident_changes_row_is_found(box: Container, work: Workload) -> None:
    with box.engine.begin() as conn:
        conn.execute(
            update(ResidentChangeRow)
            .where(ResidentChangeRow.resident_id == work.resident_ids[0])
            .values(reason="nothing to see")
        )
    wheres = _wheres(audit(box))
    assert wheres == {
        f"resident_change {work.resident_ids[0]}/2",
        f"resident_change {work.resident_ids[0]}/3",
    }


def test_an_official_given_a_new_second_factor_in_sql_is_found(
    box: Container, work: Workload
) -> None:
    with box.engine.begin() as conn:
        conn.execute(
            update(OfficialRow)
            .where(OfficialRow.id == work.registrar.official_id)
            .values(totp_secret="JBSWY3DPEHPK3PXP")
        )
    assert _wheres(audit(box)) == {f"official {work.registrar.official_id}"}


def test_a_forged_bearer_token_is_found(box: Container, work: Workload) -> None:
    now = datetime.now(UTC)
    with box.engine.begin() as conn:
        conn.execute(
            insert(AuthTokenRow).values(
                token_hash="f" * 64,
                official_id=work.registrar.official_id,
                issued_at=now,
                expires_at=now,
                revoked_at=None,
                station_code=None,
            )
        )
    assert _wheres(audit(box)) == {"auth_token " + "f" * 64}


def test_a_region_renamed_in_sql_is_found(box: Container, work: Workload) -> None:
    with box.engine.begin() as conn:
        conn.execute(
            update(RegionRow).where(RegionRow.code == TOWN_A).values(name_latin="Elsewhere")
        )
    assert _wheres(audit(box)) == {f"region {TOWN_A}"}


def test_a_changed_subject_salt_is_found(box: Container, work: Workload) -> None:
    with box.engine.begin() as conn:
        conn.execute(
            update(LedgerSubjectRow)
            .where(LedgerSubjectRow.record_id == work.resident_ids[1])
            .values(salt=b"\x00" * 32)
        )
    assert f"resident {work.resident_ids[1]}" in _wheres(audit(box))


def test_a_redirected_subject_row_is_found(box: Container, work: Workload) -> None:
    # Point the read of resident 1 at resident 2: its commitment does not fit.
    with box.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE ledger_subjects SET record_id = :target "
                "WHERE record_id = :source AND kind = 'resident'"
            ),
            {"target": work.resident_ids[2], "source": work.resident_ids[1]},
        )
    wheres = _wheres(audit(box))
    assert {f"resident {work.resident_ids[1]}", f"resident {work.resident_ids[2]}"} <= wheres
