"""Helpers shared by the benchmarks: timing, peak memory, PostgreSQL scratch databases."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import psycopg
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["PG_URL", "best_us", "emit", "run_measured", "scratch_postgres"]

PG_URL = os.environ.get(
    "CARNET_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def scratch_postgres(name: str) -> str:
    """Create (or recreate) an empty PostgreSQL database and return its URL."""
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres(name: str) -> None:
    """Drop a scratch database."""
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_measured(cmd: Sequence[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run ``cmd`` as a child; return (seconds, the child's peak RSS in MB, stdout)."""
    wrapper = (
        "import resource,subprocess,sys,time;"
        "t=time.perf_counter();p=subprocess.run(sys.argv[1:],capture_output=True,text=True);"
        "dt=time.perf_counter()-t;"
        "rss=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024;"
        "sys.stderr.write(p.stderr);print(p.stdout);print(f'@@{dt} {rss} {p.returncode}')"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-c", wrapper, *cmd], env=env, capture_output=True, text=True, check=False
    )
    last = done.stdout.strip().splitlines()[-1]
    seconds, rss, code = last.removeprefix("@@").split()
    if int(code) != 0:
        sys.stderr.write(done.stderr)
        msg = f"benchmark child failed: {' '.join(cmd)}"
        raise RuntimeError(msg)
    return float(seconds), float(rss), done.stdout


def timed() -> float:
    """A monotonic timestamp in seconds."""
    return time.perf_counter()


def own_peak_rss_mb() -> float:
    """This process's peak RSS in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(figures: dict[str, object]) -> None:
    """Print the figures as the last line: one JSON object."""
    print(json.dumps(figures, sort_keys=True))


def best_us(stage: Callable[[], object], calls: int = 200, rounds: int = 15) -> float:
    """The best per-call time of ``stage`` over several rounds, in microseconds."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            stage()
        best = min(best, (time.perf_counter() - start) / calls)
    return best * 1e6
