"""Bulk import on real databases: COPY on PostgreSQL, executemany on SQLite, crash and resume."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select

from carnet.adapters.db.bulk import SqlAlchemyResidentBulkWriter
from carnet.adapters.db.tables import ResidentRow
from carnet.domain.identifiers import is_valid_uin
from carnet.services.imports import COLUMNS, ImportReport, import_residents
from tests.factories import TOWN_A, TOWN_B, fresh_uin, load_reference_data, resident_data

if TYPE_CHECKING:
    from pathlib import Path

    from carnet.bootstrap import Container

pytestmark = pytest.mark.integration


def csv_bytes(rows: list[dict[str, str]], extra_lines: tuple[bytes, ...] = ()) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row.get(c, "") for c in COLUMNS])
    return out.getvalue().encode() + b"".join(extra_lines)


def good_rows(n: int, prefix: str = "EXT") -> list[dict[str, str]]:
    rows = []
    for i in range(n):
        data = resident_data(region_code=TOWN_A if i % 2 else TOWN_B)
        rows.append({**data, "external_ref": f"{prefix}-{i:07d}", "uin": ""})
    return rows


def count(box: Container) -> int:
    with box.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(ResidentRow)) or 0)


def run_import(box: Container, payload: bytes, batch_size: int = 100) -> tuple[ImportReport, str]:
    rejects = io.StringIO()
    report = import_residents(
        SqlAlchemyResidentBulkWriter(box.engine),
        io.BytesIO(payload),
        rejects,
        clock=box.clock,
        random_bytes=box.random_bytes,
        batch_size=batch_size,
    )
    return report, rejects.getvalue()


def test_import_stores_valid_rows_and_rejects_bad_ones(seeded: Container) -> None:
    rows = good_rows(250)
    given = fresh_uin()
    rows[3]["uin"] = given
    bad = [
        {**rows[0], "external_ref": "BAD-1", "date_of_birth": "2023-02-30"},
        {**rows[0], "external_ref": "BAD-2", "date_of_birth": "2099-01-01"},
        {**rows[0], "external_ref": "BAD-3", "region_code": "99999"},
        {**rows[0], "external_ref": "BAD-4", "uin": "234567890123"},
        {**rows[0], "external_ref": "BAD-5", "address": "x" * 201},
        {**rows[0]},  # duplicate external_ref within the file
    ]
    broken = (
        b"BAD-6,,\xff\xfe,x,Kim,Ji,1980,M,p,a," + TOWN_A.encode() + b",,,\n",
        b"BAD-7,too,few\n",
    )
    report, rejects = run_import(seeded, csv_bytes(rows + bad, broken))
    assert report.imported == 250
    assert report.rejected == 8
    assert count(seeded) == 250
    lines = list(csv.reader(io.StringIO(rejects)))
    reasons = {line[2]: line[1] for line in lines[1:]}
    assert "date_of_birth" in reasons["BAD-1"]
    assert "future" in reasons["BAD-2"]
    assert "region_code" in reasons["BAD-3"]
    assert "uin" in reasons["BAD-4"]
    assert "at most 200" in reasons["BAD-5"]
    assert "UTF-8" in reasons["BAD-6"]
    assert "columns" in reasons["BAD-7"]
    assert "duplicate" in reasons[rows[0]["external_ref"]]
    with seeded.engine.connect() as conn:
        uins = list(conn.scalars(select(ResidentRow.uin)))
        kept = conn.scalar(
            select(ResidentRow.uin).where(ResidentRow.external_ref == rows[3]["external_ref"])
        )
    assert kept == given
    assert all(is_valid_uin(u) for u in uins)
    assert len(set(uins)) == 250


def test_reimport_is_idempotent(seeded: Container) -> None:
    payload = csv_bytes(good_rows(120))
    first, _ = run_import(seeded, payload)
    second, _ = run_import(seeded, payload)
    assert first.imported == 120
    assert second.imported == 0
    assert second.already_present == 120
    assert second.rejected == 0
    assert count(seeded) == 120


def test_killed_import_resumes_without_loss_or_duplicates(
    seeded: Container, tmp_path: Path, database_url: str
) -> None:
    total = 40_000
    source = tmp_path / "residents.csv"
    source.write_bytes(csv_bytes(good_rows(total, prefix="KILL")))
    env = {**os.environ, "CARNET_DATABASE_URL": database_url, "CARNET_ENVIRONMENT": "test"}
    cmd = [
        sys.executable,
        "-m",
        "carnet.entrypoints.cli.main",
        "import",
        "residents",
        str(source),
        "--batch-size",
        "500",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    deadline = time.monotonic() + 120
    while count(seeded) < 2_000 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = count(seeded)
    assert 0 < partial < total, "the import should have been killed midway"
    assert partial % 500 == 0, "a batch is written whole or not at all"
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    assert done.returncode == 0, done.stderr
    assert f"already present {partial:,}" in done.stdout
    assert count(seeded) == total
    with seeded.engine.connect() as conn:
        refs = conn.scalar(select(func.count(func.distinct(ResidentRow.external_ref))))
    assert refs == total


def test_writer_reports_existing_refs_and_uins(container: Container) -> None:
    load_reference_data(container.uow)
    run_import(container, csv_bytes(good_rows(3, prefix="W")))
    writer = SqlAlchemyResidentBulkWriter(container.engine)
    with container.engine.connect() as conn:
        uin = conn.scalar(select(ResidentRow.uin).limit(1))
    assert writer.refs_taken(["W-0000000", "W-9999999"]) == {"W-0000000"}
    assert uin is not None
    assert writer.uins_taken([uin, fresh_uin()]) == {uin}
    assert {TOWN_A, TOWN_B} <= writer.region_codes()


def test_bulk_rows_read_back_like_rows_the_orm_wrote(seeded: Container) -> None:
    run_import(seeded, csv_bytes(good_rows(3, prefix="TS")))
    with seeded.engine.connect() as conn:
        uin = conn.scalar(select(ResidentRow.uin).where(ResidentRow.external_ref == "TS-0000000"))
    assert uin is not None
    with seeded.uow() as uow:
        resident = uow.residents.get_by_uin(uin)
    assert resident is not None
    assert resident.created_at == seeded.clock.now()
    assert resident.updated_at == seeded.clock.now()
