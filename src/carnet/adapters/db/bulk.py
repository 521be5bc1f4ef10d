"""Bulk resident writers: COPY on PostgreSQL, one executemany on SQLite.

Each :meth:`write` is one transaction, so a batch is stored whole or not at all,
and it appends one ``import`` leaf to the transparency log in that transaction,
committing to every resident of the batch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from carnet.adapters.db.ledger import append_sealed
from carnet.adapters.db.repositories import RESIDENT_COLUMNS, resident_row_tuple
from carnet.adapters.db.tables import RegionRow, ResidentRow
from carnet.adapters.security import SystemClock
from carnet.domain.actions import Action, ActionType, resident_ref
from carnet.domain.errors import ConflictError
from carnet.services.ledger import seal

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from sqlalchemy import Connection, Engine

    from carnet.domain.officials import Principal
    from carnet.domain.persons import Resident
    from carnet.services.ledger import SealedAction
    from carnet.services.ports import Clock

__all__ = ["SqlAlchemyResidentBulkWriter"]

_INSERT = (
    f"INSERT INTO residents ({', '.join(RESIDENT_COLUMNS)}) "  # noqa: S608 - fixed column names
    f"VALUES ({', '.join('?' * len(RESIDENT_COLUMNS))})"
)
_CHUNK = 1000


_TIMESTAMPS = ("created_at", "updated_at")


def _sqlite_row(
    row: tuple[object, ...],
    processors: Mapping[int, Callable[[Any], Any]],
    rendered: dict[object, Any],
) -> tuple[object, ...]:
    """Bind the timestamp columns with the column types' own SQLite processors.

    A batch shares a handful of timestamps, so each is bound once (``rendered``).
    """
    values = list(row)
    for i, process in processors.items():
        stamp = values[i]
        if stamp not in rendered:
            rendered[stamp] = process(stamp)
        values[i] = rendered[stamp]
    return tuple(values)


IMPORT_REASON = "bulk import"


class SqlAlchemyResidentBulkWriter:
    """Implements the ``ResidentBulkWriter`` port for both backends.

    ``official`` is who imports (``None``: the operator running the CLI); each
    batch is logged as their ``import`` action with ``reason``.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        official: Principal | None = None,
        reason: str = IMPORT_REASON,
        clock: Clock | None = None,
    ) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._official = official
        self._reason = reason
        self._clock = clock or SystemClock()

    def _sealed_batch(self, residents: Sequence[Resident]) -> SealedAction:
        action = Action.by(
            self._official,
            ActionType.IMPORT,
            [resident_ref(r) for r in residents],
            reason=self._reason,
        )
        return seal(action, at=self._clock.now())

    def region_codes(self) -> set[str]:
        """Return every region code."""
        with self._engine.connect() as conn:
            return set(conn.scalars(select(RegionRow.code)))

    def _existing(self, column: str, values: Sequence[str]) -> set[str]:
        col = ResidentRow.__table__.c[column]
        found: set[str] = set()
        with self._engine.connect() as conn:
            for i in range(0, len(values), _CHUNK):
                chunk = list(values[i : i + _CHUNK])
                found.update(v for v in conn.scalars(select(col).where(col.in_(chunk))) if v)
        return found

    def refs_taken(self, refs: Sequence[str]) -> set[str]:
        """Return which external references are stored."""
        return self._existing("external_ref", refs)

    def uins_taken(self, uins: Sequence[str]) -> set[str]:
        """Return which UINs are allocated."""
        return self._existing("uin", uins)

    def write(self, residents: Sequence[Resident], created_by: str | None) -> None:
        """Insert every resident in one transaction.

        Raises:
            ConflictError: a UIN or external reference was taken meanwhile.
        """
        if not residents:
            return
        sealed = self._sealed_batch(residents)
        if self._postgres:
            self._copy(residents, created_by, sealed)
            return
        # The DBAPI directly: SQLAlchemy's per-row parameter processing would cost
        # more than SQLite's own insert. Datetimes go in as SQLAlchemy stores them.
        # SQLAlchemy's own bind processors (UtcDateTime, then SQLite's DateTime
        # storage format), so bulk rows are stored exactly as the ORM stores them.
        dialect = self._engine.dialect
        table = ResidentRow.__table__
        processors = {
            RESIDENT_COLUMNS.index(name): processor
            for name in _TIMESTAMPS
            if (processor := table.c[name].type.bind_processor(dialect)) is not None
        }
        rendered: dict[object, Any] = {}
        rows = [
            _sqlite_row(resident_row_tuple(r, created_by), processors, rendered) for r in residents
        ]
        try:
            with self._engine.begin() as conn:
                conn.exec_driver_sql(_INSERT, rows)
                append_sealed(conn, [sealed])
        except IntegrityError as exc:
            raise ConflictError("a UIN or reference in the batch is taken") from exc

    def _copy(
        self, residents: Sequence[Resident], created_by: str | None, sealed: SealedAction
    ) -> None:
        import psycopg  # noqa: PLC0415 - only the PostgreSQL path needs the driver

        try:
            with self._engine.begin() as conn:
                _copy_rows(conn, residents, created_by)
                append_sealed(conn, [sealed])
        except psycopg.errors.UniqueViolation as exc:
            raise ConflictError("a UIN or reference in the batch is taken") from exc


def _copy_rows(conn: Connection, residents: Sequence[Resident], created_by: str | None) -> None:
    """COPY the rows on the connection's own transaction (PostgreSQL)."""
    import psycopg  # noqa: PLC0415 - only the PostgreSQL path needs the driver

    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)  # noqa: S101 - postgresql+psycopg
    statement = f"COPY residents ({', '.join(RESIDENT_COLUMNS)}) FROM STDIN"
    with driver.cursor() as cur, cur.copy(statement) as copy:
        for r in residents:
            copy.write_row(resident_row_tuple(r, created_by))
