"""Benchmark: bulk import of synthetic residents against raw inserts of the same rows.

Measures, in one run and on this machine:

* ``carnet import residents`` (CSV parsing, validation, UIN allocation, COPY) into
  PostgreSQL, against a raw psycopg ``COPY`` of the very rows it stored, into an
  identical fresh schema;
* the same into SQLite, against a raw ``executemany`` of the same rows in one
  transaction;
* the importer's peak memory at two file sizes, to show it stays flat.

Usage: ``python -m bench.import [ROWS]`` (default 1,000,000; or ``CARNET_BENCH_ROWS``).
The last line printed is one JSON object of figures.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
from datetime import date
from pathlib import Path

import psycopg

from bench._common import drop_postgres, emit, run_measured, scratch_postgres, timed
from carnet.adapters.db.engine import build_engine
from carnet.adapters.db.migrate import upgrade
from carnet.adapters.db.tables import ResidentRow
from carnet.synth import SynthConfig, write_population

COLUMNS = [c.name for c in ResidentRow.__table__.columns]


def prepare(rows: int, out: Path) -> Path:
    """Write the synthetic population (not timed)."""
    cfg = SynthConfig(
        seed=4242, residents=rows, duplicate_rate=0.0, reference_date=date(2026, 1, 1)
    )
    write_population(cfg, out)
    return out


def migrated(url: str, regions: Path, stations: Path) -> None:
    """Migrate and load the reference data through the CLI (not timed)."""
    engine = build_engine(url)
    upgrade(engine)
    engine.dispose()
    env = {**os.environ, "CARNET_DATABASE_URL": url, "CARNET_ENVIRONMENT": "test"}
    run_measured(
        [
            sys.executable,
            "-m",
            "carnet.entrypoints.cli.main",
            "regions",
            "load",
            str(regions),
            str(stations),
        ],
        env,
    )


def carnet_import(url: str, residents: Path) -> tuple[float, float, int]:
    """Run ``carnet import residents``; return (seconds, peak RSS MB, rows imported)."""
    env = {**os.environ, "CARNET_DATABASE_URL": url, "CARNET_ENVIRONMENT": "test"}
    seconds, rss, out = run_measured(
        [
            sys.executable,
            "-m",
            "carnet.entrypoints.cli.main",
            "import",
            "residents",
            str(residents),
            "--rejects",
            str(residents.with_suffix(".rejects.csv")),
        ],
        env,
    )
    imported = int(out.split("imported ")[1].split()[0].replace(",", ""))
    return seconds, rss, imported


def stored_rows_sqlite(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT {', '.join(COLUMNS)} FROM residents").fetchall()  # noqa: S608


def raw_sqlite(rows: list[tuple[object, ...]], path: Path, regions: Path, stations: Path) -> float:
    """Raw executemany of the same rows in one transaction into a fresh schema."""
    migrated(f"sqlite:///{path}", regions, stations)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    sql = f"INSERT INTO residents ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"  # noqa: S608
    started = timed()
    with conn:
        conn.executemany(sql, rows)
    elapsed = timed() - started
    conn.close()
    return elapsed


def raw_postgres(rows: list[tuple[object, ...]], url: str) -> float:
    """Raw psycopg COPY of the same rows into a fresh, identical schema."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    started = timed()
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY residents ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
    return timed() - started


def stored_rows_postgres(url: str) -> list[tuple[object, ...]]:
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        return conn.execute(f"SELECT {', '.join(COLUMNS)} FROM residents").fetchall()  # noqa: S608


def main() -> None:
    rows = (
        int(sys.argv[1])
        if len(sys.argv) > 1
        else int(os.environ.get("CARNET_BENCH_ROWS", "1000000"))
    )
    small = max(1000, rows // 10)
    with tempfile.TemporaryDirectory(prefix="carnet-bench-") as tmp:
        base = Path(tmp)
        full = prepare(rows, base / "full")
        part = prepare(small, base / "small")
        regions, stations = full / "regions.csv", full / "stations.csv"
        figures: dict[str, object] = {"rows": rows}

        # PostgreSQL: our import, then raw COPY of the rows it stored.
        url = scratch_postgres("carnet_bench_import")
        migrated(url, regions, stations)
        pg_seconds, pg_rss, pg_rows = carnet_import(url, full / "residents.csv")
        stored = stored_rows_postgres(url)
        raw_url = scratch_postgres("carnet_bench_raw")
        migrated(raw_url, regions, stations)
        raw_pg = raw_postgres(stored, raw_url)
        del stored
        drop_postgres("carnet_bench_import")
        drop_postgres("carnet_bench_raw")
        figures |= {
            "pg_import_rows_per_s": round(pg_rows / pg_seconds),
            "pg_raw_copy_rows_per_s": round(pg_rows / raw_pg),
            "pg_ratio_vs_raw_copy": round(raw_pg / pg_seconds, 3),
            "pg_peak_rss_mb": round(pg_rss, 1),
        }

        # SQLite: our import, then raw executemany of the same rows.
        ours = base / "ours.db"
        migrated(f"sqlite:///{ours}", regions, stations)
        lite_seconds, lite_rss, lite_rows = carnet_import(
            f"sqlite:///{ours}", full / "residents.csv"
        )
        stored = stored_rows_sqlite(ours)
        raw_lite = raw_sqlite(stored, base / "raw.db", regions, stations)
        del stored
        figures |= {
            "sqlite_import_rows_per_s": round(lite_rows / lite_seconds),
            "sqlite_raw_executemany_rows_per_s": round(lite_rows / raw_lite),
            "sqlite_ratio_vs_raw_executemany": round(raw_lite / lite_seconds, 3),
            "sqlite_peak_rss_mb": round(lite_rss, 1),
        }

        # Flat memory: the same import on a file a tenth the size.
        small_db = base / "small.db"
        migrated(f"sqlite:///{small_db}", part / "regions.csv", part / "stations.csv")
        _, small_rss, _ = carnet_import(f"sqlite:///{small_db}", part / "residents.csv")
        figures |= {
            "small_rows": small,
            "small_peak_rss_mb": round(small_rss, 1),
            "peak_rss_growth_ratio": round(max(pg_rss, lite_rss) / small_rss, 3),
        }
    emit(figures)


if __name__ == "__main__":
    main()
