"""Benchmark: issuing national ID cards (signed and persisted) on PostgreSQL.

Measures, in one run and on this machine:

* Carnet's batch issuance (:func:`carnet.services.issuance.issue_approved`) of N
  fully approved national ID card applications, 1,000 per transaction: document
  numbers, validity, random status-list indices, ES256 signatures through the
  issuer workspace's key store, MRZ, the documents and applications written, and
  one transparency-log leaf per batch committing to every record;
* the raw baseline in the same run: ``issue_credential`` alone (claims, CBOR,
  COSE_Sign1, zlib, base45) with the same key, no database, on a sample.

Set-up (not timed): a scratch database, the synthetic population imported with
``carnet import residents``, and one approved application per resident inserted
with one SQL statement.

Usage: ``python -m bench.issue [N]`` (default 100,000; or ``CARNET_BENCH_ISSUE``).
The last line printed is one JSON object of figures.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
from pydantic import SecretStr

from bench._common import (
    drop_postgres,
    emit,
    own_peak_rss_mb,
    run_measured,
    scratch_postgres,
    timed,
)
from carnet.adapters.db.engine import build_engine
from carnet.adapters.db.migrate import upgrade
from carnet.adapters.keys.files import FileKeyStore
from carnet.bootstrap import bootstrap
from carnet.config import Settings
from carnet.credentials.claim169 import BirthDate, Gender, Identity169
from carnet.credentials.issuing import issue_credential
from carnet.credentials.statuslist import StatusReference
from carnet.services.issuance import issue_approved
from carnet.services.issuer_workspace import IssuerWorkspace
from carnet.synth import SynthConfig, write_population

BATCH = 1000
RAW_SAMPLE = 5000
DB_NAME = "carnet_bench_issue"
PASSPHRASE = "bench-passphrase"  # noqa: S105 - a throwaway key store for the run


def population(rows: int, out: Path, url: str) -> None:
    """Write and import the synthetic population (not timed)."""
    write_population(
        SynthConfig(seed=5151, residents=rows, duplicate_rate=0.0, reference_date=date(2026, 1, 1)),
        out,
    )
    engine = build_engine(url)
    upgrade(engine)
    engine.dispose()
    env = {**os.environ, "CARNET_DATABASE_URL": url, "CARNET_ENVIRONMENT": "test"}
    cli = [sys.executable, "-m", "carnet.entrypoints.cli.main"]
    run_measured(
        [*cli, "regions", "load", str(out / "regions.csv"), str(out / "stations.csv")], env
    )
    run_measured(
        [
            *cli,
            "import",
            "residents",
            str(out / "residents.csv"),
            "--rejects",
            str(out / "rejects.csv"),
        ],
        env,
    )


def approved_applications(url: str, now: datetime) -> list[str]:
    """Insert one fully approved national ID application per resident (not timed)."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    approvals = f'[{{"official_id": "bench-approver", "at": "{now.isoformat()}", "reason": "ok"}}]'
    with psycopg.connect(dsn, autocommit=True) as db:
        station = db.execute("SELECT code FROM stations ORDER BY code LIMIT 1").fetchone()
        if station is None:
            msg = "the population has no station"
            raise RuntimeError(msg)
        db.execute(
            """
            INSERT INTO applications (id, resident_id, document_type, catalogue_version,
                attributes, station_code, submitted_at, entered_by, required_approvals,
                approvals, state, version)
            SELECT gen_random_uuid()::text, id, 'national_id_card', 1, '{}'::json, %s,
                   %s, 'bench-registrar', 1, %s::json, 'submitted', 2
            FROM residents
            """,
            (station[0], now - timedelta(hours=1), approvals),
        )
        rows = db.execute("SELECT id FROM applications ORDER BY id").fetchall()
    return [r[0] for r in rows]


def raw_sign_per_s(workspace: IssuerWorkspace, now: datetime) -> float:
    """The baseline: credentials built and signed with the same key, nothing stored."""
    _record, signer = workspace.document_signer("national_id_card")
    person = Identity169(
        full_name="김민준", date_of_birth=BirthDate(1984, 1, 15), gender=Gender.MALE
    )
    start = timed()
    for n in range(RAW_SAMPLE):
        issue_credential(
            person,
            document_type="national_id_card",
            document_number=f"M{n:08d}",
            status=StatusReference("https://s.example/1", n),
            valid_from=now,
            valid_until=now + timedelta(days=3650),
            signer=signer,
            now=now,
        )
    return RAW_SAMPLE / (timed() - start)


def main() -> None:
    count = (
        int(sys.argv[1])
        if len(sys.argv) > 1
        else int(os.environ.get("CARNET_BENCH_ISSUE", "100000"))
    )
    now = datetime.now(UTC)
    url = scratch_postgres(DB_NAME)
    try:
        with tempfile.TemporaryDirectory(prefix="carnet-bench-issue-") as tmp:
            base = Path(tmp)
            population(count, base / "population", url)
            ids = approved_applications(url, now)
            keys = FileKeyStore(base / "keys", SecretStr(PASSPHRASE))
            workspace = IssuerWorkspace(base / "issuer", keys, rng=secrets.SystemRandom())
            workspace.init(now=now, authority="Carnet Civil Registration Authority")
            workspace.add_signer(
                authority="Carnet Civil Registration Authority",
                document_type="national_id_card",
                now=now,
            )
            settings = Settings(
                environment="test",
                database_url=url,
                issuer_dir=str(base / "issuer"),
                key_dir=str(base / "keys"),
                key_passphrase=SecretStr(PASSPHRASE),
            )
            container = bootstrap(settings)
            issuing = container.issuing()
            issued = 0
            start = timed()
            for offset in range(0, len(ids), BATCH):
                chunk = ids[offset : offset + BATCH]
                issued += len(issue_approved(container.uow(), issuing, chunk))
            seconds = timed() - start
            container.close()
            raw = raw_sign_per_s(workspace, now)
    finally:
        drop_postgres(DB_NAME)
    ours = issued / seconds
    emit(
        {
            "documents_issued": issued,
            "seconds": round(seconds, 2),
            "documents_per_s": round(ours),
            "raw_sign_only_per_s": round(raw),
            "ratio_vs_raw_sign": round(ours / raw, 3),
            "batch_size": BATCH,
            "peak_rss_mb": round(own_peak_rss_mb(), 1),
            "target_seconds_for_100k": 60,
        }
    )


if __name__ == "__main__":
    main()
